/**
 * TF.js backend set-up in Node on @tensorflow/tfjs-core alone (wasm with SIMD, else the
 * pure-JS cpu backend), shared by the CLI (tfBackend.ts) and the neighbour engine's worker
 * threads (engineWorker.ts), which thereby load neither the full @tensorflow/tfjs package nor
 * any model code: each worker thread costs tens of MiB instead of about 130.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

export type NodeBackend = 'wasm' | 'cpu';

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

let wasmRegistered: Promise<void> | null = null;

async function registerWasm(): Promise<void> {
  wasmRegistered ??= (async () => {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    // Point the loader at the package's dist folder explicitly so a bundled CLI still finds the .wasm files.
    const req = createRequire(import.meta.url);
    const dist = dirname(req.resolve('@tensorflow/tfjs-backend-wasm'));
    wasm.setWasmPaths(`${dist}/`);
  })();
  return wasmRegistered;
}

/**
 * Sets the TF.js backend and returns its name ('wasm' or 'cpu'). prefer 'cpu' skips wasm. A
 * wasm start that fails or takes longer than timeoutMs falls back to cpu.
 */
export async function setNodeBackend(prefer: NodeBackend = 'wasm', timeoutMs = 15_000): Promise<string> {
  if (prefer === 'wasm') {
    try {
      await registerWasm();
      const ok = await withTimeout(tf.setBackend('wasm'), timeoutMs, "tf.setBackend('wasm')");
      if (ok) {
        await tf.ready();
        return tf.getBackend();
      }
    } catch (e) {
      process.emitWarning(`TF.js wasm backend unavailable, using cpu: ${(e as Error).message}`);
    }
  }
  await import('@tensorflow/tfjs-backend-cpu');
  const ok = await withTimeout(tf.setBackend('cpu'), timeoutMs, "tf.setBackend('cpu')");
  if (!ok) throw new Error('no TF.js backend could be initialised');
  await tf.ready();
  return tf.getBackend();
}

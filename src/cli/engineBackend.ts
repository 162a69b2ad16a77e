/**
 * TF.js backend set-up in Node on @tensorflow/tfjs-core alone (wasm with SIMD, else the
 * pure-JS cpu backend), shared by the CLI (tfBackend.ts) and the neighbour engine's worker
 * threads (engineWorker.ts), which thereby load neither the full @tensorflow/tfjs package nor
 * any model code: each worker thread costs tens of MiB instead of about 130.
 *
 * 'webgpu' (asked for explicitly, never chosen on its own): @tensorflow/tfjs-backend-webgpu on
 * Dawn's Node binding (the optional npm package `webgpu`, whose dawn.node ships in the package:
 * nothing is downloaded). Dawn reaches the GPU through Vulkan on Linux, so the machine needs the
 * Vulkan loader (libvulkan.so.1) and its GPU's Vulkan driver; without an adapter the backend falls
 * back to wasm with a warning. setWebgpuDawnOptions() passes options to Dawn (tests point it at a
 * software adapter).
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { withTimeout } from '../core/withTimeout.ts';

export type NodeBackend = 'wasm' | 'cpu' | 'webgpu';

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

let dawnOptions: string[] = [];

/** Options for Dawn's create() (e.g. 'adapter=SwiftShader'); set before the first webgpu start. */
export function setWebgpuDawnOptions(options: string[]): void {
  dawnOptions = [...options];
}

let webgpuRegistered: Promise<void> | null = null;

/**
 * Gives Node the WebGPU globals (GPUBufferUsage and the rest) and navigator.gpu from Dawn, then
 * registers TF.js's webgpu backend, which looks for navigator.gpu when it is imported.
 */
async function registerWebgpu(): Promise<void> {
  webgpuRegistered ??= (async () => {
    let dawn: { create(options: string[]): unknown; globals: Record<string, unknown> };
    try {
      dawn = (await import('webgpu')) as unknown as typeof dawn;
    } catch (e) {
      throw new Error(`the optional package "webgpu" (Dawn for Node) is not installed or does not load here: ${(e as Error).message}`);
    }
    const g = globalThis as unknown as { navigator?: object };
    for (const [k, v] of Object.entries(dawn.globals)) if (!(k in globalThis)) Object.defineProperty(globalThis, k, { value: v, configurable: true, writable: true });
    const gpu = dawn.create(dawnOptions);
    if (g.navigator) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
    else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    await import('@tensorflow/tfjs-backend-webgpu');
  })();
  return webgpuRegistered;
}

/**
 * Sets the TF.js backend and returns its name ('webgpu', 'wasm' or 'cpu'). prefer 'cpu' skips
 * wasm; prefer 'webgpu' tries Dawn's WebGPU first. A start that fails or takes longer than
 * timeoutMs falls back to the next one (webgpu, wasm, cpu) with a warning.
 */
export async function setNodeBackend(prefer: NodeBackend = 'wasm', timeoutMs = 15_000): Promise<string> {
  const chain: NodeBackend[] = prefer === 'webgpu' ? ['webgpu', 'wasm', 'cpu'] : prefer === 'wasm' ? ['wasm', 'cpu'] : ['cpu'];
  const register: Record<NodeBackend, () => Promise<unknown>> = {
    webgpu: registerWebgpu, wasm: registerWasm, cpu: () => import('@tensorflow/tfjs-backend-cpu'),
  };
  for (let i = 0; ; i++) {
    const name = chain[i];
    try {
      await register[name]();
      if (await withTimeout(tf.setBackend(name), timeoutMs, `tf.setBackend('${name}')`)) {
        await tf.ready();
        return tf.getBackend();
      }
      throw new Error(name === 'webgpu' ? 'no WebGPU adapter (is a Vulkan driver installed?)' : 'it did not initialise');
    } catch (e) {
      const why = (e as Error)?.message ?? String(e);
      if (i === chain.length - 1) throw new Error(`no TF.js backend could be initialised (${name}: ${why})`);
      process.emitWarning(`TF.js ${name} backend unavailable, using ${chain[i + 1]}: ${why}`);
    }
  }
}

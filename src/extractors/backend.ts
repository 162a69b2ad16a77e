/// <reference types="vite/client" />
/**
 * TF.js backend selection in the page or a worker (browser only: uses Vite `?url`
 * imports so the wasm binaries are emitted by the build and can be precached).
 *
 * Tries each backend in `order` under a timeout and keeps the first that both
 * initialises and runs a small op; cpu is the last resort. WebGPU is only
 * tried where `navigator.gpu` exists. The wasm backend runs multithreaded only
 * when the context is cross-origin isolated (COOP/COEP); otherwise the
 * threaded binary is never requested.
 *
 * Node uses src/cli/tfBackend.ts instead.
 */
import * as tf from '@tensorflow/tfjs';
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

export type BrowserBackend = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

export const DEFAULT_BACKEND_ORDER: readonly BrowserBackend[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

let wasmReady: Promise<void> | null = null;
function registerWasm(): Promise<void> {
  wasmReady ??= (async () => {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths({
      'tfjs-backend-wasm.wasm': wasmPlainUrl,
      'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimdUrl,
    });
    const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
    if (!isolated) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  })();
  return wasmReady;
}

let webgpuReady: Promise<void> | null = null;
function registerWebgpu(): Promise<void> {
  webgpuReady ??= import('@tensorflow/tfjs-backend-webgpu').then(() => undefined);
  return webgpuReady;
}

function hasWebgpu(): boolean {
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  return !!nav && nav.gpu != null;
}

/** Sets the backend and checks that 1 + 1 computes to 2 on it. */
async function trySet(name: BrowserBackend, timeoutMs: number): Promise<boolean> {
  if (name === 'webgpu') {
    if (!hasWebgpu()) return false;
    await registerWebgpu();
  } else if (name === 'wasm') {
    await registerWasm();
  }
  const ok = await withTimeout(tf.setBackend(name), timeoutMs, `tf.setBackend('${name}')`);
  if (!ok) return false;
  const probe = tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1)));
  try {
    const v = await withTimeout(probe.data(), timeoutMs, `a first op on ${name}`);
    return v[0] === 2;
  } finally {
    probe.dispose();
  }
}

/**
 * Initialises the first working backend in `order` and returns its name.
 * Failures and timeouts fall through to the next; throws only if none works.
 */
export async function initBrowserBackend(
  order: readonly BrowserBackend[] = DEFAULT_BACKEND_ORDER,
  timeoutMs = 10_000,
): Promise<string> {
  const errors: string[] = [];
  for (const name of order) {
    try {
      if (await trySet(name, timeoutMs)) return tf.getBackend();
      errors.push(`${name}: unavailable`);
    } catch (e) {
      errors.push(`${name}: ${(e as Error).message ?? String(e)}`);
    }
  }
  throw new Error(`no TF.js backend could be initialised (${errors.join('; ')})`);
}

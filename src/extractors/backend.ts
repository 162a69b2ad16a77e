/// <reference types="vite/client" />
/**
 * TF.js backend selection in the page or a worker (browser only: uses Vite `?url`
 * imports so the wasm binaries are emitted by the build and can be precached).
 *
 * Tries each backend in `order` under a timeout and keeps the first that both
 * initialises and runs a small op; cpu is the last resort. WebGPU is only
 * tried where `navigator.gpu` exists. WebGL is skipped when its renderer is a
 * software rasteriser (SwiftShader, llvmpipe) and wasm comes later in the
 * order: measured in headless Chromium, MobileNetV2 took about 7x as long on
 * SwiftShader WebGL as on wasm (and about 5x less than on cpu). The wasm backend runs multithreaded only
 * when the context is cross-origin isolated (COOP/COEP); otherwise the
 * threaded binary is never requested. If the threaded start fails or hangs
 * (it does when the bundle minifies tfjs-backend-wasm's worker code), wasm is
 * retried single-threaded.
 *
 * Node uses src/cli/tfBackend.ts instead.
 */
import * as tf from '@tensorflow/tfjs';
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { withTimeout } from '../core/withTimeout.ts';

export type BrowserBackend = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

export const DEFAULT_BACKEND_ORDER: readonly BrowserBackend[] = ['webgpu', 'webgl', 'wasm', 'cpu'];


let wasmReady: Promise<void> | null = null;
/** The wasm backend factory as registered by the package, kept so a failed threaded start can be retried single-threaded. */
let wasmFactory: (() => tf.KernelBackend | Promise<tf.KernelBackend>) | null = null;
function registerWasm(threads: boolean): Promise<void> {
  wasmReady ??= (async () => {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths({
      'tfjs-backend-wasm.wasm': wasmPlainUrl,
      'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimdUrl,
    });
    wasmFactory = tf.findBackendFactory('wasm');
    if (!threads) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  })();
  return wasmReady;
}

function wasmThreadsWanted(): boolean {
  return (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
}

/**
 * While a threaded wasm start fails, emscripten's pthread workers (blob: scripts) throw
 * errors that bubble up as uncaught errors of this page or worker (and from a worker on to
 * the page's Worker.onerror). Cancels exactly those: errors from blob: scripts or rethrown
 * ErrorEvents. Installed for the threaded attempt and kept if it fails, since late errors arrive.
 */
let swallowing = false;
function swallowPthreadErrors(): void {
  const g = globalThis as unknown as { addEventListener?: (t: string, f: (e: ErrorEvent) => void) => void };
  if (swallowing || !g.addEventListener) return;
  swallowing = true;
  const EE = (globalThis as { ErrorEvent?: typeof ErrorEvent }).ErrorEvent;
  g.addEventListener('error', (ev: ErrorEvent) => {
    if ((ev.filename ?? '').startsWith('blob:') || (EE && ev.error instanceof EE)) ev.preventDefault();
  });
}

/** Re-registers wasm with threads off (after a threaded start failed or hung). */
function resetWasmSingleThreaded(): void {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  if (!wasmFactory) return;
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', wasmFactory, 2);
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

/** The WebGL renderer string when the browser exposes it (WEBGL_debug_renderer_info), else ''. */
export function webglRenderer(): string {
  try {
    const g = globalThis as { OffscreenCanvas?: typeof OffscreenCanvas; document?: Document };
    const canvas = g.OffscreenCanvas ? new g.OffscreenCanvas(1, 1) : g.document?.createElement('canvas');
    if (!canvas) return '';
    const gl = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as WebGLRenderingContext | null;
    if (!gl) return '';
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const r = ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return typeof r === 'string' ? r : '';
  } catch {
    return '';
  }
}

export function isSoftwareWebgl(renderer = webglRenderer()): boolean {
  return /swiftshader|llvmpipe|softpipe|software/i.test(renderer);
}

export interface BrowserBackendOptions {
  /** Use WebGL or WebGPU even when it is a software rasteriser and wasm is available later in the order (default false). */
  allowSoftwareWebgl?: boolean;
  /**
   * Multithreaded wasm (default: only when cross-origin isolated). The app's worker pool passes false: it
   * parallelises across workers, one single-threaded backend per core, and threads gave no gain on 2 cores.
   */
  wasmThreads?: boolean;
}

/**
 * Whether the WebGPU adapter is a software one (SwiftShader's CPU emulation, or the fallback adapter):
 * measured here 10-100x slower than wasm, so it is skipped when wasm comes later in the order.
 */
export async function isSoftwareWebgpu(): Promise<boolean> {
  try {
    const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } } }).navigator?.gpu;
    const adapter = (await gpu?.requestAdapter()) as { isFallbackAdapter?: boolean; info?: { vendor?: string; architecture?: string; description?: string } } | null;
    if (!adapter) return false;
    const info = adapter.info ?? {};
    return adapter.isFallbackAdapter === true || /swiftshader|llvmpipe|software/i.test(`${info.vendor} ${info.architecture} ${info.description}`);
  } catch {
    return false;
  }
}

/** Sets the backend and checks that 1 + 1 computes to 2 on it. */
async function setAndProbe(name: BrowserBackend, timeoutMs: number): Promise<boolean> {
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

async function trySet(name: BrowserBackend, timeoutMs: number, skipSoftwareWebgl: boolean, wasmThreads: boolean): Promise<boolean> {
  if (name === 'webgpu') {
    if (!hasWebgpu()) return false;
    if (skipSoftwareWebgl && (await isSoftwareWebgpu())) return false;
    await registerWebgpu();
  } else if (name === 'webgl') {
    if (skipSoftwareWebgl && isSoftwareWebgl()) return false;
  } else if (name === 'wasm') {
    await registerWasm(wasmThreads);
    if (wasmThreads && (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) === true) {
      // Threaded wasm hangs when the bundler minified the backend's worker code; give it a
      // short time, then retry single-threaded instead of falling through to cpu.
      swallowPthreadErrors();
      try {
        if (await setAndProbe('wasm', Math.min(timeoutMs, 4000))) return true;
      } catch {
        // fall through to the single-threaded retry
      }
      resetWasmSingleThreaded();
    }
  }
  return setAndProbe(name, timeoutMs);
}

/**
 * Initialises the first working backend in `order` and returns its name.
 * Failures and timeouts fall through to the next; throws only if none works.
 */
export async function initBrowserBackend(
  order: readonly BrowserBackend[] = DEFAULT_BACKEND_ORDER,
  timeoutMs = 10_000,
  opts: BrowserBackendOptions = {},
): Promise<string> {
  const errors: string[] = [];
  for (const [i, name] of order.entries()) {
    const skipSoftwareWebgl = !opts.allowSoftwareWebgl && order.slice(i + 1).includes('wasm');
    try {
      if (await trySet(name, timeoutMs, skipSoftwareWebgl, opts.wasmThreads ?? wasmThreadsWanted())) return tf.getBackend();
      errors.push(`${name}: unavailable`);
    } catch (e) {
      errors.push(`${name}: ${(e as Error).message ?? String(e)}`);
    }
  }
  throw new Error(`no TF.js backend could be initialised (${errors.join('; ')})`);
}

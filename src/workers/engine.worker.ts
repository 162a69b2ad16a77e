/**
 * The compute worker for metrics and utility: owns a TF.js backend so the page never does heavy work.
 * Exposed with Comlink; the page talks to it through src/workers/bridge.ts.
 *
 * Neighbour engine threads: when the tab is cross-origin isolated (SharedArrayBuffer) and this worker's
 * backend is a CPU one (wasm, cpu), large k-NN / PRDC / DCR passes (above the engine's parallel threshold)
 * run on a pool of nested workers (browserEnginePool.ts, engineThread.worker.ts), one per core, at most 4;
 * small passes stay on this thread. With a GPU backend (webgpu, webgl) the passes stay on the GPU unless
 * setEngineThreads() asks for threads. Results are identical either way; report.sets[].engine.workers says
 * how many threads a set's pass used.
 */
import * as Comlink from 'comlink';
import type { FeatureSet } from '../core/features/featureSet.ts';
import { transferableBuffers } from './transfer.ts';
import { initBrowserBackend, type BrowserBackend } from '../extractors/backend.ts';
import { evaluate, type EvaluateInput, type EvaluateProgress, type EvaluateResult } from '../core/evaluate.ts';
import { runUtility } from '../core/utility/runUtility.ts';
import { runCnnUtility } from '../core/utility/cnnUtility.ts';
import type { CnnUtilityInput, UtilityInput, UtilityProgress, UtilityReport } from '../core/utility/types.ts';
import { VarietyAccumulator, type VarietyResult, type VarietyState } from '../core/metrics/variety.ts';
import { canShareMemory, setEnginePool } from '../core/neighbours/parallel.ts';
import { BrowserEnginePool, defaultEngineThreads, type BrowserEnginePoolStats } from './browserEnginePool.ts';

let backendPromise: Promise<string> | null = null;

let controller = new AbortController();

function initBackend(order?: BrowserBackend[]): Promise<string> {
  backendPromise ??= initBrowserBackend(order, 10_000, { wasmThreads: false });
  return backendPromise;
}

/** Engine threads asked for with setEngineThreads (null: automatic), and the pool in use. */
let threadsWanted: number | null = null;
let enginePool: BrowserEnginePool | null = null;

/** One engine thread, bundled by Vite as its own worker script. */
function spawnEngineThread(i: number): Worker {
  return new Worker(new URL('./engineThread.worker.ts', import.meta.url), { type: 'module', name: `synthlens-engine-thread-${i}` });
}

/** Threads the next pass may use on `backend`: 1 when no pool can or should run. */
function engineThreadsFor(backend: string): number {
  if (!canShareMemory() || typeof Worker !== 'function') return 1;
  if (threadsWanted !== null) return threadsWanted;
  return backend === 'wasm' || backend === 'cpu' ? defaultEngineThreads() : 1;
}

/** Registers (or clears) the engine pool for passes on `backend`. */
function configureEnginePool(backend: string): void {
  const n = engineThreadsFor(backend);
  if (n < 2) {
    void enginePool?.close();
    enginePool = null;
    setEnginePool(null);
    return;
  }
  if (enginePool?.size !== n) {
    void enginePool?.close();
    enginePool = new BrowserEnginePool(n, spawnEngineThread);
  }
  setEnginePool(enginePool);
}

const api = {
  /** Initialise TF.js in the order webgpu, webgl, wasm, cpu; returns the backend in use. */
  initBackend,

  async evaluate(
    input: Omit<EvaluateInput, 'signal' | 'onProgress' | 'config'> & { config: Omit<EvaluateInput['config'], 'backend'> },
    onProgress?: (p: EvaluateProgress) => void,
  ): Promise<EvaluateResult> {
    const backend = await initBackend();
    configureEnginePool(backend);
    controller = new AbortController();
    return evaluate({ ...input, config: { ...input.config, backend }, signal: controller.signal, onProgress });
  },

  /**
   * The utility protocols: the probe tier on features (tier absent or 'probe'), or the cnn tier on S x S images,
   * whose networks train here on this worker's TF.js backend (webgpu, webgl, wasm, cpu: the first that works).
   * cancel() stops either within one gradient step.
   */
  async utility(
    input: (Omit<UtilityInput, 'signal' | 'onProgress'> & { tier?: 'probe' }) | (Omit<CnnUtilityInput, 'signal' | 'onProgress'> & { tier: 'cnn' }),
    onProgress?: (p: UtilityProgress) => void,
  ): Promise<UtilityReport> {
    await initBackend();
    controller = new AbortController();
    const { tier, ...rest } = input;
    if (tier === 'cnn') return runCnnUtility({ ...(rest as Omit<CnnUtilityInput, 'signal' | 'onProgress'>), signal: controller.signal, onProgress });
    return runUtility({ ...(rest as Omit<UtilityInput, 'signal' | 'onProgress'>), signal: controller.signal, onProgress });
  },

  /**
   * evaluate() on feature sets the page TRANSFERRED here (no copy), handing them back by transfer with the
   * result, so a tab holds each set's features once rather than once on the page and once here.
   */
  async evaluateTransferred(
    input: Omit<EvaluateInput, 'signal' | 'onProgress' | 'config'> & { config: Omit<EvaluateInput['config'], 'backend'> },
    onProgress?: (p: EvaluateProgress) => void,
  ): Promise<{ result: EvaluateResult; real: FeatureSet; synthetic: EvaluateInput['synthetic']; holdout: FeatureSet | null }> {
    const result = await api.evaluate(input, onProgress);
    const back = { result, real: input.real, synthetic: input.synthetic, holdout: input.holdout ?? null };
    return Comlink.transfer(back, transferableBuffers([input.real, ...input.synthetic.map((x) => x.features), input.holdout ?? null]));
  },

  /** File-size variety of one set from its running per-class sums (mean per class, PNG size). */
  varietyOfState(state: VarietyState): VarietyResult {
    return VarietyAccumulator.fromState(state).result();
  },

  /**
   * Neighbour-engine threads for later runs: n >= 2 asks for a pool of n (even with a GPU backend), 1 for none,
   * null for automatic (one per core, at most 4, on wasm and cpu). Without cross-origin isolation there is never a
   * pool. Returns the threads the next run will use (1: this worker alone).
   */
  async setEngineThreads(n: number | null): Promise<number> {
    if (n !== null && (!Number.isInteger(n) || n < 1)) throw new Error(`engine threads must be a positive integer or null, got ${n}`);
    threadsWanted = n;
    const backend = await initBackend();
    configureEnginePool(backend);
    return enginePool?.size ?? 1;
  },

  /** The engine pool's counters (passes and units run on its threads, their backends), or null when there is none. */
  engineThreadStats(): BrowserEnginePoolStats | null {
    return enginePool?.stats() ?? null;
  },

  cancel(): void {
    controller.abort();
  },
};

export type EngineWorkerApi = typeof api;
Comlink.expose(api);

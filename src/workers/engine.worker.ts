/**
 * The compute worker for metrics and utility: owns a TF.js backend so the page never does heavy work.
 * Exposed with Comlink; the page talks to it through src/workers/bridge.ts.
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

let backendPromise: Promise<string> | null = null;

let controller = new AbortController();

function initBackend(order?: BrowserBackend[]): Promise<string> {
  backendPromise ??= initBrowserBackend(order, 10_000, { wasmThreads: false });
  return backendPromise;
}

const api = {
  /** Initialise TF.js in the order webgpu, webgl, wasm, cpu; returns the backend in use. */
  initBackend,

  async evaluate(
    input: Omit<EvaluateInput, 'signal' | 'onProgress' | 'config'> & { config: Omit<EvaluateInput['config'], 'backend'> },
    onProgress?: (p: EvaluateProgress) => void,
  ): Promise<EvaluateResult> {
    const backend = await initBackend();
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

  cancel(): void {
    controller.abort();
  },
};

export type EngineWorkerApi = typeof api;
Comlink.expose(api);

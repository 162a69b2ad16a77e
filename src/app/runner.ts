/**
 * The page-side run orchestrator. It does no heavy work itself: files go to the pipeline worker pool
 * (decode, embed, cache), features go to the engine worker (metrics, utility); the page only collects
 * results, feeds the variety accumulators, and reports progress at most a few times a second.
 */
import * as Comlink from 'comlink';
import type { Dataset } from '../imaging/dataset.ts';
import type { CustomExtractorOptions, ExtractorId } from '../extractors/registry.ts';
import type { BrowserBackend } from '../extractors/backend.ts';
import { DEFAULT_PROBE_CONFIG } from '../core/utility/probe.ts';
import { splitRealSet } from '../core/utility/runUtility.ts';
import type { UtilityProgress, UtilityReport } from '../core/utility/types.ts';
import type { FeatureSet } from '../core/features/featureSet.ts';
import type { EvaluateProgress } from '../core/evaluate.ts';
import { describePreprocessing, type ItemResult, type PipelineOptions } from '../pipeline/extract.ts';
import { addResult, newCollection, toFeatureSet, type SetCollection } from '../pipeline/collect.ts';
import type { VarietyResult } from '../core/metrics/variety.ts';
import { PipelinePool, type WorkItem } from '../workers/pool.ts';
import { engine } from '../workers/bridge.ts';
import type { RunResult, SetRole, SetSummary, Thumb } from './types.ts';

export interface SetInput {
  name: string;
  role: SetRole;
  dataset: Dataset;
  /** The user's file (or generated demo bytes) for every dataset path. */
  files: Map<string, Blob>;
}

export interface RunSettings {
  extractorId: ExtractorId;
  custom?: { files: Map<string, Uint8Array>; options: CustomExtractorOptions } | null;
  k: number;
  tau: number;
  varietySize: number;
  aspect: 'stretch' | 'pad';
  /** Seed of the KID subsets. */
  seed: number;
  utility: 'off' | 'probe';
  utilitySeeds: number[];
  backendOrder?: BrowserBackend[];
  useCache: boolean;
}

export const DEFAULT_SETTINGS: RunSettings = {
  extractorId: 'mobilenet-v2',
  custom: null,
  k: 5,
  tau: 0.05,
  varietySize: 256,
  aspect: 'stretch',
  seed: 2020,
  utility: 'probe',
  utilitySeeds: [1, 2, 3, 4, 5],
  useCache: true,
};

export type SetStage = 'waiting' | 'reading' | 'decoding' | 'embedding' | 'done';

export interface SetProgress {
  name: string;
  role: SetRole;
  stage: SetStage;
  done: number;
  total: number;
  cached: number;
  skipped: number;
  imagesPerSec: number | null;
  etaSec: number | null;
}

export interface RunProgress {
  phase: 'starting' | 'extracting' | 'metrics' | 'utility' | 'done';
  backend: string | null;
  extractor: string | null;
  sets: SetProgress[];
  metrics: { stage: string; done: number; total: number } | null;
  utility: { stage: string; done: number; total: number } | null;
  /** Files found in the cache before this run (shown as "resuming, X of Y done"). */
  resumed: number;
}

export interface RunInputs {
  real: SetInput;
  holdout: SetInput | null;
  synthetic: SetInput[];
  crossTask?: SetInput | null;
}

/** Lets the browser run other tasks (rendering, input) between pieces of page-side work. */
function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function abortError(): Error {
  return Object.assign(new Error('The run was cancelled.'), { name: 'AbortError' });
}

/** Runs extraction, metrics and (optionally) utility; onProgress gets snapshots (throttled). */
export class Run {
  private pool: PipelinePool | null = null;
  private cancelled = false;
  private lastEmit = 0;
  readonly progress: RunProgress;

  constructor(
    private inputs: RunInputs,
    private settings: RunSettings,
    private onProgress: (p: RunProgress) => void,
    private poolSize?: number,
  ) {
    const all = this.orderedSets();
    this.progress = {
      phase: 'starting',
      backend: null,
      extractor: null,
      sets: all.map((s) => ({ name: s.name, role: s.role, stage: 'waiting', done: 0, total: s.dataset.files.length, cached: 0, skipped: 0, imagesPerSec: null, etaSec: null })),
      metrics: null,
      utility: null,
      resumed: 0,
    };
  }

  private orderedSets(): SetInput[] {
    const { real, holdout, synthetic, crossTask } = this.inputs;
    return [real, ...(holdout ? [holdout] : []), ...synthetic, ...(crossTask ? [crossTask] : [])];
  }

  private emit(force = false): void {
    const t = performance.now();
    if (!force && t - this.lastEmit < 150) return;
    this.lastEmit = t;
    this.onProgress(structuredClone(this.progress));
  }

  cancel(): void {
    this.cancelled = true;
    this.pool?.cancel();
    void engine().cancel();
  }

  private check(): void {
    if (this.cancelled) throw abortError();
  }

  async start(): Promise<RunResult> {
    performance.mark('synthlens:run-start');
    const t0 = performance.now();
    const timings: Record<string, number> = {};
    const s = this.settings;
    const pipelineOptions: PipelineOptions = { aspect: s.aspect, varietySize: s.varietySize, thumbSize: 96, batchSize: 16 };
    this.pool = new PipelinePool(this.poolSize);
    try {
      const init = await this.pool.init({
        extractorId: s.extractorId,
        backendOrder: s.backendOrder,
        customFiles: s.custom?.files,
        customOptions: s.custom?.options,
        options: pipelineOptions,
        useCache: s.useCache,
      });
      this.progress.backend = init.backend;
      this.progress.extractor = init.spec.id;
      this.progress.phase = 'extracting';
      this.emit(true);
      timings.init = performance.now() - t0;

      const sets = this.orderedSets();
      const collections: SetCollection[] = [];
      const tExtract = performance.now();
      for (let si = 0; si < sets.length; si++) {
        this.check();
        collections.push(await this.extractSet(sets[si], this.progress.sets[si], s.varietySize));
      }
      timings.extract = performance.now() - tExtract;
      const warnings = await this.pool.takeWarnings();
      this.pool.terminate();
      this.pool = null;
      this.check();

      // Feature sets, built once.
      const dim = init.spec.dim;
      const features: FeatureSet[] = [];
      for (const c of collections) {
        features.push(toFeatureSet(c, dim));
        await nextTask();
      }
      const indexOf = (role: SetRole) => sets.findIndex((x) => x.role === role);
      const realIndex = indexOf('real');
      const holdoutIndex = indexOf('holdout');
      const crossIndex = indexOf('crossTask');
      const synthIndices = sets.map((x, i) => (x.role === 'synthetic' ? i : -1)).filter((i) => i >= 0);
      let realFs = features[realIndex];
      let utilityTest: FeatureSet | null = holdoutIndex >= 0 ? features[holdoutIndex] : null;
      const runWarnings = [...warnings];
      let testSource: { kind: 'held-out' } | { kind: 'split'; testFraction: number; seed: number } = { kind: 'held-out' };
      if (s.utility !== 'off' && holdoutIndex < 0 && realFs.labels) {
        // Utility needs real test data never trained on: split R, and exclude the test part from every metric
        // (the variety of the real set included).
        const split = splitRealSet(realFs, 0.2, s.seed);
        realFs = split.train;
        utilityTest = split.test;
        testSource = { kind: 'split', testFraction: 0.2, seed: s.seed };
        const testIds = new Set(split.test.ids);
        const realCol = collections[realIndex];
        if (realCol.grays) realCol.grays = realCol.grays.filter((g) => !testIds.has(g.id));
        runWarnings.push(
          `No held-out set: a stratified 20% of the real set (${split.test.n} images, seed ${s.seed}) is the utility test data and is excluded from every other metric.`,
        );
      }
      const synthetic = synthIndices.map((i) => ({ name: sets[i].name, features: features[i] }));

      // Metrics in the engine worker.
      this.progress.phase = 'metrics';
      this.progress.metrics = { stage: 'starting', done: 0, total: 1 };
      this.emit(true);
      const tMetrics = performance.now();
      // Variety (mean image and its PNG size) in the worker; the grayscale images are transferred, not copied.
      const varieties: (VarietyResult | null)[] = [];
      for (const c of collections) {
        const grays = c.grays ?? [];
        c.grays = null;
        varieties.push(grays.length ? await engine().variety(Comlink.transfer(grays, grays.map((g) => g.gray.buffer as ArrayBuffer)), s.varietySize) : null);
        await nextTask();
      }
      const varietyReal = varieties[realIndex];
      const varietySets: Record<string, number> = {};
      for (const i of synthIndices) {
        const v = varieties[i];
        if (v) varietySets[sets[i].name] = v.pngBytes;
      }
      const skipped = sets.flatMap((x, i) =>
        [...x.dataset.skipped, ...collections[i].skipped].map((k) => ({ path: `${x.name}/${k.path}`, reason: k.reason })),
      );
      const evaluated = await engine().evaluate(
        {
          real: realFs,
          synthetic,
          holdout: holdoutIndex >= 0 ? features[holdoutIndex] : null,
          config: {
            k: s.k,
            tau: s.tau,
            seed: s.seed,
            extractor: { id: init.spec.id, weightsSha256: init.spec.weightsHash, dim: init.spec.dim, inputSize: init.spec.inputSize, description: init.spec.description },
            preprocessing: describePreprocessing(init.spec as never, pipelineOptions),
            extractionBackend: init.backend,
            cache: s.useCache
              ? { hits: collections.reduce((a, c) => a + c.cached, 0), misses: collections.reduce((a, c) => a + c.embedded, 0) }
              : null,
          },
          varietyBytes: varietyReal ? { real: varietyReal.pngBytes, sets: varietySets } : null,
          skipped,
          timings,
        },
        Comlink.proxy((p: EvaluateProgress) => {
          this.progress.metrics = { stage: p.set ? `${p.stage} (${p.set})` : p.stage, done: p.done, total: p.total };
          this.emit();
        }),
      );
      timings.metrics = performance.now() - tMetrics;
      this.check();

      // Utility.
      let utility: UtilityReport | null = null;
      if (s.utility !== 'off') {
        if (!utilityTest || !realFs.labels) {
          runWarnings.push('Utility was not run: it needs class subfolders (labels) in the real set.');
        } else {
          this.progress.phase = 'utility';
          this.progress.utility = { stage: 'starting', done: 0, total: 1 };
          this.emit(true);
          const tUtility = performance.now();
          utility = await engine().utility(
            {
              realTrain: realFs,
              test: utilityTest,
              synthetic,
              crossTask: crossIndex >= 0 ? features[crossIndex] : undefined,
              seeds: s.utilitySeeds,
              probe: { ...DEFAULT_PROBE_CONFIG },
              testSource,
            },
            Comlink.proxy((p: UtilityProgress) => {
              this.progress.utility = { stage: p.stage, done: p.done, total: p.total };
              this.emit();
            }),
          );
          timings.utility = performance.now() - tUtility;
        }
      }

      await nextTask();
      const report = evaluated.report;
      report.warnings.push(...runWarnings);
      report.timings = { ...report.timings, ...timings, total: performance.now() - t0 };
      const summaries: SetSummary[] = sets.map((x, i) => {
        const c = collections[i];
        const v = varieties[i];
        const classes: Record<string, number> = {};
        for (const l of c.labels) if (l !== null) classes[l] = (classes[l] ?? 0) + 1;
        return {
          name: x.name,
          role: x.role,
          count: c.ids.length,
          classes,
          skipped: c.skipped.concat(x.dataset.skipped.map((k) => ({ path: k.path, reason: k.reason }))),
          cached: c.cached,
          embedded: c.embedded,
          meanImage: v ? { width: v.width, height: v.height, data: v.meanImage } : null,
        };
      });
      const thumbs = new Map<string, Map<string, Thumb>>();
      sets.forEach((x, i) => thumbs.set(x.name, collections[i].thumbs));
      this.progress.phase = 'done';
      this.emit(true);
      performance.mark('synthlens:run-end');
      return {
        report,
        sets: summaries,
        assignments: Object.fromEntries(evaluated.assignments),
        dcr: { sets: Object.fromEntries(evaluated.syntheticDcrDistances), holdout: evaluated.holdoutDcrDistances ?? null },
        thumb: (setName, id) => thumbs.get(setName)?.get(id),
        utility,
      };
    } finally {
      this.pool?.terminate();
      this.pool = null;
    }
  }

  private async extractSet(input: SetInput, p: SetProgress, varietySize: number): Promise<SetCollection> {
    const files = input.dataset.files;
    const items: WorkItem[] = files.map((f) => ({ path: f.path, label: f.label, file: input.files.get(f.path)! }));
    const results: (ItemResult | undefined)[] = new Array(items.length);
    const started = performance.now();
    p.stage = 'reading';
    p.skipped = input.dataset.skipped.length;
    this.emit(true);
    let computed = 0;
    await this.pool!.run(items, {
      onResult: (i, r) => {
        results[i] = r;
        p.done++;
        if ('skipped' in r) p.skipped++;
        else if (r.fromCache) {
          p.cached++;
          this.progress.resumed++;
        } else computed++;
        const secs = (performance.now() - started) / 1000;
        p.imagesPerSec = secs > 0 ? p.done / secs : null;
        const rate = computed > 0 ? computed / secs : p.imagesPerSec;
        p.etaSec = rate ? (p.total - p.done) / rate : null;
        this.emit();
      },
      onStage: (stage) => {
        if (p.stage !== stage) {
          p.stage = stage;
          this.emit();
        }
      },
    });
    const missing = results.findIndex((r) => r === undefined);
    if (missing >= 0) throw new Error(`internal error: no result for ${items[missing].path}`);
    const c = newCollection(input.name, varietySize, { deferVariety: true });
    for (let i = 0; i < results.length; i++) {
      const r = results[i];
      if (r) addResult(c, r);
      if (i % 256 === 255) await nextTask();
    }
    p.stage = 'done';
    p.etaSec = 0;
    this.emit(true);
    return c;
  }
}

/**
 * The page-side run orchestrator. It does no heavy work itself: files go to the pipeline worker pool
 * (decode, embed, cache), features go to the engine worker (metrics, utility); the page only collects
 * results, feeds the variety accumulators, and reports progress at most a few times a second.
 *
 * With the probe utility tier, the real training images go through the pool a second time with simple
 * augmentation (src/imaging/augment.ts: flip, small rotation, contrast; seeded by file hash and the run seed): their
 * features are the utility evaluator's "simple augmentation" reference (progress row "augmented real"). With the
 * cnn tier, every set the utility protocols use goes through the pool once more with the pixels extractor at the
 * cnn input size (S x S grayscale images, cached like features; progress row "CNN inputs"), the real training
 * images once more augmented at that size, and the networks train in the engine worker (src/core/utility/cnn.ts).
 *
 * Memory per image is its feature row (and, within a budget, its audit thumbnail): results are added to their set
 * as they arrive (OrderedAdder), each row copied into the set's one packed buffer (on shared memory, which the
 * engine worker and its threads then read in place), the variety images are summed in the pipeline workers (they
 * never reach the page: the page merges each worker's per-class sums), and
 * thumbnails past the budget are redrawn from the file, in a worker, when the audit shows them (./thumbs.ts). Once
 * the run is over, the page keeps its results, the kept thumbnails and the files, not the feature sets, and the
 * pipeline and engine workers are closed. Without a held-out set, the
 * utility test part of the real set is split off by FILE before extraction (like the CLI), so it never enters
 * the real set's metrics or variety and the frames of one file stay on one side.
 */
import * as Comlink from 'comlink';
import type { Dataset } from '../imaging/dataset.ts';
import type { CustomExtractorOptions, ExtractorId } from '../extractors/registry.ts';
import { extractorRecord, PIXELS_SIDES, PIXELS_SPEC } from '../extractors/specs.ts';
import type { BrowserBackend } from '../extractors/backend.ts';
import { DEFAULT_PROBE_CONFIG } from '../core/utility/probe.ts';
import { cnnMemoryIssue, DEFAULT_CNN_CONFIG } from '../core/utility/cnnConfig.ts';
import { stratifiedSplit } from '../core/utility/split.ts';
import type { UtilityDataInput, UtilityProgress, UtilityReport } from '../core/utility/types.ts';
import { makeFeatureSet, type FeatureSet } from '../core/features/featureSet.ts';
import type { EvaluateProgress } from '../core/evaluate.ts';
import { describePreprocessing, type PipelineOptions } from '../pipeline/extract.ts';
import { addVarietyState, DEFAULT_THUMB_BUDGET_BYTES, FeatureRows, newCollection, OrderedAdder, SpilledRows, ThumbBudget, toFeatureSet, toFeatureSetAsync, type SetCollection } from '../pipeline/collect.ts';
import { openSpillStore, type RowSpill, type SpillStore } from '../store/featureSpill.ts';
import type { VarietyResult } from '../core/metrics/variety.ts';
import { defaultPoolSize, PipelinePool, type WorkItem } from '../workers/pool.ts';
import type { PipelineInit } from '../workers/pipeline.worker.ts';
import { describeAugmentationRun } from '../imaging/augment.ts';
import { engine, terminateEngine } from '../workers/bridge.ts';
import { transferableBuffers } from '../workers/transfer.ts';
import type { RunResult, SetAssignments, SetRole, SetSummary, Thumb } from './types.ts';
import { OnDemandThumbs } from './thumbs.ts';
import { workerThumbDrawer } from '../workers/thumbDrawer.ts';
import type { FileSource } from './fileSource.ts';

/** Share of the real files held out as utility test data when there is no held-out set. */
export const UTILITY_SPLIT_FRACTION = 0.2;
const THUMB_SIZE = 96;

export interface SetInput {
  name: string;
  role: SetRole;
  dataset: Dataset;
  /** The user's files (or generated demo bytes), by dataset path. */
  files: FileSource;
}

export interface RunSettings {
  extractorId: ExtractorId;
  /** The user's model: its files by name, its options, and the folder's name as shown. */
  custom?: { files: Map<string, Uint8Array>; options: CustomExtractorOptions; name?: string } | null;
  k: number;
  tau: number;
  varietySize: number;
  aspect: 'stretch' | 'pad';
  /** Seed of the KID subsets. */
  seed: number;
  /** probe: a small classifier on the features (seconds); cnn: a convolutional network on the images (minutes). */
  utility: 'off' | 'probe' | 'cnn';
  utilitySeeds: number[];
  /** Side in pixels of the cnn tier's grayscale input images. */
  cnnSize: number;
  /**
   * Side of the pixels extractor's grayscale image (one of PIXELS_SIDES; d = side²). 64 is the `pixels`
   * extractor; other sides are `pixels-<side>` (own cache key and report record).
   */
  pixelsSize: number;
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
  cnnSize: DEFAULT_CNN_CONFIG.inputSize,
  pixelsSize: PIXELS_SPEC.inputSize,
  useCache: true,
};

/**
 * What every pipeline worker loads for the run's features: the chosen extractor, sized for pixels by
 * settings.pixelsSize (the registry's pixels extractor takes its side from the custom options' inputSize, as the
 * cnn tier's inputs do), or the user's custom model with its options.
 */
export function pipelineInitFor(s: RunSettings, options: PipelineOptions): PipelineInit {
  if (s.extractorId === 'pixels' && !(PIXELS_SIDES as readonly number[]).includes(s.pixelsSize)) {
    throw new RangeError(`pixels extractor: image side must be one of ${PIXELS_SIDES.join(', ')}, got ${s.pixelsSize}`);
  }
  return {
    extractorId: s.extractorId,
    backendOrder: s.backendOrder,
    customFiles: s.extractorId === 'custom' ? s.custom?.files : undefined,
    customOptions:
      s.extractorId === 'custom' ? s.custom?.options
      : s.extractorId === 'pixels' ? { inputSize: s.pixelsSize, channels: 1, normalise: 'zero-one' }
      : undefined,
    options,
    useCache: s.useCache,
  };
}

export type SetStage = 'waiting' | 'reading' | 'decoding' | 'embedding' | 'done';

export interface SetProgress {
  name: string;
  /**
   * 'utility': the second pass over the real training images, augmented (utility's simple-augmentation reference).
   * The real set's utility test part (split off when there is no held-out set) is a 'real' row of its own.
   */
  role: SetRole | 'utility';
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
  /** Utility units (models, cross-task folds); `training`: the model training now, step by step (cnn tier). */
  utility: { stage: string; done: number; total: number; training: NonNullable<UtilityProgress['training']> | null } | null;
  /**
   * Files of the user's sets found in the cache so far (shown live as "Resuming: X of Y images were already
   * embedded"; not counting the augmented copies made for utility).
   */
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

/** The cnn tier's S x S images of every set its protocols use, and of the augmented real training images. */
interface CnnInputs {
  real: FeatureSet;
  test: FeatureSet;
  synthetic: { name: string; features: FeatureSet }[];
  crossTask: FeatureSet | null;
  augmented: { features: FeatureSet; augmentations: string[] } | null;
}

/** The real set split into a training part and the utility test part (see splitRealFilesForUtility). */
export interface UtilitySplit {
  train: SetInput;
  test: SetInput;
  warning: string;
}

/**
 * Utility needs real test data never trained on. Without a held-out set, a stratified share of the real FILES
 * (by class subfolder, seeded; src/core/utility/split.ts, the same split as `synthlens evaluate`) is split off
 * before extraction: it is left out of every other metric (the real set's variety included), and all frames of
 * a multi-frame file stay on one side. Null when utility is off, a held-out set exists, or the real files are
 * not all in class subfolders of at least two classes (utility then says why it cannot run).
 */
export function splitRealFilesForUtility(
  real: SetInput,
  hasHoldout: boolean,
  settings: Pick<RunSettings, 'utility' | 'seed'>,
): UtilitySplit | null {
  if (settings.utility === 'off' || hasHoldout) return null;
  const files = real.dataset.files;
  if (files.length < 2 || files.some((f) => f.label === null)) return null;
  if (new Set(files.map((f) => f.label)).size < 2) return null;
  const { trainIdx, testIdx } = stratifiedSplit(files.map((f) => f.label as string), UTILITY_SPLIT_FRACTION, settings.seed);
  const part = (idx: Int32Array) => Array.from(idx, (i) => files[i]);
  const testFiles = part(testIdx);
  return {
    train: { ...real, dataset: { ...real.dataset, files: part(trainIdx) } },
    test: { ...real, name: `${real.name} (utility test part)`, dataset: { ...real.dataset, files: testFiles, skipped: [] } },
    warning:
      `No held-out set: a stratified ${UTILITY_SPLIT_FRACTION * 100}% of the real files (${testFiles.length} of ${files.length}, seed ${settings.seed}) ` +
      'is the utility test data and is excluded from every other metric (fidelity, privacy, PRDC, FID, KID, DCR, Vendi, variety).',
  };
}

/**
 * Points a synthetic set's assignments at the page's own id and label arrays (the engine worker sends copies)
 * when they hold the same values, so the tab keeps each id once.
 */
export function shareIds(a: SetAssignments, synthetic: FeatureSet, real: FeatureSet): void {
  const same = <T>(x: readonly T[] | null, y: readonly T[] | null) => x === y || (!!x && !!y && x.length === y.length && x.every((v, i) => v === y[i]));
  if (same(a.ids, synthetic.ids)) a.ids = synthetic.ids;
  if (same(a.labels, synthetic.labels)) a.labels = synthetic.labels;
  if (same(a.realIds, real.ids)) a.realIds = real.ids;
  if (same(a.realLabels, real.labels)) a.realLabels = real.labels;
}

/**
 * The buffers to transfer with a utility input to the engine worker: those of every set not on shared memory (the
 * real set's utility test part, the augmented real features; the cnn tier's images), which the page does not use
 * afterwards. Transferred rather than copied, the tab holds them once; the sets on shared memory (real, synthetic,
 * held-out, cross-task features) are shared.
 */
export function utilityTransferables(input: Pick<UtilityDataInput, 'realTrain' | 'test' | 'synthetic' | 'augmented' | 'crossTask'>): ArrayBuffer[] {
  return transferableBuffers([input.realTrain, input.test, ...input.synthetic.map((x) => x.features), input.augmented, input.crossTask]);
}

/**
 * The finished run's thumbnail lookups. Made outside Run.start(), so that the result (which the app keeps while it
 * shows it) holds the kept thumbnails and the files to redraw the others from, and not the run's feature sets.
 */
function resultThumbs(sets: SetInput[], collections: SetCollection[]): Pick<RunResult, 'thumb' | 'loadThumb'> {
  const thumbs = new Map<string, Map<string, Thumb>>();
  sets.forEach((x, i) => thumbs.set(x.name, collections[i].thumbs));
  const filesOf = new Map(sets.map((x) => [x.name, x.files]));
  const onDemand = new OnDemandThumbs({ files: (name) => filesOf.get(name), maxSide: THUMB_SIZE, draw: workerThumbDrawer() });
  return {
    thumb: (setName, id) => thumbs.get(setName)?.get(id),
    loadThumb: (setName, id) => {
      const kept = thumbs.get(setName)?.get(id);
      return kept ? Promise.resolve(kept) : onDemand.load(setName, id);
    },
  };
}

/** Runs extraction, metrics and (optionally) utility; onProgress gets snapshots (throttled). */
export class Run {
  private pool: PipelinePool | null = null;
  private cancelled = false;
  private lastEmit = 0;
  readonly progress: RunProgress;
  /** The real set's utility test part, split off by file (null with a held-out set or without utility). */
  private readonly utilitySplit: UtilitySplit | null;
  private readonly thumbBudget = new ThumbBudget(DEFAULT_THUMB_BUDGET_BYTES);
  /** Where this run's feature rows wait while the sets are extracted (null without IndexedDB). */
  private spill: SpillStore | null = null;

  constructor(
    private inputs: RunInputs,
    private settings: RunSettings,
    private onProgress: (p: RunProgress) => void,
    private poolSize?: number,
  ) {
    this.utilitySplit = this.splitForUtility();
    const all = this.orderedSets();
    const row = (s: SetInput, role: SetProgress['role']): SetProgress => ({
      name: s.name,
      role,
      stage: 'waiting',
      done: 0,
      total: s.dataset.files.length,
      cached: 0,
      skipped: 0,
      imagesPerSec: null,
      etaSec: null,
    });
    this.progress = {
      phase: 'starting',
      backend: null,
      extractor: null,
      sets: [...all.map((s) => row(s, s.role)), ...(this.utilitySplit ? [row(this.utilitySplit.test, 'real')] : [])],
      metrics: null,
      utility: null,
      resumed: 0,
    };
  }

  private orderedSets(): SetInput[] {
    const { holdout, synthetic, crossTask } = this.inputs;
    const real = this.utilitySplit?.train ?? this.inputs.real;
    return [real, ...(holdout ? [holdout] : []), ...synthetic, ...(crossTask ? [crossTask] : [])];
  }

  private splitForUtility(): UtilitySplit | null {
    return splitRealFilesForUtility(this.inputs.real, this.inputs.holdout !== null, this.settings);
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
    const pipelineOptions: PipelineOptions = { aspect: s.aspect, varietySize: s.varietySize, thumbSize: THUMB_SIZE, batchSize: 16 };
    this.pool = new PipelinePool(this.poolSize ?? defaultPoolSize(s.extractorId));
    try {
      const poolInit = pipelineInitFor(s, pipelineOptions);
      const init = await this.pool.init(poolInit);
      this.progress.backend = init.backend;
      this.progress.extractor = init.spec.id;
      this.progress.phase = 'extracting';
      this.emit(true);
      timings.init = performance.now() - t0;

      const sets = this.orderedSets();
      const collections: SetCollection[] = [];
      const tExtract = performance.now();
      const dim = init.spec.dim;
      // The sets' feature rows go to the spill store as they arrive and come back once the pipeline workers are
      // gone (src/store/featureSpill.ts): the tab does not hold them beside the workers' models. Without one (no
      // IndexedDB), straight onto shared memory: the FeatureSet is then made without a copy (toFeatureSet shared).
      const tSpill = performance.now();
      const spillOpen = await openSpillStore().then(
        (store) => ({ store, why: null }),
        (e: unknown) => ({ store: null, why: e instanceof Error ? e.message : String(e) }),
      );
      this.spill = spillOpen.store;
      timings.spillOpen = performance.now() - tSpill;
      for (let si = 0; si < sets.length; si++) {
        this.check();
        const spill = this.spill?.part(`set ${si}`) ?? null;
        collections.push(await this.extractSet(sets[si], this.progress.sets[si], { varietySize: s.varietySize, dim, shared: true, spill }));
      }
      // The real set's utility test part (no variety images, no thumbnails: it is not shown or measured).
      const testCollection = this.utilitySplit
        ? await this.extractSet(this.utilitySplit.test, this.progress.sets[sets.length], { varietySize: null, keepThumbs: false, dim })
        : null;
      timings.extract = performance.now() - tExtract;
      this.emit(true);
      this.check();

      const indexOf = (role: SetRole) => sets.findIndex((x) => x.role === role);
      const realIndex = indexOf('real');
      const holdoutIndex = indexOf('holdout');
      const crossIndex = indexOf('crossTask');
      const synthIndices = sets.map((x, i) => (x.role === 'synthetic' ? i : -1)).filter((i) => i >= 0);
      const runWarnings: string[] = [];
      const realC = collections[realIndex];
      // as the real FeatureSet's labels will be (toFeatureSet): every image has one
      const realLabelled = realC.ids.length > 0 && realC.labels.every((l) => l !== null);
      const hasUtilityTest = holdoutIndex >= 0 || (this.utilitySplit !== null && testCollection !== null);
      let utilityTest: FeatureSet | null = null;
      let testSource: { kind: 'held-out' } | { kind: 'split'; testFraction: number; seed: number } = { kind: 'held-out' };
      if (this.utilitySplit && testCollection) {
        utilityTest = toFeatureSet(testCollection, dim, { release: true });
        testSource = { kind: 'split', testFraction: UTILITY_SPLIT_FRACTION, seed: s.seed };
        runWarnings.push(this.utilitySplit.warning);
        if (testCollection.skipped.length) {
          runWarnings.push(`Utility test part: ${testCollection.skipped.length} file(s) skipped (${testCollection.skipped.slice(0, 3).map((k) => `${k.path}: ${k.reason}`).join('; ')}).`);
        }
      }

      // Simple-augmentation reference for utility: the real TRAINING images (after any split) once more, augmented.
      let augmented: { features: FeatureSet; augmentations: string[] } | null = null;
      if (s.utility === 'probe' && hasUtilityTest && realLabelled) {
        const tAugment = performance.now();
        try {
          augmented = await this.augmentTraining(sets[realIndex], { ids: realC.ids, n: realC.ids.length }, poolInit, s.seed, dim, runWarnings);
        } catch (e) {
          if (this.cancelled || (e as Error)?.name === 'AbortError') throw e;
          // The rest of the run does not depend on it: the utility report says the reference was not measured.
          runWarnings.push(`Simple augmentation (utility reference) failed: ${(e as Error)?.message ?? String(e)}`);
        }
        timings.augment = performance.now() - tAugment;
      }
      // cnn tier: the images themselves, S x S, for every set the protocols use (and the augmented real copies).
      let cnnInputs: CnnInputs | null = null;
      let utilityNotRun: string | null = null;
      if (s.utility === 'cnn' && hasUtilityTest && realLabelled) {
        const tInputs = performance.now();
        const testInput = this.utilitySplit ? this.utilitySplit.test : holdoutIndex >= 0 ? sets[holdoutIndex] : null;
        const r = await this.prepareCnnInputs(sets, realIndex, testInput!, synthIndices, crossIndex, poolInit, runWarnings);
        if (typeof r === 'string') utilityNotRun = r;
        else cnnInputs = r;
        timings.cnnInputs = performance.now() - tInputs;
      }
      runWarnings.unshift(...(await this.pool.takeWarnings()));
      this.pool.terminate();
      this.pool = null;
      this.check();

      // Feature sets, built once: the packed rows are handed over (not copied), or read back from the spill store.
      const tFeatures = performance.now();
      const features: FeatureSet[] = [];
      this.progress.phase = 'metrics';
      for (const [i, c] of collections.entries()) {
        this.progress.metrics = { stage: 'reading the features back', done: i, total: collections.length };
        this.emit(true);
        features.push(await toFeatureSetAsync(c, dim, { release: true, shared: true }));
        await nextTask();
      }
      const spillErrors = collections.map((c) => (c.rows instanceof SpilledRows ? c.rows.spillError : null)).filter((e) => e !== null);
      if (spillOpen.why !== null) {
        runWarnings.push(`Feature rows were held in this tab's memory through the extraction, not in the browser's storage: ${spillOpen.why}. Nothing is lost, but on very large sets the tab needs more memory.`);
      }
      if (spillErrors.length) {
        runWarnings.push(`Feature rows stayed in memory: the browser's storage did not take them (${(spillErrors[0] as Error)?.message ?? String(spillErrors[0])}).`);
      }
      await this.closeSpill();
      timings.features = performance.now() - tFeatures;
      let realFs = features[realIndex];
      if (holdoutIndex >= 0) utilityTest = features[holdoutIndex];
      let synthetic = synthIndices.map((i) => ({ name: sets[i].name, features: features[i] }));
      this.check();

      // Metrics in the engine worker.
      this.progress.phase = 'metrics';
      this.progress.metrics = { stage: 'starting', done: 0, total: 1 };
      this.emit(true);
      const tMetrics = performance.now();
      // Variety (mean image and its PNG size): the sums were made on arrival; the mean and the PNG are made in the
      // engine worker (the sums are transferred, not copied).
      const varieties: (VarietyResult | null)[] = [];
      for (const c of collections) {
        const st = c.variety && c.variety.count > 0 ? c.variety.state() : null;
        c.variety = null;
        varieties.push(st ? await engine().varietyOfState(Comlink.transfer(st, st.groups.map((g) => g.sum.buffer as ArrayBuffer))) : null);
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
      // The feature sets are transferred to the engine worker and come back with the result (no copy: the tab
      // holds each set's features once).
      const holdoutFs = holdoutIndex >= 0 ? features[holdoutIndex] : null;
      const sent = transferableBuffers([realFs, ...synthetic.map((x) => x.features), holdoutFs]);
      const evaluatedBack = await engine().evaluateTransferred(
        Comlink.transfer({
          real: realFs,
          synthetic,
          holdout: holdoutFs,
          config: {
            k: s.k,
            tau: s.tau,
            seed: s.seed,
            extractor: extractorRecord(init.spec),
            preprocessing: describePreprocessing(init.spec as never, pipelineOptions),
            extractionBackend: init.backend,
            cache: s.useCache
              ? { hits: collections.reduce((a, c) => a + c.cached, 0), misses: collections.reduce((a, c) => a + c.embedded, 0) }
              : null,
          },
          varietyBytes: varietyReal ? { real: varietyReal.pngBytes, sets: varietySets } : null,
          skipped,
          timings,
        }, sent),
        this.metricsProgress(),
      );
      const evaluated = evaluatedBack.result;
      // The sets come back with their values (shared, or transferred back) and with copies of their ids and labels:
      // keep the page's own arrays, and use them in the assignments too, so the tab holds each id once.
      const backed = (mine: FeatureSet, back: FeatureSet): FeatureSet => ({ ...back, ids: mine.ids, labels: mine.labels });
      realFs = backed(realFs, evaluatedBack.real);
      features[realIndex] = realFs;
      synthetic = evaluatedBack.synthetic.map((x, k) => ({ name: x.name, features: backed(synthetic[k].features, x.features) }));
      synthIndices.forEach((i, k) => (features[i] = synthetic[k].features));
      if (holdoutIndex >= 0) {
        features[holdoutIndex] = backed(holdoutFs!, evaluatedBack.holdout!);
        if (utilityTest === holdoutFs) utilityTest = features[holdoutIndex];
      }
      for (const x of synthetic) {
        const a = evaluated.assignments.get(x.name);
        if (a) shareIds(a, x.features, realFs);
      }
      timings.metrics = performance.now() - tMetrics;
      this.check();

      // Utility.
      let utility: UtilityReport | null = null;
      if (s.utility !== 'off') {
        if (!utilityTest || !realFs.labels) {
          runWarnings.push('Utility was not run: it needs class subfolders (labels) in the real set.');
        } else if (utilityNotRun) {
          runWarnings.push(`Utility was not run: ${utilityNotRun}.`);
        } else {
          this.progress.phase = 'utility';
          this.progress.utility = { stage: 'starting', done: 0, total: 1, training: null };
          this.emit(true);
          const tUtility = performance.now();
          const onProgress = this.utilityProgress();
          if (cnnInputs) {
            const c = cnnInputs;
            // The images are not needed on the page afterwards: transferred rather than copied.
            const input = {
              tier: 'cnn' as const,
              realTrain: c.real,
              test: c.test,
              synthetic: c.synthetic,
              ...(c.augmented ? { augmented: c.augmented.features, augmentations: c.augmented.augmentations } : {}),
              crossTask: c.crossTask ?? undefined,
              seeds: s.utilitySeeds,
              cnn: { inputSize: s.cnnSize },
              testSource,
            };
            utility = await engine().utility(Comlink.transfer(input, utilityTransferables(input)), onProgress);
          } else {
            const input = {
              realTrain: realFs,
              test: utilityTest,
              synthetic,
              ...(augmented ? { augmented: augmented.features, augmentations: augmented.augmentations } : {}),
              crossTask: crossIndex >= 0 ? features[crossIndex] : undefined,
              seeds: s.utilitySeeds,
              probe: { ...DEFAULT_PROBE_CONFIG },
              testSource,
            };
            utility = await engine().utility(Comlink.transfer(input, utilityTransferables(input)), onProgress);
          }
          timings.utility = performance.now() - tUtility;
        }
      }

      await nextTask();
      const report = evaluated.report;
      report.warnings.push(...runWarnings);
      if (utility) {
        // Like the CLI: the utility report at the top level and per set, so the exported JSON carries it.
        report.utility = utility;
        for (const set of report.sets) set.utility = utility.sets.find((u) => u.name === set.name) ?? null;
      }
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
      const dropped = collections.reduce((a, c) => a + c.thumbsDropped, 0);
      const { thumb, loadThumb } = resultThumbs(sets, collections);
      this.progress.phase = 'done';
      this.emit(true);
      performance.mark('synthlens:run-end');
      return {
        report,
        sets: summaries,
        assignments: Object.fromEntries(evaluated.assignments),
        dcr: { sets: Object.fromEntries(evaluated.syntheticDcrDistances), holdout: evaluated.holdoutDcrDistances ?? null },
        thumb,
        loadThumb,
        thumbsKept: { kept: this.thumbBudget.used, dropped },
        utility,
      };
    } finally {
      this.pool?.terminate();
      this.pool = null;
      // The engine worker is done with this run: closing it frees what it and its threads still hold (their TF.js
      // heaps, the tile buffers of the last passes, their references to the shared feature sets) at once, rather
      // than whenever they next collect garbage. The next run starts a new one (engine() is lazy).
      terminateEngine();
      await this.closeSpill();
    }
  }

  /** Deletes what is left of this run's spilled rows and lets go of the store (a failure there loses nothing of the run). */
  private async closeSpill(): Promise<void> {
    const spill = this.spill;
    this.spill = null;
    await spill?.close().catch(() => {});
  }

  /**
   * The metrics' progress callback for the engine worker. Made here rather than inside start(): a callback made
   * there would hold start()'s whole scope (the feature sets among it) for as long as the engine worker keeps
   * its end of the callback.
   */
  private metricsProgress() {
    return Comlink.proxy((p: EvaluateProgress) => {
      this.progress.metrics = { stage: p.set ? `${p.stage} (${p.set})` : p.stage, done: p.done, total: p.total };
      this.emit();
    });
  }

  /** The utility protocols' progress callback (made outside start(), as metricsProgress). */
  private utilityProgress() {
    return Comlink.proxy((p: UtilityProgress) => {
      this.progress.utility = { stage: p.stage, done: p.done, total: p.total, training: p.training ?? null };
      this.emit(p.stage === 'Finished');
    });
  }

  /**
   * Runs the files of the real training rows (`train`: the real set, or its training part after the utility split)
   * through the pool again with PipelineOptions.augment, and returns the augmented features of exactly those rows
   * (a multi-frame file split across train and test keeps only its training frames), labelled like them.
   */
  private async augmentTraining(
    input: SetInput,
    train: Pick<FeatureSet, 'ids' | 'n'>,
    poolInit: PipelineInit,
    seed: number,
    dim: number,
    warnings: string[],
    rowName = 'augmented real',
  ): Promise<{ features: FeatureSet; augmentations: string[] } | null> {
    const trainIds = new Set(train.ids);
    const paths = new Set(input.dataset.files.map((f) => f.path));
    const wanted = new Set<string>();
    for (const id of train.ids) {
      if (paths.has(id)) wanted.add(id);
      else {
        const frame = /^(.*)#\d+$/.exec(id);
        if (frame && paths.has(frame[1])) wanted.add(frame[1]);
      }
    }
    const files = input.dataset.files.filter((f) => wanted.has(f.path));
    const p: SetProgress = {
      name: rowName,
      role: 'utility',
      stage: 'waiting',
      done: 0,
      total: files.length,
      cached: 0,
      skipped: 0,
      imagesPerSec: null,
      etaSec: null,
    };
    this.progress.sets.push(p);
    this.progress.phase = 'extracting';
    this.emit(true);
    // The pool's options are set at init: load them with augmentation (no variety images are needed).
    await this.pool!.init({ ...poolInit, options: { ...poolInit.options, varietySize: null, augment: { seed } } });
    this.check();
    const c = await this.extractSet({ ...input, name: p.name, dataset: { ...input.dataset, files, skipped: [] } }, p, { varietySize: null, keepThumbs: false, dim });
    const rows: number[] = [];
    c.ids.forEach((id, i) => {
      if (trainIds.has(id) && c.labels[i] !== null) rows.push(i);
    });
    if (rows.length < train.n) {
      const reasons = [...new Set(c.skipped.map((k) => k.reason))].slice(0, 3).join('; ');
      warnings.push(`Simple augmentation: ${train.n - rows.length} of ${train.n} real training images could not be augmented${reasons ? ` (${reasons})` : ''}.`);
    }
    if (rows.length === 0) return null;
    // The kept rows, moved forward within the collection's own buffer (no second copy of the augmented set).
    if (!(c.rows instanceof FeatureRows)) throw new Error('internal error: augmented rows are not spilled');
    const data = c.rows.takeRows(rows, dim);
    const features = makeFeatureSet(data, rows.length, dim, {
      ids: rows.map((r) => `${c.ids[r]} (augmented)`),
      labels: rows.map((r) => c.labels[r] as string),
      kind: 'continuous',
    });
    return { features, augmentations: describeAugmentationRun(rows.length, seed) };
  }

  /**
   * The cnn tier's inputs: the files of the real training part, the utility test data (held-out set or the real
   * set's test part), each synthetic set and the cross-task set once more through the pool with the pixels
   * extractor at the cnn input size (one progress row for them all), and the real training images augmented at
   * that size. A string (the reason) when they would take more memory than the cnn tier allows.
   */
  private async prepareCnnInputs(
    sets: SetInput[],
    realIndex: number,
    testInput: SetInput,
    synthIndices: number[],
    crossIndex: number,
    poolInit: PipelineInit,
    warnings: string[],
  ): Promise<CnnInputs | string> {
    const size = this.settings.cnnSize;
    const parts: SetInput[] = [sets[realIndex], testInput, ...synthIndices.map((i) => sets[i]), ...(crossIndex >= 0 ? [sets[crossIndex]] : [])];
    const files = parts.reduce((a, x) => a + x.dataset.files.length, 0);
    const issue = cnnMemoryIssue(files + sets[realIndex].dataset.files.length, size);
    if (issue) return issue;
    const row: SetProgress = { name: `CNN inputs (${size} px)`, role: 'utility', stage: 'waiting', done: 0, total: files, cached: 0, skipped: 0, imagesPerSec: null, etaSec: null };
    this.progress.sets.push(row);
    this.progress.phase = 'extracting';
    this.emit(true);
    const pixelsInit: PipelineInit = {
      ...poolInit,
      extractorId: 'pixels',
      customFiles: undefined,
      customOptions: { inputSize: size, channels: 1, normalise: 'zero-one' },
      options: { ...poolInit.options, varietySize: null },
    };
    await this.pool!.init(pixelsInit);
    this.check();
    const dim = size * size;
    const out: FeatureSet[] = [];
    const started = performance.now();
    for (const x of parts) {
      this.check();
      out.push(toFeatureSet(await this.extractSet(x, row, { varietySize: null, keepThumbs: false, sharedSince: started, dim }), dim, { release: true }));
      await nextTask();
    }
    row.stage = 'done';
    row.etaSec = 0;
    this.emit(true);
    const [real, test, ...rest] = out;
    const synthetic = synthIndices.map((i, k) => ({ name: sets[i].name, features: rest[k] }));
    const crossTask = crossIndex >= 0 ? rest[synthIndices.length] : null;
    let augmented: CnnInputs['augmented'] = null;
    if (real.labels) {
      try {
        augmented = await this.augmentTraining(sets[realIndex], real, pixelsInit, this.settings.seed, dim, warnings, `augmented real (${size} px)`);
      } catch (e) {
        if (this.cancelled || (e as Error)?.name === 'AbortError') throw e;
        warnings.push(`Simple augmentation (utility reference) failed: ${(e as Error)?.message ?? String(e)}`);
      }
    }
    return { real, test, synthetic, crossTask, augmented };
  }

  /**
   * Runs one set through the pool. Results are added to the collection as they arrive (in input order, see
   * OrderedAdder), so only the feature rows (packed: one buffer per set, sized for one row per file, on shared
   * memory with `shared`) and thumbnails within the budget stay in memory. With `sharedSince`, the progress row
   * `p` spans several sets (started at that time): it adds up and is not marked done here.
   */
  private async extractSet(
    input: SetInput,
    p: SetProgress,
    opts: { varietySize: number | null; dim: number; keepThumbs?: boolean; shared?: boolean; sharedSince?: number; spill?: RowSpill | null },
  ): Promise<SetCollection> {
    const { varietySize, sharedSince } = opts;
    const files = input.dataset.files;
    const items: WorkItem[] = files.map((f) => ({ path: f.path, label: f.label }));
    const c = newCollection(input.name, varietySize, {
      thumbBudget: opts.keepThumbs === false ? new ThumbBudget(0) : this.thumbBudget,
      capacity: files.length,
      dim: opts.dim,
      shared: opts.shared,
      spill: opts.spill,
    });
    const adder = new OrderedAdder(c);
    const started = sharedSince ?? performance.now();
    p.stage = 'reading';
    if (sharedSince === undefined) p.skipped = input.dataset.skipped.length;
    else p.skipped += input.dataset.skipped.length;
    this.emit(true);
    let computed = sharedSince === undefined ? 0 : p.done - p.cached - p.skipped;
    let finished = false;
    const { variety } = await this.pool!.run(items, input.files, {
      variety: varietySize !== null,
      onResult: (i, r) => {
        adder.add(i, r);
        p.done++;
        if ('skipped' in r) p.skipped++;
        else if (r.fromCache) {
          p.cached++;
          if (p.role !== 'utility') this.progress.resumed++;
        }
        else computed++;
        const secs = (performance.now() - started) / 1000;
        p.imagesPerSec = secs > 0 ? p.done / secs : null;
        const rate = computed > 0 ? computed / secs : p.imagesPerSec;
        p.etaSec = rate ? (p.total - p.done) / rate : null;
        this.emit();
      },
      onStage: (stage) => {
        // Stage messages travel on their own port: one may land after the last result (ignore it then, or a
        // finished row would show 'reading' again).
        if (finished) return;
        if (p.stage !== stage) {
          p.stage = stage;
          this.emit();
        }
      },
    });
    finished = true;
    if (adder.added !== items.length) throw new Error(`internal error: no result for ${items[adder.added].path}`);
    addVarietyState(c, variety);
    if (sharedSince === undefined) {
      p.stage = 'done';
      p.etaSec = 0;
    }
    this.emit(true);
    return c;
  }
}

/**
 * A pipeline worker: owns one TF.js backend and one loaded extractor, and turns files into cached features
 * (src/pipeline/extract.ts). The page runs a pool of these (src/workers/pool.ts), one per core.
 *
 * Files are not posted here: the worker asks the page for each file's bytes when it reaches it (begin's `read`),
 * and the page reads them and transfers them. A File posted to a worker makes the page's File object hold about
 * 1.7 KiB more of browser bookkeeping for as long as it lives (measured in chromium: 20,000 files, +34 MiB of the
 * renderer's malloc), twice what reading it on the page leaves (0.9 KiB); the app keeps its files for the
 * whole session (on-demand thumbnails, the next run).
 *
 * The variety images (8-bit grayscale at the variety size, 64 KiB each at 256 px) are summed here, per run, and
 * not sent to the page: end() hands over the run's per-class sums (the page merges the workers' sums: integer sums
 * in float64, exact in any order).
 */
import * as Comlink from 'comlink';
import { initBrowserBackend, type BrowserBackend } from '../extractors/backend.ts';
import { loadExtractor, type CustomExtractorOptions, type Extractor, type ExtractorId, type ExtractorSpec } from '../extractors/registry.ts';
import { batchSizeFor, processItems, type ItemResult, type PipelineOptions, type Stage } from '../pipeline/extract.ts';
import { IdbFeatureCache } from '../store/featureCache.ts';
import { VarietyAccumulator, type VarietyState } from '../core/metrics/variety.ts';

export interface PipelineInit {
  extractorId: ExtractorId;
  backendOrder?: BrowserBackend[];
  /** Files of a user-supplied model (model.json + shards) for the 'custom' extractor. */
  customFiles?: Map<string, Uint8Array>;
  customOptions?: CustomExtractorOptions;
  options: PipelineOptions;
  useCache: boolean;
}

export interface WorkItem {
  path: string;
  label: string | null;
}

/** A file as the worker gets it: its index in the run (for begin's `read`), path and label. */
export interface WorkRef {
  index: number;
  path: string;
  label: string | null;
}

let extractor: Extractor | null = null;
let options: PipelineOptions | null = null;
let cache: IdbFeatureCache | null = null;
let controller = new AbortController();
const warnings: string[] = [];
/** The page's callbacks for a run (see begin): one message port each per run, not one per chunk of files. */
type Remote<F> = Comlink.Remote<F> & { [Comlink.releaseProxy](): void };
let sink: {
  onItem: Remote<(r: ItemResult) => void>;
  read: Remote<(index: number) => Promise<Uint8Array>>;
  onStage?: Remote<(s: Stage) => void>;
} | null = null;

/** The run's variety sums (begin with `variety`), or null. */
let variety: VarietyAccumulator | null = null;

/** The result as the page gets it: the variety images added to this worker's sums, not sent. */
function forPage(r: ItemResult): ItemResult {
  if ('skipped' in r || !r.frames.some((f) => f.gray)) return r;
  for (const f of r.frames) if (f.gray && variety) variety.add(f.gray, r.label);
  return { ...r, frames: r.frames.map((f) => (f.gray ? { ...f, gray: null } : f)) };
}

function release(): void {
  if (!sink) return;
  sink.onItem[Comlink.releaseProxy]();
  sink.read[Comlink.releaseProxy]();
  sink.onStage?.[Comlink.releaseProxy]();
  sink = null;
}

const api = {
  async init(init: PipelineInit): Promise<{ backend: string; spec: ExtractorSpec }> {
    const backend = await initBrowserBackend(init.backendOrder, 10_000, { wasmThreads: false });
    extractor?.dispose();
    extractor = await loadExtractor(
      init.extractorId,
      init.extractorId === 'custom' && init.customFiles ? { kind: 'files', files: init.customFiles } : undefined,
      init.customOptions,
    );
    // On wasm and cpu, smaller batches: the same speed and features, a lower wasm heap (see CPU_BATCH_SIZE).
    options = { ...init.options, batchSize: batchSizeFor(backend, init.options.batchSize) };
    cache = init.useCache ? (cache ?? new IdbFeatureCache((m) => warnings.push(m))) : null;
    const { embed: _e, dispose: _d, ...spec } = extractor as Extractor & Record<string, unknown>;
    return { backend, spec: JSON.parse(JSON.stringify(spec)) as ExtractorSpec };
  },

  /**
   * Starts a run of chunks, until end(): `read(index)` gives a file's bytes (read on the page, transferred),
   * every file's result goes to onItem (in order within a chunk), stage changes to onStage. Each callback passed
   * here is a message port; taking them once per run rather than with every chunk keeps the ports (and what the
   * browser holds per port) to three per worker. With `variety`, the run's variety images are summed here (see
   * end()); without, they are dropped.
   */
  begin(onItem: (r: ItemResult) => void, read: (index: number) => Promise<Uint8Array>, onStage?: (s: Stage) => void, opts: { variety?: boolean } = {}): void {
    release();
    variety = opts.variety && options?.varietySize ? new VarietyAccumulator(options.varietySize) : null;
    sink = {
      onItem: onItem as unknown as Remote<(r: ItemResult) => void>,
      read: read as unknown as Remote<(index: number) => Promise<Uint8Array>>,
      onStage: onStage as unknown as Remote<(s: Stage) => void> | undefined,
    };
  },

  /** Processes a chunk of files, sending each result to begin()'s onItem; returns the chunk's counts. */
  async process(items: WorkRef[]): Promise<{ cached: number; embedded: number; skipped: number }> {
    if (!extractor || !options) throw new Error('pipeline worker used before init');
    if (!sink) throw new Error('pipeline worker: process() before begin()');
    const { onItem, onStage, read } = sink;
    controller = new AbortController();
    return processItems(
      items.map((it) => ({ path: it.path, label: it.label, read: () => read(it.index) as Promise<Uint8Array> })),
      extractor,
      cache,
      options,
      { signal: controller.signal, onItem: (r) => void onItem(forPage(r)), onStage: onStage ? (st) => void onStage(st) : undefined },
    );
  },

  /** Ends the run begun with begin(): the callbacks' ports are closed; returns the run's variety sums (transferred). */
  end(): VarietyState | null {
    release();
    const st = variety && variety.count > 0 ? variety.state() : null;
    variety = null;
    return st ? Comlink.transfer(st, st.groups.map((g) => g.sum.buffer as ArrayBuffer)) : null;
  },

  cancel(): void {
    controller.abort();
  },

  /** Warnings raised since the last call (e.g. storage quota full), then cleared. */
  takeWarnings(): string[] {
    return warnings.splice(0);
  },

};

export type PipelineWorkerApi = typeof api;
Comlink.expose(api);

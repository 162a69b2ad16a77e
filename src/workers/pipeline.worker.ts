/**
 * A pipeline worker: owns one TF.js backend and one loaded extractor, and turns files into cached features
 * (src/pipeline/extract.ts). The page runs a pool of these (src/workers/pool.ts), one per core.
 */
import * as Comlink from 'comlink';
import { initBrowserBackend, type BrowserBackend } from '../extractors/backend.ts';
import { loadExtractor, type CustomExtractorOptions, type Extractor, type ExtractorId, type ExtractorSpec } from '../extractors/registry.ts';
import { processItems, type ItemResult, type PipelineOptions, type Stage } from '../pipeline/extract.ts';
import { IdbFeatureCache } from '../store/featureCache.ts';

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
  /** A File from the user's folder, or bytes (demo images). */
  file: Blob;
}

let extractor: Extractor | null = null;
let options: PipelineOptions | null = null;
let cache: IdbFeatureCache | null = null;
let controller = new AbortController();
const warnings: string[] = [];

const api = {
  async init(init: PipelineInit): Promise<{ backend: string; spec: ExtractorSpec }> {
    const backend = await initBrowserBackend(init.backendOrder, 10_000, { wasmThreads: false });
    extractor?.dispose();
    extractor = await loadExtractor(
      init.extractorId,
      init.extractorId === 'custom' && init.customFiles ? { kind: 'files', files: init.customFiles } : undefined,
      init.customOptions,
    );
    options = init.options;
    cache = init.useCache ? (cache ?? new IdbFeatureCache((m) => warnings.push(m))) : null;
    const { embed: _e, dispose: _d, ...spec } = extractor as Extractor & Record<string, unknown>;
    return { backend, spec: JSON.parse(JSON.stringify(spec)) as ExtractorSpec };
  },

  /** Processes a chunk of files; each file's result goes to onItem in order. */
  async process(items: WorkItem[], onItem: (r: ItemResult) => void, onStage?: (s: Stage) => void): Promise<{ cached: number; embedded: number; skipped: number }> {
    if (!extractor || !options) throw new Error('pipeline worker used before init');
    controller = new AbortController();
    return processItems(
      items.map((it) => ({ path: it.path, label: it.label, read: async () => new Uint8Array(await it.file.arrayBuffer()) })),
      extractor,
      cache,
      options,
      { signal: controller.signal, onItem, onStage },
    );
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

/**
 * Bench-only page (served by the Vite dev server for `npm run bench -- extract`, never built into the app):
 * runs the app's extraction code in chromium so bench/extractBrowser.ts can time it.
 *
 *  - images(): the demo phantoms (src/demo/phantoms.ts) as PNGs (src/core/png/encode.ts), sorted by path as the
 *    Node half's folder walk sorts them, held as Blobs (read like a File from the user's folder);
 *  - pipeline / cached runs: src/pipeline/extract.ts processItems on the page's thread, with no cache, an
 *    in-memory cache (MemoryFeatureCache) or the app's IndexedDB cache (IdbFeatureCache);
 *  - model alone: extractor.embed() on a pre-made batch of random values in [0, 1];
 *  - pool: the app's worker pool (src/workers/pool.ts PipelinePool), what users get;
 *  - model alone in a pool: P workers (bench/harness/modelWorker.ts) embedding pre-made batches at once.
 * Times are performance.now() in the page; the Node side adds the CPU time of the chromium processes.
 */
import { createRng } from '../../src/core/random.ts';
import { generateDemoSet } from '../../src/demo/phantoms.ts';
import { encodePngGray8 } from '../../src/core/png/encode.ts';
import { compareCodePoints } from '../../src/imaging/dataset.ts';
import { initBrowserBackend } from '../../src/extractors/backend.ts';
import { loadExtractor, type Extractor, type ExtractorId } from '../../src/extractors/registry.ts';
import { sha256Hex } from '../../src/extractors/sha256.ts';
import { DEFAULT_PIPELINE_OPTIONS, processItems, type FileItem, type PipelineOptions } from '../../src/pipeline/extract.ts';
import { IdbFeatureCache, MemoryFeatureCache, type FeatureCache } from '../../src/store/featureCache.ts';
import { PipelinePool, type WorkItem } from '../../src/workers/pool.ts';
import { BlobFiles } from '../../src/app/fileSource.ts';
import * as Comlink from 'comlink';
import type { ModelWorkerApi } from './modelWorker.ts';

export type TimedKind = 'model' | 'pipeline' | 'cached-memory' | 'cached-idb';
export interface PageTiming { ms: number; reps: number }

let files: { path: string; label: string; blob: Blob }[] = [];
let extractor: Extractor | null = null;
let options: PipelineOptions = { ...DEFAULT_PIPELINE_OPTIONS };
let modelInput: Float32Array = new Float32Array(0);
let memory = new MemoryFeatureCache();
const pools = new Map<string, PipelinePool>();
const modelPools = new Map<string, { workers: Worker[]; remotes: Comlink.Remote<ModelWorkerApi>[] }>();

const fileItems = (n: number): FileItem[] =>
  files.slice(0, n).map((f) => ({ path: f.path, label: f.label, read: async () => new Uint8Array(await f.blob.arrayBuffer()) }));

/** Runs fn until at least minMs have passed (at least once); total time and count. */
async function repeatFor(fn: () => Promise<unknown>, minMs: number): Promise<PageTiming> {
  let reps = 0;
  const t0 = performance.now();
  do {
    await fn();
    reps++;
  } while (performance.now() - t0 < minMs);
  return { ms: performance.now() - t0, reps };
}

function need(): Extractor {
  if (!extractor) throw new Error('no extractor loaded');
  return extractor;
}

async function check(p: Promise<{ cached: number; embedded: number; skipped: number }>, n: number, field: 'cached' | 'embedded'): Promise<void> {
  const c = await p;
  if (c[field] !== n) throw new Error(`${field} ${c[field]} of ${n} images (cached ${c.cached}, embedded ${c.embedded}, skipped ${c.skipped})`);
}

const api = {
  /** Generates `count` demo phantoms ('real' set) at `size` px; returns their number, bytes and the SHA-256 of all of them in order. */
  async images(count: number, size: number): Promise<{ count: number; bytes: number; sha256: string }> {
    const set = generateDemoSet('real', { size, counts: { real: count } });
    const pngs = set.images
      .map((im) => ({ path: `real/${im.id}`, label: im.label as string, bytes: encodePngGray8(im.pixels, set.width, set.height) }))
      .sort((a, b) => compareCodePoints(a.path, b.path));
    files = pngs.map((p) => ({ path: p.path, label: p.label, blob: new Blob([p.bytes as Uint8Array<ArrayBuffer>], { type: 'image/png' }) }));
    return { count: pngs.length, bytes: pngs.reduce((a, p) => a + p.bytes.length, 0), sha256: await sha256Hex(pngs.map((p) => p.bytes)) };
  },

  /** Initialises the page's TF.js backend; returns its name and, for WebGPU, the adapter's description. */
  async backend(name: 'wasm' | 'webgpu'): Promise<{ backend: string; adapter: string | null }> {
    const backend = await initBrowserBackend([name], 120_000, { allowSoftwareWebgl: true, wasmThreads: false });
    let adapter: string | null = null;
    if (name === 'webgpu') {
      const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ isFallbackAdapter?: boolean; info?: Record<string, string> } | null> } }).gpu;
      const a = await gpu?.requestAdapter();
      if (a) adapter = `${[a.info?.vendor, a.info?.architecture, a.info?.description].filter(Boolean).join(' / ') || 'unnamed'}${a.isFallbackAdapter ? ' (fallback adapter)' : ''}`;
    }
    return { backend, adapter };
  },

  /** Loads an extractor (shipped models come from the dev server's /models/); load time in ms. */
  async load(id: ExtractorId, batchSize: number, n: number): Promise<{ ms: number; dim: number; inputSize: number }> {
    extractor?.dispose();
    extractor = null;
    const t0 = performance.now();
    extractor = await loadExtractor(id);
    const ms = performance.now() - t0;
    options = { ...DEFAULT_PIPELINE_OPTIONS, batchSize };
    const rng = createRng(7);
    modelInput = Float32Array.from({ length: n * extractor.inputSize * extractor.inputSize * extractor.channels }, () => rng());
    memory = new MemoryFeatureCache();
    return { ms, dim: extractor.dim, inputSize: extractor.inputSize };
  },

  /**
   * First run with the caches being written: the IndexedDB cache (emptied first) is read and written as in the
   * app; every record is also put into a fresh in-memory cache (a Map.set, next to nothing).
   */
  async fill(n: number): Promise<PageTiming & { cacheBytes: number }> {
    const ex = need();
    const idb = new IdbFeatureCache();
    await idb.clear();
    memory = new MemoryFeatureCache();
    const both: FeatureCache = {
      writable: true,
      get: (key) => idb.get(key),
      put: async (record) => {
        await idb.put(record);
        await memory.put(record);
      },
      clear: () => idb.clear(),
      size: () => idb.size(),
    };
    try {
      const t = await repeatFor(() => check(processItems(fileItems(n), ex, both, options), n, 'embedded'), 0);
      return { ...t, cacheBytes: (await idb.size()).bytes };
    } finally {
      await idb.close();
    }
  },

  /** Empties the app's IndexedDB feature cache. */
  async clearIdb(): Promise<void> {
    const idb = new IdbFeatureCache();
    await idb.clear();
    await idb.close();
  },

  async time(kind: TimedKind, n: number, minMs: number): Promise<PageTiming> {
    const ex = need();
    switch (kind) {
      case 'model':
        return repeatFor(() => ex.embed(modelInput, n), minMs);
      case 'pipeline':
        return repeatFor(() => check(processItems(fileItems(n), ex, null, options), n, 'embedded'), minMs);
      case 'cached-memory':
        return repeatFor(() => check(processItems(fileItems(n), ex, memory, options), n, 'cached'), minMs);
      case 'cached-idb':
        // A fresh connection per run, as a new app session opens the cache.
        return repeatFor(async () => {
          const idb = new IdbFeatureCache();
          try {
            await check(processItems(fileItems(n), ex, idb, options), n, 'cached');
          } finally {
            await idb.close();
          }
        }, minMs);
    }
  },

  /** Features of the first n images through the pipeline (no cache), row-major. */
  async features(n: number): Promise<number[]> {
    const ex = need();
    const out: number[] = [];
    await processItems(fileItems(n), ex, null, options, {
      onItem: (r) => {
        if (!('frames' in r)) throw new Error(`${r.path}: ${r.skipped}`);
        for (const f of r.frames) out.push(...f.feature);
      },
    });
    return out;
  },

  unload(): void {
    extractor?.dispose();
    extractor = null;
    memory = new MemoryFeatureCache();
  },

  /** Starts a named pool of `size` pipeline workers with the extractor on wasm; init time in ms and the workers' backend. */
  async poolStart(name: string, size: number, id: ExtractorId, batchSize: number, useCache: boolean): Promise<{ ms: number; backend: string }> {
    const pool = new PipelinePool(size);
    pools.set(name, pool);
    const t0 = performance.now();
    const init = await pool.init({ extractorId: id, backendOrder: ['wasm'], options: { ...DEFAULT_PIPELINE_OPTIONS, batchSize }, useCache });
    return { ms: performance.now() - t0, backend: init.backend };
  },

  /** One pool run over the first n images (the app's default chunk size). */
  async poolTime(name: string, n: number, expect: 'embedded' | 'cached', minMs: number): Promise<PageTiming> {
    const pool = pools.get(name);
    if (!pool) throw new Error(`no pool ${name}`);
    const items: WorkItem[] = files.slice(0, n).map((f) => ({ path: f.path, label: f.label }));
    const source = new BlobFiles(new Map(files.slice(0, n).map((f) => [f.path, f.blob])));
    return repeatFor(() => check(pool.run(items, source, { onResult: () => {} }), n, expect), minMs);
  },

  poolStop(name: string): void {
    pools.get(name)?.terminate();
    pools.delete(name);
  },

  /** Starts a named set of `size` model-alone workers, each with the extractor on wasm and a batch of ceil(n / size) images. */
  async modelPoolStart(name: string, size: number, id: ExtractorId, n: number): Promise<string> {
    api.modelPoolStop(name);
    const workers = Array.from({ length: size }, (_, i) => new Worker(new URL('./modelWorker.ts', import.meta.url), { type: 'module', name: `bench-model-${name}-${i}` }));
    const remotes = workers.map((w) => Comlink.wrap<ModelWorkerApi>(w));
    modelPools.set(name, { workers, remotes });
    const backends = await Promise.all(remotes.map((r) => r.init(id, Math.ceil(n / size))));
    await Promise.all(remotes.map((r) => r.embed())); // warm-up
    return backends[0];
  },

  /** The model-alone workers embedding their batches at once (n images in all); wall time of the slowest. */
  async modelPoolTime(name: string, minMs: number): Promise<PageTiming> {
    const p = modelPools.get(name);
    if (!p) throw new Error(`no model pool ${name}`);
    return repeatFor(() => Promise.all(p.remotes.map((r) => r.embed())), minMs);
  },

  modelPoolStop(name: string): void {
    for (const w of modelPools.get(name)?.workers ?? []) w.terminate();
    modelPools.delete(name);
  },
};

export type ExtractBenchApi = typeof api;
Object.assign(window, { synthlensBench: api });
document.body.dataset.ready = '1';

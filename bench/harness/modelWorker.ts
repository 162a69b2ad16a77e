/**
 * Bench-only worker (bench/harness/extract.ts modelPoolStart): the model alone in a worker, for the pool row of
 * `npm run bench -- extract` / `scale` part c. Each worker owns a backend set up as the app's pipeline workers set
 * theirs up (src/workers/pipeline.worker.ts: wasm, single-threaded) and one loaded extractor, and embeds a
 * pre-made batch of random values in [0, 1] when asked: P of these running at once are the model-alone
 * throughput a pool of P pipeline workers is compared with (like with like, as bench/engine.ts compares a pool
 * of engine workers with P concurrent matMul loops).
 */
import * as Comlink from 'comlink';
import { createRng } from '../../src/core/random.ts';
import { initBrowserBackend } from '../../src/extractors/backend.ts';
import { loadExtractor, type Extractor, type ExtractorId } from '../../src/extractors/registry.ts';

let extractor: Extractor | null = null;
let input = new Float32Array(0);
let count = 0;

const api = {
  async init(id: ExtractorId, images: number): Promise<string> {
    const backend = await initBrowserBackend(['wasm'], 10_000, { wasmThreads: false });
    extractor = await loadExtractor(id);
    const rng = createRng(11);
    count = images;
    input = Float32Array.from({ length: images * extractor.inputSize * extractor.inputSize * extractor.channels }, () => rng());
    return backend;
  },
  /** Embeds the batch once; milliseconds. */
  async embed(): Promise<number> {
    if (!extractor) throw new Error('no extractor loaded');
    const t0 = performance.now();
    await extractor.embed(input, count);
    return performance.now() - t0;
  },
};

export type ModelWorkerApi = typeof api;
Comlink.expose(api);

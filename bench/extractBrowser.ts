/**
 * Browser half of `npm run bench -- extract` (bench/extract.ts calls runBrowserExtract after the Node half and
 * prints both in the same run; `npm run bench -- extract-browser` runs this half alone).
 *
 * Debian's chromium (headless, playwright-core) opens bench/harness/extract.html from the Vite dev server
 * (development build of the same sources the app ships) and runs, per extractor, on the same demo phantom
 * PNGs as the Node half (same count, size and order; their SHA-256 is compared):
 *  - pipeline: src/pipeline/extract.ts processItems on the page's thread, no cache (read the Blob, hash,
 *    decode, preprocess, thumbnail, variety image, batch, embed);
 *  - model alone: extractor.embed() on a pre-made batch of random values in [0, 1];
 *  - 1st run + cache write: the pipeline with the app's IndexedDB cache (IdbFeatureCache) emptied first;
 *  - cached 2nd run: the pipeline again with the cache filled, in memory (MemoryFeatureCache) and in IndexedDB
 *    (a fresh connection per run, like a new app session);
 *  - pool: the app's worker pool (src/workers/pool.ts PipelinePool, wasm single-threaded per worker, the
 *    app's chunk size) with 1 and with 2 workers, and a cached 2nd run through the pool (IndexedDB);
 *  - webgpu (mobilenet-v2 only, fewer images): a second chromium with --enable-unsafe-webgpu. Without a GPU the
 *    adapter is SwiftShader (Vulkan on the CPU): that row checks that WebGPU gives the wasm features (max |diff|),
 *    its speed says nothing about a real GPU.
 * TF.js backend per page: initBrowserBackend([backend], 120000, { allowSoftwareWebgl: true, wasmThreads: false }),
 * i.e. single-threaded wasm like the Node half and like each pool worker.
 *
 * Figures: images per second of wall time (performance.now() in the page) / per second of CPU time (utime +
 * stime of every chromium process this benchmark started, from /proc: renderer with its workers, GPU process,
 * browser), medians over interleaved rounds after a warm-up round. Runs shorter than 0.3 s are repeated
 * back to back until 0.3 s have passed, and divided by the count.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { generateDemoSet } from '../src/demo/phantoms.ts';
import { encodePngGray8 } from '../src/core/png/encode.ts';
import { compareCodePoints } from '../src/imaging/dataset.ts';
import { sha256Hex } from '../src/extractors/sha256.ts';
import type { ExtractorId } from '../src/extractors/registry.ts';
import { DEFAULT_PIPELINE_OPTIONS } from '../src/pipeline/extract.ts';
import type { ExtractBenchApi, PageTiming, TimedKind } from './harness/extract.ts';
import { childCpuSeconds, chromiumUnavailable, fmt, launchChromium, median, openHarness, startDevServer, table } from './harness/driver.ts';

/** Seconds per run (wall and CPU) for n images. */
export interface Timed { wall: number; cpu: number }

/** The Node half's medians, per extractor, for the chromium / Node ratios. */
export type NodeExtractFigures = Record<string, { n: number; pipeline: Timed; model: Timed; cached: Timed }>;

export interface BrowserExtractOptions {
  ids: ExtractorId[];
  images: number;
  inceptionImages: number;
  /** PNG side in pixels. */
  size: number;
  repeats: number;
  batch: number;
  /** WebGPU row (mobilenet-v2) in a second chromium. */
  webgpu: boolean;
  webgpuImages: number;
  /** Extractors measured through the worker pool. */
  poolExtractors: ExtractorId[];
  poolWorkers: number;
  /** The SHA-256 of the Node half's PNGs (in order), to confirm both halves read the same bytes. */
  nodeImagesSha256?: string;
  node?: NodeExtractFigures;
  log?: (line: string) => void;
  /** Filled with the medians behind the tables, for callers that compute their own ratios (bench/scale.ts). */
  figures?: BrowserExtractFigures;
}

/** Seconds per run of n images, medians: on the page's thread, and through the app's worker pool per pool size. */
export interface BrowserExtractFigures {
  page: Record<string, { n: number; pipeline: Timed; model: Timed; cachedIdb: Timed }>;
  /** model: the model alone on as many workers at once (bench/harness/modelWorker.ts). */
  pool: Record<string, { workers: number; n: number; pipeline: Timed; model?: Timed }[]>;
}

export const DEFAULT_BROWSER_EXTRACT: Omit<BrowserExtractOptions, 'node' | 'log' | 'nodeImagesSha256' | 'figures'> = {
  ids: ['pixels', 'mobilenet-v2', 'inception-v3'],
  images: 32,
  inceptionImages: 8,
  size: 256,
  repeats: 3,
  batch: DEFAULT_PIPELINE_OPTIONS.batchSize,
  webgpu: true,
  webgpuImages: 4,
  poolExtractors: ['pixels', 'mobilenet-v2'],
  poolWorkers: 2,
};

const MIN_MS = 300;

type Bench = { page: Page; call<K extends keyof ExtractBenchApi>(k: K, ...a: Parameters<ExtractBenchApi[K]>): Promise<Awaited<ReturnType<ExtractBenchApi[K]>>> };

function bench(page: Page): Bench {
  return {
    page,
    call: (k, ...a) =>
      page.evaluate(
        ([key, args]) => (window as unknown as { synthlensBench: Record<string, (...x: unknown[]) => unknown> }).synthlensBench[key](...args),
        [k, a] as [string, unknown[]],
      ) as never,
  };
}

/** One page measurement with the chromium processes' CPU time around it, per run. */
async function measure(fn: () => Promise<PageTiming>): Promise<Timed> {
  const c0 = childCpuSeconds();
  const t = await fn();
  const cpu = childCpuSeconds() - c0;
  return { wall: t.ms / 1000 / t.reps, cpu: cpu / t.reps };
}

/** Warm-up round, then `repeats` interleaved rounds; medians per function. */
async function interleaved(repeats: number, fns: (() => Promise<PageTiming>)[]): Promise<Timed[]> {
  for (const fn of fns) await fn();
  const t: Timed[][] = fns.map(() => []);
  for (let r = 0; r < repeats; r++) for (let i = 0; i < fns.length; i++) t[i].push(await measure(fns[i]));
  return t.map((x) => ({ wall: median(x.map((y) => y.wall)), cpu: median(x.map((y) => y.cpu)) }));
}

const rates = (n: number, t: Timed) => `${fmt(n / t.wall)} / ${fmt(n / t.cpu)}`;
/** Two significant digits (ratios span 1e-4 to 1e3). */
const sig = (x: number) => (!Number.isFinite(x) || x <= 0 ? '-' : x >= 10 ? x.toFixed(0) : x.toPrecision(2));
/**
 * The Node half times each run once: a run under 10 ms (one tick of the CPU clock) gives no usable rate.
 * chromium runs are repeated to at least MIN_MS, so their per-run figures are always usable.
 */
const usable = (t: Timed, once: boolean) => !once || (t.wall >= 0.01 && t.cpu >= 0.01);
/** Ratio of the rates n/a over n/b, as "wall / CPU"; '-' where a Node run was too short to time. */
const rateRatio = (a: Timed, b: Timed, aOnce: boolean, bOnce: boolean) =>
  usable(a, aOnce) && usable(b, bOnce) ? `${sig(b.wall / a.wall)} / ${sig(b.cpu / a.cpu)}` : '-';

/** The demo PNGs exactly as the Node half writes them (same generator, encoder and path order): their SHA-256. */
export async function demoPngSha256(count: number, size: number): Promise<string> {
  const set = generateDemoSet('real', { size, counts: { real: count } });
  const pngs = set.images.map((im) => ({ path: `real/${im.id}`, bytes: encodePngGray8(im.pixels, set.width, set.height) })).sort((a, b) => compareCodePoints(a.path, b.path));
  return sha256Hex(pngs.map((p) => p.bytes));
}

export async function runBrowserExtract(o: BrowserExtractOptions): Promise<string[]> {
  const tStart = performance.now();
  const log = o.log ?? ((l: string) => process.stderr.write(`${l} [${((performance.now() - tStart) / 1000).toFixed(0)} s]\n`));
  const why = chromiumUnavailable();
  if (why) return [`Feature extraction in chromium: not run (${why})`];
  // As many images as the Node half writes (its first n are used per extractor), so the SHA-256 compare.
  const need = Math.max(o.images, o.inceptionImages, o.webgpuImages);
  const nOf = (id: ExtractorId) => (id === 'inception-v3' ? o.inceptionImages : o.images);
  const rows: string[][] = [];
  const ratioRows: string[][] = [];
  const poolRows: string[][] = [];
  const notes: string[] = [];
  const browserTimed: Record<string, { n: number; pipeline: Timed; model: Timed; cachedIdb: Timed }> = {};
  let wasmFeatures: number[] | null = null;
  const load0 = loadavg();

  const { server, url } = await startDevServer();
  let browser: Browser | null = null;
  try {
    browser = await launchChromium();
    const version = browser.version();
    log(`bench extract (chromium ${version}): dev server ${url}`);
    const { page, errors } = await openHarness(browser, url, 'bench/harness/extract.html');
    const b = bench(page);
    const imgs = await b.call('images', need, o.size);
    const sameBytes = o.nodeImagesSha256 ? imgs.sha256 === o.nodeImagesSha256 : null;
    notes.push(
      `chromium ${version} (headless, Debian), page from the Vite dev server; ${imgs.count} demo phantom PNGs generated in the page, ${o.size} x ${o.size}, ` +
        `mean ${(imgs.bytes / imgs.count / 1024).toFixed(1)} KiB` +
        (sameBytes === null ? '' : sameBytes ? '; the same bytes as the Node half (SHA-256 equal)' : '; NOT the same bytes as the Node half (SHA-256 differs)'),
    );
    const be = await b.call('backend', 'wasm');
    if (be.backend !== 'wasm') throw new Error(`chromium page got backend ${be.backend}, not wasm`);

    for (const id of o.ids) {
      const n = nOf(id);
      log(`  chromium ${id}: loading`);
      const loaded = await b.call('load', id, o.batch, n);
      log(`  chromium ${id}: first run with the IndexedDB cache, ${n} images`);
      const c0 = childCpuSeconds();
      const first = await b.call('fill', n);
      const firstT: Timed = { wall: first.ms / 1000, cpu: childCpuSeconds() - c0 };
      log(`  chromium ${id}: model alone, pipeline, cached (memory, IndexedDB): ${n} images, 1 + ${o.repeats} rounds`);
      const [model, pipe, cachedMem, cachedIdb] = await interleaved(o.repeats, [
        () => b.call('time', 'model' as TimedKind, n, MIN_MS),
        () => b.call('time', 'pipeline' as TimedKind, n, MIN_MS),
        () => b.call('time', 'cached-memory' as TimedKind, n, MIN_MS),
        () => b.call('time', 'cached-idb' as TimedKind, n, MIN_MS),
      ]);
      if (o.webgpu && id === 'mobilenet-v2') wasmFeatures = await b.call('features', o.webgpuImages);
      await b.call('unload');
      browserTimed[id] = { n, pipeline: pipe, model, cachedIdb };
      if (o.figures) o.figures.page[id] = browserTimed[id];
      rows.push([
        id, 'wasm', `${loaded.inputSize} px, ${loaded.dim}-d`, String(n), fmt(loaded.ms / 1000, 2),
        rates(n, pipe), rates(n, model), sig(model.cpu / pipe.cpu), rates(n, firstT), rates(n, cachedMem), rates(n, cachedIdb), `${fmt(pipe.wall / cachedIdb.wall, 0)}x`,
      ]);
      notes.push(`${id} (chromium wasm): pipeline ${fmt(pipe.wall, 2)} s wall, ${fmt(pipe.cpu, 2)} s CPU; IndexedDB cache ${(first.cacheBytes / n / 1024).toFixed(1)} KiB per image`);
    }

    // The app's worker pool.
    for (const id of o.poolExtractors) {
      const n = nOf(id);
      const sizes = [...new Set([1, o.poolWorkers])];
      log(`  chromium pool ${id}: ${sizes.join(' and ')} worker(s), ${n} images, 1 + ${o.repeats} rounds`);
      const inits: { ms: number; backend: string }[] = [];
      for (const s of sizes) inits.push(await b.call('poolStart', `w${s}`, s, id, o.batch, false));
      // The model alone on as many workers as each pool, each worker embedding its share of the n images at once.
      const top = sizes[sizes.length - 1];
      for (const s of sizes) await b.call('modelPoolStart', `m${s}`, s, id, n);
      const timed = await interleaved(o.repeats, [
        ...sizes.map((s) => () => b.call('poolTime', `w${s}`, n, 'embedded', 0)),
        ...sizes.map((s) => () => b.call('modelPoolTime', `m${s}`, 0)),
      ]);
      const timedPools = timed.slice(0, sizes.length);
      const modelPools = timed.slice(sizes.length);
      for (const s of sizes) await b.call('modelPoolStop', `m${s}`);
      for (const s of sizes) await b.call('poolStop', `w${s}`);
      // Cached second run through the pool: a first run fills IndexedDB, then the timed rounds.
      await b.call('clearIdb');
      await b.call('poolStart', 'cached', top, id, o.batch, true);
      await b.call('poolTime', 'cached', n, 'embedded', 0);
      const cachedRuns: Timed[] = [];
      for (let r = 0; r < o.repeats; r++) cachedRuns.push(await measure(() => b.call('poolTime', 'cached', n, 'cached', MIN_MS)));
      const pooledCached: Timed = { wall: median(cachedRuns.map((t) => t.wall)), cpu: median(cachedRuns.map((t) => t.cpu)) };
      await b.call('poolStop', 'cached');
      const single = browserTimed[id]?.pipeline;
      if (o.figures) o.figures.pool[id] = sizes.map((s, i) => ({ workers: s, n, pipeline: timedPools[i], model: modelPools[i] }));
      sizes.forEach((s, i) => {
        const t = timedPools[i];
        poolRows.push([
          id, String(s), String(n), fmt(inits[i].ms / 1000, 2), inits[i].backend, rates(n, t),
          i === 0 ? '1.00' : fmt(timedPools[0].wall / t.wall, 2),
          single ? fmt(single.wall / t.wall, 2) : '-',
          s === top ? rates(n, pooledCached) : '-',
          `${rates(n, modelPools[i])} (${rateRatio(t, modelPools[i], false, false)})`,
        ]);
      });
    }
    if (errors.length) notes.push(`page errors: ${errors.slice(0, 3).join(' | ')}`);
    await page.close();
    await browser.close();
    browser = null;

    // WebGPU: a second chromium with --enable-unsafe-webgpu.
    if (o.webgpu) {
      const n = o.webgpuImages;
      log(`  chromium webgpu mobilenet-v2: ${n} images, 1 + 1 rounds`);
      browser = await launchChromium({ webgpu: true });
      const w = await openHarness(browser, url, 'bench/harness/extract.html');
      const bw = bench(w.page);
      await bw.call('images', need, o.size);
      let backend: { backend: string; adapter: string | null } | null = null;
      try {
        backend = await bw.call('backend', 'webgpu');
      } catch (e) {
        rows.push(['mobilenet-v2', 'webgpu', '-', String(n), '-', `not run: ${(e as Error).message.split('\n')[0]}`, '', '', '', '', '', '']);
      }
      if (backend) {
        const software = !backend.adapter || /swiftshader|llvmpipe|software|fallback|cpu/i.test(backend.adapter);
        const loaded = await bw.call('load', 'mobilenet-v2', o.batch, n);
        const [model, pipe] = await interleaved(1, [() => bw.call('time', 'model' as TimedKind, n, 0), () => bw.call('time', 'pipeline' as TimedKind, n, 0)]);
        const feats = await bw.call('features', n);
        let diff = NaN;
        if (wasmFeatures && wasmFeatures.length === feats.length) diff = feats.reduce((m, v, i) => Math.max(m, Math.abs(v - wasmFeatures![i])), 0);
        await bw.call('unload');
        rows.push([
          'mobilenet-v2', software ? (/swiftshader/i.test(backend.adapter ?? '') ? 'webgpu (SwiftShader)*' : 'webgpu (software)*') : 'webgpu', `${loaded.inputSize} px, ${loaded.dim}-d`, String(n), fmt(loaded.ms / 1000, 2),
          rates(n, pipe), rates(n, model), sig(model.cpu / pipe.cpu), '-', '-', '-', '-',
        ]);
        notes.push(
          `${software ? '*' : ''}webgpu: adapter "${backend.adapter ?? 'unknown'}"${software ? ': a software adapter, WebGPU emulated on the CPU (no GPU on this machine), so the row checks correctness and its speed is not a GPU figure' : ''}; ` +
            `features of ${n} images through the pipeline vs chromium wasm: max |diff| ${Number.isFinite(diff) ? diff.toExponential(2) : 'not compared'}; 1 round after a warm-up`,
        );
      }
      if (w.errors.length) notes.push(`webgpu page errors: ${w.errors.slice(0, 3).join(' | ')}`);
      await browser.close();
      browser = null;
    }
  } finally {
    await browser?.close().catch(() => {});
    await server.close();
  }

  // chromium / Node and pipeline / model-alone ratios.
  for (const id of o.ids) {
    const c = browserTimed[id];
    const nd = o.node?.[id];
    const same = !!(c && nd && nd.n === c.n);
    ratioRows.push([
      id,
      c ? rateRatio(c.pipeline, c.model, false, false) : '-',
      nd ? rateRatio(nd.pipeline, nd.model, true, true) : '-',
      same ? rateRatio(c!.pipeline, nd!.pipeline, false, true) : '-',
      same ? rateRatio(c!.model, nd!.model, false, true) : '-',
      same ? rateRatio(c!.cachedIdb, nd!.cached, false, true) : '-',
    ]);
  }
  const load1 = loadavg();
  notes.push(`load average at the start ${load0.map((x) => x.toFixed(1)).join(' ')}, at the end ${load1.map((x) => x.toFixed(1)).join(' ')} (2 shared cores: compare CPU rates)`);

  return [
    `Feature extraction in chromium (TF.js wasm single-threaded, one page): images per second of wall time / of CPU time of all chromium processes, ` +
      `medians over ${o.repeats} interleaved rounds after a warm-up; model CPU / pipeline CPU = the share of the pipeline's CPU time the model takes; ` +
      'cached = 2nd run with the cache filled (memory: MemoryFeatureCache; IndexedDB: the app\'s cache); speed-up = pipeline wall / IndexedDB cached wall',
    ...table(
      ['extractor', 'backend', 'input', 'images', 'load s', 'pipeline', 'model alone', 'model CPU / pipeline CPU', '1st run + IndexedDB write', 'cached (memory)', 'cached (IndexedDB)', 'cache speed-up'],
      rows, 3,
    ),
    '',
    'Ratios of images per second (wall / CPU): pipeline / model alone in each environment; chromium / Node per stage (> 1: chromium faster; cached: chromium IndexedDB vs Node disk cache)',
    ...table(['extractor', 'pipeline / model (chromium)', 'pipeline / model (Node)', 'chromium / Node pipeline', 'chromium / Node model alone', 'chromium / Node cached'], ratioRows, 1),
    ...(poolRows.length
      ? [
          '',
          `The app's worker pool (PipelinePool, each worker single-threaded wasm, chunks of 8 files): images per second wall / CPU, medians over ${o.repeats} rounds after a warm-up; ` +
            'speed-up = wall rate over the 1-worker pool (more workers only help when cores are idle: see the load average below); vs page = wall rate over the pipeline on the page thread (above); cached = 2nd run through the pool with the IndexedDB cache filled; ' +
            'model alone on as many workers = that many workers (bench/harness/modelWorker.ts, wasm single-threaded) embedding their share of the images at once, and in brackets the pipeline / that ratio (wall / CPU)',
          ...table(['extractor', 'workers', 'images', 'init s', 'backend', 'pipeline', 'speed-up vs 1 worker', 'vs page thread', 'cached (IndexedDB)', 'model alone on as many workers'], poolRows, 1),
        ]
      : []),
    '',
    ...notes.map((n) => `- ${n}`),
  ];
}

/** `npm run bench -- extract-browser [options]`: the chromium half alone (no Node figures, so no chromium / Node ratios). */
export async function main(argv: string[]): Promise<number> {
  const d = DEFAULT_BROWSER_EXTRACT;
  const { values } = parseArgs({
    args: argv,
    options: {
      images: { type: 'string', default: String(d.images) },
      'inception-images': { type: 'string', default: String(d.inceptionImages) },
      size: { type: 'string', default: String(d.size) },
      repeats: { type: 'string', default: String(d.repeats) },
      batch: { type: 'string', default: String(d.batch) },
      extractors: { type: 'string', default: d.ids.join(',') },
      'pool-extractors': { type: 'string', default: d.poolExtractors.join(',') },
      'pool-workers': { type: 'string', default: String(d.poolWorkers) },
      'webgpu-images': { type: 'string', default: String(d.webgpuImages) },
      'no-webgpu': { type: 'boolean', default: false },
    },
  });
  const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean) as ExtractorId[];
  const lines = await runBrowserExtract({
    ids: list(values.extractors),
    images: Number(values.images),
    inceptionImages: Number(values['inception-images']),
    size: Number(values.size),
    repeats: Number(values.repeats),
    batch: Number(values.batch),
    webgpu: !values['no-webgpu'],
    webgpuImages: Number(values['webgpu-images']),
    poolExtractors: list(values['pool-extractors']),
    poolWorkers: Number(values['pool-workers']),
    nodeImagesSha256: await demoPngSha256(Math.max(Number(values.images), Number(values['inception-images']), Number(values['webgpu-images'])), Number(values.size)),
  });
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

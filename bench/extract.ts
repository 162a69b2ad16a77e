/**
 * `npm run bench -- extract`: feature-extraction throughput in Node (the Node half of the extraction
 * benchmark; the browser half is separate).
 *
 * Per extractor (pixels, mobilenet-v2, inception-v3), on demo phantom PNGs written to a temporary folder:
 *  - pipeline: the whole per-file pipeline that `synthlens evaluate` runs (src/pipeline/extract.ts: read,
 *    SHA-256, decode, preprocess, thumbnail, variety image, batch, embed), no cache, with decoding and
 *    preprocessing on the CLI's decode threads (src/cli/decodePool.ts; --decode-threads, default
 *    SYNTHLENS_DECODE_THREADS or cores - 1, at most 8; 0 = all on the main thread) while the main thread
 *    runs the model;
 *  - model alone: extractor.embed() on a pre-made batch of the extractor's input size (random values);
 *  - cached: the pipeline again with a filled disk cache (src/cli/diskCache.ts), i.e. a second
 *    `synthlens evaluate --cache` run: read, hash, load the record; nothing decoded or embedded.
 * Images per second of wall time and of CPU time (process.cpuUsage: on a busy machine the CPU rate is the
 * stable one), medians over interleaved rounds (one warm-up round first, not counted).
 *
 * Anchor, in the same run: PyTorch CPU throughput of torchvision MobileNetV2 and InceptionV3 with random
 * weights (bench/extract_torch.py), with 1 thread (TF.js wasm in Node is single-threaded) and with every
 * core, when /usr/bin/python3 has torch and torchvision (Debian: apt-get install python3-torch
 * python3-torchvision); otherwise the table says the anchor is unavailable and why.
 *
 * Browser half, in the same run: the same figures in chromium on the same PNGs, the app's worker pool, a
 * WebGPU row and the chromium / Node ratios (bench/extractBrowser.ts); --no-browser skips it.
 *
 * Options: --images 32  --inception-images 8  --size 256 (PNG side)  --repeats 3  --batch 16
 *          --extractors pixels,mobilenet-v2,inception-v3  --backend wasm|cpu|webgpu  --python /usr/bin/python3
 *          --no-torch  --keep (keep the temporary folder)  --no-browser  --no-webgpu  --decode-threads N
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRng } from '../src/core/random.ts';
import { generateDemo } from '../src/demo/phantoms.ts';
import { demoAsPng } from '../src/demo/png.ts';
import { buildDataset } from '../src/imaging/dataset.ts';
import { walkDirectory } from '../src/imaging/node.ts';
import { DEFAULT_PIPELINE_OPTIONS, processItems, type FileItem, type PipelineOptions } from '../src/pipeline/extract.ts';
import type { Extractor, ExtractorId } from '../src/extractors/registry.ts';
import { DiskFeatureCache } from '../src/cli/diskCache.ts';
import { DecodePool, decodeThreadsFromEnv } from '../src/cli/decodePool.ts';
import type { NodeBackend } from '../src/cli/engineBackend.ts';
import { sha256Hex } from '../src/extractors/sha256.ts';
import { DEFAULT_BROWSER_EXTRACT, runBrowserExtract, type NodeExtractFigures } from './extractBrowser.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const fmt = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '-');

interface Timed { wall: number; cpu: number }

/** Wall time and this process's CPU time (user + system, all threads) of fn, in seconds. */
async function timed(fn: () => Promise<unknown>): Promise<Timed> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const c = process.cpuUsage(c0);
  return { wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

/**
 * Runs every fn once as a warm-up, then `repeats` rounds of all of them in turn (interleaved, so a change
 * in machine load hits every measurement alike); per fn the median wall and CPU time.
 */
async function interleaved(repeats: number, fns: (() => Promise<unknown>)[]): Promise<Timed[]> {
  for (const fn of fns) await fn();
  const t: Timed[][] = fns.map(() => []);
  for (let r = 0; r < repeats; r++) for (let i = 0; i < fns.length; i++) t[i].push(await timed(fns[i]));
  return t.map((x) => ({ wall: median(x.map((y) => y.wall)), cpu: median(x.map((y) => y.cpu)) }));
}

/** "wall rate / CPU rate" images per second. */
const rates = (n: number, t: Timed) => `${fmt(n / t.wall)} / ${fmt(n / t.cpu)}`;

interface TorchResult { imagesPerSecond: number; imagesPerCpuSecond: number; threads: number; torch: string; torchvision: string; images: number; batch: number }

/** Why the PyTorch anchor cannot run, or null when it can. */
function torchUnavailable(python: string): string | null {
  const r = spawnSync(python, ['-c', 'import torch, torchvision; print(torch.__version__, torchvision.__version__)'], { encoding: 'utf8' });
  if (r.status === 0) return null;
  const why = r.error ? `${python} cannot be run (${r.error.message})` : `${python} cannot import torch/torchvision (${(r.stderr.trim().split('\n').pop() ?? '').trim()})`;
  const apt = spawnSync('apt-cache', ['policy', 'python3-torch', 'python3-torchvision'], { encoding: 'utf8' });
  const cand = apt.status === 0 ? [...apt.stdout.matchAll(/^(\S+):\n\s+Installed: (.*)\n\s+Candidate: (.*)$/gm)].map((m) => `${m[1]} installed ${m[2]}, candidate ${m[3]}`).join('; ') : 'apt-cache not available';
  return `${why}; Debian packages: ${cand || 'not found'}`;
}

function runTorch(python: string, model: string, images: number, batch: number, repeats: number, threads: number): TorchResult {
  const r = spawnSync(python, [join(ROOT, 'bench/extract_torch.py'), model, String(images), String(batch), String(repeats), String(threads)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`PyTorch anchor ${model} failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as TorchResult;
}

export interface NodeExtractOptions {
  ids: ExtractorId[];
  images: number;
  inceptionImages: number;
  /** PNG side in pixels. */
  size: number;
  repeats: number;
  batch: number;
  backend: NodeBackend;
  /** Decode threads of the pipeline runs (0: decode on the main thread); default decodeThreadsFromEnv(). */
  decodeThreads?: number;
  /** Keep the temporary folder. */
  keep?: boolean;
  log?: (line: string) => void;
}

export interface NodeExtractResult {
  /** TF.js backend in use. */
  backend: string;
  /** Decode threads of the pipeline runs (0: none, all on the main thread). */
  decodeThreads: number;
  /** Table rows (see main's header) and notes. */
  rows: string[][];
  notes: string[];
  /** Medians per extractor: pipeline, model alone, cached run (seconds per run of n images). */
  figures: NodeExtractFigures;
  /** SHA-256 of the PNGs in order (the browser half checks it reads the same bytes). */
  imagesSha256: string;
  /** The temporary folder (removed unless keep). */
  dir: string;
}

/**
 * The Node half: per extractor, model alone, pipeline and cached run on demo phantom PNGs written to a temporary
 * folder, interleaved rounds after a warm-up, medians (see the file header).
 */
export async function runNodeExtract(o: NodeExtractOptions): Promise<NodeExtractResult> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const { ids, size, repeats, batch } = o;
  const nImages = o.images;
  const nInception = o.inceptionImages;
  const dir = mkdtempSync(join(tmpdir(), 'synthlens-bench-extract-'));
  const [{ initNodeBackend, shippedModelSource }, { loadExtractor }] = await Promise.all([import('../src/cli/tfBackend.ts'), import('../src/extractors/registry.ts')]);
  const backend = await initNodeBackend(o.backend);
  const decodeThreads = o.decodeThreads ?? decodeThreadsFromEnv();
  const pool = decodeThreads > 0 ? new DecodePool(decodeThreads) : null;
  log(`bench extract: ${decodeThreads} decode thread(s), ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, node ${process.version}, TF.js ${backend}, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}, folder ${dir}`);
  const rows: string[][] = [];
  const notes: string[] = [];
  const figures: NodeExtractFigures = {};
  let imagesSha256 = '';
  try {
    // Demo phantoms at `size` px (grayscale PNG), one folder.
    const need = Math.max(nImages, nInception);
    const t0 = performance.now();
    const demo = generateDemo({ size, counts: { real: need, holdout: 0, faithful: 0, copies: 0, collapsed: 0, 'low-fidelity': 0, shifted: 0 } });
    for (const f of demoAsPng(demo)) {
      const p = join(dir, 'images', f.path);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, f.bytes);
    }
    const ds = buildDataset('images', await walkDirectory(join(dir, 'images')));
    const allItems: FileItem[] = ds.files.map((f) => ({ path: f.path, label: f.label, read: () => f.entry.read() }));
    const meanBytes = ds.files.reduce((a, f) => a + (f.size ?? 0), 0) / ds.files.length;
    imagesSha256 = await sha256Hex(await Promise.all(allItems.map((it) => it.read())));
    notes.push(`images: ${ds.files.length} demo phantom PNGs, ${size} x ${size} 8-bit grayscale, mean ${(meanBytes / 1024).toFixed(1)} KiB (written in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    const opts: PipelineOptions = { ...DEFAULT_PIPELINE_OPTIONS, batchSize: batch };
    await pool?.warm();
    notes.push(
      pool
        ? `decoding: ${decodeThreads} decode thread(s) (src/cli/decodePool.ts) decode and preprocess while the main thread runs the model (pipeline, first and cached runs); started before the timings`
        : 'decoding: on the main thread, between batches (0 decode threads)',
    );

    for (const id of ids) {
      const n = id === 'inception-v3' ? nInception : nImages;
      const items = allItems.slice(0, n);
      log(`  ${id}: loading`);
      let ex: Extractor;
      const load = await timed(async () => {
        ex = await loadExtractor(id, id === 'pixels' ? undefined : await shippedModelSource(id as 'mobilenet-v2' | 'inception-v3'));
      });
      const e = ex!;
      // model alone on a pre-made batch in [0, 1]
      const rng = createRng(7);
      const per = e.inputSize * e.inputSize * e.channels;
      const input = Float32Array.from({ length: n * per }, () => rng());
      const cacheDir = join(dir, `cache-${id}`);
      const fill = await DiskFeatureCache.open(cacheDir);
      log(`  ${id}: first run with the cache, ${n} images`);
      const first = await timed(() => processItems(items, e, fill, opts, { preparer: pool }));
      log(`  ${id}: model alone, pipeline, cached run: ${n} images, 1 + ${repeats} rounds`);
      const [model, pipe, cached] = await interleaved(repeats, [
        () => e.embed(input, n),
        async () => {
          const c = await processItems(items, e, null, opts, { preparer: pool });
          if (c.embedded !== n) throw new Error(`${id}: ${c.embedded} of ${n} embedded`);
        },
        async () => {
          const c = await processItems(items, e, await DiskFeatureCache.open(cacheDir), opts, { preparer: pool });
          if (c.cached !== n) throw new Error(`${id}: ${c.cached} of ${n} from the cache`);
        },
      ]);
      const { bytes } = await fill.size();
      e.dispose();
      figures[id] = { n, pipeline: pipe, model, cached };
      rows.push([
        id, `${e.inputSize} px, ${e.dim}-d`, String(n), fmt(load.wall, 2), rates(n, pipe), rates(n, model), rates(n, first), rates(n, cached), `${fmt(pipe.wall / cached.wall, 0)}x`,
      ]);
      notes.push(
        `${id}: pipeline ${fmt(pipe.wall, 2)} s wall, ${fmt(pipe.cpu, 2)} s CPU; model alone ${fmt(model.wall, 2)} s wall, ${fmt(model.cpu, 2)} s CPU ` +
          `(${fmt((100 * model.cpu) / pipe.cpu, 0)}% of the pipeline's CPU time); cached run ${fmt(cached.wall, 3)} s for ${n} images; cache ${(bytes / n / 1024).toFixed(1)} KiB per image`,
      );
    }
  } finally {
    await pool?.close();
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  }
  return { backend, decodeThreads, rows, notes, figures, imagesSha256, dir };
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      images: { type: 'string', default: '32' },
      'inception-images': { type: 'string', default: '8' },
      size: { type: 'string', default: '256' },
      repeats: { type: 'string', default: '3' },
      batch: { type: 'string', default: String(DEFAULT_PIPELINE_OPTIONS.batchSize) },
      extractors: { type: 'string', default: 'pixels,mobilenet-v2,inception-v3' },
      backend: { type: 'string', default: 'wasm' },
      python: { type: 'string', default: '/usr/bin/python3' },
      'no-torch': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      'no-browser': { type: 'boolean', default: false },
      'no-webgpu': { type: 'boolean', default: false },
      'decode-threads': { type: 'string' },
    },
  });
  const nImages = Number(values.images);
  const nInception = Number(values['inception-images']);
  const size = Number(values.size);
  const repeats = Number(values.repeats);
  const batch = Number(values.batch);
  const ids = values.extractors.split(',').map((s) => s.trim()) as ExtractorId[];
  const decodeThreads = values['decode-threads'] === undefined ? undefined : Number(values['decode-threads']);
  if (decodeThreads !== undefined && !(Number.isInteger(decodeThreads) && decodeThreads >= 0)) throw new Error(`--decode-threads must be a non-negative integer, got "${values['decode-threads']}"`);
  const node = await runNodeExtract({
    ids, images: nImages, inceptionImages: nInception, size, repeats, batch, backend: values.backend as NodeBackend, decodeThreads, keep: values.keep,
  });
  const { backend, rows, notes } = node;
  const nodeFigures = node.figures;
  const nodeImagesSha256 = node.imagesSha256;
  // PyTorch anchor.
  if (values['no-torch']) {
    notes.push('PyTorch anchor: skipped (--no-torch)');
  } else {
    const why = torchUnavailable(values.python);
    if (why) {
      notes.push(`PyTorch anchor unavailable: ${why}`);
    } else {
      const threadsAll = cpus().length;
      for (const [model, n] of [['mobilenet_v2', nImages], ['inception_v3', nInception]] as const) {
        for (const threads of [...new Set([1, threadsAll])]) {
          process.stderr.write(`  PyTorch ${model}, ${threads} thread(s)\n`);
          const r = runTorch(values.python, model, n, Math.min(batch, n), repeats, threads);
          rows.push([`torch ${model}`, `${threads} thread(s)`, String(n), '-', '-', `${fmt(r.imagesPerSecond)} / ${fmt(r.imagesPerCpuSecond)}`, '-', '-', '-']);
          if (threads === 1) notes.push(`PyTorch ${r.torch} / torchvision ${r.torchvision} CPU, random weights (weights=None), features up to the global average pool, batch ${r.batch}, inference_mode`);
        }
      }
    }
  }

  const header = ['extractor', 'input', 'images', 'load s', 'pipeline', 'model alone', '1st run + cache write', 'cached 2nd run', 'cache speed-up'];
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const line = (c: string[]) => c.map((x, j) => (j < 2 ? x.padEnd(widths[j]) : x.padStart(widths[j]))).join('  ');
  const out = [
    `Feature extraction in Node (TF.js ${backend} on the main thread, ${node.decodeThreads} decode thread(s)): images per second of wall time / per second of CPU time ` +
      `(the CPU rate is the one to compare on a busy machine), medians over ${repeats} interleaved rounds after a warm-up; ` +
      'pipeline = read, hash, decode, preprocess, embed (no cache); model alone = embed() on a pre-made batch; ' +
      'cached = second run with the disk cache filled; speed-up = pipeline wall time / cached wall time',
    line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line), '', ...notes.map((n) => `- ${n}`),
  ];
  if (!values['no-browser']) {
    const browser = await runBrowserExtract({
      ...DEFAULT_BROWSER_EXTRACT,
      ids, images: nImages, inceptionImages: nInception, size, repeats, batch,
      webgpu: !values['no-webgpu'],
      poolExtractors: DEFAULT_BROWSER_EXTRACT.poolExtractors.filter((id) => ids.includes(id)),
      nodeImagesSha256, node: nodeFigures,
    });
    out.push('', ...browser);
  }
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}

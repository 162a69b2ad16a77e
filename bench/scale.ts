/**
 * `npm run bench -- scale`: the figures issue #6 asks for, as medians and ratios from one run, each against its
 * target. It reuses the other benchmarks rather than measuring anything its own way:
 *
 *  a. metrics at N = M = 10,000, d = 2,048: wall time and peak RSS of `synthlens metrics` beside the full-matrix
 *     baseline (bench/baseline_full_matrix.py, as `npm run bench -- metrics`: bench/metrics.ts measure(), both
 *     under /usr/bin/time -v). Targets: at least 2x faster (baseline s / synthlens s >= 2) and at most a tenth of
 *     its memory (synthlens MiB / baseline MiB <= 0.1).
 *  b. (opt-in: --big or --only b) N = M = 50,000 and 100,000 at d = 1,280: `synthlens metrics` wall time and peak
 *     RSS (budget 2 GiB, issue #6), one run each. The baseline is not run: its full float64 matrices need
 *     N x M x 8 bytes each, and it holds at least three at once (see BASELINE_MATRICES); the table prints that figure.
 *     About 25 min of CPU at 50,000 and 100 min at 100,000 on an idle core of this machine (docs/scale.md); more
 *     wall time when the machine is shared.
 *  c. extraction: images per second of the whole pipeline over the model alone (bench/extract.ts runNodeExtract in
 *     Node; bench/extractBrowser.ts runBrowserExtract in chromium: the page thread and the app's worker pool).
 *     Target: >= 0.8.
 *  d. the neighbour engine's effective GFLOP/s over plain tf.matMul on the same backend (bench/engine.ts
 *     measureEngineThroughput, loaded only if that file exists; otherwise the row says to run
 *     `npm run bench -- engine`). Target: >= 0.7.
 *
 * Features are seeded Gaussians (bench/metrics.ts writeGaussianNpy: the .npy is written a block of rows at a
 * time, one set after the other, so the benchmark process never holds a whole set), in a temporary folder that
 * is removed after each size.
 *
 * Options: --only a,c,d (default; add b or pass --big for part b)  --big
 *          --sizes 10000 (part a)  --dim 2048 (part a)  --repeats 1 (part a, per tool)
 *          --big-sizes 50000,100000  --big-dim 1280
 *          --skip-baseline (part a without the baseline: no ratios)  --kid-subsets 100 (both tools)
 *          --backend wasm|cpu  --python /usr/bin/python3
 *          --extractors mobilenet-v2  --images 32  --extract-repeats 3  --no-browser (part c)
 *          --engine-n 4000  --engine-dim 1280  --engine-repeats 3 (part d)  --keep (keep the feature folder)
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { ExtractorId } from '../src/extractors/registry.ts';
import { TIME, comparisonNotes, fmt, measure, measureCli, median, stageTimes, writeGaussianNpy, type Measured } from './metrics.ts';
import { runNodeExtract } from './extract.ts';
import { DEFAULT_BROWSER_EXTRACT, runBrowserExtract, type BrowserExtractFigures, type Timed } from './extractBrowser.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MiB = 2 ** 20;
const GiB = 2 ** 30;

/**
 * N x M float64 matrices bench/baseline_full_matrix.py holds at once at its peak (fidelity_privacy, as the
 * paper's compute_fidelity_privacy): the real x synthetic distances d_rf, the real x real distances inside
 * nn_radii, and np.argpartition's int64 index array of the same shape. Measured at N = M = 10,000, d = 2,048
 * its peak was 2,794 MiB (docs/cli.md), 3.7 x one 763 MiB matrix.
 */
const BASELINE_MATRICES = 3;
/** Peak-memory budget of issue #6 for N = M = 100,000 at d = 1,280. */
const MEMORY_BUDGET = 2 * GiB;

const TARGETS = { speedup: 2, memoryRatio: 0.1, extract: 0.8, engine: 0.7 };

const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');
const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => (r[j] ?? '').length)));
  const line = (c: string[]) => c.map((x, j) => (j === 0 ? x.padEnd(widths[j]) : x.padStart(widths[j]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

function metricsArgs(real: string, synth: string, json: string, backend: string, kidSubsets: string): string[] {
  return ['metrics', '--real', real, '--synthetic', synth, '--backend', backend, '--kid-subsets', kidSubsets, '--json', json];
}

interface SizeRun { n: number; d: number; ours: Measured[]; base: Measured[]; stages: string; comparison: string[] }

/** Writes the two feature files for n x d (one after the other, streamed), runs the tools, removes the files. */
function runSize(o: { n: number; d: number; repeats: number; baseline: boolean; backend: string; kidSubsets: string; python: string; keep: boolean; log: (l: string) => void }): SizeRun {
  const dir = mkdtempSync(join(tmpdir(), 'synthlens-bench-scale-'));
  const real = join(dir, 'real.npy');
  const synth = join(dir, 'synth.npy');
  const oursJson = join(dir, 'ours.json');
  const baseJson = join(dir, 'base.json');
  try {
    const t0 = performance.now();
    // The seeds of bench/metrics.ts, so a 10,000 x 2,048 run here reads the same features as there.
    writeGaussianNpy(real, o.n, o.d, 1000 + o.n, 0);
    writeGaussianNpy(synth, o.n, o.d, 2000 + o.n, 0.05);
    o.log(`  N = M = ${o.n}, d = ${o.d}: features written (${((2 * o.n * o.d * 4) / GiB).toFixed(2)} GiB, ${((performance.now() - t0) / 1000).toFixed(0)} s) in ${dir}`);
    const ours: Measured[] = [];
    const base: Measured[] = [];
    for (let r = 0; r < o.repeats; r++) {
      o.log(`  N = M = ${o.n}, d = ${o.d}: synthlens run ${r + 1}/${o.repeats} (load ${load()})`);
      const m = measureCli(metricsArgs(real, synth, oursJson, o.backend, o.kidSubsets));
      if (!m.ok) throw new Error(`synthlens failed:\n${m.stderr}`);
      ours.push(m);
      o.log(`    ${fmt(m.wallS)} s, ${fmt(m.peakMiB, 0)} MiB`);
      if (o.baseline) {
        o.log(`  N = M = ${o.n}, d = ${o.d}: baseline run ${r + 1}/${o.repeats} (load ${load()})`);
        const b = measure(o.python, [join(ROOT, 'bench/baseline_full_matrix.py'), real, synth, baseJson, '--kid-subsets', o.kidSubsets]);
        if (!b.ok) throw new Error(`baseline failed:\n${b.stderr}`);
        base.push(b);
        o.log(`    ${fmt(b.wallS)} s, ${fmt(b.peakMiB, 0)} MiB`);
      }
    }
    return { n: o.n, d: o.d, ours, base, stages: stageTimes(oursJson), comparison: base.length ? comparisonNotes(o.n, oursJson, baseJson) : [] };
  } finally {
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
  }
}

/** Rate ratio pipeline / model (images per second), as wall and CPU; n cancels. */
const rateRatio = (pipeline: Timed, model: Timed) => ({ wall: model.wall / pipeline.wall, cpu: model.cpu / pipeline.cpu });

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: 'string', default: 'a,c,d' },
      big: { type: 'boolean', default: false },
      sizes: { type: 'string', default: '10000' },
      dim: { type: 'string', default: '2048' },
      repeats: { type: 'string', default: '1' },
      'big-sizes': { type: 'string', default: '50000,100000' },
      'big-dim': { type: 'string', default: '1280' },
      'skip-baseline': { type: 'boolean', default: false },
      'kid-subsets': { type: 'string', default: '100' },
      backend: { type: 'string', default: 'wasm' },
      python: { type: 'string', default: '/usr/bin/python3' },
      extractors: { type: 'string', default: 'mobilenet-v2' },
      images: { type: 'string', default: '32' },
      'extract-repeats': { type: 'string', default: '3' },
      'no-browser': { type: 'boolean', default: false },
      'engine-n': { type: 'string', default: '4000' },
      'engine-dim': { type: 'string', default: '1280' },
      'engine-repeats': { type: 'string', default: '3' },
      keep: { type: 'boolean', default: false },
    },
  });
  const parts = new Set(values.only.split(',').map((s) => s.trim()));
  if (values.big) parts.add('b');
  const unknown = [...parts].filter((p) => !['a', 'b', 'c', 'd'].includes(p));
  if (unknown.length) {
    process.stderr.write(`bench scale: --only takes a, b, c, d (got ${unknown.join(', ')})\n`);
    return 2;
  }
  if ((parts.has('a') || parts.has('b')) && !existsSync(TIME)) {
    process.stderr.write(`bench scale: ${TIME} is needed to measure peak memory (apt-get install time)\n`);
    return 2;
  }
  if (values.backend !== 'wasm' && values.backend !== 'cpu') {
    process.stderr.write(`bench scale: --backend must be wasm or cpu\n`);
    return 2;
  }
  const backend = values.backend;
  const tStart = performance.now();
  const log = (l: string) => process.stderr.write(`${l} [${((performance.now() - tStart) / 1000).toFixed(0)} s]\n`);
  // Each part prints as soon as it is done, so a later failure loses nothing.
  const emit = (lines: string[]) => process.stdout.write(lines.join('\n') + '\n');
  emit([
    `bench scale: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ${(totalmem() / GiB).toFixed(1)} GiB RAM, node ${process.version}, ` +
      `backend ${values.backend}, load average at the start ${load()}; parts ${[...parts].sort().join(', ')}`,
  ]);
  const summary: string[][] = [];
  let failed = false;
  const part = async (name: string, fn: () => Promise<string[]>) => {
    try {
      emit(['', ...(await fn())]);
    } catch (e) {
      failed = true;
      const msg = ((e as Error)?.message ?? String(e)).split('\n')[0];
      emit(['', `${name}. failed: ${msg}`]);
      summary.push([`${name}. failed`, msg.slice(0, 100), '-', 'ERROR']);
    }
  };

  // a. 10,000 x 2,048 against the full-matrix baseline.
  if (parts.has('a')) await part('a', async () => {
    const d = Number(values.dim);
    const rows: string[][] = [];
    const notes: string[] = [];
    const load0 = load();
    for (const n of values.sizes.split(',').map(Number)) {
      const r = runSize({ n, d, repeats: Number(values.repeats), baseline: !values['skip-baseline'], backend: values.backend, kidSubsets: values['kid-subsets'], python: values.python, keep: values.keep, log });
      const ow = median(r.ours.map((m) => m.wallS));
      const om = median(r.ours.map((m) => m.peakMiB));
      const bw = r.base.length ? median(r.base.map((m) => m.wallS)) : NaN;
      const bm = r.base.length ? median(r.base.map((m) => m.peakMiB)) : NaN;
      const speedup = bw / ow;
      const memRatio = om / bm;
      const has = r.base.length > 0;
      rows.push([
        `${n}`, `${d}`, fmt(ow), fmt(bw), has ? `${fmt(speedup, 2)}x ${verdict(speedup >= TARGETS.speedup)}` : 'not run',
        fmt(om, 0), fmt(bm, 0), has ? `${fmt(memRatio, 3)} ${verdict(memRatio <= TARGETS.memoryRatio)}` : 'not run',
      ]);
      // Both tools' values side by side and their stage times (bench/metrics.ts), else synthlens's stage times.
      notes.push(...(has ? r.comparison : [`N = ${n}: synthlens stages (s): ${r.stages}`]));
      if (has) {
        summary.push([`a. metrics ${n} x ${n}, d = ${d}: speed-up over the baseline`, `${fmt(speedup, 2)}x`, `>= ${TARGETS.speedup}x`, verdict(speedup >= TARGETS.speedup)]);
        summary.push([`a. metrics ${n} x ${n}, d = ${d}: memory / baseline`, fmt(memRatio, 3), `<= ${TARGETS.memoryRatio}`, verdict(memRatio <= TARGETS.memoryRatio)]);
      }
    }
    return [
      `a. synthlens metrics vs the full-matrix baseline (sklearn pairwise_distances, float64), KID with ${values['kid-subsets']} subsets in both; ` +
        `wall time and peak RSS (/usr/bin/time -v), medians over ${values.repeats} run(s) per tool; load average ${load0} at the start, ${load()} at the end`,
      ...table(['N = M', 'd', 'synthlens s', 'baseline s', `speed-up (>= ${TARGETS.speedup}x)`, 'synthlens MiB', 'baseline MiB', `memory ratio (<= ${TARGETS.memoryRatio})`], rows),
      ...notes.map((x) => `- ${x}`),
    ];
  });

  // b. 50,000 and 100,000 at d = 1,280 (opt-in).
  if (!parts.has('b')) summary.push(['b. metrics 50,000 and 100,000 at d = 1,280', 'not run (opt-in: --big; about 25 and 100 CPU min)', `<= ${MEMORY_BUDGET / MiB} MiB`, '-']);
  if (parts.has('b')) await part('b', async () => {
    const d = Number(values['big-dim']);
    const rows: string[][] = [];
    const notes: string[] = [];
    const load0 = load();
    for (const n of values['big-sizes'].split(',').map(Number)) {
      const r = runSize({ n, d, repeats: 1, baseline: false, backend: values.backend, kidSubsets: values['kid-subsets'], python: values.python, keep: values.keep, log });
      const m = r.ours[0];
      const one = n * n * 8;
      rows.push([
        `${n}`, `${d}`, fmt(m.wallS / 60, 1), fmt(m.peakMiB, 0), `${verdict(m.peakMiB * MiB <= MEMORY_BUDGET)}`,
        `${fmt(one / GiB, 1)} x ${BASELINE_MATRICES} = ${fmt((BASELINE_MATRICES * one) / GiB, 0)} GiB`,
      ]);
      notes.push(`N = ${n}: synthlens stages (s): ${r.stages}`);
      summary.push([`b. metrics ${n} x ${n}, d = ${d}: peak memory`, `${fmt(m.peakMiB, 0)} MiB in ${fmt(m.wallS / 60, 1)} min`, `<= ${MEMORY_BUDGET / MiB} MiB`, verdict(m.peakMiB * MiB <= MEMORY_BUDGET)]);
    }
    return [
      `b. synthlens metrics at scale, KID with ${values['kid-subsets']} subsets; one run per size; load average ${load0} at the start, ${load()} at the end. ` +
        `The baseline cannot run: it holds at least ${BASELINE_MATRICES} N x M float64 (or int64) matrices at once (N^2 x 8 bytes each), beyond this machine's ${(totalmem() / GiB).toFixed(0)} GiB`,
      ...table(['N = M', 'd', 'synthlens min', 'peak MiB', `<= ${MEMORY_BUDGET / MiB} MiB`, 'baseline would need'], rows),
      ...notes.map((x) => `- ${x}`),
    ];
  });

  // c. extraction: pipeline over model alone.
  if (parts.has('c')) await part('c', async () => {
    const ids = values.extractors.split(',').map((s) => s.trim()) as ExtractorId[];
    const images = Number(values.images);
    const repeats = Number(values['extract-repeats']);
    const load0 = load();
    const node = await runNodeExtract({ ids, images, inceptionImages: images, size: 256, repeats, batch: DEFAULT_BROWSER_EXTRACT.batch, backend, log });
    const figures: BrowserExtractFigures = { page: {}, pool: {} };
    let browserLines: string[] = [];
    if (!values['no-browser']) {
      browserLines = await runBrowserExtract({
        ...DEFAULT_BROWSER_EXTRACT,
        ids, images, inceptionImages: images, repeats, webgpu: false,
        poolExtractors: ids, poolWorkers: cpus().length,
        nodeImagesSha256: node.imagesSha256, node: node.figures, figures, log,
      });
    }
    const rows: string[][] = [];
    const judge = (label: string, r: { wall: number; cpu: number }) => {
      rows.push([label, fmt(r.wall, 2), fmt(r.cpu, 2), verdict(r.cpu >= TARGETS.extract), verdict(r.wall >= TARGETS.extract)]);
      summary.push([`c. ${label}: pipeline / model alone (CPU; wall)`, `${fmt(r.cpu, 2)}; ${fmt(r.wall, 2)}`, `>= ${TARGETS.extract}`, `${verdict(r.cpu >= TARGETS.extract)}; ${verdict(r.wall >= TARGETS.extract)}`]);
    };
    for (const id of ids) {
      const nd = node.figures[id];
      if (nd) judge(`${id}, Node, 1 thread`, rateRatio(nd.pipeline, nd.model));
      const pg = figures.page[id];
      if (pg) judge(`${id}, chromium page thread`, rateRatio(pg.pipeline, pg.model));
      for (const p of figures.pool[id] ?? []) {
        // Like with like: the pool's P workers against the model alone on P workers at once (bench/harness/modelWorker.ts).
        if (p.model) judge(`${id}, chromium pool of ${p.workers} vs model alone on ${p.workers} workers`, rateRatio(p.pipeline, p.model));
        if (!pg) continue;
        // The pool's P workers against the page thread's model alone scaled to min(P, cores) threads (perfect scaling
        // assumed: the bench's definition before the model-alone pool existed): wall rates scaled, CPU per image as is.
        const lanes = Math.min(p.workers, cpus().length);
        judge(`${id}, chromium pool of ${p.workers} vs model alone x ${lanes} (one thread scaled)`, { wall: pg.model.wall / (lanes * p.pipeline.wall), cpu: pg.model.cpu / p.pipeline.cpu });
      }
    }
    return [
      `c. Extraction: images per second of the whole pipeline (read, hash, decode, preprocess, embed; no cache) over the model alone (embed() on a pre-made batch), ` +
        `medians over ${repeats} interleaved rounds of ${images} demo PNGs (256 px); CPU = ratio of images per CPU second (the stable figure on a shared machine), ` +
        `wall = ratio of images per wall second; load average ${load0} at the start, ${load()} at the end`,
      ...table(['extractor, where', 'wall ratio', 'CPU ratio', `CPU >= ${TARGETS.extract}`, `wall >= ${TARGETS.extract}`], rows),
      '',
      'c. details (bench/extract.ts, Node):',
      ...node.notes.map((x) => `- ${x}`),
      ...(browserLines.length ? ['', 'c. details (bench/extractBrowser.ts, chromium):', ...browserLines] : []),
    ];
  });

  // d. engine GFLOP/s over plain matMul, from bench/engine.ts when it exists.
  if (parts.has('d')) await part('d', async () => {
    const enginePath = join(ROOT, 'bench/engine.ts');
    let lines: string[];
    if (!existsSync(enginePath)) {
      lines = ['engine: see npm run bench -- engine (bench/engine.ts is not in this checkout)'];
      summary.push(['d. engine GFLOP/s / matMul GFLOP/s', 'see npm run bench -- engine', `>= ${TARGETS.engine}`, '-']);
    } else {
      const load0 = load();
      // A computed specifier: this file must load (and type-check) whether or not bench/engine.ts exists.
      const mod = (await import(pathToFileURL(enginePath).href)) as { measureEngineThroughput?: (o: Record<string, unknown>) => Promise<Record<string, unknown>> };
      if (typeof mod.measureEngineThroughput !== 'function') {
        lines = ['engine: see npm run bench -- engine (bench/engine.ts exports no measureEngineThroughput)'];
        summary.push(['d. engine GFLOP/s / matMul GFLOP/s', 'see npm run bench -- engine', `>= ${TARGETS.engine}`, '-']);
      } else {
        const r = await mod.measureEngineThroughput({
          n: Number(values['engine-n']), d: Number(values['engine-dim']), repeats: Number(values['engine-repeats']), backend: values.backend, onLog: log,
        });
        const num = (k: string) => (typeof r[k] === 'number' ? (r[k] as number) : NaN);
        const ratio = num('ratio');
        const cpuRatio = num('cpuRatio');
        lines = [
          `d. Neighbour engine (bench/engine.ts measureEngineThroughput): n = ${r.n} per set, d = ${r.d}, backend ${r.backend}, tile ${r.tileSize}, ` +
            `medians of ${r.repeats}; useful distance GFLOP/s over the same backend's plain tf.matMul on tiles of the engine's shape; load average ${load0} at the start, ${load()} at the end`,
          ...table(['', 'engine GFLOP/s', 'matMul GFLOP/s', 'ratio', `>= ${TARGETS.engine}`], [
            ['wall', fmt(num('engineGflops'), 2), fmt(num('matmulGflops'), 2), fmt(ratio, 3), verdict(ratio >= TARGETS.engine)],
            ['CPU time', fmt(num('engineCpuGflops'), 2), fmt(num('matmulCpuGflops'), 2), fmt(cpuRatio, 3), verdict(cpuRatio >= TARGETS.engine)],
          ]),
        ];
        summary.push(['d. engine GFLOP/s / matMul GFLOP/s (wall; CPU)', `${fmt(ratio, 3)}; ${fmt(cpuRatio, 3)}`, `>= ${TARGETS.engine}`, `${verdict(ratio >= TARGETS.engine)}; ${verdict(cpuRatio >= TARGETS.engine)}`]);
      }
    }
    return lines;
  });

  emit([
    '',
    `Summary (load average at the end ${load()}, ${((performance.now() - tStart) / 60000).toFixed(1)} min in all)`,
    ...table(['figure', 'measured', 'target', 'verdict'], summary),
  ]);
  return failed ? 1 : 0;
}

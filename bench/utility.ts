/**
 * `npm run bench -- utility`: time and peak memory of the utility evaluator's two tiers on the built-in demo,
 * in Node and in chromium, on the same input bytes: the probe tier (src/core/utility/runUtility.ts with
 * DEFAULT_PROBE_CONFIG from src/core/utility/probe.ts) on features, and the cnn tier
 * (src/core/utility/cnnUtility.ts with DEFAULT_CNN_CONFIG, src/core/utility/cnnConfig.ts) on the images.
 *
 * cnn tier: the app's demo sizes (APP_DEMO_COUNTS of src/app/demo.ts: 120 real, 60 held-out, five synthetic
 * sets of 60, 128 px), the images through the same pipeline as 128 x 128 grayscale (the pixels extractor at
 * size 128, disk-cached like features), the augmented real copies likewise; the networks train on TF.js wasm
 * (Node: initNodeBackend; chromium: initBrowserBackend, what the app's engine worker picks without a GPU).
 * A round takes minutes, so --cnn-repeats defaults to 1.
 *
 * Data: the demo phantoms (src/demo/phantoms.ts, default counts and size: 160 real, 80 held-out, five synthetic
 * sets of 80, 128 px) through the shared pipeline (src/pipeline/extract.ts) in Node (TF.js wasm) with the
 * `pixels` extractor (4096-d, no model) and `mobilenet-v2` (1280-d). Features are cached on disk between runs
 * (src/cli/diskCache.ts, --cache-dir). The run is what the app does with the demo (src/app/runner.ts): real set =
 * training rows, held-out set = test rows, the five synthetic sets, seeds 1..5, and the simple-augmentation
 * reference = the real training images once more through the pipeline with PipelineOptions.augment seeded by
 * the app's run seed (--augment-seed 2020; --no-augment leaves it out); no cross-task set (skipped, with the
 * reason in the notes).
 *
 * Node: each round is a fresh child process (`node bin/bench.js utility --child <input>`) that reads the input,
 * resets its peak resident set (/proc/self/clear_refs), runs once and reports wall and CPU time, RSS before
 * the run and peak RSS during it (VmHWM, /proc/self/status), and the V8 heap in use before and at its peak
 * (process.memoryUsage().heapUsed, sampled every 50 ms).
 * chromium: each round is a fresh page of bench/harness/utility.html (Vite dev server) that runs runUtility on
 * its main thread (the app runs it in its engine worker: same code). Memory: the renderer's RSS before and its
 * peak during the run (VmHWM of the renderer process after clear_refs, from /proc; performance.
 * measureUserAgentSpecificMemory needs cross-origin isolation plus a worker-free page and is not used), and the
 * page's JS heap (CDP Performance.getMetrics JSHeapUsedSize, after a CDP HeapProfiler.collectGarbage, sampled
 * every 50 ms; runUtility yields every 25 ms, so samples arrive during the run).
 * Node and chromium rounds alternate; figures are medians over the rounds.
 *
 * Options: --repeats 3  --seeds 5  --extractors pixels,mobilenet-v2  --cache-dir <tmp>/synthlens-bench-utility-cache
 *          --augment-seed 2020  --no-augment  --no-browser  --tiers probe,cnn  --cnn-repeats 1
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { runUtility } from '../src/core/utility/runUtility.ts';
import { runCnnUtility } from '../src/core/utility/cnnUtility.ts';
import { DEFAULT_CNN_CONFIG } from '../src/core/utility/cnnConfig.ts';
import { makeFeatureSet, type FeatureSet } from '../src/core/features/featureSet.ts';
import {
  decodeUtilityInput, encodeUtilityInput, runCnnInput, runUtilityInput, summariseUtility, type BenchSetRole, type UtilityBenchInput, type UtilitySummary,
} from './harness/utilityData.ts';
import {
  childCpuSeconds, chromiumUnavailable, cpuByPid, fmt, launchChromium, median, openHarness, rendererPids, resetPeakRss, startDevServer, statusKiB, table,
} from './harness/driver.ts';
import type { UtilityBenchApi } from './harness/utility.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The app's default run seed (src/app/runner.ts DEFAULT_SETTINGS.seed), which seeds its simple augmentation;
 * not imported because runner.ts pulls in the page's worker code.
 */
const APP_RUN_SEED = 2020;

/**
 * The app's demo sizes (src/app/demo.ts APP_DEMO_COUNTS), for the cnn tier; not imported because demo.ts pulls in
 * the page's worker code.
 */
const APP_DEMO_COUNTS = { real: 120, holdout: 60, faithful: 60, copies: 60, collapsed: 60, 'low-fidelity': 60, shifted: 60 };

type Tier = 'probe' | 'cnn';

/** One round's figures; memory in bytes, times in ms. */
interface Round {
  wallMs: number;
  cpuMs: number;
  rssBefore: number | null;
  rssPeak: number | null;
  heapBefore: number;
  heapPeak: number;
  summary: UtilitySummary;
}

// ---- Node child ------------------------------------------------------------------------------------

async function child(file: string, seeds: number[], tier: Tier): Promise<number> {
  const input = decodeUtilityInput(new Uint8Array(readFileSync(file)));
  if (tier === 'cnn') await (await import('../src/cli/tfBackend.ts')).initNodeBackend('wasm');
  const kib = (f: 'VmHWM' | 'VmRSS') => statusKiB('self', f);
  const heapBefore = process.memoryUsage().heapUsed;
  const rssBefore = kib('VmRSS');
  const reset = resetPeakRss('self');
  let heapPeak = heapBefore;
  const timer = setInterval(() => {
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  }, 50);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const report = tier === 'cnn' ? await runCnnUtility(runCnnInput(input, seeds)) : await runUtility(runUtilityInput(input, seeds));
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  clearInterval(timer);
  heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
  const peak = kib('VmHWM');
  const round: Round = {
    wallMs,
    cpuMs: (c.user + c.system) / 1000,
    rssBefore: rssBefore === null ? null : rssBefore * 1024,
    // Without the reset, VmHWM is the peak of the whole process (reading the input included).
    rssPeak: peak === null ? null : peak * 1024,
    heapBefore,
    heapPeak,
    summary: summariseUtility(report),
  };
  process.stdout.write(`${JSON.stringify({ ...round, peakReset: reset, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
  return 0;
}

function runChild(file: string, seeds: number[], tier: Tier): Round & { peakReset: boolean } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/bench.js'), 'utility', '--child', file, '--seeds', String(seeds.length), '--tier', tier], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`utility child failed (${r.status}): ${r.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Round & { peakReset: boolean };
}

// ---- chromium --------------------------------------------------------------------------------------

async function chromiumRound(page: Page, inputUrl: string, seeds: number[], tier: Tier): Promise<Round & { renderer: number | null; backend: string | null }> {
  const call = <K extends keyof UtilityBenchApi>(k: K, ...a: Parameters<UtilityBenchApi[K]>) =>
    page.evaluate(
      ([key, args]) => (window as unknown as { synthlensUtilityBench: Record<string, (...x: unknown[]) => unknown> }).synthlensUtilityBench[key](...args),
      [k, a] as [string, unknown[]],
    ) as Promise<Awaited<ReturnType<UtilityBenchApi[K]>>>;
  await call('load', inputUrl);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  await cdp.send('HeapProfiler.collectGarbage');
  const heap = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? NaN;
  };
  const heapBefore = await heap();
  const renderers = rendererPids();
  const rssBeforeBy = new Map(renderers.map((pid) => [pid, statusKiB(pid, 'VmRSS')]));
  for (const pid of renderers) resetPeakRss(pid);
  const cpu0 = cpuByPid();
  const c0 = childCpuSeconds();
  let heapPeak = heapBefore;
  let running = true;
  const sampler = (async () => {
    while (running) {
      const v = await heap().catch(() => NaN);
      if (Number.isFinite(v)) heapPeak = Math.max(heapPeak, v);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  let res: Awaited<ReturnType<UtilityBenchApi['run']>>;
  try {
    res = await call('run', seeds, tier);
  } finally {
    running = false;
    await sampler;
  }
  heapPeak = Math.max(heapPeak, await heap());
  const cpuMs = (childCpuSeconds() - c0) * 1000;
  // The page's renderer: the renderer process that used the most CPU during the run.
  const cpu1 = cpuByPid();
  let renderer: number | null = null;
  let best = -1;
  for (const pid of renderers) {
    const d = (cpu1.get(pid) ?? 0) - (cpu0.get(pid) ?? 0);
    if (d > best) [best, renderer] = [d, pid];
  }
  const peak = renderer === null ? null : statusKiB(renderer, 'VmHWM');
  const before = renderer === null ? null : (rssBeforeBy.get(renderer) ?? null);
  await cdp.detach();
  return {
    wallMs: res.wallMs,
    cpuMs,
    rssBefore: before === null ? null : before * 1024,
    rssPeak: peak === null ? null : peak * 1024,
    heapBefore,
    heapPeak,
    summary: res.summary,
    renderer,
    backend: res.backend,
  };
}

// ---- features --------------------------------------------------------------------------------------

type PngSet = { name: string; role: BenchSetRole; files: { path: string; label: string; bytes: Uint8Array }[] };

/** The demo (default counts and size) as PNGs per set, paths sorted as a folder walk sorts them. */
async function demoPngs(counts?: typeof APP_DEMO_COUNTS): Promise<PngSet[]> {
  const [{ generateDemo, demoSets }, { encodePngGray8 }, { compareCodePoints }] = await Promise.all([
    import('../src/demo/phantoms.ts'), import('../src/core/png/encode.ts'), import('../src/imaging/dataset.ts'),
  ]);
  return demoSets(generateDemo(counts ? { counts } : undefined)).map((set) => ({
    name: set.name,
    role: set.role,
    files: set.images
      .map((im) => ({ path: im.id, label: im.label as string, bytes: encodePngGray8(im.pixels, set.width, set.height) }))
      .sort((a, b) => compareCodePoints(a.path, b.path)),
  }));
}

async function demoFeatures(
  pngSets: PngSet[], id: 'pixels' | 'mobilenet-v2' | 'cnn-input', cacheDir: string, augmentSeed: number | null, log: (s: string) => void,
): Promise<{ input: UtilityBenchInput; ms: number; cached: number; embedded: number; backend: string }> {
  const [{ initNodeBackend, shippedModelSource }, { loadExtractor }, { DEFAULT_PIPELINE_OPTIONS, processItems }, { DiskFeatureCache }, { describeAugmentationRun }] = await Promise.all([
    import('../src/cli/tfBackend.ts'), import('../src/extractors/registry.ts'), import('../src/pipeline/extract.ts'), import('../src/cli/diskCache.ts'),
    import('../src/imaging/augment.ts'),
  ]);
  const backend = await initNodeBackend('wasm');
  // cnn-input: the images themselves at the cnn tier's size (the pixels extractor at that size), as the app and CLI make them
  const ex =
    id === 'cnn-input'
      ? await loadExtractor('pixels', undefined, { inputSize: DEFAULT_CNN_CONFIG.inputSize, channels: 1, normalise: 'zero-one' })
      : await loadExtractor(id, id === 'pixels' ? undefined : await shippedModelSource(id));
  const cache = await DiskFeatureCache.open(cacheDir);
  // The variety image plays no part in utility: leave it out of the cache records.
  const opts = { ...DEFAULT_PIPELINE_OPTIONS, varietySize: null };
  const t0 = performance.now();
  let cached = 0;
  let embedded = 0;
  const sets: UtilityBenchInput['sets'] = [];
  // The app's simple-augmentation reference: the real training images once more, augmented in the pipeline.
  const real = pngSets.find((p) => p.role === 'real')!;
  const passes = augmentSeed === null ? pngSets : [...pngSets, { ...real, name: 'augmented real', role: 'augmented' as const }];
  let augmentations: string[] | null = null;
  for (const { name, role, files } of passes) {
    const setOpts = role === 'augmented' ? { ...opts, augment: { seed: augmentSeed! } } : opts;
    const rows: Float32Array[] = [];
    const ids: string[] = [];
    const labels: string[] = [];
    const c = await processItems(files.map((f) => ({ path: f.path, label: f.label, read: async () => f.bytes })), ex, cache, setOpts, {
      onItem: (r) => {
        if (!('frames' in r)) throw new Error(`${name}/${r.path}: ${r.skipped}`);
        for (const fr of r.frames) {
          rows.push(fr.feature);
          ids.push(r.path + fr.idSuffix);
          labels.push(r.label!);
        }
      },
    });
    cached += c.cached;
    embedded += c.embedded;
    const data = new Float32Array(rows.length * ex.dim);
    rows.forEach((r, i) => data.set(r, i * ex.dim));
    const fs: FeatureSet = makeFeatureSet(data, rows.length, ex.dim, { ids, labels });
    sets.push({ name, role: role as BenchSetRole, features: fs });
    if (role === 'augmented') augmentations = describeAugmentationRun(fs.n, augmentSeed!);
    log(`  ${id}: ${name}, ${fs.n} images (${c.cached} from the cache) [${((performance.now() - t0) / 1000).toFixed(0)} s]`);
  }
  ex.dispose();
  return { input: { extractor: `${ex.id} (${ex.dim}-d)`, augmentations, sets }, ms: performance.now() - t0, cached, embedded, backend };
}

// ---- main ------------------------------------------------------------------------------------------

const MiB = (b: number | null) => (b === null || !Number.isFinite(b) ? '-' : (b / 2 ** 20).toFixed(0));
const span = (rounds: Round[], f: (r: Round) => number) => {
  const v = rounds.map(f);
  return `${fmt(median(v) / 1000, 2)} [${fmt(Math.min(...v) / 1000, 2)}-${fmt(Math.max(...v) / 1000, 2)}]`;
};
const memCell = (rounds: Round[], before: (r: Round) => number | null, peak: (r: Round) => number | null) => {
  const b = rounds.map(before).filter((x): x is number => x !== null);
  const p = rounds.map(peak).filter((x): x is number => x !== null);
  return p.length ? `${MiB(median(b))} -> ${MiB(median(p))} (+${MiB(median(p) - median(b))})` : 'not available';
};

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      child: { type: 'string' },
      repeats: { type: 'string', default: '3' },
      seeds: { type: 'string', default: '5' },
      extractors: { type: 'string', default: 'pixels,mobilenet-v2' },
      'cache-dir': { type: 'string', default: join(tmpdir(), 'synthlens-bench-utility-cache') },
      'augment-seed': { type: 'string', default: String(APP_RUN_SEED) },
      'no-augment': { type: 'boolean', default: false },
      'no-browser': { type: 'boolean', default: false },
      tiers: { type: 'string', default: 'probe,cnn' },
      tier: { type: 'string', default: 'probe' },
      'cnn-repeats': { type: 'string', default: '1' },
    },
  });
  const seeds = Array.from({ length: Number(values.seeds) }, (_, i) => i + 1);
  if (values.child) return child(values.child, seeds, values.tier as Tier);

  const tiers = values.tiers.split(',').map((s) => s.trim()) as Tier[];
  const ids = tiers.includes('probe') ? (values.extractors.split(',').map((s) => s.trim()) as ('pixels' | 'mobilenet-v2')[]) : [];
  const tStart = performance.now();
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const load0 = loadavg();
  log(`bench utility: ${cpus().length} CPUs, node ${process.version}, load average ${load0.map((x) => x.toFixed(1)).join(' ')}, feature cache ${values['cache-dir']}`);

  const notes: string[] = [];
  const inputs: { id: string; tier: Tier; repeats: number; label: string; file: string; input: UtilityBenchInput }[] = [];
  const augmentSeed = values['no-augment'] ? null : Number(values['augment-seed']);
  const jobs: { id: 'pixels' | 'mobilenet-v2' | 'cnn-input'; tier: Tier }[] = [...ids.map((id) => ({ id, tier: 'probe' as const })), ...(tiers.includes('cnn') ? [{ id: 'cnn-input' as const, tier: 'cnn' as const }] : [])];
  const pngSets = ids.length ? await demoPngs() : [];
  const appPngSets = tiers.includes('cnn') ? await demoPngs(APP_DEMO_COUNTS) : [];
  for (const { id, tier } of jobs) {
    const f = await demoFeatures(tier === 'cnn' ? appPngSets : pngSets, id, values['cache-dir'], augmentSeed, log);
    const file = join(tmpdir(), `synthlens-bench-utility-${id}-${process.pid}.bin`);
    writeFileSync(file, encodeUtilityInput(f.input));
    const n = f.input.sets.map((s) => `${s.name} ${s.features.n}`).join(', ');
    const dim = f.input.sets[0].features.dim;
    const label = tier === 'cnn' ? `cnn tier, ${Math.sqrt(dim)} px images` : `probe, ${id} ${dim}-d`;
    inputs.push({ id, tier, repeats: tier === 'cnn' ? Number(values['cnn-repeats']) : Number(values.repeats), label, file, input: f.input });
    notes.push(
      `${label}: ${n}; ${tier === 'cnn' ? 'images prepared' : 'extracted'} in Node (TF.js ${f.backend}) in ${(f.ms / 1000).toFixed(1)} s, ${f.embedded} computed, ${f.cached} from the disk cache`,
    );
  }

  const results: { label: string; tier: Tier; node: Round[]; chromium: (Round & { renderer: number | null; backend: string | null })[] }[] = inputs.map((i) => ({
    label: i.label, tier: i.tier, node: [], chromium: [],
  }));
  const why = values['no-browser'] ? 'skipped (--no-browser)' : chromiumUnavailable();
  let server: Awaited<ReturnType<typeof startDevServer>> | null = null;
  let browser: Awaited<ReturnType<typeof launchChromium>> | null = null;
  let version = '';
  const pageErrors: string[] = [];
  let nodePeakReset = true;
  try {
    if (!why) {
      server = await startDevServer();
      browser = await launchChromium();
      version = browser.version();
    }
    for (const [k, inp] of inputs.entries()) {
      const bytes = readFileSync(inp.file);
      const repeats = inp.repeats;
      for (let r = 0; r < repeats; r++) {
        log(`  ${inp.label}: round ${r + 1} of ${repeats}, Node [${((performance.now() - tStart) / 1000).toFixed(0)} s]`);
        const nr = runChild(inp.file, seeds, inp.tier);
        nodePeakReset &&= nr.peakReset;
        results[k].node.push(nr);
        if (browser && server) {
          log(`  ${inp.label}: round ${r + 1} of ${repeats}, chromium [${((performance.now() - tStart) / 1000).toFixed(0)} s]`);
          const { page, errors } = await openHarness(browser, server.url, 'bench/harness/utility.html');
          const inputUrl = new URL('/__bench/utility-input.bin', server.url).href;
          await page.route(inputUrl, (route) => route.fulfill({ status: 200, body: bytes, headers: { 'Content-Type': 'application/octet-stream' } }));
          results[k].chromium.push(await chromiumRound(page, inputUrl, seeds, inp.tier));
          pageErrors.push(...errors);
          await page.close();
        }
      }
    }
  } finally {
    await browser?.close().catch(() => {});
    await server?.server.close();
    for (const i of inputs) rmSync(i.file, { force: true });
  }

  // ---- table ----
  const rows: string[][] = [];
  for (const res of results) {
    const nodeMed = median(res.node.map((r) => r.wallMs));
    const nodeCpu = median(res.node.map((r) => r.cpuMs));
    const add = (where: string, rounds: Round[], ratio: string) => {
      if (!rounds.length) return;
      rows.push([
        res.label, where, String(rounds[0].summary.probes), span(rounds, (r) => r.wallMs), fmt(median(rounds.map((r) => r.cpuMs)) / 1000, 2),
        memCell(rounds, (r) => r.rssBefore, (r) => r.rssPeak), memCell(rounds, (r) => r.heapBefore, (r) => r.heapPeak), ratio,
      ]);
    };
    add('Node', res.node, '1 / 1');
    const cw = median(res.chromium.map((r) => r.wallMs));
    const cc = median(res.chromium.map((r) => r.cpuMs));
    add('chromium', res.chromium, `${fmt(cw / nodeMed, 2)} / ${fmt(cc / nodeCpu, 2)}`);
    if (!res.chromium.length) rows.push([res.label, 'chromium', '-', `not run: ${why}`, '', '', '', '']);
  }

  // Same results in both, and what the run found.
  for (const res of results) {
    const ref = res.node[0]?.summary;
    if (!ref) continue;
    const all = [...res.node, ...res.chromium].map((r) => r.summary.accuracies);
    let maxDiff = 0;
    for (const a of all) for (let i = 0; i < ref.accuracies.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - ref.accuracies[i]));
    const gains = Object.entries(ref.gains).map(([k, v]) => `${k} ${v === null ? '-' : `${v >= 0 ? '+' : ''}${v.toFixed(1)}%`}`).join(', ');
    notes.push(
      `${res.label}: baseline accuracy ${ref.baselineAccuracy?.toFixed(3) ?? '-'}; mean intra-task gain ${gains}` +
        `${ref.augmentationGain === null ? '' : `; simple augmentation ${ref.augmentationGain >= 0 ? '+' : ''}${ref.augmentationGain.toFixed(1)}%`}; ` +
        `per-seed accuracies (${ref.accuracies.length}) ${maxDiff === 0 ? 'identical' : `differ by up to ${maxDiff.toExponential(1)}`} across every Node and chromium round`,
    );
  }
  for (const tier of ['probe', 'cnn'] as const) {
    const first = results.find((r) => r.tier === tier)?.node[0]?.summary;
    if (first) notes.push(`${tier} settings: ${first.settings}`);
  }
  const cnnRes = results.find((r) => r.tier === 'cnn');
  if (cnnRes?.chromium[0]) notes.push(`cnn tier in chromium: TF.js backend ${cnnRes.chromium[0].backend} (initBrowserBackend, as the app's engine worker)`);
  if (results.length) {
    notes.push(`skipped, as in the app's demo run: ${[...new Set(results.flatMap((r) => r.node[0]?.summary.skipped ?? []))].join('; ') || 'nothing'}`);
  }
  if (version) notes.push(`chromium ${version} (headless, Debian), page from the Vite dev server, the runner on the page's main thread`);
  if (!nodePeakReset) notes.push('Node: /proc/self/clear_refs refused, so the Node peak RSS includes reading the input');
  if (pageErrors.length) notes.push(`page errors: ${[...new Set(pageErrors)].slice(0, 3).join(' | ')}`);
  const load1 = loadavg();
  notes.push(`load average at the start ${load0.map((x) => x.toFixed(1)).join(' ')}, at the end ${load1.map((x) => x.toFixed(1)).join(' ')} (2 shared cores: CPU time is the steadier figure)`);

  const out = [
    `Utility on the demo phantoms, seeds 1-${seeds.length}: probe tier (runUtility with DEFAULT_PROBE_CONFIG, the benchmark's default demo sizes) and ` +
      `cnn tier (runCnnUtility with DEFAULT_CNN_CONFIG, the app's demo sizes); sets per row in the notes; ` +
      `time = wall seconds, median [min-max] over the rounds (probe ${values.repeats}, cnn ${values['cnn-repeats']}; Node and chromium alternating), CPU = median CPU seconds ` +
      '(Node: the child process; chromium: every chromium process); RSS = resident memory before the run -> peak during it ' +
      '(Node: the child process, chromium: the page\'s renderer process); JS heap = V8 heap in use before -> peak (typed-array data lives outside it, in the RSS); ' +
      'chromium / Node = ratio of median wall / CPU times (> 1: chromium slower)',
    ...table(['tier, input', 'where', 'models', 'time s', 'CPU s', 'RSS MiB', 'JS heap MiB', 'chromium / Node'], rows, 2),
    '',
    ...notes.map((n) => `- ${n}`),
  ];
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}

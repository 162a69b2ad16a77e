/**
 * Where the browser extraction pipeline's time goes, per image: the Chrome DevTools Protocol Profiler (sampling,
 * 200 µs) on the thread that runs src/pipeline/extract.ts processItems, in Debian's chromium (the harness of
 * `npm run bench -- extract-browser`, bench/harness/extract.html, from the Vite dev server), MobileNetV2 on wasm,
 * demo phantom PNGs at 256 px.
 *
 *   npx tsx bench/harness/profileExtract.ts [--where page|worker] [--images 32] [--rounds 3] [--batch 16]
 *                                          [--model] [--save out.cpuprofile]
 *
 * page: processItems on the page's thread (no cache), batches of --batch frames; --model also profiles the model
 * alone (extractor.embed on a ready batch) for comparison. worker: a PipelinePool of one worker (as the app runs
 * it: batches of CPU_BATCH_SIZE on wasm, files read on the page and transferred), profiled through the page
 * session's auto-attached worker target. After a warm-up run, --rounds runs of --images images are profiled.
 * Prints ms per image: a breakdown by stage (inclusive time of the pipeline's functions, self time of the
 * libraries under them), then self time by file and by function.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { CDPSession } from 'playwright-core';
import type { ExtractBenchApi } from './extract.ts';
import { launchChromium, openHarness, startDevServer } from './driver.ts';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string }; children?: number[] }
interface CpuProfile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

const shortUrl = (u: string) => u.replace(/^.*\/(node_modules\/\.vite\/deps\/|src\/)/, '$1').replace(/\?.*$/, '').replace(/^https?:.*\//, '');

/** The report for `p`, `per` images: stages, then self time by file and by function, in ms per image. */
export function breakdown(p: CpuProfile, per: number): string[] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const incl = new Map<string, number>();
  const selfFn = new Map<string, number>();
  const selfFile = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const ms = (p.timeDeltas[i + 1] ?? 0) / 1000;
    total += ms;
    const leaf = byId.get(p.samples[i])!.callFrame;
    const file = shortUrl(leaf.url);
    add(selfFn, `${leaf.functionName || '(anonymous)'} ${file}`, ms);
    add(selfFile, file || leaf.functionName, ms);
    const seen = new Set<string>();
    for (let id: number | undefined = p.samples[i]; id !== undefined; id = parent.get(id)) {
      const name = byId.get(id)!.callFrame.functionName;
      if (!seen.has(name)) add(incl, name, ms);
      seen.add(name);
    }
  }
  const selfOf = (re: RegExp) => [...selfFn].filter(([k]) => re.test(k)).reduce((a, [, v]) => a + v, 0);
  const fmt = (v: number) => (v / per).toFixed(2).padStart(8);
  const stages: [string, number][] = [
    ['all samples', total],
    ['embed (model + TF.js), inclusive', incl.get('embed') ?? 0],
    ['  wasm kernels', selfOf(/\.wasm$/)],
    ['  TF.js JavaScript', selfOf(/(tfjs|dist-)[^ ]*\.js$/)],
    ['read the file bytes, inclusive', incl.get('read') ?? 0],
    ['SHA-256, inclusive', incl.get('sha256Hex') ?? 0],
    ['decodeImage, inclusive', incl.get('decodeImage') ?? 0],
    ['  inflate (fflate)', selfOf(/fflate\.js$/)],
    ['  PNG unfilter, CRC (fast-png)', selfOf(/fast-png\.js$/)],
    ['  samples to float (normalizeInterleaved)', selfOf(/^normalizeInterleaved /)],
    ['preprocess (model input), inclusive', incl.get('preprocess') ?? 0],
    ['thumbnail, inclusive', incl.get('thumbnail') ?? 0],
    ['toGray8 (variety image), inclusive', incl.get('toGray8') ?? 0],
    ['flush, self (batch assembly)', selfOf(/^flush /)],
    ['postMessage + Comlink', selfOf(/^postMessage |comlink\.js$/)],
    ['garbage collector', selfOf(/^\(garbage collector\)/)],
    ['idle', selfOf(/^\(idle\)/)],
  ];
  const top = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${fmt(v)}  ${k}`);
  return [
    '-- stages (ms per image)',
    ...stages.map(([k, v]) => `${fmt(v)}  ${k}`),
    '-- self time by file',
    ...top(selfFile, 20),
    '-- self time by function',
    ...top(selfFn, 30),
  ];
}

/** Sends CDP commands to a worker through the page session (non-flat child session of Target.setAutoAttach). */
async function workerChannel(cdp: CDPSession) {
  const sessions: string[] = [];
  const waiting = new Map<number, (r: unknown) => void>();
  let nextId = 1;
  const anyCdp = cdp as unknown as { on(e: string, f: (x: never) => void): void; send(m: string, p?: object): Promise<unknown> };
  anyCdp.on('Target.attachedToTarget', (e: { sessionId: string; targetInfo: { type: string } }) => {
    if (e.targetInfo.type === 'worker') sessions.push(e.sessionId);
  });
  anyCdp.on('Target.receivedMessageFromTarget', (e: { message: string }) => {
    const m = JSON.parse(e.message) as { id?: number; result?: unknown; error?: unknown };
    if (m.id !== undefined && waiting.has(m.id)) {
      waiting.get(m.id)!(m.result ?? m.error);
      waiting.delete(m.id);
    }
  });
  await anyCdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
  return {
    sessions,
    send: (sessionId: string, method: string, params: object = {}) =>
      new Promise<unknown>((resolve) => {
        const id = nextId++;
        waiting.set(id, resolve);
        void anyCdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) });
      }),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      where: { type: 'string', default: 'page' },
      images: { type: 'string', default: '32' },
      rounds: { type: 'string', default: '3' },
      batch: { type: 'string', default: '16' },
      model: { type: 'boolean', default: false },
      save: { type: 'string' },
    },
  });
  const n = Number(values.images);
  const rounds = Number(values.rounds);
  const batch = Number(values.batch);
  const { server, url } = await startDevServer();
  const browser = await launchChromium();
  try {
    const { page } = await openHarness(browser, url, 'bench/harness/extract.html');
    const call = <K extends keyof ExtractBenchApi>(k: K, ...a: Parameters<ExtractBenchApi[K]>) =>
      page.evaluate(([key, args]) => (window as unknown as { synthlensBench: Record<string, (...x: unknown[]) => unknown> }).synthlensBench[key](...args), [k, a] as [string, unknown[]]) as Promise<Awaited<ReturnType<ExtractBenchApi[K]>>>;
    await call('images', n, 256);
    const cdp = await page.context().newCDPSession(page);
    const runs: { label: string; start(): Promise<void>; stop(): Promise<CpuProfile>; once(): Promise<number> }[] = [];
    if (values.where === 'worker') {
      const ch = await workerChannel(cdp);
      await call('poolStart', 'profiled', 1, 'mobilenet-v2', batch, false);
      await call('poolTime', 'profiled', n, 'embedded', 0);
      const w = ch.sessions.at(-1);
      if (!w) throw new Error('no worker target attached');
      await ch.send(w, 'Profiler.enable');
      await ch.send(w, 'Profiler.setSamplingInterval', { interval: 200 });
      runs.push({
        label: 'pipeline worker (pool of 1)',
        start: async () => void (await ch.send(w, 'Profiler.start')),
        stop: async () => ((await ch.send(w, 'Profiler.stop')) as { profile: CpuProfile }).profile,
        once: async () => (await call('poolTime', 'profiled', n, 'embedded', 0)).ms,
      });
    } else {
      await call('backend', 'wasm');
      await call('load', 'mobilenet-v2', batch, n);
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      const kinds = values.model ? (['pipeline', 'model'] as const) : (['pipeline'] as const);
      for (const kind of kinds) {
        await call('time', kind, n, 0);
        runs.push({
          label: `page thread: ${kind === 'model' ? 'model alone' : 'pipeline'}`,
          start: async () => void (await cdp.send('Profiler.start')),
          stop: async () => (await cdp.send('Profiler.stop')).profile as unknown as CpuProfile,
          once: async () => (await call('time', kind, n, 0)).ms,
        });
      }
    }
    for (const r of runs) {
      await r.start();
      let ms = 0;
      for (let i = 0; i < rounds; i++) ms += await r.once();
      const profile = await r.stop();
      if (values.save) writeFileSync(runs.length > 1 ? values.save.replace(/(\.cpuprofile)?$/, `.${runs.indexOf(r)}.cpuprofile`) : values.save, JSON.stringify(profile));
      process.stdout.write(`== ${r.label}: ${n} images x ${rounds} rounds, ${(ms / rounds / n).toFixed(2)} ms per image of wall time under the profiler\n`);
      process.stdout.write(breakdown(profile, n * rounds).join('\n') + '\n');
    }
  } finally {
    await browser.close();
    await server.close();
  }
}

await main();

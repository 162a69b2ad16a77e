/**
 * The neighbour engine's Web Worker pool in the BUILT app (vite build + vite preview, cross-origin isolated):
 * the app's engine worker (its bundled script, driven with Comlink's wire messages) evaluates seeded features
 * large enough to cross the engine's default parallel threshold (4e9 FLOPs: 3,000 x 3,000 rows, d = 512),
 * once on its own thread (setEngineThreads(1)) from plain ArrayBuffers, and once with a pool of 2 nested
 * engine threads (engineThread.worker.ts) from feature sets already on SharedArrayBuffers (shared, not
 * transferred, through evaluateTransferred). Everything must be identical: the report's metrics (precision,
 * recall, density, coverage, DCR, fidelity, privacy, FID, KID (its sums taken from the passes' float32 products), Vendi), the per-image nearest real, distance,
 * k-NN radii and copy assignments, and every DCR distance; and the pool must have run: the report's
 * engine.workers is 2 and the pool's counters show the dense statistics (Gaussian fits, FID, Vendi) and the three
 * passes on two wasm threads.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { readdirSync } from 'node:fs';
import { launch, watchErrors } from './browser';

describe('neighbour engine on a pool of Web Workers (built app)', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('gives results identical to one thread, and the pool runs', async () => {
    const script = readdirSync('dist/assets').find((f) => /^engine\.worker-[\w-]+\.js$/.test(f));
    expect(script, 'the build emits the engine worker').toBeTruthy();
    expect(readdirSync('dist/assets').some((f) => /^engineThread\.worker-[\w-]+\.js$/.test(f)), 'the build emits the engine thread').toBe(true);
    const base = inject('baseUrl');
    const page = await browser.newPage();
    const errors = watchErrors(page);
    await page.goto(base);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);

    const out = await page.evaluate(async (workerUrl) => {
      // --- a Comlink client in a few lines (the app's bundle does not expose one)
      const w = new Worker(workerUrl, { type: 'module' });
      const pending = new Map<string, { resolve(v: unknown): void; reject(e: Error): void }>();
      w.addEventListener('message', (ev: MessageEvent) => {
        const d = ev.data as { id: string; type: string; name?: string; value: unknown };
        const p = pending.get(d.id);
        if (!p) return;
        pending.delete(d.id);
        if (d.type === 'HANDLER' && d.name === 'throw') {
          const v = (d.value as { value: { message?: string } }).value;
          p.reject(new Error(v?.message ?? String(v)));
        } else p.resolve(d.value);
      });
      let seq = 0;
      const call = <T>(name: string, args: unknown[], transfer: Transferable[] = []) =>
        new Promise<T>((resolve, reject) => {
          const id = `e2e-${seq++}`;
          pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
          w.postMessage({ id, type: 'APPLY', path: [name], argumentList: args.map((value) => ({ type: 'RAW', value })) }, transfer);
        });

      // --- seeded features: 12 clusters in d = 512, duplicate reals, synthetic copies of reals
      const n = 3000;
      const dim = 512;
      let s = 12345;
      const rand = () => {
        s = (s + 0x6d2b79f5) | 0;
        let t = Math.imul(s ^ (s >>> 15), 1 | s);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
      const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
      const centres = Array.from({ length: 12 }, () => Float64Array.from({ length: dim }, () => 3 * gauss()));
      const fill = (data: Float32Array, shift: number) => {
        for (let i = 0; i < n; i++) {
          const c = centres[i % centres.length];
          for (let j = 0; j < dim; j++) data[i * dim + j] = c[j] + shift + gauss();
        }
      };
      const make = (shared: boolean) => {
        const buf = (bytes: number) => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
        const real = new Float32Array(buf(n * dim * 4));
        const synth = new Float32Array(buf(n * dim * 4));
        s = 12345;
        fill(real, 0);
        fill(synth, 0.05);
        for (let i = 0; i < 40; i++) real.copyWithin((i * 7 + 1) * dim, (i * 7) * dim, (i * 7 + 1) * dim); // duplicate reals (rho_1 = 0)
        for (let i = 0; i < 60; i++) synth.set(real.subarray((i * 31) * dim, (i * 31 + 1) * dim), (i * 43) * dim); // exact copies
        const ids = (p: string) => Array.from({ length: n }, (_, i) => `${p}${i}`);
        const fs = (data: Float32Array, p: string) => ({ ids: ids(p), labels: null, n, dim, kind: 'continuous', data });
        return {
          real: fs(real, 'r'),
          synthetic: [{ name: 'synth', features: fs(synth, 's') }],
          holdout: null,
          config: { k: 5, tau: 0.05, seed: 7, kidSubsetSize: 200, kidSubsets: 4 },
          // KID's sums from the three passes' float32 products (kidSums.ts), on the pool's threads too
          kidProducts: 'float32',
        };
      };

      const backend = await call<string>('initBackend', []);
      // one thread, plain buffers
      const one = await call<number>('setEngineThreads', [1]);
      let t0 = performance.now();
      const a = await call<{ report: { sets: Record<string, unknown>[] }; assignments: Map<string, Record<string, ArrayLike<number>>>; syntheticDcrDistances: Map<string, Float64Array> }>(
        'evaluate', [make(false)]);
      const msOne = performance.now() - t0;
      // a pool of two, sets on shared memory (evaluateTransferred: nothing in the transfer list)
      const two = await call<number>('setEngineThreads', [2]);
      const input = make(true);
      t0 = performance.now();
      const back = await call<{ result: typeof a; real: { data: Float32Array } }>('evaluateTransferred', [input]);
      const msTwo = performance.now() - t0;
      const b = back.result;
      const stats = await call<unknown>('engineThreadStats', []);
      w.terminate();

      // --- comparison
      const mismatches: string[] = [];
      const same = (what: string, x: ArrayLike<number> | null | undefined, y: ArrayLike<number> | null | undefined) => {
        if (!x || !y) {
          if (x !== y) mismatches.push(`${what}: ${x} vs ${y}`);
          return;
        }
        if (x.length !== y.length) return void mismatches.push(`${what}: length ${x.length} vs ${y.length}`);
        for (let i = 0; i < x.length; i++) {
          if (!Object.is(x[i], y[i])) return void mismatches.push(`${what}[${i}]: ${x[i]} vs ${y[i]}`);
        }
      };
      const setA = a.report.sets[0] as { engine: Record<string, unknown> };
      const setB = b.report.sets[0] as { engine: Record<string, unknown> };
      // engine statistics other than the pairs visited depend on how units fell to threads (parallel.ts)
      const strip = (x: { engine: Record<string, unknown> }) => JSON.stringify({ ...x, engine: { ...x.engine, workers: undefined, exactPairs: undefined } });
      if (strip(setA) !== strip(setB)) mismatches.push(`report set: ${strip(setA)} vs ${strip(setB)}`);
      const asA = a.assignments.get('synth')!;
      const asB = b.assignments.get('synth')!;
      for (const key of ['nearestReal', 'distance', 'rho1', 'rhoK', 'set', 'copyOf']) same(`assignments.${key}`, asA[key], asB[key]);
      same('syntheticDcrDistances', a.syntheticDcrDistances.get('synth'), b.syntheticDcrDistances.get('synth'));
      const copies = Array.from(asA.set as Uint8Array).filter((v) => v === 0).length;
      const timings = (r: typeof a) => (r.report as unknown as { timings: Record<string, number> }).timings;
      return {
        backend, one, two, msOne, msTwo, timingsOne: timings(a), timingsTwo: timings(b), stats, mismatches, copies,
        engineA: setA.engine, engineB: setB.engine,
        metrics: (setA as unknown as { metrics: Record<string, unknown> }).metrics,
        backShared: back.real.data.buffer instanceof SharedArrayBuffer,
      };
    }, new URL(`assets/${script}`, base).href);

    console.log(
      `engine pool e2e: backend ${out.backend}; one thread ${(out.msOne / 1000).toFixed(1)} s (first run: includes warm-up), pool of 2 ${(out.msTwo / 1000).toFixed(1)} s (whole evaluate; not a speed comparison); ` +
        `engine ${JSON.stringify(out.engineB)}; pool ${JSON.stringify(out.stats)}; ` +
        `timings one ${JSON.stringify(out.timingsOne)}, two ${JSON.stringify(out.timingsTwo)}`,
    );
    expect(out.mismatches).toEqual([]);
    expect(out.one).toBe(1);
    expect(out.two).toBe(2);
    expect(out.engineA.workers).toBe(1);
    expect(out.engineB.workers).toBe(2);
    expect(out.engineB.method).toBe('tf-float32-refined');
    // the dense statistics' two rounds (Gaussian fits; FID and Vendi: denseParallel.ts, 5e9 FLOPs here), then the real
    // radii, the synthetic radii (recall) and the S x R pass, each on both threads
    expect(out.stats).toMatchObject({ size: 2, runs: 5, inlineRuns: 0, backends: ['wasm', 'wasm'], startError: null });
    expect((out.stats as { units: number }).units).toBeGreaterThanOrEqual(6);
    // the data set is not trivial: the planted copies are found, the metrics are not degenerate
    expect(out.copies).toBeGreaterThanOrEqual(60);
    const m = out.metrics as { precision: number; recall: number; coverage: number; privacy: number; kid: { products: string; mean: number } };
    expect(m.kid.products).toBe('float32');
    expect(Number.isFinite(m.kid.mean)).toBe(true);
    for (const v of [m.precision, m.recall, m.coverage]) expect(v).toBeGreaterThan(0.05);
    // shared sets come back shared (nothing was transferred, nothing copied back)
    expect(out.backShared).toBe(true);
    expect(errors).toEqual([]);
  }, 300_000);
});

/**
 * kidParallel (src/core/metrics/kid.ts) on the engine pool's 'kid' task (src/core/neighbours/parallel.ts):
 * the same mean and std as kid() on this thread, bit for bit, with 2 and 3 threads, for every way of
 * cutting the work (the direct engine's subsets; a set used whole, with its row blocks and the other
 * set's; the shared engine's union row blocks), and on any split of the units over threads; the
 * numpy references of tests/fixtures/moments/kid.json (make_reference.py: torch-fidelity's mmd2 on
 * the same subsets) on the pool; abort; the threshold that keeps small KIDs on this thread.
 *
 * Threads: BrowserEnginePool over in-process MessageChannels (serveEngineThread on the other end,
 * so the task and the partials go through structured cloning and transfer as between Web Workers),
 * and one NodeEnginePool of 2 worker_threads (real threads).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kid, kidParallel, type KidOptions } from '../../../src/core/metrics/kid.ts';
import {
  EngineTaskRunner, getEnginePool, setEnginePool,
  type EnginePool,
} from '../../../src/core/neighbours/parallel.ts';
import { BrowserEnginePool } from '../../../src/workers/browserEnginePool.ts';
import { channelThread, Recording, SplitPool } from './poolDoubles.ts';
import { NodeEnginePool } from '../../../src/cli/enginePool.ts';
import type { FeatureSet } from '../../../src/core/features/featureSet.ts';
import { features } from '../../fixtures/moments/inputs.ts';

const ref = JSON.parse(readFileSync(join(__dirname, '../../fixtures/moments/kid.json'), 'utf8'));

const g = (seed: number, n: number, d: number, shift = 0) => features({ seed, n, d, shift, spread: 1, corr: 0.2 });

/** Inputs that cut the work every way (small blockValues: several kernel blocks per subset and per row range). */
const shapes: { name: string; a: FeatureSet; b: FeatureSet; opts: KidOptions; kinds: number[] }[] = [
  { name: 'direct, subsets only', a: g(11, 120, 24), b: g(12, 100, 24, 0.3), opts: { subsetSize: 30, subsets: 9, engine: 'direct', blockValues: 400 }, kinds: [0] },
  { name: 'real set used whole', a: g(13, 30, 20), b: g(14, 150, 20, 0.2), opts: { subsetSize: 40, subsets: 7, blockValues: 600 }, kinds: [0, 1, 2] },
  { name: 'synthetic set used whole', a: g(15, 160, 12), b: g(16, 30, 12, 0.2), opts: { subsetSize: 30, subsets: 6, engine: 'direct', blockValues: 700 }, kinds: [0, 1, 2] },
  { name: 'shared engine (union rows)', a: g(17, 80, 16), b: g(18, 70, 16, 0.1), opts: { subsetSize: 30, subsets: 40, blockValues: 2000 }, kinds: [3] },
];

function expectSame(x: { mean: number; std: number; subsetSize: number; subsets: number; note?: string }, y: typeof x): void {
  expect(Object.is(x.mean, y.mean)).toBe(true);
  expect(Object.is(x.std, y.std)).toBe(true);
  expect([x.subsetSize, x.subsets, x.note]).toEqual([y.subsetSize, y.subsets, y.note]);
}

describe('kidParallel on the engine pool', () => {
  const node = new NodeEnginePool(2, 'cpu');
  afterAll(() => node.close());

  it('BrowserEnginePool threads (2 and 3): kid() bit for bit, every way of cutting the work', async () => {
    for (const size of [2, 3]) {
      const browser = new BrowserEnginePool(size, () => channelThread(), { idleMs: 0 });
      for (const s of shapes) {
        const pool = new Recording(browser);
        const r = await kidParallel(s.a, s.b, { ...s.opts, pool, parallelMinFlops: 0 });
        expectSame(r, kid(s.a, s.b, s.opts));
        expect(r.workers).toBeGreaterThanOrEqual(2);
        expect(r.workers).toBeLessThanOrEqual(size);
        expect(pool.runs).toBe(1);
        expect([...new Set(pool.units[0].map((u) => u[2]))].sort()).toEqual(s.kinds);
        expect(pool.unitsRun).toBe(pool.units[0].length);
        // a task, not a neighbour pass: no tile cache cap added
        expect('opts' in pool.tasks[0]).toBe(false);
      }
      expect(browser.stats()).toMatchObject({ size, inlineRuns: 0, startError: null });
      await browser.close();
    }
  }, 20_000);

  it('BrowserEnginePool whose threads cannot start: the units on the calling thread, the same values', async () => {
    const pool = new BrowserEnginePool(2, () => channelThread(Promise.reject(new Error('no wasm here'))), { idleMs: 0 });
    const s = shapes[1];
    const r = await kidParallel(s.a, s.b, { ...s.opts, pool, parallelMinFlops: 0 });
    expectSame(r, kid(s.a, s.b, s.opts));
    expect(r.workers).toBe(1);
    expect(pool.stats()).toMatchObject({ runs: 0, inlineRuns: 1, startError: expect.stringMatching(/no wasm here/) });
    await pool.close();
  });

  it('any split of the units over threads, in any order, gives the same values', async () => {
    const splits: ((i: number, n: number) => number)[] = [() => 0, (i) => i, (i, n) => (i < n / 2 ? 1 : 0), (i) => (i * 7) % 3];
    for (const s of shapes) {
      const one = kid(s.a, s.b, s.opts);
      for (const assign of splits) {
        const r = await kidParallel(s.a, s.b, { ...s.opts, pool: new SplitPool(3, assign), parallelMinFlops: 0 });
        expectSame(r, one);
        expect(r.workers).toBe(3);
      }
    }
  });

  it('NodeEnginePool (2 worker threads): kid() bit for bit', async () => {
    for (const s of [shapes[0], shapes[1], shapes[3]]) {
      const r = await kidParallel(s.a, s.b, { ...s.opts, pool: node, parallelMinFlops: 0 });
      expectSame(r, kid(s.a, s.b, s.opts));
      expect(r.workers).toBeGreaterThanOrEqual(1);
      expect(r.workers).toBeLessThanOrEqual(2);
    }
  }, 30_000);

  it('the numpy references (same subsets), on 2 threads', async () => {
    const pool = new BrowserEnginePool(2, () => channelThread(), { idleMs: 0 });
    for (const c of ref.cases) {
      const a = features(c.a), b = features(c.b);
      for (const engine of c.subsetSize >= 1000 ? [undefined] : [undefined, 'direct', 'shared'] as const) {
        // default blocks (a small union may be one block: then this thread), and small ones (many units);
        // the m = 1000 case's union (2,400 rows) is 3 blocks by default
        for (const blockValues of c.subsetSize >= 1000 ? [undefined] : [undefined, 1500]) {
          const opts = { ...c.opts, engine, blockValues };
          const r = await kidParallel(a, b, { ...opts, pool, parallelMinFlops: 0 });
          expect(Math.abs(r.mean - c.mean)).toBeLessThanOrEqual(1e-9 * Math.abs(c.mean));
          expect(Math.abs(r.std - c.std)).toBeLessThanOrEqual(1e-9 * Math.abs(c.std) + 1e-12);
          const one = kid(a, b, opts);
          expectSame(r, one);
          expect(r.warnings).toEqual(one.warnings);
          // m equal to both set sizes: one MMD^2, nothing to split
          if (c.subsetSize === c.a.n && c.subsetSize === c.b.n) expect(r.workers).toBe(1);
          else if (blockValues || c.subsetSize >= 1000) expect(r.workers).toBe(2);
        }
      }
    }
    await pool.close();
  }, 20_000);

  it('abort: rejects with the signal\'s reason, stops the threads between units, and the pool stays usable', async () => {
    const s = shapes[0];
    const opts = { ...s.opts, subsets: 60 };
    for (const inner of [new BrowserEnginePool(2, () => channelThread(), { idleMs: 0 }), node]) {
      const ac = new AbortController();
      const pool = new Recording(inner, ac);
      await expect(kidParallel(s.a, s.b, { ...opts, pool, parallelMinFlops: 0, signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
      expect(Atomics.load(pool.tasks[0].abort, 0)).toBe(1);
      expect(pool.unitsRun).toBeLessThan(pool.units[0].length);
      // an aborted signal is refused before any work
      await expect(kidParallel(s.a, s.b, { ...opts, pool, parallelMinFlops: 0, signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
      expect(pool.runs).toBe(1);
      // the same threads run the next KID
      const r = await kidParallel(s.a, s.b, { ...opts, pool: inner, parallelMinFlops: 0 });
      expectSame(r, kid(s.a, s.b, opts));
      if (inner instanceof BrowserEnginePool) {
        expect(inner.stats()).toMatchObject({ runs: 2, inlineRuns: 0 });
        await inner.close();
      }
    }
  }, 30_000);

  it('a set abort cell stops a thread before its next subset', async () => {
    const s = shapes[0];
    const pool = new Recording(new SplitPool(2, (i) => i));
    await kidParallel(s.a, s.b, { ...s.opts, pool, parallelMinFlops: 0 });
    const task = pool.tasks[0];
    const runner = await EngineTaskRunner.start(task);
    expect(await runner.runUnit([0, 2, 0])).toBe(2);
    Atomics.store(task.abort, 0, 1);
    await expect(runner.runUnit([2, 3, 0])).rejects.toThrow(/KID aborted/);
    runner.dispose();
  });
});

describe('kidParallel stays on this thread below the threshold', () => {
  // direct engine, no set whole: 2 m^2 kernel entries per subset (4 m^2 products of d, 2 FLOPs each)
  const a = g(21, 90, 10), b = g(22, 80, 10, 0.2);
  const opts = { subsetSize: 20, subsets: 5, engine: 'direct' as const };
  const flops = 2 * 10 * 5 * (2 * 20 * 20);

  it('uses the pool from exactly parallelMinFlops useful FLOPs; default 4e9', async () => {
    const one = kid(a, b, opts);
    const pool = new Recording(new SplitPool(2, (i) => i));
    const below = await kidParallel(a, b, { ...opts, pool, parallelMinFlops: flops + 1 });
    expectSame(below, one);
    expect(below.workers).toBe(1);
    expect(pool.runs).toBe(0);
    expect((await kidParallel(a, b, { ...opts, pool })).workers).toBe(1);
    expect(pool.runs).toBe(0);
    const at = await kidParallel(a, b, { ...opts, pool, parallelMinFlops: flops });
    expectSame(at, one);
    expect(at.workers).toBe(2);
    expect(pool.runs).toBe(1);
  });

  it('pool: null, a pool of one, or no registered pool: this thread; undefined: the registered pool', async () => {
    const one = kid(a, b, opts);
    const pool = new Recording(new SplitPool(2, (i) => i));
    const single = new Recording(new SplitPool(1, () => 0));
    const before = getEnginePool();
    try {
      setEnginePool(pool);
      expect((await kidParallel(a, b, { ...opts, pool: null, parallelMinFlops: 0 })).workers).toBe(1);
      expect((await kidParallel(a, b, { ...opts, pool: single, parallelMinFlops: 0 })).workers).toBe(1);
      expect(pool.runs + single.runs).toBe(0);
      const r = await kidParallel(a, b, { ...opts, parallelMinFlops: 0 });
      expectSame(r, one);
      expect(r.workers).toBe(2);
      expect(pool.runs).toBe(1);
      setEnginePool(null);
      expect((await kidParallel(a, b, { ...opts, parallelMinFlops: 0 })).workers).toBe(1);
    } finally {
      setEnginePool(before);
    }
  });

  it('m equal to both set sizes, and fewer than 2 rows: this thread, as kid()', async () => {
    const pool = new Recording(new SplitPool(2, (i) => i));
    const x = g(23, 40, 6), y = g(24, 40, 6, 0.5);
    const r = await kidParallel(x, y, { pool, parallelMinFlops: 0 });
    expectSame(r, kid(x, y));
    expect(r.std).toBe(0);
    const tiny = await kidParallel(g(25, 1, 6), y, { pool, parallelMinFlops: 0 });
    expect(Number.isNaN(tiny.mean)).toBe(true);
    expect(pool.runs).toBe(0);
  });
});

/**
 * The tiled engine against full float64 matrices (tests/fixtures/neighbours/make_tiles_reference.py,
 * scipy cdist) at sizes that cross many tile boundaries: odd sizes, k larger than a tile's rows,
 * duplicate rows in different tiles, nearest-real ties across tiles, near-copies far from the
 * origin. Each case runs on one thread and split over several workers (in-process workers with
 * several unit assignments, and real worker threads), and must give the same results. With
 * 64-row tiles the self pass computes diagonal tiles in two parts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { makeFeatureSet, type FeatureSet } from '../../../src/core/features/featureSet.ts';
import { RowAccess } from '../../../src/core/features/rowSource.ts';
import { computeKnnRadii, crossPass, crossPassBlocks, knnRadiiWithStats, selfPassBlocks, type EngineOptions } from '../../../src/core/neighbours/engine.ts';
import { EngineTaskRunner, runBlocks, type EnginePartial, type EnginePool, type EngineTask, type Unit } from '../../../src/core/neighbours/parallel.ts';
import { SelfPassState, SharedMinBound, selfUnitBlocks, selfUnits } from '../../../src/core/neighbours/passes.ts';
import { TfGeometry, meanRow } from '../../../src/core/neighbours/blocks.ts';
import { NodeEnginePool } from '../../../src/cli/enginePool.ts';
import { cases, expectReference, runAll } from './tilesCases.ts';

/**
 * Workers in this thread: each has its own EngineTaskRunner (geometry and partial state), units
 * go to workers by `assign` (each worker keeps the queue's order) and run interleaved.
 */
class InlinePool implements EnginePool {
  runs = 0;
  /** Workers that got a unit in the last run. */
  used = 0;
  constructor(
    readonly size: number,
    readonly assign: (unit: Unit, index: number) => number,
  ) {}
  async run(task: EngineTask, units: Unit[], onBlocks: (count: number) => void, signal?: AbortSignal): Promise<EnginePartial[]> {
    this.runs++;
    const queues: Unit[][] = Array.from({ length: this.size }, () => []);
    units.forEach((u, idx) => queues[this.assign(u, idx) % this.size].push(u));
    this.used = queues.filter((q) => q.length > 0).length;
    const runners = await Promise.all(queues.map((q) => (q.length ? EngineTaskRunner.start(task) : null)));
    try {
      for (let round = 0; queues.some((q) => q.length); round++) {
        for (let w = 0; w < this.size; w++) {
          const u = queues[w].shift();
          if (u === undefined) continue;
          if (signal?.aborted) {
            Atomics.store(task.abort, 0, 1);
            throw signal.reason;
          }
          onBlocks(await runners[w]!.runUnit(u));
        }
      }
      return runners.filter((r): r is EngineTaskRunner => r !== null).map((r) => r.finish());
    } catch (e) {
      for (const r of runners) r?.dispose();
      throw e;
    }
  }
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('tiled engine vs full float64 matrices', () => {
  // workers get units round-robin, in blocks of two, or all but the first to one worker
  const pools = [
    ['one thread', () => null],
    ['3 workers, round-robin', () => new InlinePool(3, (_u, i) => i)],
    ['2 workers, pairs', () => new InlinePool(2, (_u, i) => i >> 1)],
    ['4 workers, uneven', () => new InlinePool(4, (_u, i) => (i === 0 ? 3 : 1))],
  ] as const;
  for (const c of cases) {
    // 64: diagonal tiles of 64 rows are computed in two parts
    for (const tileSize of [3, 4, 7, 16, 64]) {
      for (const compute of ['tf', 'js'] as const) {
        it(`${c.name}: tile ${tileSize}, ${compute}, every worker split`, async () => {
          const results = [];
          for (const [, make] of pools) {
            const pool = make();
            const r = await runAll(c.R, c.S, c.k, { tileSize, compute, pool, parallelMinFlops: 0 });
            expectReference(c, r);
            // float32 blocks are screened on the host here (cpu backend), on one thread and on the pool alike
            expect(r.pass.stats.screening).toBe(compute === 'tf' ? 'host' : undefined);
            // passes of one block stay on this thread
            if (pool) expect(pool.runs).toBe([selfPassBlocks(c.R.n, tileSize), selfPassBlocks(c.S.n, tileSize), crossPassBlocks(c.S.n, c.R.n, tileSize)].filter((b) => b > 1).length);
            // every worker that got a unit of the S x R pass (the pool's last run) returns a partial
            expect(r.pass.stats.workers).toBe(pool && crossPassBlocks(c.S.n, c.R.n, tileSize) > 1 ? pool.used : 1);
            results.push(r);
          }
          // pairs visited do not depend on the split
          for (const r of results) {
            expect(r.radiiStats.pairs).toBe((c.R.n * (c.R.n - 1)) / 2);
            expect(r.pass.stats.pairs).toBe(c.R.n * c.S.n);
          }
        });
      }
    }
  }
});

describe('row tiles kept on the backend (tensor cache)', () => {
  it('a split diagonal tile does not stand in for the whole row tile in later blocks', async () => {
    // The first half of a split diagonal tile used to be cached under its first row alone, so every
    // later block of that row tile got a half-height product, read its missing rows as NaN and
    // recomputed them exactly: 41 % of the pairs here instead of about 1 %.
    const d = 8, n = 300;
    const fs = makeFeatureSet(new Float32Array(n * d).map((_, i) => Math.sin(i * 1.7) * 10), n, d);
    const shapes: string[] = [];
    const launch = TfGeometry.prototype.launch;
    TfGeometry.prototype.launch = function (this: TfGeometry, r0: number, nr: number, c0: number, nc: number) {
      const p = launch.call(this, r0, nr, c0, nc);
      if (p.product!.shape[0] !== nr || p.product!.shape[1] !== nc) shapes.push(`${r0},${nr},${c0},${nc}: ${p.product!.shape}`);
      return p;
    };
    try {
      const cached = await knnRadiiWithStats(fs, 3, { tileSize: 64, compute: 'tf', pool: null, screening: 'host' });
      expect(shapes).toEqual([]);
      expect(cached.stats.exactPairs).toBeLessThan(0.03 * cached.stats.pairs);
      const uncached = await knnRadiiWithStats(fs, 3, { tileSize: 64, compute: 'tf', pool: null, screening: 'host', tensorCacheBytes: 0 });
      expect(Array.from(cached.radii.rhoK)).toEqual(Array.from(uncached.radii.rhoK));
      expect(cached.stats.exactPairs).toBe(uncached.stats.exactPairs);
    } finally {
      TfGeometry.prototype.launch = launch;
    }
  });
});

describe('deferred exact refinement of the self pass', () => {
  it('gives the same radii when the candidate list overflows again and again', async () => {
    for (const c of cases) {
      const T = 5;
      const rows = new RowAccess(c.R);
      const geom = new TfGeometry(rows, rows, c.R.n, c.R.n, c.dim, meanRow(c.R), true, T, 0);
      try {
        for (const cap of [1, 4, 16]) {
          const st = new SelfPassState(c.R.n, c.k, null, cap);
          const blocks = selfUnits(c.R.n, T).flatMap((u) => selfUnitBlocks(u, c.R.n, T));
          await runBlocks(geom, blocks, st, () => {}, () => {});
          st.finish();
          for (let i = 0; i < c.R.n; i++) {
            const s = st.best.sorted(i);
            expect(s[0]).toBe(c.expected.rho1[i]);
            expect(Math.abs(s[c.k - 1] - c.expected.rhoK[i])).toBeLessThanOrEqual(1e-9 * c.expected.rhoK[i]);
          }
        }
      } finally {
        geom.dispose();
      }
    }
  });
});

describe('shared bounds between workers', () => {
  it('keeps the smallest published value, rounded up, never below it', () => {
    const b = new SharedMinBound(SharedMinBound.cells(3));
    expect(b.get(0)).toBe(Infinity);
    b.publish(0, 2.5);
    b.publish(0, 3);
    b.publish(0, NaN);
    b.publish(0, Infinity);
    expect(b.get(0)).toBe(2.5); // exact in the high word
    b.publish(1, 0.1);
    expect(b.get(1)).toBeGreaterThanOrEqual(0.1);
    expect(b.get(1)).toBeLessThan(0.1 * (1 + 2 ** -19));
    b.publish(2, 0);
    expect(b.get(2)).toBe(0);
    // a second view of the same cells sees the values
    expect(new SharedMinBound(b.cells).get(0)).toBe(2.5);
  });
});

describe('parallel control', () => {
  it('an abort stops the workers and rejects', async () => {
    const c = cases[0];
    const ctl = new AbortController();
    let calls = 0;
    const pool = new InlinePool(2, (_u, i) => i);
    const p = computeKnnRadii(c.R, c.k, {
      tileSize: 4, compute: 'tf', pool, parallelMinFlops: 0, signal: ctl.signal,
      onProgress: () => {
        if (++calls === 5) ctl.abort();
      },
    });
    await expect(p).rejects.toThrow(/abort/i);
    expect(tf.memory().numTensors).toBe(0);
  });
  it('small passes stay on this thread', async () => {
    const c = cases[0];
    const pool = new InlinePool(2, (_u, i) => i);
    const r = await knnRadiiWithStats(c.R, c.k, { tileSize: 4, pool });
    expect(pool.runs).toBe(0);
    expect(r.stats.workers).toBe(1);
  });
});

describe('Node worker threads (NodeEnginePool)', () => {
  const pool = new NodeEnginePool(2, 'cpu');
  afterAll(() => pool.close());
  it('two worker threads give the reference results', async () => {
    for (const c of [cases[0], cases[1]]) {
      const r = await runAll(c.R, c.S, c.k, { tileSize: 7, compute: 'tf', pool, parallelMinFlops: 0 });
      expectReference(c, r);
      expect(r.pass.stats.workers).toBe(2);
      expect(r.pass.stats.backend).toBe('cpu');
      expect(r.radiiStats.method).toBe('tf-float32-refined');
    }
  }, 60_000);
});

/**
 * denseScope (src/core/metrics/denseParallel.ts): the Gaussian fits, FIDs and Vendi scores of one real
 * scope on the engine pool's 'dense' task give the values of gaussianStats / frechetDistance /
 * vendiScore on this thread bit for bit (2 and 3 threads over in-process channels, as between Web
 * Workers, and 2 real worker_threads); the explicit factor rule is the one a sequence of calls makes
 * implicitly; the numpy references of tests/fixtures/moments; when it stays off the pool; abort.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { denseOnPool, denseScope, fidFactorSide } from '../../../src/core/metrics/denseParallel.ts';
import { frechetDistance, gaussianStats } from '../../../src/core/metrics/fid.ts';
import { vendiScore } from '../../../src/core/metrics/vendi.ts';
import type { EnginePool } from '../../../src/core/neighbours/parallel.ts';
import { BrowserEnginePool } from '../../../src/workers/browserEnginePool.ts';
import { channelThread, Recording } from './poolDoubles.ts';
import { NodeEnginePool } from '../../../src/cli/enginePool.ts';
import { evaluate } from '../../../src/core/evaluate.ts';
import type { FeatureSet } from '../../../src/core/features/featureSet.ts';
import { features } from '../../fixtures/moments/inputs.ts';

const fidRef = JSON.parse(readFileSync(join(__dirname, '../../fixtures/moments/fid.json'), 'utf8'));
const vendiRef = JSON.parse(readFileSync(join(__dirname, '../../fixtures/moments/vendi.json'), 'utf8'));

const g = (seed: number, n: number, d: number, shift = 0, spread = 1, corr = 0.3) => features({ seed, n, d, shift, spread, corr });

/** The serial computation, as evaluate() does it on one thread. */
function serial(real: FeatureSet, synth: FeatureSet[]) {
  const realFit = gaussianStats(real);
  return {
    realFit,
    fid: synth.map((s, i) => frechetDistance(gaussianStats(s), realFit, { factor: fidFactorSide(i) })),
    vendi: synth.map((s) => vendiScore(s)),
  };
}

function expectBits(a: Float64Array, b: Float64Array): void {
  expect(a.length).toBe(b.length);
  let diff = 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) diff++;
  expect(diff).toBe(0);
}

describe('denseScope on the engine pool', () => {
  const node = new NodeEnginePool(2, 'cpu');
  afterAll(() => node.close());

  // one rank-deficient synthetic set (a constant column: FID warns that its covariance is singular when it is the factored side)
  const real = g(1, 300, 40, 0, 1, 0.5);
  const synth = [g(2, 260, 40, 0.3, 1.2, 0.2), g(3, 200, 40, 0.1, 0.8, 0.6), g(4, 240, 40, 0.5, 1, 0)];
  for (let r = 0; r < synth[0].n; r++) synth[0].data[r * 40 + 7] = 0.25;

  it('the explicit factor side is the one successive frechetDistance calls choose by themselves', () => {
    const implicitReal = gaussianStats(real);
    const implicit = synth.map((s) => frechetDistance(gaussianStats(s), implicitReal));
    const explicit = serial(real, synth).fid;
    implicit.forEach((r, i) => {
      expect(Object.is(r.fid, explicit[i].fid)).toBe(true);
      expect(r.warnings).toEqual(explicit[i].warnings);
    });
    // the first set is the factored side: its singular covariance is reported
    expect(explicit[0].warnings.some((w) => /first set is numerically singular/.test(w))).toBe(true);
  });

  it('BrowserEnginePool threads (2 and 3) and NodeEnginePool: the serial values bit for bit', async () => {
    const want = serial(real, synth);
    const pools: [string, EnginePool, () => Promise<void>][] = [];
    for (const size of [2, 3]) {
      const p = new BrowserEnginePool(size, () => channelThread(), { idleMs: 0 });
      pools.push([`browser ${size}`, p, () => p.close()]);
    }
    pools.push(['node 2', node, async () => {}]);
    for (const [, inner, close] of pools) {
      const pool = new Recording(inner);
      const r = await denseScope(real, synth, { pool, parallelMinFlops: 0 });
      expect(r).not.toBeNull();
      expectBits(r!.realFit.mean, want.realFit.mean);
      expectBits(r!.realFit.cov, want.realFit.cov);
      r!.fid.forEach((f, i) => {
        expect(Object.is(f.fid, want.fid[i].fid)).toBe(true);
        expect(f.warnings).toEqual(want.fid[i].warnings);
      });
      r!.vendi.forEach((v, i) => {
        expect(Object.is(v.score, want.vendi[i].score)).toBe(true);
        expect(v.warnings).toEqual(want.vendi[i].warnings);
      });
      expect(r!.workers).toBeGreaterThanOrEqual(2);
      // the fits came back on shared memory (out of the threads' WebAssembly memories, which cannot be transferred)
      expect(r!.realFit.cov.buffer instanceof SharedArrayBuffer && r!.realFit.mean.buffer instanceof SharedArrayBuffer).toBe(true);
      // two rounds: 4 fits, then 3 FIDs and 3 Vendi scores, one unit each
      expect(pool.tasks.map((t) => t.pass)).toEqual(['dense', 'dense']);
      expect(pool.units.map((u) => u.length)).toEqual([4, 6]);
      expect(r!.ms.fid.every((ms) => ms > 0) && r!.ms.vendi.every((ms) => ms > 0) && r!.ms.realFit > 0).toBe(true);
      await close();
    }
  }, 60_000);

  it('the numpy references on the pool (FID: pytorch-fid; Vendi: vendi_score)', async () => {
    const c = fidRef.cases.find((x: { singular: boolean; a: { n: number; d: number }; b: { n: number; d: number } }) => !x.singular && x.a.n > x.a.d && x.b.n > x.b.d);
    const v = vendiRef.cases.find((x: { spec: { n: number; d: number; levels?: number }; zeroRows: number[] }) => x.spec.n > x.spec.d && !x.spec.levels && x.zeroRows.length === 0);
    const pool = new BrowserEnginePool(2, () => channelThread(), { idleMs: 0 });
    const r = await denseScope(features(c.b), [features(c.a)], { pool, parallelMinFlops: 0 });
    expect(Math.abs(r!.fid[0].fid - c.fidExact) / c.fidExact).toBeLessThan(1e-12);
    const rv = await denseScope(features(v.spec), [features(v.spec)], { pool, parallelMinFlops: 0 });
    expect(Math.abs(rv!.vendi[0].score - v.vendi) / v.vendi).toBeLessThan(1e-9);
    await pool.close();
  });

  it('stays off the pool: no pool, one thread, few rows, discrete features, small work', async () => {
    const two = new BrowserEnginePool(2, () => channelThread(), { idleMs: 0 });
    const one = new BrowserEnginePool(1, () => channelThread(), { idleMs: 0 });
    expect(denseOnPool(real, synth, { pool: null })).toBeNull();
    expect(denseOnPool(real, synth, { pool: one, parallelMinFlops: 0 })).toBeNull();
    expect(denseOnPool(real, [g(5, 30, 40)], { pool: two, parallelMinFlops: 0 })).toBeNull(); // n <= d: Gram-matrix FID
    expect(denseOnPool({ ...real, kind: 'discrete' }, synth, { pool: two, parallelMinFlops: 0 })).toBeNull();
    expect(denseOnPool(real, synth, { pool: two })).toBeNull(); // about 6e7 FLOPs, below the 4e9 default
    expect(denseOnPool(real, synth, { pool: two, parallelMinFlops: 0 })).toBe(two);
    expect(await denseScope(real, synth, { pool: two })).toBeNull();
    await two.close();
    await one.close();
  });

  it('abort: stops between units and rejects', async () => {
    const ac = new AbortController();
    const inner = new BrowserEnginePool(2, () => channelThread(), { idleMs: 0 });
    const pool = new Recording(inner, ac);
    await expect(denseScope(real, synth, { pool, parallelMinFlops: 0, signal: ac.signal })).rejects.toThrow(/abort/i);
    await inner.close();
  });

  it('evaluate(): the same report with the dense statistics on the pool as on one thread', async () => {
    const labelled = (fs: FeatureSet) => ({ ...fs, labels: Array.from({ length: fs.n }, (_, i) => (i % 3 === 0 ? 'x' : 'y')) });
    const input = {
      real: labelled(g(21, 150, 12, 0, 1, 0.4)),
      synthetic: [{ name: 'a', features: labelled(g(22, 120, 12, 0.2)) }, { name: 'b', features: labelled(g(23, 110, 12, 0.4, 1.3)) }],
      config: { backend: 'cpu', kidSubsets: 3, kidSubsetSize: 40 },
    };
    const one = await evaluate({ ...input, engine: { compute: 'js', pool: null } });
    const inner = new BrowserEnginePool(2, () => channelThread(), { idleMs: 0 });
    const pool = new Recording(inner);
    const many = await evaluate({ ...input, engine: { compute: 'js', pool, parallelMinFlops: 0 } });
    await inner.close();
    expect(pool.tasks.filter((t) => t.pass === 'dense')).toHaveLength(2); // the pooled scope only; per class on this thread
    expect(many.report.sets.map((x) => x.metrics)).toEqual(one.report.sets.map((x) => x.metrics));
    expect(many.report.sets.map((x) => x.perClass)).toEqual(one.report.sets.map((x) => x.perClass));
    expect(many.report.sets.map((x) => x.warnings)).toEqual(one.report.sets.map((x) => x.warnings));
    expect(many.report.sets[0].metrics.fid).toBeGreaterThan(0);
    for (const key of ['realGaussian', 'fid:a', 'fid:b', 'vendi:a', 'vendi:b', 'kid:a']) expect(many.report.timings[key]).toBeGreaterThan(0);
  }, 60_000);
});

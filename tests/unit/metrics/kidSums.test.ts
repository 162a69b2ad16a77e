/**
 * KID from the neighbour passes' float32 products (src/core/metrics/kidSums.ts, kid.ts
 * kidFromPassesPlan / kidFromPassSums, evaluate's kidProducts): the numpy references of
 * tests/fixtures/moments/kid.json (torch-fidelity's mmd2 on the same subsets, float64) within
 * float32 precision, for tiles that cut the sets at odd places; every way a set is used (drawn,
 * whole); the same sums bit for bit on one thread and on any split over engine threads; and the
 * fall-back to float64 when the passes do not read their products back.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { kid, kidFromPassesPlan, kidFromPassSums, type KidFromPasses, type KidOptions } from '../../../src/core/metrics/kid.ts';
import { membershipOf } from '../../../src/core/metrics/kidSums.ts';
import { knnRadiiWithStats, type EngineOptions } from '../../../src/core/neighbours/engine.ts';
import { neighbourMetrics } from '../../../src/core/metrics/neighbourMetrics.ts';
import { evaluate } from '../../../src/core/evaluate.ts';
import type { FeatureSet } from '../../../src/core/features/featureSet.ts';
import { features } from '../../fixtures/moments/inputs.ts';
import { SplitPool } from './poolDoubles.ts';

const ref = JSON.parse(readFileSync(join(__dirname, '../../fixtures/moments/kid.json'), 'utf8'));

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** KID through the three passes, as evaluate() runs them. */
async function kidViaPasses(real: FeatureSet, synth: FeatureSet, opts: KidOptions, engine: EngineOptions) {
  const planned = kidFromPassesPlan(real, synth, opts, true);
  if (!planned || !('passes' in planned)) throw new Error('expected draws');
  const f: KidFromPasses = planned.passes;
  const self = await knnRadiiWithStats(real, 3, engine, undefined, { subsets: f.plan.subsets, groups: [{ rows: f.real, cols: f.real }] });
  const nm = await neighbourMetrics(real, synth, { ...engine, k: 3, tau: 0, radii: self.radii, kid: { real: f.real, synth: f.synth, subsets: f.plan.subsets } });
  if (!self.kidSums || !nm.kidSums) return null;
  return kidFromPassSums(f, self.kidSums[0], nm.kidSums.yy, nm.kidSums.xy);
}

/**
 * Float32 tolerance: each inner product x.y is off by at most about d u |x - c| |y - c| (u =
 * 2^-24), so each kernel value by 3 (x.y / d + 1)^2 times that over d; the MMD^2 of a subset
 * averages such errors, so the mean's error is at most the largest kernel error, bounded here
 * (generously) from the sets' largest row norms.
 */
function tolerance(a: FeatureSet, b: FeatureSet): number {
  const d = a.dim;
  let big = 0;
  for (const fs of [a, b]) {
    for (let i = 0; i < fs.n; i++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += fs.data[i * d + t] ** 2;
      big = Math.max(big, Math.sqrt(s));
    }
  }
  const dot = (2 * big) ** 2; // |x - c| |y - c| <= (2 max |x|)^2
  const t = big * big / d + 1;
  return 4 * 3 * t * t * (d * 2 ** -24 * dot) / d;
}

describe('KID from the passes against the Python reference', () => {
  for (const c of ref.cases.filter((x: { a: { levels?: number } }) => x.a.levels === undefined)) {
    it(c.name, async () => {
      const a = features(c.a), b = features(c.b);
      const planned = kidFromPassesPlan(a, b, c.opts, false);
      if (!planned) throw new Error('minFlops 0 always plans');
      if (!('passes' in planned)) {
        // both sets whole: one float64 MMD^2, no passes needed
        expect(c.subsetSize === c.a.n && c.subsetSize === c.b.n).toBe(true);
        expect(Math.abs(planned.result.mean - c.mean)).toBeLessThan(1e-9 * Math.abs(c.mean));
        return;
      }
      const tol = tolerance(a, b);
      for (const tileSize of [7, 37, 64]) {
        const r = await kidViaPasses(a, b, c.opts, { compute: 'tf', tileSize, pool: null });
        expect(r).not.toBeNull();
        expect(r!.products).toBe('float32');
        expect(r!.subsetSize).toBe(c.subsetSize);
        expect(Math.abs(r!.mean - c.mean)).toBeLessThan(tol);
        expect(Math.abs(r!.std - c.std)).toBeLessThan(2 * tol);
        // float32 products are not float64 ones: the test can tell them apart
        expect(r!.mean).not.toBe(kid(a, b, c.opts).mean);
      }
    });
  }

  it('is far tighter than the tolerance says, and far below the spread over subsets', async () => {
    const c = ref.cases.find((x: { name: string }) => /1300 vs 1100/.test(x.name));
    const a = features(c.a), b = features(c.b);
    const r = (await kidViaPasses(a, b, c.opts, { compute: 'tf', tileSize: 128, pool: null }))!;
    expect(Math.abs(r.mean - c.mean)).toBeLessThan(1e-4 * c.std);
    expect(Math.abs(r.mean - c.mean) / Math.abs(c.mean)).toBeLessThan(1e-4);
  });
});

describe('KID sums from the passes, every way a set is used', () => {
  const g = (seed: number, n: number, d: number, shift = 0) => features({ seed, n, d, shift, spread: 1, corr: 0.3 });
  const cases: [string, FeatureSet, FeatureSet, KidOptions][] = [
    ['both drawn', g(1, 211, 24), g(2, 173, 24, 0.2), { subsetSize: 60, subsets: 9, seed: 5 }],
    ['real used whole (m = N)', g(3, 60, 24), g(4, 190, 24, 0.1), { subsetSize: 100, subsets: 6, seed: 6 }],
    ['synthetic used whole (m = M)', g(5, 190, 24), g(6, 60, 24, 0.1), { subsetSize: 100, subsets: 6, seed: 7 }],
  ];
  for (const [name, a, b, opts] of cases) {
    it(`${name}: the float64 KID within float32 precision; the same bits on one thread and on any split over threads`, async () => {
      const exact = kid(a, b, opts);
      const one = (await kidViaPasses(a, b, opts, { compute: 'tf', tileSize: 32, pool: null }))!;
      expect(Math.abs(one.mean - exact.mean)).toBeLessThan(tolerance(a, b));
      expect(one.subsetSize).toBe(exact.subsetSize);
      for (const pool of [new SplitPool(2, (i) => i), new SplitPool(3, (i, n) => n - 1 - i), new SplitPool(2, () => 1)]) {
        const par = (await kidViaPasses(a, b, opts, { compute: 'tf', tileSize: 32, pool, parallelMinFlops: 0 }))!;
        expect(par.mean).toBe(one.mean);
        expect(par.std).toBe(one.std);
      }
    });
  }

  it('memberships: every subset row listed once, subsets ascending per row; a set used whole needs no lists', () => {
    const m = 3, S = 2;
    // subset 0: real {4, 0, 2}, synth {1, 0, 2}; subset 1: real {2, 3, 4}, synth {2, 1, 0}
    const draws = Int32Array.from([4, 0, 2, 1, 0, 2, 2, 3, 4, 2, 1, 0]);
    const r = membershipOf(5, m, S, draws, 0, false);
    if (r.whole) throw new Error('drawn');
    const lists = Array.from({ length: 5 }, (_, i) => Array.from(r.subs.subarray(r.start[i], r.start[i + 1])));
    expect(lists).toEqual([[0], [], [0, 1], [1], [0, 1]]);
    expect(membershipOf(3, m, S, draws, m, true)).toEqual({ whole: true, n: 3 });
  });

  it('the plan: null below minFlops (nothing drawn), draws at or above it, a result when there is nothing to draw', () => {
    const [, a, b, opts] = cases[0];
    const planned = kidFromPassesPlan(a, b, opts, false);
    if (!planned || !('passes' in planned)) throw new Error('expected draws');
    const flops = planned.passes.float64Flops;
    // the cheaper float64 engine here: 9 subsets of 60 rows each side, about 2 x 60^2 entries a subset, 2 d FLOPs each
    expect(flops).toBe(2 * 24 * 9 * (60 * 60 / 2 + 60 * 60 / 2 + 60 * 60));
    expect(kidFromPassesPlan(a, b, opts, false, flops + 1)).toBeNull();
    expect(kidFromPassesPlan(a, b, opts, false, flops)).not.toBeNull();
    const whole = kidFromPassesPlan(g(7, 40, 8), g(8, 40, 8, 0.5), {}, false);
    if (!whole || !('result' in whole)) throw new Error('both sets whole: a result');
    expect(whole.result.mean).toBe(kid(g(7, 40, 8), g(8, 40, 8, 0.5)).mean);
    expect(whole.result.std).toBe(0);
  });

  it('passes that do not read their products back give no sums (exact JS geometry)', async () => {
    const [, a, b, opts] = cases[0];
    expect(await kidViaPasses(a, b, opts, { compute: 'js', tileSize: 32, pool: null })).toBeNull();
  });
});

describe('evaluate: kidProducts', () => {
  const g = (seed: number, n: number, d: number, shift = 0) => features({ seed, n, d, shift, spread: 1, corr: 0.3 });
  // s3 has fewer rows than the subset size: its subsets are of 60, so its real rows are drawn differently and the
  // R x R pass feeds two groups of sums
  const real = g(11, 240, 16), s1 = g(12, 200, 16, 0.3), s2 = g(13, 150, 16), s3 = g(14, 60, 16, 0.1);
  const sets = [s1, s2, s3];
  const input = (kidProducts: 'float64' | 'float32' | 'auto', compute: 'tf' | 'js' = 'tf') => evaluate({
    real, synthetic: [{ name: 'a', features: s1 }, { name: 'b', features: s2 }, { name: 'c', features: s3 }],
    config: { backend: 'cpu', kidSubsetSize: 80, kidSubsets: 7, seed: 3 },
    engine: { compute, tileSize: 64, pool: null }, kidProducts,
  });

  it('float32 from the passes for every set of a run, float64 on request, the same KID within float32 precision', async () => {
    const f32 = await input('float32');
    const f64 = await input('float64');
    for (let i = 0; i < 3; i++) {
      const a = f32.report.sets[i].metrics.kid!, b = f64.report.sets[i].metrics.kid!;
      expect(a.products).toBe('float32');
      expect(b.products).toBe('float64');
      expect(a.subsetSize).toBe(i === 2 ? 60 : 80);
      expect(Math.abs(a.mean - b.mean)).toBeLessThan(tolerance(real, sets[i]));
      expect(a.mean).not.toBe(b.mean);
      expect(b.mean).toBe(kid(real, sets[i], { subsetSize: 80, subsets: 7, seed: 3 }).mean);
      // the other metrics do not depend on where KID's products came from
      expect(f32.report.sets[i].metrics.density).toBe(f64.report.sets[i].metrics.density);
    }
  });

  it("'auto' keeps small KIDs in float64; exact JS passes fall back to float64", async () => {
    expect((await input('auto')).report.sets[0].metrics.kid!.products).toBe('float64');
    const js = await input('float32', 'js');
    expect(js.report.sets[0].metrics.kid!.products).toBe('float64');
    expect(js.report.sets[0].metrics.kid!.mean).toBe(kid(real, s1, { subsetSize: 80, subsets: 7, seed: 3 }).mean);
  });
});

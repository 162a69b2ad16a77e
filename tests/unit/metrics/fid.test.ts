import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fid, frechetDistance, gaussianStats, type GaussianStats } from '../../../src/core/metrics/fid.ts';
import { makeFeatureSet } from '../../../src/core/features/featureSet.ts';
import { features } from '../../fixtures/moments/inputs.ts';

// pytorch-fid (scipy sqrtm) and exact float64 values from tests/fixtures/moments/make_reference.py
const ref = JSON.parse(readFileSync(join(__dirname, '../../fixtures/moments/fid.json'), 'utf8'));

function rel(x: number, y: number): number {
  return Math.abs(x - y) / Math.abs(y);
}

describe('gaussianStats', () => {
  it('matches np.mean and np.cov (ddof 1)', () => {
    for (const c of ref.cases) {
      const s = gaussianStats(features(c.a));
      c.meanA.forEach((m: number, j: number) => expect(Math.abs(s.mean[j] - m)).toBeLessThan(1e-14 * Math.max(1, Math.abs(m))));
      expect(rel(s.cov[0], c.covA00)).toBeLessThan(1e-13);
      if (s.dim > 1) expect(Math.abs(s.cov[1] - c.covA01)).toBeLessThan(1e-13 * c.covA00);
      let tr = 0;
      for (let j = 0; j < s.dim; j++) tr += s.cov[j * s.dim + j];
      expect(rel(tr, c.traceCovA)).toBeLessThan(1e-13);
      expect(s.helmert !== undefined).toBe(s.n <= s.dim);
    }
  });
  it('needs two rows and finite values', () => {
    expect(() => gaussianStats(makeFeatureSet(new Float32Array(3), 1, 3))).toThrow();
    expect(() => gaussianStats(makeFeatureSet(Float32Array.of(1, NaN, 2, 3), 2, 2))).toThrow();
  });
});

describe('fid against pytorch-fid and exact references', () => {
  for (const c of ref.cases) {
    it(c.name, () => {
      const r = fid(features(c.a), features(c.b));
      if (c.fidExact === 0) {
        expect(r.fid).toBeLessThan(1e-12);
      } else {
        expect(rel(r.fid, c.fidExact)).toBeLessThan(1e-9);
        // pytorch-fid itself: 1e-6 relative on every case (scipy sqrtm is ~2e-8 off when singular)
        expect(rel(r.fid, c.fidPytorch)).toBeLessThan(1e-6);
      }
      const singularWarning = r.warnings.some((w) => /rows for \d+ feature dimensions/.test(w));
      expect(singularWarning).toBe(c.a.n <= c.a.d || c.b.n <= c.b.d);
      expect(r.warnings.some((w) => /discrete/.test(w))).toBe(c.a.levels !== undefined);
      expect(r.warnings.some((w) => /numerically singular/.test(w))).toBe(c.a.constCol !== undefined);
    });
  }

  it('covariance-only stats (no Helmert rows) of a singular set go through pivoted Cholesky', () => {
    const c = ref.cases.find((x: { name: string }) => x.name === 'first N < d, second N > d');
    const a = gaussianStats(features(c.a));
    const b = gaussianStats(features(c.b));
    const bare: GaussianStats = { n: a.n, dim: a.dim, mean: a.mean, cov: a.cov };
    const r = frechetDistance(bare, b);
    // rank truncation at 48 * eps * max diag drops only rounding noise
    expect(rel(r.fid, c.fidExact)).toBeLessThan(1e-6);
    expect(r.warnings.some((w) => /numerically singular \(rank 29 of 48\)/.test(w))).toBe(true);
  });
});

describe('fid by hand', () => {
  it('1-D: (mu1 - mu2)^2 + (s1 - s2)^2 with sample standard deviations', () => {
    const a = makeFeatureSet(Float32Array.of(1, 2, 3, 4, 5), 5, 1); // mean 3, var 2.5
    const b = makeFeatureSet(Float32Array.of(2, 4, 6, 8), 4, 1); // mean 5, var 20/3
    const want = 4 + (Math.sqrt(2.5) - Math.sqrt(20 / 3)) ** 2;
    expect(fid(a, b).fid).toBeCloseTo(want, 13);
  });
  it('2-D isotropic: cov (2/3) I against (8/3) I and equal means gives 2 (sqrt(2/3) - sqrt(8/3))^2 = 4/3', () => {
    const a = makeFeatureSet(Float32Array.of(1, 0, -1, 0, 0, 1, 0, -1), 4, 2);
    const b = makeFeatureSet(Float32Array.of(2, 0, -2, 0, 0, 2, 0, -2), 4, 2);
    expect(fid(a, b).fid).toBeCloseTo(4 / 3, 13);
  });
  it('identical sets give 0 without warnings; FID is symmetric', () => {
    const x = features({ seed: 5, n: 120, d: 10, shift: 0.5, spread: 2, corr: 0.3 });
    expect(fid(x, x)).toEqual({ fid: 0, warnings: [] });
    const y = features({ seed: 6, n: 90, d: 10, shift: 0, spread: 1, corr: 0.1 });
    expect(rel(fid(x, y).fid, fid(y, x).fid)).toBeLessThan(1e-12);
  });
  it('a pure mean shift adds ||delta||^2', () => {
    const x = features({ seed: 7, n: 100, d: 6, shift: 0, spread: 1, corr: 0.4 });
    const shifted = makeFeatureSet(x.data.map((v, i) => v + (i % 6 === 2 ? 4 : 0)) as Float32Array, 100, 6);
    expect(fid(x, shifted).fid).toBeCloseTo(16, 5); // float32 rounding of shifted values
  });
  it('reuses the real set statistics across calls, on either side, with the same results', () => {
    const real = gaussianStats(features({ seed: 8, n: 80, d: 12, shift: 0, spread: 1, corr: 0.2 }));
    const synth = [9, 10, 11].map((seed) => features({ seed, n: 70, d: 12, shift: 0.1 * seed - 0.7, spread: 1, corr: 0.2 }));
    const fresh = synth.map((s) => fid(features({ seed: 8, n: 80, d: 12, shift: 0, spread: 1, corr: 0.2 }), s).fid);
    // real stats as the second argument (the factor moves to the real set from the second call on)
    synth.forEach((s, i) => expect(rel(frechetDistance(gaussianStats(s), real).fid, fresh[i])).toBeLessThan(1e-12));
    synth.forEach((s, i) => expect(rel(frechetDistance(real, gaussianStats(s)).fid, fresh[i])).toBeLessThan(1e-12));
  });
  it('fewer than 2 rows: NaN with a warning; mismatched dimensions throw', () => {
    const one = makeFeatureSet(Float32Array.of(1, 2), 1, 2);
    const two = makeFeatureSet(Float32Array.of(1, 2, 3, 4), 2, 2);
    const r = fid(one, two);
    expect(r.fid).toBeNaN();
    expect(r.warnings.length).toBe(1);
    expect(() => fid(two, makeFeatureSet(Float32Array.of(1, 2, 3), 1, 3))).toThrow();
  });
});

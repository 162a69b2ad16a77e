import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fitProjection, PCA_MAX_ROWS, sampleRows } from '../../../src/core/utility/projection.ts';

// Reference: scikit-learn StandardScaler + PCA, fixtures/make_projection_reference.py
interface Case {
  name: string;
  n: number;
  dim: number;
  components: number;
  x: number[];
  newRows: number[];
  mean: number[];
  std: number[];
  kept: number;
  axes: number[];
  variances: number[];
  explained: number;
  scale: number;
  scores: number[];
}
const ref = JSON.parse(readFileSync(new URL('./fixtures/projection_reference.json', import.meta.url), 'utf8')) as { cases: Case[] };

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < b.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(tol * Math.max(1, Math.abs(b[i])));
};

describe('fitProjection (standardise with R, project onto R’s principal components)', () => {
  it.each(ref.cases.map((c) => [c.name, c] as [string, Case]))('%s: matches scikit-learn StandardScaler + PCA', (_, c) => {
    const p = fitProjection(Float32Array.from(c.x), c.n, c.dim, c.components);
    expect(p.components).toBe(c.kept);
    expect(p.rows).toBe(c.n);
    expect(p.fittedRows).toBe(c.n);
    close(p.mean, c.mean, 1e-12);
    close(p.std, c.std, 1e-12);
    close(p.axes, c.axes, 1e-9);
    close(p.variances, c.variances, 1e-10);
    expect(p.explained).toBeCloseTo(c.explained, 10);
    expect(p.scale).toBeCloseTo(c.scale, 10);
    const m = c.newRows.length / c.dim;
    close(p.apply(Float32Array.from(c.newRows), m), c.scores, 1e-5); // float32 output
  });

  it('scores of the fitted rows have the recorded variances / scale^2 and are uncorrelated', () => {
    const c = ref.cases[0];
    const p = fitProjection(Float32Array.from(c.x), c.n, c.dim, c.components);
    const s = p.apply(Float32Array.from(c.x), c.n);
    const k = p.components;
    for (let a = 0; a < k; a++) {
      for (let b = 0; b <= a; b++) {
        let cov = 0;
        for (let i = 0; i < c.n; i++) cov += s[i * k + a] * s[i * k + b];
        cov /= c.n;
        expect(cov).toBeCloseTo(a === b ? p.variances[a] / p.scale ** 2 : 0, 5);
      }
    }
    // the mean of the score variances is 1 by construction of the scale
    expect(p.variances.reduce((x, v) => x + v, 0) / k / p.scale ** 2).toBeCloseTo(1, 12);
  });

  it('hand case: two perfectly correlated features project onto their diagonal', () => {
    // feature 1 = 2 x feature 0; standardised they are equal, so one axis (1, 1) / sqrt 2 holds everything
    const x = Float32Array.from([1, 2, 2, 4, 3, 6, 4, 8]);
    const p = fitProjection(x, 4, 2, 5);
    expect(p.components).toBe(1);
    expect(p.axes[0]).toBeCloseTo(Math.SQRT1_2, 12);
    expect(p.axes[1]).toBeCloseTo(Math.SQRT1_2, 12);
    // standardised rows (+-1.342, +-0.447) on both features -> score sqrt 2 z; variance 2 -> scale sqrt 2 -> scores = z
    expect(p.variances[0]).toBeCloseTo(2, 12);
    const s = p.apply(x, 4);
    const z0 = (1 - 2.5) / Math.sqrt(1.25);
    expect(s[0]).toBeCloseTo(z0, 6);
    expect(s[3]).toBeCloseTo(-z0, 6);
    expect(p.explained).toBeCloseTo(1, 12);
  });

  it('P = min(components, rows - 1, dim)', () => {
    const c = ref.cases[0]; // 12 rows x 20 features
    expect(fitProjection(Float32Array.from(c.x), 12, 20, 64).components).toBe(11);
    expect(fitProjection(Float32Array.from(c.x), 12, 20, 3).components).toBe(3);
    const d = ref.cases[1]; // 40 x 6
    expect(fitProjection(Float32Array.from(d.x), 40, 6, 64).components).toBe(6);
  });

  it('fits the axes on a seeded sample of PCA_MAX_ROWS rows when there are more; standardisation uses every row', () => {
    const n = PCA_MAX_ROWS + 40;
    const dim = 3;
    const x = Float32Array.from({ length: n * dim }, (_, i) => Math.sin(1.7 * i) * (1 + (i % dim)));
    const p = fitProjection(x, n, dim, 2);
    expect(p.fittedRows).toBe(PCA_MAX_ROWS);
    expect(p.rows).toBe(n);
    let mean0 = 0;
    for (let i = 0; i < n; i++) mean0 += x[i * dim] / n;
    expect(p.mean[0]).toBeCloseTo(mean0, 12);
    const again = fitProjection(x, n, dim, 2);
    expect(again.axes).toEqual(p.axes);
    const idx = sampleRows(n, PCA_MAX_ROWS, 0);
    expect(idx.length).toBe(PCA_MAX_ROWS);
    expect(new Set(idx).size).toBe(PCA_MAX_ROWS);
    for (let i = 1; i < idx.length; i++) expect(idx[i]).toBeGreaterThan(idx[i - 1]);
    expect(Array.from(sampleRows(5, 10, 0))).toEqual([0, 1, 2, 3, 4]);
  });

  it('refuses rows without any variance, and bad arguments', () => {
    expect(() => fitProjection(Float32Array.from([1, 2, 1, 2, 1, 2]), 3, 2, 4)).toThrow(/no variance/);
    expect(() => fitProjection(Float32Array.from([1, 2]), 1, 2, 4)).toThrow(/at least 2 rows/);
    expect(() => fitProjection(Float32Array.from([1, 2, 3, 4]), 2, 2, 0)).toThrow(/positive integer/);
    const p = fitProjection(Float32Array.from([1, 2, 3, 5]), 2, 2, 4);
    expect(() => p.apply(new Float32Array(3), 1)).toThrow(/expected 1 x 2/);
  });
});

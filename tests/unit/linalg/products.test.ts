import { describe, expect, it } from 'vitest';
import { gemmNT, gramRows, mirrorLower, multiplyNT } from '../../../src/core/linalg/gemm.ts';
import { columnMeans, crossProduct, helmertContrasts, toFloat64Rows } from '../../../src/core/linalg/crossprod.ts';
import { createRng } from '../../../src/core/random.ts';

function randomMatrix(rows: number, cols: number, seed: number): Float64Array {
  const rng = createRng(seed);
  return Float64Array.from({ length: rows * cols }, () => rng() * 2 - 1);
}

/** Naive C = A B^T. */
function naiveNT(a: Float64Array, m: number, b: Float64Array, n: number, k: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += a[i * k + p] * b[j * k + p];
    c[i * n + j] = s;
  }
  return c;
}

function maxDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

describe('gemmNT', () => {
  it('matches the naive product across tile and micro-tile edges', () => {
    for (const [m, n, k] of [[1, 1, 1], [2, 5, 3], [7, 4, 9], [101, 98, 300], [97, 200, 513]]) {
      const a = randomMatrix(m, k, m * 7 + k), b = randomMatrix(n, k, n * 13 + k);
      expect(maxDiff(multiplyNT(a, m, b, n, k), naiveNT(a, m, b, n, k))).toBeLessThan(1e-12 * k);
    }
  });

  it('accumulates into a strided sub-block without touching the rest', () => {
    const a = randomMatrix(5, 4, 1), b = randomMatrix(7, 4, 2);
    const ldc = 10;
    const c = new Float64Array(9 * ldc).fill(1);
    gemmNT(5, 7, 4, a, 0, 4, b, 0, 4, c, 2 * ldc + 3, ldc);
    const ref = naiveNT(a, 5, b, 7, 4);
    const want = new Float64Array(9 * ldc).fill(1);
    for (let i = 2; i < 7; i++) for (let j = 3; j < 10; j++) want[i * ldc + j] += ref[(i - 2) * 7 + (j - 3)];
    expect(maxDiff(c, want)).toBeLessThan(1e-14);
  });

  it('triangular modes skip only stored zeros; lower mode fills the lower triangle', () => {
    const n = 200, k = 270;
    const r = randomMatrix(n, k, 5);
    for (let i = 0; i < n; i++) for (let p = 0; p < i; p++) r[i * k + p] = 0; // upper trapezoidal rows
    const b = randomMatrix(n, k, 6);
    const full = naiveNT(r, n, b, n, k);
    const triA = new Float64Array(n * n);
    gemmNT(n, n, k, r, 0, k, b, 0, k, triA, 0, n, { triA: true });
    expect(maxDiff(triA, full)).toBeLessThan(1e-12 * k);
    const triB = new Float64Array(n * n);
    gemmNT(n, n, k, b, 0, k, r, 0, k, triB, 0, n, { triB: true });
    expect(maxDiff(triB, naiveNT(b, n, r, n, k))).toBeLessThan(1e-12 * k);
    const g = gramRows(b, n, k);
    expect(maxDiff(g, naiveNT(b, n, b, n, k))).toBeLessThan(1e-12 * k);
    const low = new Float64Array(n * n);
    gemmNT(n, n, k, b, 0, k, b, 0, k, low, 0, n, { lower: true });
    mirrorLower(low, n);
    expect(maxDiff(low, g)).toBe(0);
  });
});

describe('crossProduct and column means', () => {
  it('equal the naive centred/scaled sums for every input type', () => {
    const n = 530, d = 37; // more than two row blocks, d not a multiple of 3
    const rng = createRng(9);
    const f32 = Float32Array.from({ length: n * d }, () => rng() * 4 - 1);
    const u16 = Uint16Array.from({ length: n * d }, () => Math.floor(rng() * 50));
    const scale = Float64Array.from({ length: n }, () => 0.5 + rng());
    for (const data of [f32, u16, Int32Array.from(u16), Float64Array.from(f32)]) {
      const mean = columnMeans(data, n, d);
      const naiveMean = new Float64Array(d);
      for (let j = 0; j < d; j++) {
        for (let r = 0; r < n; r++) naiveMean[j] += data[r * d + j];
        naiveMean[j] /= n;
      }
      expect(maxDiff(mean, naiveMean)).toBeLessThan(1e-12);
      const s = crossProduct(data, n, d, { center: mean, rowScale: scale });
      const x = toFloat64Rows(data, n, d, { center: mean, rowScale: scale });
      const ref = new Float64Array(d * d);
      for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) {
        let t = 0;
        for (let r = 0; r < n; r++) t += x[r * d + a] * x[r * d + b];
        ref[a * d + b] = t;
      }
      expect(maxDiff(s, ref) / Math.max(1, ...Array.from(ref, Math.abs))).toBeLessThan(1e-13);
      let asym = 0;
      for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) asym = Math.max(asym, Math.abs(s[a * d + b] - s[b * d + a]));
      expect(asym).toBe(0);
    }
  });
});

describe('helmertContrasts', () => {
  it('has F^T F = X^T X for centred X, with n-1 rows', () => {
    const n = 9, d = 5;
    const raw = randomMatrix(n, d, 21);
    const x = toFloat64Rows(raw, n, d, { center: columnMeans(raw, n, d) });
    const f = helmertContrasts(x, n, d);
    expect(f.length).toBe((n - 1) * d);
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) {
      let s1 = 0, s2 = 0;
      for (let r = 0; r < n; r++) s1 += x[r * d + a] * x[r * d + b];
      for (let r = 0; r < n - 1; r++) s2 += f[r * d + a] * f[r * d + b];
      expect(s2).toBeCloseTo(s1, 13);
    }
    // first contrast of rows (1, 3): (1 - 3) / sqrt 2
    expect(helmertContrasts(Float64Array.of(1, 3), 2, 1)[0]).toBeCloseTo(-2 / Math.SQRT2, 15);
  });
});

import { describe, expect, it } from 'vitest';
import { pivotedCholesky } from '../../../src/core/linalg/cholesky.ts';
import { createRng } from '../../../src/core/random.ts';

/** A = X^T X for a seeded k x n X (rank min(k, n)). */
function psd(n: number, k: number, seed: number): Float64Array {
  const rng = createRng(seed);
  const x = Float64Array.from({ length: k * n }, () => rng() * 2 - 1);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let t = 0; t < k; t++) s += x[t * n + i] * x[t * n + j];
    a[i * n + j] = s;
  }
  return a;
}

function reconstructionError(a: Float64Array, n: number): { err: number; rank: number; diagOk: boolean } {
  const { rank, perm, r } = pivotedCholesky(a, n);
  let err = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let t = 0; t < rank; t++) s += r[t * n + i] * r[t * n + j];
    err = Math.max(err, Math.abs(s - a[perm[i] * n + perm[j]]));
  }
  let diagOk = true;
  for (let t = 0; t < rank; t++) {
    if (t > 0 && r[t * n + t] > r[(t - 1) * n + t - 1] * (1 + 1e-12)) diagOk = false; // pivots non-increasing
    for (let j = 0; j < t; j++) if (r[t * n + j] !== 0) diagOk = false; // upper trapezoidal
  }
  expect(new Set(perm).size).toBe(n);
  return { err, rank, diagOk };
}

describe('pivotedCholesky', () => {
  it('factors positive definite matrices exactly, across panel boundaries', () => {
    for (const n of [1, 3, 47, 48, 49, 130]) {
      const a = psd(n, n + 5, n);
      const { err, rank, diagOk } = reconstructionError(a, n);
      expect(rank).toBe(n);
      expect(diagOk).toBe(true);
      expect(err).toBeLessThan(1e-12 * n);
    }
  });

  it('stops at the numerical rank of semi-definite matrices', () => {
    for (const [n, k] of [[12, 5], [110, 60], [100, 1]]) {
      const a = psd(n, k, n + k);
      const { err, rank } = reconstructionError(a, n);
      expect(rank).toBe(k);
      expect(err).toBeLessThan(1e-11 * n);
    }
    expect(pivotedCholesky(new Float64Array(16), 4).rank).toBe(0);
  });

  it('handles a zero-variance coordinate (rank n-1)', () => {
    const n = 6;
    const a = psd(n, 20, 3);
    for (let i = 0; i < n; i++) { a[2 * n + i] = 0; a[i * n + 2] = 0; }
    const f = pivotedCholesky(a, n);
    expect(f.rank).toBe(n - 1);
    expect(f.perm[n - 1]).toBe(2);
  });
});

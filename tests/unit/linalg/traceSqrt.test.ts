import { describe, expect, it } from 'vitest';
import {
  traceSqrtProduct,
  traceSqrtProductGram,
  traceSqrtProductGram2,
} from '../../../src/core/linalg/traceSqrt.ts';
import { createRng } from '../../../src/core/random.ts';
import { eigh, eigvalsh } from '../../../src/core/linalg/eigh.ts';
import { useWasmKernels } from '../../../src/core/linalg/wasm/kernels.ts';

function rows(n: number, d: number, seed: number): Float64Array {
  const rng = createRng(seed);
  return Float64Array.from({ length: n * d }, () => rng() * 2 - 1);
}

function gram(x: Float64Array, n: number, d: number, c: number): Float64Array {
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
    let s = 0;
    for (let r = 0; r < n; r++) s += x[r * d + i] * x[r * d + j];
    a[i * d + j] = c * s;
  }
  return a;
}

describe('Tr (A B)^1/2', () => {
  it('is sum sqrt(a_i b_i) for diagonal matrices (hand-checked)', () => {
    const a = Float64Array.of(4, 0, 0, 0, 9, 0, 0, 0, 0);
    const b = Float64Array.of(1, 0, 0, 0, 4, 0, 0, 0, 7);
    expect(traceSqrtProduct(a, b, 3).value).toBeCloseTo(2 + 6, 13);
  });

  it('is Tr A when B = A, and symmetric in A and B', () => {
    const d = 20;
    const a = gram(rows(50, d, 1), 50, d, 1 / 49);
    const b = gram(rows(40, d, 2), 40, d, 1 / 39);
    let tr = 0;
    for (let i = 0; i < d; i++) tr += a[i * d + i];
    expect(traceSqrtProduct(a, a, d).value).toBeCloseTo(tr, 11);
    expect(traceSqrtProduct(a, b, d).value).toBeCloseTo(traceSqrtProduct(b, a, d).value, 11);
  });

  it('gives the same value by the Cholesky and both Gram-matrix routes for low-rank factors', () => {
    const d = 30, na = 12, nb = 17;
    const x = rows(na, d, 3), y = rows(nb, d, 4);
    const ca = 1 / 11, cb = 1 / 16;
    const a = gram(x, na, d, ca), b = gram(y, nb, d, cb);
    const g2 = traceSqrtProductGram2(x, na, ca, y, nb, cb, d).value;
    const g2r = traceSqrtProductGram2(y, nb, cb, x, na, ca, d).value;
    const g1 = traceSqrtProductGram(x, na, d, ca, b).value;
    const g1b = traceSqrtProductGram(y, nb, d, cb, a).value;
    const ch = traceSqrtProduct(a, b, d).value;
    expect(g2r).toBeCloseTo(g2, 12);
    expect(g1).toBeCloseTo(g2, 12);
    // Y A Y^T is 17 x 17 of rank 12: square roots of its five rounding-level eigenvalues
    // add ~sqrt(eps) relative error, which is why FID feeds this route full-rank Helmert rows.
    expect(Math.abs(g1b - g2) / g2).toBeLessThan(1e-7);
    expect(Math.abs(ch - g2) / g2).toBeLessThan(1e-9);
  });

  it('is 0 when one matrix is 0', () => {
    const d = 5;
    const a = gram(rows(9, d, 5), 9, d, 1);
    expect(traceSqrtProduct(new Float64Array(d * d), a, d).value).toBe(0);
    expect(traceSqrtProduct(a, new Float64Array(d * d), d).value).toBe(0);
  });
});

describe('Tr (A B)^1/2 at an order that crosses the blocks of R B R^T', () => {
  it('matches sum sqrt eig(A^1/2 B A^1/2) with A^1/2 from the eigenvectors of A, with and without WebAssembly', () => {
    const d = 150, n = 170; // rank d > 128 rows per block of V = R B[P,P]
    const a = gram(rows(n, d, 31), n, d, 1 / n);
    const b = gram(rows(n, d, 32), n, d, 1 / n);
    // independent route: A^1/2 = V diag(sqrt w) V^T, then the eigenvalues of A^1/2 B A^1/2
    const { values, vectors } = eigh(a, d, { vectors: true });
    const v = vectors!;
    const h = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += v[i * d + t] * Math.sqrt(Math.max(values[t], 0)) * v[j * d + t];
      h[i * d + j] = s;
    }
    const hb = new Float64Array(d * d), m = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += h[i * d + t] * b[t * d + j];
      hb[i * d + j] = s;
    }
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += hb[i * d + t] * h[t * d + j];
      m[i * d + j] = s;
    }
    const want = eigvalsh(m, d).reduce((s, x) => s + Math.sqrt(Math.max(x, 0)), 0);
    expect(Math.abs(traceSqrtProduct(a, b, d).value - want) / want).toBeLessThan(1e-11);
    const was = useWasmKernels(false);
    try {
      expect(Math.abs(traceSqrtProduct(a, b, d).value - want) / want).toBeLessThan(1e-11);
    } finally {
      useWasmKernels(was);
    }
  });
});

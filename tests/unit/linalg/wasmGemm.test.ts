import { afterEach, describe, expect, it } from 'vitest';
import {
  columnsOperand, gemm, gemmNT, gemmNTJs, gemmOperands, permutedOperand, rowsOperand, wasmMatrix,
} from '../../../src/core/linalg/gemm.ts';
import { useWasmKernels, wasmAvailable } from '../../../src/core/linalg/wasm/kernels.ts';
import { createRng } from '../../../src/core/random.ts';

// The WebAssembly SIMD products against naive float64 sums, on sizes that cross the
// micro-tile (4), row-block (MC = 128), inner-slice (KC = 256) and column-block (NC = 1024)
// edges, for every operand kind and mode; and the plain-JS fallback on the same inputs.

afterEach(() => { useWasmKernels(true); });

function random(len: number, seed: number): Float64Array {
  const rng = createRng(seed);
  return Float64Array.from({ length: len }, () => rng() * 2 - 1);
}

/** Naive sum_p a(i, p) b(j, p) with element accessors. */
function naive(m: number, n: number, k: number, a: (i: number, p: number) => number, b: (j: number, p: number) => number): Float64Array {
  const x = new Float64Array(m * k), y = new Float64Array(n * k);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) x[i * k + p] = a(i, p);
  for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) y[j * k + p] = b(j, p);
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = 0; p < k; p++) s += x[i * k + p] * y[j * k + p];
    c[i * n + j] = s;
  }
  return c;
}

/** Largest |x - y| relative to the largest |y| (both compared over the m x n block at cOff, ldc of x). */
function relDiff(x: Float64Array, cOff: number, ldc: number, y: Float64Array, m: number, n: number, keep?: (i: number, j: number) => boolean): number {
  let d = 0, s = 0;
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    if (keep && !keep(i, j)) continue;
    d = Math.max(d, Math.abs(x[cOff + i * ldc + j] - y[i * n + j]));
    s = Math.max(s, Math.abs(y[i * n + j]));
  }
  return d / s;
}

describe('WebAssembly SIMD kernels', () => {
  it('are available in Node (the paths below test them, not the fallback)', () => {
    expect(wasmAvailable()).toBe(true);
  });

  it('gemmNT matches the naive product across every block edge, accumulating into a strided block', () => {
    for (const [m, n, k] of [[33, 35, 31], [130, 7, 257], [5, 1030, 70], [21, 9, 513]]) {
      const a = random(m * k, m + k), b = random(n * k, n * 3 + k);
      const ldc = n + 3, cOff = 2 * ldc + 1;
      const c = new Float64Array((m + 3) * ldc).fill(0.5);
      gemmNT(m, n, k, a, 0, k, b, 0, k, c, cOff, ldc);
      const ref = naive(m, n, k, (i, p) => a[i * k + p], (j, p) => b[j * k + p]);
      for (let i = 0; i < ref.length; i++) ref[i] += 0.5;
      expect(relDiff(c, cOff, ldc, ref, m, n)).toBeLessThan(1e-14);
      // nothing outside the block was touched
      let touched = 0;
      for (let i = 0; i < c.length; i++) {
        const r = Math.floor(i / ldc), col = i % ldc;
        const inside = r >= 2 && r < 2 + m && col >= 1 && col < 1 + n;
        if (!inside && c[i] !== 0.5) touched++;
      }
      expect(touched).toBe(0);
    }
  });

  it('lower mode writes only j <= i; symmetric mode writes both triangles; triangular operands skip only zeros', () => {
    const n = 133, k = 260;
    const a = random(n * k, 4);
    const full = naive(n, n, k, (i, p) => a[i * k + p], (j, p) => a[j * k + p]);
    const low = new Float64Array(n * n).fill(7);
    gemmNT(n, n, k, a, 0, k, a, 0, k, low, 0, n, { lower: true });
    let upper = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (low[i * n + j] !== 7) upper++;
    expect(upper).toBe(0);
    const ref7 = full.map((v) => v + 7);
    expect(relDiff(low, 0, n, ref7, n, n, (i, j) => j <= i)).toBeLessThan(1e-14);
    const sym = new Float64Array(n * n);
    const op = rowsOperand(a, 0, k);
    gemmOperands(n, n, k, op, op, sym, 0, n, { symmetric: true });
    expect(relDiff(sym, 0, n, full, n, n)).toBeLessThan(1e-14);
    let asym = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) if (sym[i * n + j] !== sym[j * n + i]) asym++;
    expect(asym).toBe(0);
    // upper-trapezoidal rows (zero before the diagonal), as pivoted Cholesky's R
    const r = random(n * k, 5);
    for (let i = 0; i < n; i++) for (let p = 0; p < Math.min(i, k); p++) r[i * k + p] = 0;
    const b = random(n * k, 6);
    const ta = new Float64Array(n * n);
    gemmNT(n, n, k, r, 0, k, b, 0, k, ta, 0, n, { triA: true });
    expect(relDiff(ta, 0, n, naive(n, n, k, (i, p) => r[i * k + p], (j, p) => b[j * k + p]), n, n)).toBeLessThan(1e-14);
    const tb = new Float64Array(n * n);
    gemmNT(n, n, k, b, 0, k, r, 0, k, tb, 0, n, { triB: true, lower: true });
    expect(relDiff(tb, 0, n, naive(n, n, k, (i, p) => b[i * k + p], (j, p) => r[j * k + p]), n, n, (i, j) => j <= i)).toBeLessThan(1e-14);
  });

  it('reads gathered rows, centred and scaled columns of float32 / integer data, and permuted symmetric matrices', () => {
    const rows = 263, d = 45;
    const rng = createRng(11);
    const f32 = Float32Array.from({ length: rows * d }, () => rng() * 3 - 1);
    const u16 = Uint16Array.from({ length: rows * d }, () => Math.floor(rng() * 40));
    const center = random(d, 12), scale = Float64Array.from({ length: rows }, () => 0.5 + rng());
    for (const data of [f32, u16]) {
      // X^T X with centring and row scales (k = rows, crossing KC)
      const cols = columnsOperand(data, d, center, scale);
      const x = (p: number, i: number) => (data[p * d + i] - center[i]) * scale[p];
      const ref = naive(d, d, rows, (i, p) => x(p, i), (j, p) => x(p, j));
      const s = new Float64Array(d * d);
      gemm(d, d, rows, cols, cols, s, 0, d, { symmetric: true });
      expect(relDiff(s, 0, d, ref, d, d)).toBeLessThan(1e-14);
      // gathered rows
      const idx = Int32Array.from({ length: 37 }, (_, t) => (t * 97) % rows);
      const g = new Float64Array(37 * 37);
      gemm(37, 37, d, rowsOperand(data, 0, d, idx), rowsOperand(data, 0, d, idx), g, 0, 37);
      expect(relDiff(g, 0, 37, naive(37, 37, d, (i, p) => data[idx[i] * d + p], (j, p) => data[idx[j] * d + p]), 37, 37)).toBeLessThan(1e-14);
    }
    // permuted symmetric matrix times rows
    const n = 70;
    const base = random(n * n, 13);
    const sm = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) sm[i * n + j] = base[i * n + j] + base[j * n + i];
    const perm = Int32Array.from({ length: n }, (_, i) => (i * 29 + 3) % n);
    const w = random(9 * n, 14);
    const out = new Float64Array(9 * n);
    gemm(9, n, n, rowsOperand(w, 0, n), permutedOperand(sm, n, perm), out, 0, n);
    expect(relDiff(out, 0, n, naive(9, n, n, (i, p) => w[i * n + p], (j, p) => sm[perm[j] * n + perm[p]]), 9, n)).toBeLessThan(1e-14);
  });

  it('the plain-JS fallback gives the same values', () => {
    const m = 41, n = 38, k = 300;
    const a = random(m * k, 20), b = random(n * k, 21);
    const viaWasm = new Float64Array(m * n);
    gemmNT(m, n, k, a, 0, k, b, 0, k, viaWasm, 0, n);
    const js = new Float64Array(m * n);
    gemmNTJs(m, n, k, a, 0, k, b, 0, k, js, 0, n);
    expect(relDiff(viaWasm, 0, n, js, m, n)).toBeLessThan(1e-14);
    expect(useWasmKernels(false)).toBe(true);
    expect(wasmAvailable()).toBe(false);
    const d = 23, rows = 50;
    const data = Float32Array.from(random(rows * d, 22));
    const op = columnsOperand(data, d);
    const s = new Float64Array(d * d);
    gemm(d, d, rows, op, op, s, 0, d, { symmetric: true });
    const ref = naive(d, d, rows, (i, p) => data[p * d + i], (j, p) => data[p * d + j]);
    expect(relDiff(s, 0, d, ref, d, d)).toBeLessThan(1e-14);
  });
});

describe('products into a wasmMatrix (accumulated in place)', () => {
  it('match the naive product with edge strips, in plain, symmetric and lower modes', () => {
    const m = 135, n = 141, k = 270; // neither m nor n a multiple of 4; k crosses KC
    const a = random(m * k, 40), b = random(n * k, 41);
    const ref = naive(m, n, k, (i, p) => a[i * k + p], (j, p) => b[j * k + p]);
    const c = wasmMatrix(m * n);
    c.fill(0.25);
    gemm(m, n, k, rowsOperand(a, 0, k), rowsOperand(b, 0, k), c, 0, n);
    expect(relDiff(c, 0, n, ref.map((x) => x + 0.25), m, n)).toBeLessThan(1e-14);
    // symmetric: X^T X of float32 data into a wasmMatrix
    const rows = 300, d = 37;
    const data = Float32Array.from(random(rows * d, 42));
    const op = columnsOperand(data, d);
    const s = wasmMatrix(d * d);
    gemm(d, d, rows, op, op, s, 0, d, { symmetric: true });
    expect(relDiff(s, 0, d, naive(d, d, rows, (i, p) => data[p * d + i], (j, p) => data[p * d + j]), d, d)).toBeLessThan(1e-14);
    // a row block of a lower triangle (diagonal offset), entries above may take partial sums
    const t = 133, i0 = 57, rb = 46;
    const z = random(t * k, 43);
    const blk = wasmMatrix(rb * (i0 + rb));
    gemm(rb, i0 + rb, k, rowsOperand(z, i0 * k, k), rowsOperand(z, 0, k), blk, 0, i0 + rb, { lower: true, diagonal: i0 - 1, upperMayChange: true });
    const full = naive(rb, i0 + rb, k, (i, p) => z[(i0 + i) * k + p], (j, p) => z[j * k + p]);
    expect(relDiff(blk, 0, i0 + rb, full, rb, i0 + rb, (i, j) => j < i0 + i)).toBeLessThan(1e-14);
  });
});

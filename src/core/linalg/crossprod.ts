/**
 * Float64 column means and cross-product matrices of row-major feature data
 * (the moment computations behind covariance, FID and the Vendi dual kernel).
 *
 * crossProduct accumulates S = sum_r s_r^2 (x_r - c)(x_r - c)^T block by block:
 * 256 rows at a time are centred, scaled, transposed into a d x 256 float64 panel and
 * multiplied with themselves by the blocked kernel of gemm.ts (lower triangle only),
 * so memory stays O(d^2 + 256 d) whatever the number of rows, and the two-pass
 * (centre first) formula keeps the rounding error of numpy.cov.
 */
import { gemmNT, mirrorLower } from './gemm.ts';

export type NumericRows = Float32Array | Float64Array | Int32Array | Uint16Array;

const ROW_BLOCK = 256;

/** Mean of each column of the n x d row-major data, in float64. */
export function columnMeans(data: NumericRows, n: number, d: number): Float64Array {
  const mean = new Float64Array(d);
  if (n === 0) return mean;
  for (let r = 0; r < n; r++) {
    const o = r * d;
    for (let j = 0; j < d; j++) mean[j] += data[o + j];
  }
  for (let j = 0; j < d; j++) mean[j] /= n;
  return mean;
}

export interface CrossProductOptions {
  /** Subtract this vector from every row first (length d). */
  center?: Float64Array;
  /** Multiply row r by rowScale[r] (after centring). */
  rowScale?: Float64Array;
}

/**
 * S = sum_r (s_r (x_r - c)) (s_r (x_r - c))^T as a full symmetric d x d row-major
 * Float64Array (not divided by anything).
 */
export function crossProduct(data: NumericRows, n: number, d: number, opts: CrossProductOptions = {}): Float64Array {
  const c = opts.center;
  const scale = opts.rowScale;
  const out = new Float64Array(d * d);
  const panel = new Float64Array(d * ROW_BLOCK);
  for (let r0 = 0; r0 < n; r0 += ROW_BLOCK) {
    const rb = Math.min(ROW_BLOCK, n - r0);
    for (let r = 0; r < rb; r++) {
      const o = (r0 + r) * d;
      const s = scale ? scale[r0 + r] : 1;
      if (c) for (let j = 0; j < d; j++) panel[j * ROW_BLOCK + r] = (data[o + j] - c[j]) * s;
      else for (let j = 0; j < d; j++) panel[j * ROW_BLOCK + r] = data[o + j] * s;
    }
    gemmNT(d, d, rb, panel, 0, ROW_BLOCK, panel, 0, ROW_BLOCK, out, 0, d, { lower: true });
  }
  mirrorLower(out, d);
  return out;
}

/**
 * The rows as a dense float64 n x d matrix, centred by `center` and scaled by `rowScale`
 * when given (used by the Gram-matrix paths, where n is small).
 */
export function toFloat64Rows(data: NumericRows, n: number, d: number, opts: CrossProductOptions = {}): Float64Array {
  const out = new Float64Array(n * d);
  const c = opts.center;
  const scale = opts.rowScale;
  for (let r = 0; r < n; r++) {
    const o = r * d;
    const s = scale ? scale[r] : 1;
    for (let j = 0; j < d; j++) out[o + j] = (c ? data[o + j] - c[j] : data[o + j]) * s;
  }
  return out;
}

/**
 * Helmert contrasts of the n x d row-major rows: the (n-1) x d matrix whose row k-1
 * (k = 1..n-1) is (x_0 + ... + x_{k-1} - k x_k) / sqrt(k (k+1)); the rows of the
 * Helmert basis are orthonormal and orthogonal to the all-ones vector (as
 * scipy.linalg.helmert(n)). For centred rows X, F^T F = X^T X with F of rank n-1.
 */
export function helmertContrasts(x: Float64Array, n: number, d: number): Float64Array {
  const out = new Float64Array(Math.max(0, n - 1) * d);
  const run = new Float64Array(d);
  for (let j = 0; j < d; j++) run[j] = x[j];
  for (let k = 1; k < n; k++) {
    const o = k * d, dst = (k - 1) * d;
    const c = 1 / Math.sqrt(k * (k + 1));
    for (let j = 0; j < d; j++) {
      const v = x[o + j];
      out[dst + j] = (run[j] - k * v) * c;
      run[j] += v;
    }
  }
  return out;
}

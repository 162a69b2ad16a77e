/**
 * Float64 column means and cross-product matrices of row-major feature data
 * (the moment computations behind covariance, FID and the Vendi dual kernel).
 *
 * crossProduct accumulates S = sum_r s_r^2 (x_r - c)(x_r - c)^T with the blocked product of
 * gemm.ts, reading the data as the transposed operand X^T (centred and scaled while it is
 * packed, in float64), so memory stays O(d^2) whatever the number of rows and no copy of
 * the data is made; the two-pass (centre first) formula keeps the rounding error of
 * numpy.cov.
 */
import { columnsOperand, gemm, wasmMatrix, type NumericRows } from './gemm.ts';
import type { FeatureSet } from '../features/featureSet.ts';
import { blockRows, forEachRowBlock, isStreamed } from '../features/rowSource.ts';

export type { NumericRows };

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
  /** crossProduct only: write S here (zeroed d x d, e.g. from symmetricMatrix) instead of a new array. */
  out?: Float64Array;
}

/**
 * S = sum_r (s_r (x_r - c)) (s_r (x_r - c))^T as a full symmetric d x d row-major
 * Float64Array (not divided by anything).
 */
export function crossProduct(data: NumericRows, n: number, d: number, opts: CrossProductOptions = {}): Float64Array {
  const out = opts.out ?? wasmMatrix(d * d);
  const op = columnsOperand(data, d, opts.center, opts.rowScale);
  gemm(d, d, n, op, op, out, 0, d, { symmetric: true });
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
 * With `center`, the rows x_k - center are used (read from x, which may be of any
 * numeric type, without a centred copy).
 */
export function helmertContrasts(x: NumericRows, n: number, d: number, center?: Float64Array): Float64Array {
  const out = new Float64Array(Math.max(0, n - 1) * d);
  const run = new Float64Array(d);
  const c0 = center ?? new Float64Array(d);
  for (let j = 0; j < d; j++) run[j] = x[j] - c0[j];
  for (let k = 1; k < n; k++) {
    const o = k * d, dst = (k - 1) * d;
    const c = 1 / Math.sqrt(k * (k + 1));
    for (let j = 0; j < d; j++) {
      const v = x[o + j] - c0[j];
      out[dst + j] = (run[j] - k * v) * c;
      run[j] += v;
    }
  }
  return out;
}

/**
 * Rows per block when a set's moments are accumulated block by block: about 8 MiB of float32
 * rows, a multiple of gemm's inner slice (256 rows), so the blocked sums add the same float64
 * terms in the same order as one product over all rows: the results are equal bit for bit.
 */
export const momentBlockRows = (d: number): number => blockRows(d, 8 << 20, 256);

/** columnMeans of a feature set, block by block when its rows are streamed (./../features/rowSource.ts). */
export function columnMeansOf(fs: FeatureSet): Float64Array {
  if (!isStreamed(fs)) return columnMeans(fs.data, fs.n, fs.dim);
  const { n, dim: d } = fs;
  const mean = new Float64Array(d);
  if (n === 0) return mean;
  forEachRowBlock(fs, momentBlockRows(d), (block, _first, count) => {
    for (let r = 0; r < count; r++) {
      const o = r * d;
      for (let j = 0; j < d; j++) mean[j] += block[o + j];
    }
  });
  for (let j = 0; j < d; j++) mean[j] /= n;
  return mean;
}

/** crossProduct of a feature set's rows, block by block when they are streamed (the same values bit for bit). */
export function crossProductOf(fs: FeatureSet, opts: CrossProductOptions = {}): Float64Array {
  if (!isStreamed(fs)) return crossProduct(fs.data, fs.n, fs.dim, opts);
  const d = fs.dim;
  const out = opts.out ?? wasmMatrix(d * d);
  forEachRowBlock(fs, momentBlockRows(d), (block, first, count) => {
    crossProduct(block, count, d, { center: opts.center, rowScale: opts.rowScale?.subarray(first, first + count), out });
  });
  return out;
}

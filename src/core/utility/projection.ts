/**
 * Feature reduction in front of the utility probes: standardise with the TRAINING rows'
 * statistics, then project onto the top-P principal components of those rows. runUtility
 * fits one projection per training set (R, R + A, R + S, S), so that every probe is a
 * pipeline "standardise -> PCA -> MLP" fitted on its own training rows, like a
 * scikit-learn Pipeline(StandardScaler(), PCA(P), classifier).
 *
 * Reference: principal component analysis as in scikit-learn's PCA (full SVD solver) on
 * StandardScaler output (mean, std with ddof = 0): the axes are the right singular
 * vectors of the centred, scaled data Z, i.e. the eigenvectors of Z^T Z with the largest
 * eigenvalues; a row's scores are its standardised values times those axes. Fitted
 * here through the eigendecomposition of the smaller of the two cross-product matrices
 * (Z Z^T, the Gram matrix, when rows < features; Z^T Z otherwise) with the float64
 * symmetric solver of ../linalg/eigh.ts; an axis from the Gram route is
 * v_k = Z^T u_k / sqrt(lambda_k). The tests compare with scikit-learn
 * (tests/unit/utility/fixtures/make_projection_reference.py).
 *
 * Why: a probe on 1280-d (or 4096-d) features with a few hundred rows spends almost all
 * of its work on directions the training rows never vary in; after the projection a
 * gradient step costs rows x P x hidden instead of rows x dim x hidden.
 *
 * Exactly:
 * - mean and std of every feature over the training rows (float64, ddof 0); a feature
 *   whose std is below 1e-12 is divided by 1 instead (as in ./probe.ts);
 * - the axes are fitted on at most PCA_MAX_ROWS rows: all of them when there are that
 *   few, otherwise a seeded sample (./rng.ts, stream 303, seed 0 unless given; sorted
 *   row indices) so the cubic eigendecomposition stays small; the standardisation still
 *   uses every row;
 * - P = min(components, fitted rows - 1, dim), then reduced to the number of
 *   eigenvalues above 1e-9 x the largest (a rank-deficient set yields fewer axes);
 * - the eigendecomposition is of the cross-product matrix shifted by its trace (same
 *   eigenvectors; see the comment in fitProjection), eigenvalues shifted back;
 * - axes are sorted by decreasing eigenvalue; each axis's sign is fixed so that its
 *   largest-magnitude entry (the first one on ties) is positive, which makes the
 *   projection independent of the eigensolver's sign choice;
 * - `variances[k]` = lambda_k / fitted rows: the variance (ddof 0) of score k over the
 *   fitted rows; `explained` = sum of the kept lambda_k / sum of all of them.
 * - output: score_k(x) = z(x) . v_k / scale, z(x) the standardised row, with ONE common
 *   factor scale = sqrt(mean of the kept variances), so the scores have unit variance on
 *   average while keeping their relative sizes (no whitening: a probe on the scores is,
 *   up to a rotation and that factor, a probe on the standardised features restricted
 *   to R's top-P principal subspace; whitening would blow the weakest, noisiest kept
 *   directions up to the size of the strongest). The scores are not centred again
 *   (with every row fitted they have mean 0 over R up to rounding).
 */

import { eigh } from '../linalg/eigh.ts';
import { gemmNT, gramRows } from '../linalg/gemm.ts';
import { crossProduct } from '../linalg/crossprod.ts';
import { columnStats } from './probe.ts';
import { createRng } from './rng.ts';

/** Most rows the principal axes are fitted on (the eigendecomposition is cubic in min(rows, dim)). */
export const PCA_MAX_ROWS = 256;
/** Rows standardised and projected per block in apply(). */
const APPLY_ROWS = 128;
/** Eigenvalues below this fraction of the largest are treated as zero (rank deficiency). */
export const PCA_RELATIVE_TOLERANCE = 1e-9;

export interface FeatureProjection {
  /** Input feature dimension. */
  dim: number;
  /** Number of principal components kept (output dimension). */
  components: number;
  /** Training rows the standardisation used, and rows the axes were fitted on. */
  rows: number;
  fittedRows: number;
  /** Standardisation statistics of the training rows (ddof 0; tiny std replaced by 1). */
  mean: Float64Array;
  std: Float64Array;
  /** components x dim, row-major: unit-length principal axes in standardised feature space. */
  axes: Float64Array;
  /** Variance (ddof 0) of each score over the fitted rows, decreasing. */
  variances: Float64Array;
  /** Share of the fitted rows' total standardised variance that the kept components hold. */
  explained: number;
  /** The common divisor of the scores: sqrt(mean of `variances`). */
  scale: number;
  /** Scores of n rows of raw features: n x components, row-major. */
  apply(x: Float32Array, n: number): Float32Array;
}

/** Sorted, seeded sample of `k` of the indices 0..n-1 (all of them when k >= n). */
export function sampleRows(n: number, k: number, seed: number): Int32Array {
  if (k >= n) return Int32Array.from({ length: n }, (_, i) => i);
  const rng = createRng(seed, 303);
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  // partial Fisher-Yates: the first k entries are a uniform sample without replacement
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return idx.subarray(0, k).sort();
}

/**
 * Fit the projection on the training rows `x` (n x dim, row-major). `components` is
 * the most principal components to keep (>= 1). `seed` only matters when n > PCA_MAX_ROWS.
 * Throws a RangeError when the rows have no variance at all (nothing to project onto).
 */
export function fitProjection(x: Float32Array, n: number, dim: number, components: number, seed = 0): FeatureProjection {
  if (!Number.isInteger(components) || components < 1) throw new RangeError(`components must be a positive integer, got ${components}`);
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`principal components need at least 2 rows, got ${n}`);
  if (x.length !== n * dim) throw new RangeError(`features have ${x.length} values, expected ${n} x ${dim}`);
  const { mean, std } = columnStats(x, n, dim);
  const rowsIdx = sampleRows(n, PCA_MAX_ROWS, seed);
  const m = rowsIdx.length;
  // standardised rows (float64), centred on the fitted rows' own mean so the cross products are covariances
  const z = new Float64Array(m * dim);
  const centre = new Float64Array(dim);
  for (let r = 0; r < m; r++) {
    const o = rowsIdx[r] * dim;
    for (let j = 0; j < dim; j++) {
      const v = (x[o + j] - mean[j]) / std[j];
      z[r * dim + j] = v;
      centre[j] += v;
    }
  }
  for (let j = 0; j < dim; j++) centre[j] /= m;
  for (let r = 0; r < m; r++) for (let j = 0; j < dim; j++) z[r * dim + j] -= centre[j];

  const gram = m <= dim;
  const size = gram ? m : dim;
  const cross = gram ? gramRows(z, m, dim) : crossProduct(z, m, dim);
  // Spectral shift by the trace (eigenvectors unchanged, eigenvalues + trace): the shifted
  // matrix has all eigenvalues in [trace, 2 trace], so the QL iteration's local deflation
  // test also converges for rank-deficient inputs (many zero eigenvalues, e.g. duplicated
  // rows), where it can otherwise fail on rounding noise at the scale of the largest one.
  let shift = 0;
  for (let i = 0; i < size; i++) shift += cross[i * size + i];
  for (let i = 0; i < size; i++) cross[i * size + i] += shift;
  const { values, vectors } = eigh(cross, size, { vectors: true, overwrite: true });
  for (let i = 0; i < size; i++) values[i] -= shift;
  const top = values[size - 1];
  let total = 0;
  for (let i = 0; i < size; i++) if (values[i] > 0) total += values[i];
  if (!(top > 0)) throw new RangeError('the features have no variance (every row is the same); there is nothing to project onto');
  let p = Math.min(components, m - 1, dim);
  let kept = 0;
  while (kept < p && values[size - 1 - kept] > PCA_RELATIVE_TOLERANCE * top) kept++;
  p = Math.max(1, kept);

  const axes = new Float64Array(p * dim);
  const variances = new Float64Array(p);
  let keptSum = 0;
  for (let k = 0; k < p; k++) {
    const lambda = values[size - 1 - k]; // eigh sorts ascending
    keptSum += lambda;
    variances[k] = lambda / m;
  }
  if (gram) {
    // axes (p x dim) = U_p^T Z / sqrt(lambda): one blocked product with Z transposed
    const ut = new Float64Array(p * m);
    for (let k = 0; k < p; k++) {
      const col = size - 1 - k;
      const s = 1 / Math.sqrt(values[col]);
      for (let r = 0; r < m; r++) ut[k * m + r] = vectors![r * size + col] * s;
    }
    const zt = new Float64Array(dim * m);
    for (let r = 0; r < m; r++) for (let j = 0; j < dim; j++) zt[j * m + r] = z[r * dim + j];
    gemmNT(p, dim, m, ut, 0, m, zt, 0, m, axes, 0, dim);
  } else {
    for (let k = 0; k < p; k++) {
      const col = size - 1 - k;
      for (let j = 0; j < dim; j++) axes[k * dim + j] = vectors![j * size + col];
    }
  }
  for (let k = 0; k < p; k++) {
    // renormalise (removes the rounding of the Gram route) and fix the sign
    const a = axes.subarray(k * dim, (k + 1) * dim);
    let norm = 0;
    let big = 0;
    for (let j = 0; j < dim; j++) {
      norm += a[j] * a[j];
      if (Math.abs(a[j]) > Math.abs(a[big])) big = j;
    }
    const f = (a[big] < 0 ? -1 : 1) / Math.sqrt(norm);
    for (let j = 0; j < dim; j++) a[j] *= f;
  }

  let meanVar = 0;
  for (let k = 0; k < p; k++) meanVar += variances[k] / p;
  const scale = Math.sqrt(meanVar);
  const invScale = 1 / scale;
  const block = new Float64Array(APPLY_ROWS * dim);
  const scores = new Float64Array(APPLY_ROWS * p);
  const apply = (xs: Float32Array, rows: number): Float32Array => {
    if (!Number.isInteger(rows) || rows < 0 || xs.length !== rows * dim) throw new RangeError(`expected ${rows} x ${dim} features, got ${xs.length} values`);
    const out = new Float32Array(rows * p);
    for (let r0 = 0; r0 < rows; r0 += APPLY_ROWS) {
      const rb = Math.min(APPLY_ROWS, rows - r0);
      for (let i = 0; i < rb; i++) {
        const o = (r0 + i) * dim;
        for (let j = 0; j < dim; j++) block[i * dim + j] = (xs[o + j] - mean[j]) / std[j];
      }
      scores.fill(0, 0, rb * p);
      gemmNT(rb, p, dim, block, 0, dim, axes, 0, dim, scores, 0, p);
      for (let i = 0; i < rb * p; i++) out[r0 * p + i] = scores[i] * invScale;
    }
    return out;
  };
  return { dim, components: p, rows: n, fittedRows: m, mean, std, axes, variances, explained: total > 0 ? keptSum / total : 1, scale, apply };
}

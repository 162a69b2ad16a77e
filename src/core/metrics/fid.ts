/**
 * Frechet distance between Gaussian fits of two feature sets (FID; Heusel et al.,
 * "GANs trained by a two time-scale update rule converge to a local Nash equilibrium",
 * NeurIPS 2017). Reference implementation: pytorch-fid, calculate_frechet_distance
 * (mseitzer/pytorch-fid, src/pytorch_fid/fid_score.py), with means and np.cov
 * (ddof = 1) of the features:
 *
 *   FID = ||mu_a - mu_b||^2 + Tr(S_a) + Tr(S_b) - 2 Tr (S_a S_b)^{1/2}
 *
 * pytorch-fid takes the matrix square root with scipy.linalg.sqrtm (Schur method) and,
 * only when that result is not finite, retries with 1e-6 added to both diagonals.
 * Here Tr (S_a S_b)^{1/2} is the sum of square roots of the eigenvalues of a symmetric
 * PSD matrix similar to S_a^{1/2} S_b S_a^{1/2} (float64, tiny negative eigenvalues
 * clamped to 0), see ../linalg/traceSqrt.ts: the pivoted Cholesky factor of S_a when
 * both sets have more rows than dimensions, and the exact Gram-matrix route otherwise.
 * On well-conditioned inputs this agrees with pytorch-fid to about 1e-13 relative (tests:
 * tests/unit/metrics/fid.test.ts); on singular covariances (N <= d) it gives the exact
 * value where sqrtm is about 2e-8 relative off. A covariance given without its rows and
 * singular to working precision loses the directions below 2^-52 d max(diag) (pivoted
 * Cholesky tolerance), which moves FID by about 1e-6 relative at most in practice.
 * Tiny negative totals from rounding (identical sets) are reported as 0.
 */
import type { FeatureKind, FeatureSet } from '../features/featureSet.ts';
import { columnMeansOf, crossProductOf, helmertContrasts } from '../linalg/crossprod.ts';
import { rowsInMemory } from '../features/rowSource.ts';
import { pivotedCholesky, type PivotedCholesky } from '../linalg/cholesky.ts';
import {
  traceSqrtProductFactored,
  traceSqrtProductGram,
  traceSqrtProductGram2,
  type TraceSqrtResult,
} from '../linalg/traceSqrt.ts';

export interface GaussianStats {
  n: number;
  dim: number;
  mean: Float64Array;
  /** dim x dim row-major covariance, ddof = 1 (from gaussianStats with n <= dim: computed when first read). */
  cov: Float64Array;
  /**
   * Kept by gaussianStats when n <= dim (singular covariance): the (n-1) x dim Helmert
   * contrasts of the centred rows, H (X - mu) with H the (n-1) x n orthonormal Helmert
   * basis orthogonal to the all-ones vector, so that cov = F^T F / (n - 1) with F of full
   * row rank for data in general position. FID then uses the exact Gram-matrix route.
   * Optional: stats from elsewhere (mean + cov only) work too.
   */
  helmert?: Float64Array;
  /** Kind of the features the stats came from (discrete codes are cast to numbers). */
  kind?: FeatureKind;
}

export interface FidResult {
  fid: number;
  warnings: string[];
}

/**
 * Mean and covariance (ddof = 1) of the rows, in float64. When n <= dim the Helmert
 * contrasts are kept and the covariance is computed only if it is read (the Gram-matrix
 * routes of frechetDistance need it only when the other set has n > dim).
 */
export function gaussianStats(fs: FeatureSet): GaussianStats {
  const { n, dim } = fs;
  if (n < 2) throw new Error(`FID needs at least 2 rows per set (got ${n})`);
  const mean = columnMeansOf(fs);
  for (let j = 0; j < dim; j++) {
    if (!Number.isFinite(mean[j])) throw new Error('feature set contains non-finite values');
  }
  const covariance = () => {
    const cov = crossProductOf(fs, { center: mean });
    const inv = 1 / (n - 1);
    for (let i = 0; i < cov.length; i++) cov[i] *= inv;
    return cov;
  };
  if (n > dim) return { n, dim, mean, cov: covariance(), kind: fs.kind };
  const stats = { n, dim, mean, kind: fs.kind, helmert: helmertContrasts(rowsInMemory(fs), n, dim, mean) } as GaussianStats;
  let cov: Float64Array | null = null;
  Object.defineProperty(stats, 'cov', { enumerable: true, get: () => (cov ??= covariance()) });
  return stats;
}

/** Tr of the covariance: from the Helmert contrasts when present (sum of squares / (n - 1)). */
function covTrace(s: GaussianStats): number {
  const d = s.dim;
  let t = 0;
  if (s.helmert) {
    const h = s.helmert;
    for (let i = 0; i < h.length; i++) t += h[i] * h[i];
    return t / (s.n - 1);
  }
  for (let j = 0; j < d; j++) t += s.cov[j * d + j];
  return t;
}

const factorCache = new WeakMap<GaussianStats, PivotedCholesky>();
const seen = new WeakSet<GaussianStats>();

function factorOf(s: GaussianStats): PivotedCholesky {
  let f = factorCache.get(s);
  if (!f) {
    f = pivotedCholesky(s.cov, s.dim);
    factorCache.set(s, f);
  }
  return f;
}

/**
 * Which side's covariance to factor: one already factored, else one seen in an earlier
 * call (the reused real set), else the first.
 */
function factorSide(a: GaussianStats, b: GaussianStats): 'a' | 'b' {
  if (factorCache.has(a)) return 'a';
  if (factorCache.has(b)) return 'b';
  if (seen.has(b) && !seen.has(a)) return 'b';
  return 'a';
}

export interface FrechetOptions {
  /**
   * Whose covariance to factor (pivoted Cholesky): by default the one chosen by factorSide from
   * this thread's earlier calls. Another thread that must give the same bits as a sequence of calls
   * here (../metrics/denseParallel.ts) names the side that sequence would have chosen.
   */
  factor?: 'a' | 'b';
}

/**
 * Frechet distance between two Gaussian fits (symmetric in a and b). When one set's
 * stats object is reused across calls (the real set), the factorisation of its
 * covariance is computed once, from the second call on, and cached with the object.
 */
export function frechetDistance(a: GaussianStats, b: GaussianStats, opts: FrechetOptions = {}): FidResult {
  const d = a.dim;
  if (b.dim !== d) throw new Error(`FID: feature dimensions differ (${a.dim} vs ${b.dim})`);
  if (a.mean.length !== d || b.mean.length !== d || (!a.helmert && a.cov.length !== d * d) || (!b.helmert && b.cov.length !== d * d)) {
    throw new Error('FID: mean/covariance sizes do not match the dimension');
  }
  const warnings: string[] = [];
  if (a.kind === 'discrete' || b.kind === 'discrete') {
    warnings.push('FID on discrete features: the integer codes are treated as numbers (cast to float64).');
  }
  for (const [name, s] of [['first', a], ['second', b]] as const) {
    if (s.n <= d) {
      warnings.push(
        `FID: the ${name} set has ${s.n} rows for ${d} feature dimensions, so its covariance is singular ` +
        `(rank <= ${s.n - 1}); FID is strongly biased at this size (computed exactly through the Gram matrix; ` +
        'pytorch-fid would use scipy sqrtm with a 1e-6 diagonal offset).',
      );
    }
  }
  let mu2 = 0;
  for (let j = 0; j < d; j++) { const t = a.mean[j] - b.mean[j]; mu2 += t * t; }
  const trA = covTrace(a), trB = covTrace(b);

  let ts: TraceSqrtResult;
  if (a.helmert && b.helmert) {
    ts = traceSqrtProductGram2(a.helmert, a.n - 1, 1 / (a.n - 1), b.helmert, b.n - 1, 1 / (b.n - 1), d);
  } else if (a.helmert) {
    ts = traceSqrtProductGram(a.helmert, a.n - 1, d, 1 / (a.n - 1), b.cov);
  } else if (b.helmert) {
    ts = traceSqrtProductGram(b.helmert, b.n - 1, d, 1 / (b.n - 1), a.cov);
  } else {
    const useB = (opts.factor ?? factorSide(a, b)) === 'b';
    const f = factorOf(useB ? b : a);
    if (f.rank < d) {
      warnings.push(
        `FID: the covariance of the ${useB ? 'second' : 'first'} set is numerically singular ` +
        `(rank ${f.rank} of ${d}); constant or linearly dependent features.`,
      );
    }
    ts = traceSqrtProductFactored(f, useB ? a.cov : b.cov);
  }
  seen.add(a);
  seen.add(b);
  const value = mu2 + trA + trB - 2 * ts.value;
  return { fid: value > 0 ? value : 0, warnings };
}

/** FID between two feature sets (means and covariances computed here). */
export function fid(real: FeatureSet, synth: FeatureSet): FidResult {
  if (real.dim !== synth.dim) throw new Error(`FID: feature dimensions differ (${real.dim} vs ${synth.dim})`);
  if (real.n < 2 || synth.n < 2) {
    return { fid: NaN, warnings: [`FID needs at least 2 rows per set (got ${real.n} and ${synth.n}).`] };
  }
  return frechetDistance(gaussianStats(real), gaussianStats(synth));
}

/**
 * Tr (A B)^{1/2} for symmetric positive semi-definite A and B: the term of the
 * Frechet distance that pytorch-fid computes with scipy.linalg.sqrtm(A @ B).
 *
 * A B is similar to the PSD matrix A^{1/2} B A^{1/2}, so its eigenvalues are real and
 * >= 0 and Tr (A B)^{1/2} = sum_i sqrt(lambda_i). Any factor A = F^T F gives the same
 * non-zero eigenvalues through F B F^T (F A^{-1/2} is a partial isometry), so instead
 * of the eigenvectors of A this module uses the cheaper
 *   - pivoted Cholesky factor of A (A[P,P] = R^T R):  M = R B[P,P] R^T  (rank x rank);
 *   - centred data rows when A = c X^T X with few rows (the Gram-matrix route):
 *       M = c X B X^T  (n x n), or, when B = c' Y^T Y too, the singular values of
 *       sqrt(c c') X Y^T, whose sum is exactly Tr (A B)^{1/2}.
 * The eigenvalues of M come from the float64 symmetric solver of eigh.ts; rounding
 * makes some of them tiny negatives, which are clamped to 0.
 */
import { eigvalsh } from './eigh.ts';
import { gemmNT, mirrorLower } from './gemm.ts';
import { pivotedCholesky, type PivotedCholesky } from './cholesky.ts';

export interface TraceSqrtResult {
  /** Tr (A B)^{1/2}. */
  value: number;
  /** Order of the symmetric matrix whose eigenvalues were taken. */
  order: number;
  /** Most negative eigenvalue that was clamped to 0 (0 when none). */
  clampedMin: number;
}

/** sum_i sqrt(max(lambda_i, 0)) over the eigenvalues of the symmetric m (destroyed). */
export function traceSqrtPsd(m: Float64Array, n: number): TraceSqrtResult {
  const w = eigvalsh(m, n, true);
  let s = 0;
  let clampedMin = 0;
  for (let i = 0; i < n; i++) {
    const v = w[i];
    if (v > 0) s += Math.sqrt(v);
    else if (v < clampedMin) clampedMin = v;
  }
  return { value: s, order: n, clampedMin };
}

/** Tr (A B)^{1/2} for n x n row-major PSD A and B (A is factored by pivoted Cholesky). */
export function traceSqrtProduct(a: Float64Array, b: Float64Array, n: number): TraceSqrtResult {
  return traceSqrtProductFactored(pivotedCholesky(a, n), b);
}

/** Tr (A B)^{1/2} given the pivoted Cholesky factor of A. */
export function traceSqrtProductFactored(fa: PivotedCholesky, b: Float64Array): TraceSqrtResult {
  const { n, rank, perm, r } = fa;
  if (rank === 0) return { value: 0, order: 0, clampedMin: 0 };
  const bp = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const src = perm[i] * n, dst = i * n;
    for (let j = 0; j < n; j++) bp[dst + j] = b[src + perm[j]];
  }
  // V = R B[P,P]  (rank x n); R row t is zero before column t.
  const v = new Float64Array(rank * n);
  gemmNT(rank, n, n, r, 0, n, bp, 0, n, v, 0, n, { triA: true });
  // M = V R^T (rank x rank, symmetric); R row u is zero before column u.
  const m = new Float64Array(rank * rank);
  gemmNT(rank, rank, n, v, 0, n, r, 0, n, m, 0, rank, { triB: true, lower: true });
  mirrorLower(m, rank);
  return traceSqrtPsd(m, rank);
}

/**
 * Tr (A B)^{1/2} with A = ca * X^T X, X the na x d row-major matrix, and B a d x d PSD matrix:
 * the eigenvalues of ca * X B X^T (na x na).
 */
export function traceSqrtProductGram(x: Float64Array, na: number, d: number, ca: number, b: Float64Array): TraceSqrtResult {
  const w = new Float64Array(na * d);
  gemmNT(na, d, d, x, 0, d, b, 0, d, w, 0, d); // W = X B (B symmetric: row j = column j)
  const m = new Float64Array(na * na);
  gemmNT(na, na, d, w, 0, d, x, 0, d, m, 0, na, { lower: true });
  mirrorLower(m, na);
  for (let i = 0; i < m.length; i++) m[i] *= ca;
  return traceSqrtPsd(m, na);
}

/**
 * Tr (A B)^{1/2} with A = ca * X^T X and B = cb * Y^T Y (X: na x d, Y: nb x d):
 * sqrt(ca cb) times the sum of the singular values of G = X Y^T, taken as the square
 * roots of the eigenvalues of G G^T (or G^T G, whichever is smaller).
 */
export function traceSqrtProductGram2(
  x: Float64Array, na: number, ca: number,
  y: Float64Array, nb: number, cb: number,
  d: number,
): TraceSqrtResult {
  const [p, np, q, nq] = na <= nb ? [x, na, y, nb] : [y, nb, x, na];
  const g = new Float64Array(np * nq);
  gemmNT(np, nq, d, p, 0, d, q, 0, d, g, 0, nq); // G = P Q^T (np x nq)
  const h = new Float64Array(np * np);
  gemmNT(np, np, nq, g, 0, nq, g, 0, nq, h, 0, np, { lower: true });
  mirrorLower(h, np);
  const res = traceSqrtPsd(h, np);
  const s = Math.sqrt(ca * cb);
  return { value: res.value * s, order: np, clampedMin: res.clampedMin * ca * cb };
}

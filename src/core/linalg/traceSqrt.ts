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
import { eigvalsh, symmetricMatrix } from './eigh.ts';
import { gemm, mirrorLower, permutedOperand, rowsOperand, wasmMatrix } from './gemm.ts';
import { pivotedCholesky, type PivotedCholesky } from './cholesky.ts';

/** Rows of R per block of V = R B[P,P] (the only rank x n temporary, 2 MB at n = 2048). */
const V_ROWS = 128;

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

/**
 * Tr (A B)^{1/2} given the pivoted Cholesky factor of A: M = R B[P,P] R^T, built a block of
 * R's rows at a time (V_I = R_I B[P,P], then the lower part of M[I, :] = V_I R^T), reading
 * B through the permutation (no permuted copy) and writing M straight into the matrix that
 * eigh decomposes in place.
 */
export function traceSqrtProductFactored(fa: PivotedCholesky, b: Float64Array): TraceSqrtResult {
  const { n, rank, perm, r } = fa;
  if (rank === 0) return { value: 0, order: 0, clampedMin: 0 };
  const bp = permutedOperand(b, n, perm);
  const rows = rowsOperand(r, 0, n);
  const m = symmetricMatrix(rank);
  const v = wasmMatrix(Math.min(V_ROWS, rank) * n);
  for (let i0 = 0; i0 < rank; i0 += V_ROWS) {
    const rb = Math.min(V_ROWS, rank - i0);
    v.fill(0, 0, rb * n);
    // V_I = R_I B[P,P]: R row t is zero before column t, so the inner index starts at i0
    gemm(rb, n, n - i0, rowsOperand(r, i0 * n + i0, n), shiftedColumns(bp, i0), v, 0, n, { triA: true });
    // M[i0 + a][u] = V_I[a] . R[u] for u <= i0 + a; R row u is zero before column u
    gemm(rb, i0 + rb, n, rowsOperand(v, 0, n), rows, m, i0 * rank, rank, { lower: true, diagonal: i0, triB: true, upperMayChange: true });
  }
  mirrorLower(m, rank);
  return traceSqrtPsd(m, rank);
}

/** The operand with its inner index shifted by `by` (element (i, p) = op(i, p + by)). */
function shiftedColumns(op: ReturnType<typeof permutedOperand>, by: number): ReturnType<typeof permutedOperand> {
  return { pack: (dst, o, i0, rows, p0, kc) => op.pack(dst, o, i0, rows, p0 + by, kc) };
}

/**
 * Tr (A B)^{1/2} with A = ca * X^T X, X the na x d row-major matrix, and B a d x d PSD matrix:
 * the eigenvalues of ca * X B X^T (na x na).
 */
export function traceSqrtProductGram(x: Float64Array, na: number, d: number, ca: number, b: Float64Array): TraceSqrtResult {
  const w = wasmMatrix(na * d);
  gemm(na, d, d, rowsOperand(x, 0, d), rowsOperand(b, 0, d), w, 0, d); // W = X B (B symmetric: row j = column j)
  const m = symmetricMatrix(na);
  gemm(na, na, d, rowsOperand(w, 0, d), rowsOperand(x, 0, d), m, 0, na, { lower: true, upperMayChange: true });
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
  const g = wasmMatrix(np * nq);
  gemm(np, nq, d, rowsOperand(p, 0, d), rowsOperand(q, 0, d), g, 0, nq); // G = P Q^T (np x nq)
  const h = symmetricMatrix(np);
  const gr = rowsOperand(g, 0, nq);
  gemm(np, np, nq, gr, gr, h, 0, np, { lower: true, upperMayChange: true });
  mirrorLower(h, np);
  const res = traceSqrtPsd(h, np);
  const s = Math.sqrt(ca * cb);
  return { value: res.value * s, order: np, clampedMin: res.clampedMin * ca * cb };
}

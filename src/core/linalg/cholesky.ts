/**
 * Cholesky factorisation with symmetric (diagonal) pivoting for positive
 * semi-definite matrices, stopping at numerical rank (Higham, Accuracy and Stability
 * of Numerical Algorithms, 2nd ed., section 10.3; the algorithm of LAPACK dpstrf with
 * its default tolerance n * eps * max(diag A)).
 *
 *   A[perm[i], perm[j]] = sum_{t < rank} R[t, i] R[t, j]   (up to the tolerance)
 *
 * R is rank x n, row-major, upper trapezoidal (R[t, j] = 0 for j < t, stored as zeros).
 * Blocked right-looking form: within a panel of NB pivots each row of R is computed
 * from the current Schur complement minus the panel's earlier rows; after the panel
 * the trailing Schur complement is updated once (both triangles) with the blocked product
 * of gemm.ts.
 */
import { gemm, rowsOperand, wasmMatrix } from './gemm.ts';

export interface PivotedCholesky {
  n: number;
  rank: number;
  /** perm[i]: the original index of pivot position i. */
  perm: Int32Array;
  /** rank x n row-major upper-trapezoidal factor. */
  r: Float64Array;
}

const NB = 48;

/**
 * Pivoted Cholesky of the symmetric positive semi-definite n x n row-major matrix `a`
 * (full storage; not modified). Pivots at or below tol = relTol * max(diag a) end the
 * factorisation (default relTol = n * 2^-52).
 */
export function pivotedCholesky(a: Float64Array, n: number, relTol?: number): PivotedCholesky {
  if (a.length < n * n) throw new Error(`matrix has ${a.length} entries, expected ${n} x ${n}`);
  // Schur complement, permuted in place (full storage); row t of R overwrites row t of it
  // (columns >= t) once pivot t is taken, so R and the Schur complement share one n x n array
  const s = wasmMatrix(n * n);
  s.set(a.subarray(0, n * n));
  const perm = new Int32Array(n);
  const diag = new Float64Array(n);
  let maxDiag = 0;
  for (let i = 0; i < n; i++) {
    perm[i] = i;
    diag[i] = s[i * n + i];
    if (!Number.isFinite(diag[i])) throw new Error('pivotedCholesky: non-finite matrix entry');
    if (diag[i] > maxDiag) maxDiag = diag[i];
  }
  const tol = (relTol ?? n * Number.EPSILON) * maxDiag;
  const r = s;
  let rank = 0;
  let done = maxDiag <= 0;
  const negT = new Float64Array(n * NB);
  const posT = new Float64Array(n * NB);
  for (let k0 = 0; k0 < n && !done; k0 += NB) {
    const k1 = Math.min(n, k0 + NB);
    let k = k0;
    for (; k < k1; k++) {
      let q = k;
      for (let j = k + 1; j < n; j++) if (diag[j] > diag[q]) q = j;
      if (!(diag[q] > tol)) { done = true; break; }
      if (q !== k) swapPivot(s, perm, diag, n, k, q);
      const row = k * n; // row k of the Schur complement becomes row k of R
      // subtract the contributions of this panel's earlier rows (earlier panels are in s already)
      let t = k0;
      for (; t + 1 < k; t += 2) {
        const ta = t * n, tb = ta + n;
        const ca = r[ta + k], cb = r[tb + k];
        for (let j = k; j < n; j++) r[row + j] -= ca * r[ta + j] + cb * r[tb + j];
      }
      for (; t < k; t++) {
        const ta = t * n;
        const ca = r[ta + k];
        for (let j = k; j < n; j++) r[row + j] -= ca * r[ta + j];
      }
      const piv = r[row + k];
      if (!(piv > tol)) { r.fill(0, row, row + n); done = true; break; }
      const rkk = Math.sqrt(piv);
      r[row + k] = rkk;
      const inv = 1 / rkk;
      for (let j = k + 1; j < n; j++) {
        const v = r[row + j] * inv;
        r[row + j] = v;
        diag[j] -= v * v;
      }
      rank = k + 1;
    }
    const kEnd = k; // rows k0..kEnd-1 of R form this panel
    if (done || kEnd >= n) break;
    // Trailing update: S[i, j] -= sum_{t in panel} R[t, i] R[t, j] for i, j >= kEnd.
    const nb = kEnd - k0;
    const m = n - kEnd;
    for (let i = 0; i < m; i++) {
      for (let t = 0; t < nb; t++) {
        const v = r[(k0 + t) * n + kEnd + i];
        posT[i * NB + t] = v;
        negT[i * NB + t] = -v;
      }
    }
    // both triangles of the trailing block (symmetric mode: the lower one computed, mirrored block by block)
    gemm(m, m, nb, rowsOperand(negT, 0, NB), rowsOperand(posT, 0, NB), s, kEnd * n + kEnd, n, { symmetric: true });
  }
  // R is upper trapezoidal: clear what is left of the Schur complement left of the diagonal
  for (let t = 0; t < rank; t++) r.fill(0, t * n, t * n + t);
  return { n, rank, perm, r: r.subarray(0, rank * n) };
}

/**
 * Exchange pivot positions k and q (q > k) in the Schur complement, R's computed rows (rows
 * < k of the same array: their columns k and q are exchanged by the column swap), perm and
 * diag.
 */
function swapPivot(s: Float64Array, perm: Int32Array, diag: Float64Array, n: number, k: number, q: number): void {
  let tmp = perm[k]; perm[k] = perm[q]; perm[q] = tmp;
  tmp = diag[k]; diag[k] = diag[q]; diag[q] = tmp;
  // symmetric swap of rows and columns k and q (whole rows: columns < k of rows >= k are
  // never read again; whole columns: rows < k hold R, whose columns k and q trade places)
  const rk = k * n, rq = q * n;
  for (let j = 0; j < n; j++) { tmp = s[rk + j]; s[rk + j] = s[rq + j]; s[rq + j] = tmp; }
  for (let i = 0; i < n; i++) { const o = i * n; tmp = s[o + k]; s[o + k] = s[o + q]; s[o + q] = tmp; }
}

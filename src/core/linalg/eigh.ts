/**
 * Float64 symmetric eigendecomposition: Householder tridiagonalisation followed by
 * the implicit QL algorithm with Wilkinson-type shifts (the method of EISPACK
 * tred2/tql2; Golub & Van Loan, Matrix Computations, 4th ed., sections 8.3.1 and 8.3.5).
 * Reference for the tests: numpy.linalg.eigh / scipy.linalg.eigh (LAPACK dsyevd).
 *
 * Cost for n x n: about (2/3) n^3 multiply-adds for the eigenvalues alone (half of
 * them in cache-blocked matrix products, see tridiagonalize, the other half in symmetric
 * matrix-vector products), about 3-4 n^3 more when the eigenvectors are requested.
 * Where WebAssembly SIMD is available (./wasm/kernels.ts) the working matrix lives in a
 * WebAssembly memory of its own and the symmetric matrix-vector products run there
 * (symv4), the panel updates through gemm.ts; a caller that builds its matrix with
 * symmetricMatrix() and passes overwrite = true saves the copy.
 */

import { gemm, rowsOperand, wasmMatrix, wasmMatrixExtra } from './gemm.ts';
import { wasmAvailable, type WasmKernels } from './wasm/kernels.ts';

export interface EighOptions {
  /** Also return eigenvectors (default false). */
  vectors?: boolean;
  /**
   * Allow the input array to be used as work space (it is destroyed). Default false. With
   * the WebAssembly kernels only an array from symmetricMatrix() is used in place; others
   * are copied (and left alone).
   */
  overwrite?: boolean;
}

export interface EighResult {
  /** Eigenvalues in ascending order. */
  values: Float64Array;
  /**
   * Eigenvectors as the columns of a row-major n x n matrix (numpy's convention):
   * vectors[r * n + i] is component r of the eigenvector of values[i], so that
   * A = V diag(values) V^T.
   */
  vectors?: Float64Array;
}

/**
 * Eigen-decomposition of the symmetric n x n row-major matrix `a`. Only the upper
 * triangle (j >= i) is read.
 */
export function eigh(a: Float64Array, n: number, opts: EighOptions = {}): EighResult {
  if (!Number.isInteger(n) || n < 0) throw new Error(`invalid matrix order ${n}`);
  if (a.length < n * n) throw new Error(`matrix has ${a.length} entries, expected ${n} x ${n}`);
  for (let i = 0; i < n * n; i++) {
    if (!Number.isFinite(a[i])) throw new Error('eigh: matrix has non-finite entries');
  }
  const own = a.length === n * n && isEighMatrix(a, n) ? wasmMatrixExtra(a) : null;
  let work: Float64Array;
  if (opts.overwrite && own) work = a;
  else if (opts.overwrite && !own && (n < WASM_MIN_ORDER || !wasmAvailable())) work = a;
  else {
    work = symmetricMatrix(n);
    work.set(a.subarray(0, n * n));
  }
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (n === 0) return opts.vectors ? { values: d, vectors: new Float64Array(0) } : { values: d };
  const tau = opts.vectors ? new Float64Array(n) : null;
  const ext = isEighMatrix(work, n) ? wasmMatrixExtra(work) : null;
  tridiagonalize(work, n, d, e, tau, ext ? ext.kernels : null, ext ? ext.extraAt : 0);
  let zt: Float64Array | null = null;
  if (tau) {
    zt = accumulateQt(work, n, tau);
  }
  tql(d, e, n, zt);
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => d[x] - d[y]);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = d[order[i]];
  if (!zt) return { values };
  const vectors = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const src = order[i] * n;
    for (let r = 0; r < n; r++) vectors[r * n + i] = zt[src + r];
  }
  return { values, vectors };
}

/** Orders below this run in plain JS (the WebAssembly memory would cost more than it saves). */
const WASM_MIN_ORDER = 48;

/**
 * A zeroed n x n row-major Float64Array that eigh / eigvalsh with overwrite = true
 * decompose in place: it sits at the start of a WebAssembly memory of its own, followed
 * by the work vectors of the tridiagonalisation (a plain Float64Array where WebAssembly
 * is not used). The memory is freed with the array.
 */
export function symmetricMatrix(n: number): Float64Array {
  return n >= WASM_MIN_ORDER && wasmAvailable() ? wasmMatrix(n * n, extraVectors(n)) : new Float64Array(n * n);
}

/** Whether `a` comes from symmetricMatrix(n): a wasmMatrix with room for the work vectors. */
function isEighMatrix(a: Float64Array, n: number): boolean {
  const ext = wasmMatrixExtra(a);
  return ext !== null && a.length === n * n && ext.extraValues >= extraVectors(n);
}

/** Values of tridiagonalize's work vectors (U and W panels, p, the column, two coefficient vectors). */
function extraVectors(n: number): number {
  return (2 * PANEL + 2) * n + 2 * PANEL;
}

/** Eigenvalues only, ascending. */
export function eigvalsh(a: Float64Array, n: number, overwrite = false): Float64Array {
  return eigh(a, n, { overwrite }).values;
}

const PANEL = 32;

/**
 * Reduce the symmetric matrix in the upper triangle of `a` to tridiagonal form
 * T = Q^T A Q (Householder; blocked as LAPACK dsytrd/dlatrd). On return d holds the
 * diagonal and e[0..n-2] the off-diagonal (e[n-1] = 0). When `tau` is given, the
 * Householder vector of step k is left in row k of `a` (columns k+1..n-1, first entry 1)
 * with its scalar in tau[k], for accumulateQt.
 *
 * The work runs on the lower triangle (the upper one is copied down first). Within a
 * panel of PANEL steps the trailing matrix is not modified: step k reads it once for
 * the symmetric product p = A u and corrects for the panel's earlier reflections with
 * the stored vectors (u_t, w_t); the panel's updates A -= sum_t (u_t w_t^T + w_t u_t^T)
 * are then applied together by the blocked product of gemm.ts. The trailing matrix is
 * thus streamed once per step (read only) plus once per panel, instead of read and
 * written at every step.
 */
function tridiagonalize(a: Float64Array, n: number, d: Float64Array, e: Float64Array, tau: Float64Array | null, kern: WasmKernels | null, extraAt: number): void {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) a[i * n + j] = a[j * n + i];
  }
  e[n - 1] = 0;
  if (tau) tau.fill(0);
  // The work vectors: u_t and w_t of the current panel (row t, zero before index k_t + 1),
  // p, the column, and two coefficient vectors; in the kernels' memory after the matrix
  // (see extraVectors) when the WebAssembly kernels are used.
  const upAt = extraAt, wpAt = upAt + PANEL * n, pAt = wpAt + PANEL * n, colAt = pAt + n, caAt = colAt + n, cbAt = caAt + PANEL;
  const view = (at: number, len: number) => (kern ? new Float64Array(kern.memory.buffer, at * 8, len) : new Float64Array(len));
  const up = view(upAt, PANEL * n), wp = view(wpAt, PANEL * n), p = view(pAt, n), col = view(colAt, n);
  const cu = view(caAt, PANEL), cw = view(cbAt, PANEL);
  const panel = kern ? new PanelOps(kern, n, upAt, wpAt) : null;
  const pm = new Float64Array(n * 2 * PANEL);
  const qm = new Float64Array(n * 2 * PANEL);
  const last = n - 2; // steps k = 0..n-3 reflect; the final 2 x 2 block is read directly
  for (let k0 = 0; k0 < last; k0 += PANEL) {
    const k1 = Math.min(last, k0 + PANEL);
    let nb = 0;
    for (let k = k0; k < k1; k++, nb++) {
      // 1. column k of the current matrix, indices j >= k
      for (let j = k; j < n; j++) col[j] = a[j * n + k];
      // minus the panel's pending updates: col -= sum_t u_t[k] w_t + w_t[k] u_t
      if (kern) {
        for (let t = 0; t < nb; t++) { cu[t] = -wp[t * n + k]; cw[t] = -up[t * n + k]; }
        panel!.axpy(true, caAt, nb, colAt, k);
        panel!.axpy(false, cbAt, nb, colAt, k);
      } else {
        for (let t = 0; t < nb; t++) {
          const ut = t * n;
          const uk = up[ut + k], wk = wp[ut + k];
          if (uk === 0 && wk === 0) continue;
          for (let j = k; j < n; j++) col[j] -= uk * wp[ut + j] + wk * up[ut + j];
        }
      }
      d[k] = col[k];
      // 2. reflector H = I - t v v^T (v[k+1] = 1) with H x = beta e1, x = col[k+1..]
      const x0 = col[k + 1];
      let scale = 0;
      for (let j = k + 2; j < n; j++) scale = Math.max(scale, Math.abs(col[j]));
      const urow = nb * n, wrow = nb * n;
      up.fill(0, urow, urow + n);
      wp.fill(0, wrow, wrow + n);
      if (scale === 0) {
        e[k] = x0;
        continue; // no reflection: u_t = w_t = 0
      }
      const s0 = Math.max(scale, Math.abs(x0));
      let ss = 0;
      for (let j = k + 1; j < n; j++) { const y = col[j] / s0; ss += y * y; }
      const norm = s0 * Math.sqrt(ss);
      const beta = x0 >= 0 ? -norm : norm;
      const t = (beta - x0) / beta;
      const inv = 1 / (x0 - beta);
      up[urow + k + 1] = 1;
      for (let j = k + 2; j < n; j++) up[urow + j] = col[j] * inv;
      e[k] = beta;
      if (tau) {
        tau[k] = t;
        for (let j = k + 1; j < n; j++) a[k * n + j] = up[urow + j];
      }
      // 3. p = A_old u over the trailing lower triangle (read only) ...
      if (kern) symvLowerWasm(kern, a, n, k + 1, up.subarray(urow, urow + n), (upAt + urow) * 8, p, pAt * 8);
      else symvLower(a, n, k + 1, up.subarray(urow, urow + n), p);
      // ... minus the panel's pending updates: p -= sum_t u_t (w_t . u) + w_t (u_t . u)
      if (kern) {
        panel!.dot(true, urow, nb, k + 1, caAt);
        panel!.dot(false, urow, nb, k + 1, cbAt);
        for (let q = 0; q < nb; q++) { const t1 = cu[q]; cu[q] = -cw[q]; cw[q] = -t1; }
        panel!.axpy(true, caAt, nb, pAt, k + 1);
        panel!.axpy(false, cbAt, nb, pAt, k + 1);
      } else {
        for (let q = 0; q < nb; q++) {
          const o = q * n;
          let su = 0, sw = 0;
          for (let j = k + 1; j < n; j++) { const uj = up[urow + j]; su += up[o + j] * uj; sw += wp[o + j] * uj; }
          cu[q] = su; cw[q] = sw;
        }
        for (let q = 0; q < nb; q++) {
          const o = q * n, a1 = cw[q], a2 = cu[q];
          if (a1 === 0 && a2 === 0) continue;
          for (let j = k + 1; j < n; j++) p[j] -= up[o + j] * a1 + wp[o + j] * a2;
        }
      }
      // 4. w = t p - (t^2/2)(p.u) u
      let pu = 0;
      for (let j = k + 1; j < n; j++) { p[j] *= t; pu += p[j] * up[urow + j]; }
      const half = 0.5 * t * pu;
      for (let j = k + 1; j < n; j++) wp[wrow + j] = p[j] - half * up[urow + j];
    }
    // Panel update of the trailing block (indices >= k1), lower triangle:
    // A[i][j] -= sum_t u_t[i] w_t[j] + w_t[i] u_t[j]  =  sum_s P[i][s] Q[j][s]
    const m = n - k1, w2 = 2 * nb;
    for (let i = 0; i < m; i++) {
      const g = k1 + i, o = i * w2;
      for (let q = 0; q < nb; q++) {
        const uq = up[q * n + g], wq = wp[q * n + g];
        pm[o + q] = -uq; pm[o + nb + q] = -wq;
        qm[o + q] = wq; qm[o + nb + q] = uq;
      }
    }
    // (entries above the diagonal of the trailing block are never read: they may take partial sums)
    gemm(m, m, w2, rowsOperand(pm, 0, w2), rowsOperand(qm, 0, w2), a, k1 * n + k1, n, { lower: true, upperMayChange: true });
  }
  if (n >= 2) {
    d[n - 2] = a[(n - 2) * n + n - 2];
    d[n - 1] = a[(n - 1) * n + n - 1];
    e[n - 2] = a[(n - 1) * n + n - 2];
  } else if (n === 1) {
    d[0] = a[0];
  }
}

/**
 * p[j] = sum_{i >= k} A[j][i] u[i] for j >= k, A symmetric in the lower triangle of the
 * row-major n x n `a`. Four rows at a time share the loads of u[j] and p[j].
 */
function symvLower(a: Float64Array, n: number, k: number, u: Float64Array, p: Float64Array): void {
  p.fill(0, k, n);
  let i = k;
  for (; i + 3 < n; i += 4) {
    const r0 = i * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n;
    const u0 = u[i], u1 = u[i + 1], u2 = u[i + 2], u3 = u[i + 3];
    let acc0 = 0, acc1 = 0, acc2 = 0, acc3 = 0;
    for (let j = k; j < i; j++) {
      const v0 = a[r0 + j], v1 = a[r1 + j], v2 = a[r2 + j], v3 = a[r3 + j], uj = u[j];
      acc0 += v0 * uj; acc1 += v1 * uj; acc2 += v2 * uj; acc3 += v3 * uj;
      p[j] += v0 * u0 + v1 * u1 + v2 * u2 + v3 * u3;
    }
    p[i] += acc0; p[i + 1] += acc1; p[i + 2] += acc2; p[i + 3] += acc3;
    for (let r = 0; r < 4; r++) symvRowTail(a, n, i + r, i, u, p);
  }
  for (; i < n; i++) symvRowTail(a, n, i, k, u, p);
}

/**
 * The panel's corrections in WebAssembly (rowsAxpy, rowsDot) on the rows of U = (u_t) or
 * W = (w_t) (row stride n), all vectors in the kernels' memory (value indices).
 */
class PanelOps {
  constructor(private readonly kern: WasmKernels, private readonly n: number, private readonly upAt: number, private readonly wpAt: number) {}

  /** y[j] += sum_{t < count} c[t] R[t][j] for j in [j0, n), R = U (onU) or W. */
  axpy(onU: boolean, cAt: number, count: number, yAt: number, j0: number): void {
    if (count > 0) this.kern.rowsAxpy((onU ? this.upAt : this.wpAt) * 8, this.n * 8, cAt * 8, count, yAt * 8, j0, this.n);
  }

  /** out[t] = sum_{j in [j0, n)} R[t][j] U[urow][j] for t < count, R = U (onU) or W. */
  dot(onU: boolean, urow: number, count: number, j0: number, outAt: number): void {
    if (count > 0) this.kern.rowsDot((onU ? this.upAt : this.wpAt) * 8, this.n * 8, count, (this.upAt + urow) * 8, j0, this.n, outAt * 8);
  }
}

/**
 * symvLower with the matrix, u and p in wk's memory (the matrix at byte 0, row stride n):
 * the columns left of each group of four rows go through the SIMD kernel, the small
 * triangles by the diagonal through symvRowTail.
 */
function symvLowerWasm(wk: WasmKernels, a: Float64Array, n: number, k: number, u: Float64Array, uAt: number, p: Float64Array, pAt: number): void {
  p.fill(0, k, n);
  let i = k;
  for (; i + 3 < n; i += 4) {
    wk.symv4(0, n * 8, k, i, uAt, pAt);
    for (let r = 0; r < 4; r++) symvRowTail(a, n, i + r, i, u, p);
  }
  for (; i < n; i++) symvRowTail(a, n, i, k, u, p);
}

/** Row i of the lower triangle from column j0 to the diagonal: p[i] += sum a_ij u_j, p[j] += a_ij u_i (j < i). */
function symvRowTail(a: Float64Array, n: number, i: number, j0: number, u: Float64Array, p: Float64Array): void {
  const ri = i * n, ui = u[i];
  let acc = a[ri + i] * ui;
  for (let j = j0; j < i; j++) {
    const v = a[ri + j];
    acc += v * u[j];
    p[j] += v * ui;
  }
  p[i] += acc;
}

/**
 * Q^T = H_{n-3} ... H_1 H_0 from the reflectors stored by tridiagonalize, built by
 * right-multiplying the identity by H_{n-3}, ..., H_0 (each step touches rows >= k+1 only).
 */
function accumulateQt(a: Float64Array, n: number, tau: Float64Array): Float64Array {
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  for (let k = n - 3; k >= 0; k--) {
    const t = tau[k];
    if (t === 0) continue;
    const rk = k * n;
    for (let i = k + 1; i < n; i++) {
      const ri = i * n;
      let s = 0;
      for (let j = k + 1; j < n; j++) s += q[ri + j] * a[rk + j];
      if (s === 0) continue;
      s *= t;
      for (let j = k + 1; j < n; j++) q[ri + j] -= s * a[rk + j];
    }
  }
  return q;
}

function pythag(a: number, b: number): number {
  const x = Math.abs(a), y = Math.abs(b);
  if (x > y) { const r = y / x; return x * Math.sqrt(1 + r * r); }
  if (y === 0) return 0;
  const r = x / y;
  return y * Math.sqrt(1 + r * r);
}

/**
 * Implicit QL on the symmetric tridiagonal (d, e), e[i] coupling i and i+1. Eigenvalues
 * overwrite d (unsorted). When zt is given its rows are rotated along, so that if zt
 * held Q^T on entry, row i holds the eigenvector of d[i] on exit.
 */
function tql(d: Float64Array, e: Float64Array, n: number, zt: Float64Array | null): void {
  const maxIter = 60;
  // Global scale (EISPACK tql2's tst1): eigenvalues near zero (e.g. the Gram matrix of duplicated rows) never
  // pass the local test |e| <= eps (|d_m| + |d_m+1|), because e stalls at rounding level of the matrix norm.
  // The local test keeps small eigenvalues of graded matrices accurate; after LOCAL_TRIES sweeps the global one
  // is accepted too, which is what EISPACK and LAPACK do for such blocks.
  const LOCAL_TRIES = 30;
  let anorm = 0;
  for (let i = 0; i < n; i++) anorm = Math.max(anorm, Math.abs(d[i]) + (i < n - 1 ? Math.abs(e[i]) : 0));
  for (let l = 0; l < n; l++) {
    let iter = 0;
    for (;;) {
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
        if (Math.abs(e[m]) <= Number.EPSILON * dd || e[m] === 0) break;
        if (iter >= LOCAL_TRIES && Math.abs(e[m]) <= Number.EPSILON * anorm) break;
      }
      if (m === l) break;
      if (++iter > maxIter) throw new Error('eigh: QL iteration did not converge');
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = pythag(g, 1);
      g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      let s = 1, c = 1, pp = 0;
      let deflated = false;
      for (let i = m - 1; i >= l; i--) {
        const f = s * e[i];
        const b = c * e[i];
        r = pythag(f, g);
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1] -= pp;
          e[m] = 0;
          deflated = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - pp;
        r = (d[i] - g) * s + 2 * c * b;
        pp = s * r;
        d[i + 1] = g + pp;
        g = c * r - b;
        if (zt) {
          const ri = i * n, rj = ri + n;
          for (let k = 0; k < n; k++) {
            const zi = zt[ri + k], zj = zt[rj + k];
            zt[rj + k] = s * zi + c * zj;
            zt[ri + k] = c * zi - s * zj;
          }
        }
      }
      if (deflated) continue;
      d[l] -= pp;
      e[l] = g;
      e[m] = 0;
    }
  }
}

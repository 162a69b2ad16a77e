/**
 * Float64 symmetric eigendecomposition: Householder tridiagonalisation followed by
 * the implicit QL algorithm with Wilkinson-type shifts (the method of EISPACK
 * tred2/tql2; Golub & Van Loan, Matrix Computations, 4th ed., sections 8.3.1 and 8.3.5).
 * Reference for the tests: numpy.linalg.eigh / scipy.linalg.eigh (LAPACK dsyevd).
 *
 * Cost for n x n: about (2/3) n^3 multiply-adds for the eigenvalues alone, about
 * 3-4 n^3 more when the eigenvectors are requested. The tridiagonalisation is fused:
 * each step applies the previous step's rank-2 update and computes the next
 * symmetric matrix-vector product in the same pass over the upper triangle, so the
 * trailing matrix is streamed once per step instead of twice.
 */

export interface EighOptions {
  /** Also return eigenvectors (default false). */
  vectors?: boolean;
  /** Allow the input array to be used as work space (it is destroyed). Default false. */
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
  const work = opts.overwrite ? a : a.slice(0, n * n);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  if (n === 0) return opts.vectors ? { values: d, vectors: new Float64Array(0) } : { values: d };
  const tau = opts.vectors ? new Float64Array(n) : null;
  tridiagonalize(work, n, d, e, tau);
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

/** Eigenvalues only, ascending. */
export function eigvalsh(a: Float64Array, n: number, overwrite = false): Float64Array {
  return eigh(a, n, { overwrite }).values;
}

/**
 * Reduce the symmetric matrix (upper triangle of `a`) to tridiagonal form T = Q^T A Q.
 * On return d holds the diagonal, e[0..n-2] the off-diagonal (e[n-1] = 0). When `tau`
 * is given, the Householder vector of step k is left in row k of `a` (columns k+1..n-1,
 * first entry 1) with its scalar in tau[k], for accumulateQt.
 */
function tridiagonalize(a: Float64Array, n: number, d: Float64Array, e: Float64Array, tau: Float64Array | null): void {
  let u = new Float64Array(n);
  let w = new Float64Array(n);
  let up = new Float64Array(n); // pending update A -= up wp^T + wp up^T, not yet applied to rows >= k
  let wp = new Float64Array(n);
  const p = new Float64Array(n);
  let pending = false;
  e[n - 1] = 0;
  for (let k = 0; k < n; k++) {
    const rk = k * n;
    if (pending) {
      const uk = up[k], wk = wp[k];
      for (let j = k; j < n; j++) a[rk + j] -= uk * wp[j] + wk * up[j];
    }
    d[k] = a[rk + k];
    if (k === n - 1) break;
    if (k === n - 2) {
      // Last off-diagonal: no reflection; the pending update reaches row n-1 next iteration.
      e[k] = a[rk + k + 1];
      if (tau) tau[k] = 0;
      continue;
    }
    // Householder reflector H = I - t v v^T (v[k+1] = 1) with H x = beta e1, x = A[k, k+1:].
    const x0 = a[rk + k + 1];
    let scale = 0;
    for (let j = k + 2; j < n; j++) scale = Math.max(scale, Math.abs(a[rk + j]));
    let t = 0;
    if (scale === 0) {
      e[k] = x0;
    } else {
      const s0 = Math.max(scale, Math.abs(x0));
      let ss = (x0 / s0) * (x0 / s0);
      for (let j = k + 2; j < n; j++) { const y = a[rk + j] / s0; ss += y * y; }
      const norm = s0 * Math.sqrt(ss);
      const beta = x0 >= 0 ? -norm : norm;
      t = (beta - x0) / beta;
      const inv = 1 / (x0 - beta);
      u[k + 1] = 1;
      for (let j = k + 2; j < n; j++) u[j] = a[rk + j] * inv;
      e[k] = beta;
    }
    if (tau) {
      tau[k] = t;
      if (t !== 0) for (let j = k + 1; j < n; j++) a[rk + j] = u[j];
      else for (let j = k + 1; j < n; j++) a[rk + j] = 0;
    }
    // Fused pass over the trailing upper triangle: apply the pending rank-2 update and
    // accumulate p = A22 u (symmetric product from the upper triangle).
    if (t !== 0) p.fill(0, k + 1, n);
    for (let i = k + 1; i < n; i++) {
      const ri = i * n;
      if (pending) {
        const upi = up[i], wpi = wp[i];
        if (t !== 0) {
          const ui = u[i];
          let v = a[ri + i] - (upi * wp[i] + wpi * up[i]);
          a[ri + i] = v;
          let acc = v * ui;
          for (let j = i + 1; j < n; j++) {
            v = a[ri + j] - (upi * wp[j] + wpi * up[j]);
            a[ri + j] = v;
            acc += v * u[j];
            p[j] += v * ui;
          }
          p[i] += acc;
        } else {
          for (let j = i; j < n; j++) a[ri + j] -= upi * wp[j] + wpi * up[j];
        }
      } else if (t !== 0) {
        const ui = u[i];
        let acc = a[ri + i] * ui;
        for (let j = i + 1; j < n; j++) {
          const v = a[ri + j];
          acc += v * u[j];
          p[j] += v * ui;
        }
        p[i] += acc;
      }
    }
    if (t === 0) { pending = false; continue; }
    // w = t p - (t^2/2)(p.u) u ; the new pending update is A22 -= u w^T + w u^T.
    let pu = 0;
    for (let j = k + 1; j < n; j++) { p[j] *= t; pu += p[j] * u[j]; }
    const half = 0.5 * t * pu;
    for (let j = k + 1; j < n; j++) w[j] = p[j] - half * u[j];
    const su = up; up = u; u = su;
    const sw = wp; wp = w; w = sw;
    pending = true;
  }
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
  for (let l = 0; l < n; l++) {
    let iter = 0;
    for (;;) {
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
        if (Math.abs(e[m]) <= Number.EPSILON * dd || e[m] === 0) break;
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

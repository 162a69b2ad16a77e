/**
 * Cache-blocked float64 matrix products (the hot loops of covariance, Gram and kernel
 * matrices).
 *
 * One product shape covers every use: C += A B^T, where row i of A and row j of B are
 * vectors over the inner dimension p. Two implementations share it:
 *
 * - WebAssembly SIMD (./wasm/kernels.ts), where available: the loop structure of Goto &
 *   van de Geijn (BLIS): the inner dimension is cut into KC-long slices, B's slice for NC
 *   columns is packed (converted to float64) into micro-panels of 4 columns, then A's
 *   slice for MC rows, and the 4 x 4 register-tiled kernel accumulates the MC x NC block
 *   straight into C when C lies in WebAssembly memory (wasmMatrix), otherwise into a
 *   buffer that is then added to C (only j <= i in lower mode; mirrored in symmetric mode).
 *   Operands are read through `Operand` packers, so a product can take rows of any numeric
 *   array, gathered rows, columns (X^T X without a transposed copy, centred and scaled on
 *   the fly) or a symmetrically permuted matrix, without first making a float64 copy.
 *   About 6 GFMA/s on one core of the development machine (AMD EPYC, Node 20).
 * - Plain JS (the fallback, and for small products): tiled over the inner dimension (KB)
 *   and over rows of B (JB), 3 x 3 register blocks; about 1 to 1.5 GFMA/s.
 *
 * Both compute every entry as a float64 sum of float64 products; only the order of the
 * additions differs.
 */
import { MR, instantiate, wasmAvailable, type WasmKernels } from './wasm/kernels.ts';

export type NumericRows = Float32Array | Float64Array | Int32Array | Uint16Array;

const KB = 256;
const JB = 96; // multiple of 3: keeps 3 x 3 micro-tiles aligned with the diagonal

export interface GemmOptions {
  /** Row i of A is zero for columns p < i (those zeros must be stored); they are skipped. */
  triA?: boolean;
  /** Row j of B is zero for columns p < j (stored as zeros); they are skipped. */
  triB?: boolean;
  /**
   * Only entries with j <= i are needed (symmetric results). Entries just above the
   * diagonal, inside the 3 x 3 diagonal micro-tiles of the plain-JS kernel, may also be
   * written: mirror the lower triangle afterwards (see mirrorLower).
   */
  lower?: boolean;
}

/**
 * C[cOff + i*ldc + j] += sum_{p<k} A[aOff + i*lda + p] * B[bOff + j*ldb + p]
 * for i < m, j < n. WebAssembly from 32^3 multiply-adds on (where available), plain JS below.
 */
export function gemmNT(
  m: number, n: number, k: number,
  A: Float64Array, aOff: number, lda: number,
  B: Float64Array, bOff: number, ldb: number,
  C: Float64Array, cOff: number, ldc: number,
  opts: GemmOptions = {},
): void {
  if (m * n * k >= WASM_MIN_WORK && wasmAvailable()) {
    gemmOperands(m, n, k, rowsOperand(A, aOff, lda), rowsOperand(B, bOff, ldb), C, cOff, ldc, opts);
    return;
  }
  gemmNTJs(m, n, k, A, aOff, lda, B, bOff, ldb, C, cOff, ldc, opts);
}

/** The plain-JS product of gemmNT (same contract), whatever the size. */
export function gemmNTJs(
  m: number, n: number, k: number,
  A: Float64Array, aOff: number, lda: number,
  B: Float64Array, bOff: number, ldb: number,
  C: Float64Array, cOff: number, ldc: number,
  opts: GemmOptions = {},
): void {
  const triA = opts.triA === true;
  const triB = opts.triB === true;
  const lower = opts.lower === true;
  for (let k0 = 0; k0 < k; k0 += KB) {
    const k1 = Math.min(k, k0 + KB);
    for (let j0 = 0; j0 < n; j0 += JB) {
      if (triB && j0 >= k1) break;
      const j1 = Math.min(n, j0 + JB);
      const iStart = lower ? j0 : 0;
      const iEnd = triA ? Math.min(m, k1) : m;
      for (let i = iStart; i < iEnd; i += 3) {
        const mr = Math.min(3, m - i);
        const jEnd = lower ? Math.min(j1, i + 3) : j1;
        const aRow = aOff + i * lda;
        for (let j = j0; j < jEnd; j += 3) {
          const nr = Math.min(3, j1 - j);
          let ps = k0;
          if (triA && i > ps) ps = i;
          if (triB && j > ps) ps = j;
          if (ps >= k1) continue;
          const bRow = bOff + j * ldb;
          const c0 = cOff + i * ldc + j;
          if (mr === 3 && nr === 3) kernel33(A, aRow, lda, B, bRow, ldb, ps, k1, C, c0, ldc);
          else kernelSmall(mr, nr, A, aRow, lda, B, bRow, ldb, ps, k1, C, c0, ldc);
        }
      }
    }
  }
}

function kernel33(
  A: Float64Array, a0: number, lda: number,
  B: Float64Array, b0: number, ldb: number,
  ps: number, pe: number,
  C: Float64Array, c0: number, ldc: number,
): void {
  const a1 = a0 + lda, a2 = a1 + lda;
  const b1 = b0 + ldb, b2 = b1 + ldb;
  let s00 = 0, s01 = 0, s02 = 0, s10 = 0, s11 = 0, s12 = 0, s20 = 0, s21 = 0, s22 = 0;
  for (let p = ps; p < pe; p++) {
    const x0 = A[a0 + p], x1 = A[a1 + p], x2 = A[a2 + p];
    const y0 = B[b0 + p], y1 = B[b1 + p], y2 = B[b2 + p];
    s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2;
    s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2;
    s20 += x2 * y0; s21 += x2 * y1; s22 += x2 * y2;
  }
  C[c0] += s00; C[c0 + 1] += s01; C[c0 + 2] += s02;
  const c1 = c0 + ldc, c2 = c1 + ldc;
  C[c1] += s10; C[c1 + 1] += s11; C[c1 + 2] += s12;
  C[c2] += s20; C[c2 + 1] += s21; C[c2 + 2] += s22;
}

function kernelSmall(
  mr: number, nr: number,
  A: Float64Array, a0: number, lda: number,
  B: Float64Array, b0: number, ldb: number,
  ps: number, pe: number,
  C: Float64Array, c0: number, ldc: number,
): void {
  for (let r = 0; r < mr; r++) {
    const ar = a0 + r * lda;
    for (let c = 0; c < nr; c++) {
      const bc = b0 + c * ldb;
      let s = 0;
      for (let p = ps; p < pe; p++) s += A[ar + p] * B[bc + p];
      C[c0 + r * ldc + c] += s;
    }
  }
}

/** Copy the lower triangle of the n x n row-major matrix onto its upper triangle. */
export function mirrorLower(c: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) c[i * n + j] = c[j * n + i];
  }
}

/** C = A A^T (n x n, symmetric, full storage) for the n x k row-major A. */
export function gramRows(a: Float64Array, n: number, k: number): Float64Array {
  const c = new Float64Array(n * n);
  gemmNT(n, n, k, a, 0, k, a, 0, k, c, 0, n, { lower: true });
  mirrorLower(c, n);
  return c;
}

/** C = A B^T (m x n) for row-major A (m x k) and B (n x k). */
export function multiplyNT(a: Float64Array, m: number, b: Float64Array, n: number, k: number): Float64Array {
  const c = new Float64Array(m * n);
  gemmNT(m, n, k, a, 0, k, b, 0, k, c, 0, n);
  return c;
}

// ---------------------------------------------------------------------------------------
// WebAssembly path: packed operands and the blocked driver.

/** Products smaller than this many multiply-adds stay in plain JS (packing would dominate). */
const WASM_MIN_WORK = 32 * 32 * 32;
/** Block sizes in float64 values: A slice MC x KC (L2), B panel 4 x KC (L1), B slice KC x NC. */
const MC = 128;
const KC = 256;
const NC = 1024;
/** Row stride of the C buffer, padded so that its rows do not alias in a 4 KiB-way cache. */
const LDCB = NC + 4;
const AP = 0;
const BP = AP + MC * KC;
const CB = BP + NC * KC;
const WORKSPACE_VALUES = CB + MC * LDCB;
const ALL_TILES = 1 << 30;
/** Source rows per pass of columnsOperand's packing. */
const PACK_ROWS = 16;

/**
 * A matrix as read by the products: element (i, p), row i over the inner dimension p.
 * pack writes rows i0..i0+rows-1 and inner indices p0..p0+kc-1 into dst from `off` as
 * ceil(rows / 4) micro-panels of kc x 4 values (value (i0 + 4b + r, p0 + p) at
 * off + 4 b kc + 4 p + r), with zeros for the rows past `rows`.
 */
export interface Operand {
  pack(dst: Float64Array, off: number, i0: number, rows: number, p0: number, kc: number): void;
}

/**
 * Element (i, p) = src[off + i ld + p], or src[idx[i] ld + p] when a row index list is given;
 * times scale[i] when a scale per row is given.
 */
export function rowsOperand(src: NumericRows, off: number, ld: number, idx?: Int32Array, scale?: Float64Array): Operand {
  const base = idx ? (i: number) => idx[i] * ld : (i: number) => off + i * ld;
  return {
    pack(dst, o, i0, rows, p0, kc) {
      if (scale) {
        for (let b = 0; b < rows; b += 4) {
          const q = o + b * kc;
          dst.fill(0, q, q + 4 * kc);
          for (let r = 0; r < Math.min(4, rows - b); r++) {
            const rr = base(i0 + b + r) + p0, sr = scale[i0 + b + r];
            for (let p = 0; p < kc; p++) dst[q + 4 * p + r] = src[rr + p] * sr;
          }
        }
        return;
      }
      for (let b = 0; b < rows; b += 4) {
        const nr = Math.min(4, rows - b);
        let q = o + b * kc;
        if (nr === 4) {
          const r0 = base(i0 + b) + p0, r1 = base(i0 + b + 1) + p0, r2 = base(i0 + b + 2) + p0, r3 = base(i0 + b + 3) + p0;
          for (let p = 0; p < kc; p++, q += 4) {
            dst[q] = src[r0 + p]; dst[q + 1] = src[r1 + p]; dst[q + 2] = src[r2 + p]; dst[q + 3] = src[r3 + p];
          }
        } else {
          dst.fill(0, q, q + 4 * kc);
          for (let r = 0; r < nr; r++) {
            const rr = base(i0 + b + r) + p0;
            for (let p = 0; p < kc; p++) dst[q + 4 * p + r] = src[rr + p];
          }
        }
      }
    },
  };
}

/**
 * The transpose of n x d row-major data, centred and scaled: element (i, p) =
 * (src[p d + i] - center[i]) * rowScale[p] for i < d (feature) and p < n (row); the
 * operand of X^T X.
 */
export function columnsOperand(src: NumericRows, d: number, center?: Float64Array, rowScale?: Float64Array): Operand {
  const c = center ?? new Float64Array(d);
  return {
    pack(dst, o, i0, rows, p0, kc) {
      const full = rows & ~3; // rows in complete micro-panels; the last one is zero-padded
      if (full < rows) dst.fill(0, o + full * kc, o + full * kc + 4 * kc);
      // PACK_ROWS source rows at a time, so that each micro-panel receives a contiguous run
      // (writing one value into every panel per source row would hit one cache set each time)
      for (let pp = 0; pp < kc; pp += PACK_ROWS) {
        const pe = Math.min(kc, pp + PACK_ROWS);
        for (let b = 0; b < full; b += 4) {
          const ci = i0 + b;
          const c0 = c[ci], c1 = c[ci + 1], c2 = c[ci + 2], c3 = c[ci + 3];
          let q = o + b * kc + 4 * pp;
          for (let p = pp; p < pe; p++, q += 4) {
            const row = (p0 + p) * d + ci;
            const sc = rowScale ? rowScale[p0 + p] : 1;
            dst[q] = (src[row] - c0) * sc;
            dst[q + 1] = (src[row + 1] - c1) * sc;
            dst[q + 2] = (src[row + 2] - c2) * sc;
            dst[q + 3] = (src[row + 3] - c3) * sc;
          }
        }
        for (let b = full; b < rows; b++) {
          for (let p = pp; p < pe; p++) {
            const sc = rowScale ? rowScale[p0 + p] : 1;
            dst[o + full * kc + 4 * p + (b - full)] = (src[(p0 + p) * d + i0 + b] - c[i0 + b]) * sc;
          }
        }
      }
    },
  };
}

/**
 * A symmetric n x n row-major matrix under a symmetric permutation: element (i, p) =
 * src[perm[i] n + perm[p]].
 */
export function permutedOperand(src: Float64Array, n: number, perm: Int32Array): Operand {
  return {
    pack(dst, o, i0, rows, p0, kc) {
      for (let b = 0; b < rows; b += 4) {
        const nr = Math.min(4, rows - b);
        const q = o + b * kc;
        if (nr < 4) dst.fill(0, q, q + 4 * kc);
        for (let r = 0; r < nr; r++) {
          const rr = perm[i0 + b + r] * n;
          for (let p = 0; p < kc; p++) dst[q + 4 * p + r] = src[rr + perm[p0 + p]];
        }
      }
    },
  };
}

export interface OperandGemmOptions extends GemmOptions {
  /**
   * With lower: the entries kept are j <= i + diagonal (default 0); e.g. the rows i0.. of a
   * symmetric product whose lower triangle is built a row block at a time use diagonal = i0.
   */
  diagonal?: number;
  /**
   * C is square (m = n, same index space) and symmetric on entry (e.g. zero): entries are
   * computed for j <= i only and the result is made symmetric. Implies lower.
   */
  symmetric?: boolean;
  /**
   * With lower: entries just above the kept ones (inside 4 x 4 tiles that straddle the
   * boundary) may be overwritten with partial sums. Lets a product into a wasmMatrix()
   * accumulate in place.
   */
  upperMayChange?: boolean;
}

let shared: WasmKernels | null = null;

function workspace(): WasmKernels {
  if (!shared) shared = instantiate(WORKSPACE_VALUES * 8);
  if (!shared) throw new Error('WebAssembly kernels are not available');
  return shared;
}

interface OwnedMemory {
  kernels: WasmKernels;
  /** Value index and size of the caller's extra region, and value index of the product workspace. */
  extraAt: number;
  extraValues: number;
  workspaceAt: number;
}

const owned = new WeakMap<ArrayBuffer, OwnedMemory>();

/**
 * A zeroed Float64Array of `values` entries at the start of a WebAssembly memory of its
 * own, followed by `extraValues` more (see wasmMatrixExtra) and a product workspace: the
 * products of this module accumulate into it in place, without the block-by-block copy into
 * a JS array. A plain Float64Array where the WebAssembly kernels are not used. The memory is
 * freed with the array.
 */
export function wasmMatrix(values: number, extraValues = 0): Float64Array {
  if (!wasmAvailable()) return new Float64Array(values);
  const extraAt = values + (values & 1);
  const workspaceAt = extraAt + extraValues + (extraValues & 1);
  const kernels = instantiate((workspaceAt + WORKSPACE_VALUES) * 8);
  if (!kernels) return new Float64Array(values);
  owned.set(kernels.memory.buffer, { kernels, extraAt, extraValues, workspaceAt });
  return new Float64Array(kernels.memory.buffer, 0, values);
}

/** The kernels and the extra region (value index and size) of an array made by wasmMatrix, or null. */
export function wasmMatrixExtra(a: Float64Array): { kernels: WasmKernels; extraAt: number; extraValues: number } | null {
  const o = owned.get(a.buffer as ArrayBuffer);
  return o && a.byteOffset === 0 ? { kernels: o.kernels, extraAt: o.extraAt, extraValues: o.extraValues } : null;
}

/**
 * C[cOff + i ldc + j] += sum_{p<k} A(i, p) B(j, p) for i < m, j < n, through the WebAssembly
 * kernel (callers check wasmAvailable() first, or use gemm()). triA / triB: A(i, p) = 0 for
 * p < i, B(j, p) = 0 for p < j (blocks made only of those zeros are skipped).
 *
 * When C lies in a wasmMatrix() memory the kernel accumulates into it directly (whole 4 x 4
 * tiles; the edge strips and the other cases go through the workspace buffer and are added
 * to C in JS).
 */
export function gemmOperands(
  m: number, n: number, k: number, A: Operand, B: Operand,
  C: Float64Array, cOff: number, ldc: number, opts: OperandGemmOptions = {},
): void {
  const sym = opts.symmetric === true;
  const lower = sym || opts.lower === true;
  const diag = lower ? (sym ? 0 : opts.diagonal ?? 0) : 0;
  const triA = opts.triA === true, triB = opts.triB === true;
  if (m <= 0 || n <= 0 || k <= 0) return;
  const own = owned.get(C.buffer as ArrayBuffer);
  const direct = own !== undefined && (!lower || sym || opts.upperMayChange === true);
  const ws = direct ? own.kernels : workspace();
  const base = direct ? own.workspaceAt : 0;
  const ap = base + AP, bp = base + BP, cb = base + CB;
  const c0 = C.byteOffset / 8 + cOff; // value index of C's block in ws's memory (direct mode)
  const f = ws.f64;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    const icFirst = lower ? Math.max(0, jc - diag) : 0;
    for (let pc = triB ? Math.min(jc, k) : 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      let packedB = false;
      for (let ic = icFirst - (icFirst % MC); ic < m; ic += MC) {
        if (triA && ic >= pc + kc) break;
        const mc = Math.min(MC, m - ic);
        if (lower && ic + mc - 1 + diag < jc) continue;
        const ncEff = lower ? Math.min(nc, ic + mc + diag - jc) : nc;
        if (!packedB) { B.pack(f, bp, jc, nc, pc, kc); packedB = true; }
        A.pack(f, ap, ic, mc, pc, kc);
        const low = lower ? ic + diag - jc : ALL_TILES;
        if (!direct) {
          ws.gemm(ap * 8, bp * 8, cb * 8, (mc + 3) & ~3, (ncEff + 3) & ~3, kc, LDCB * 8, low, 0);
          addBlock(f, cb, C, cOff, ldc, ic, jc, mc, ncEff, lower, diag, sym);
          continue;
        }
        const mcF = mc & ~3, ncF = ncEff & ~3;
        if (mcF > 0 && ncF > 0) ws.gemm(ap * 8, bp * 8, (c0 + ic * ldc + jc) * 8, mcF, ncF, kc, ldc * 8, low, 1);
        if (mcF < mc) { // last rows: one partial tile row through the buffer
          ws.gemm((ap + mcF * kc) * 8, bp * 8, cb * 8, 4, (ncEff + 3) & ~3, kc, LDCB * 8, low + mcF, 0);
          addBlock(f, cb, C, cOff, ldc, ic + mcF, jc, mc - mcF, ncEff, lower, diag, false);
        }
        if (ncF < ncEff && mcF > 0) { // last columns of the full rows
          ws.gemm(ap * 8, (bp + ncF * kc) * 8, cb * 8, mcF, 4, kc, LDCB * 8, low - ncF, 0);
          addBlock(f, cb, C, cOff, ldc, ic, jc + ncF, mcF, ncEff - ncF, lower, diag, false);
        }
      }
    }
  }
  if (direct && sym) {
    for (let i = 0; i < m; i++) {
      const row = cOff + i * ldc;
      for (let j = i + 1; j < m; j++) C[row + j] = C[cOff + j * ldc + i];
    }
  }
}

/**
 * C block (rows ic.., columns jc..) += the buffer at value index cb (row stride LDCB); j <= i
 * + diag only in lower mode; mirrored in symmetric mode.
 */
function addBlock(f: Float64Array, cb: number, C: Float64Array, cOff: number, ldc: number, ic: number, jc: number, mc: number, nc: number, lower: boolean, diag: number, sym: boolean): void {
  for (let r = 0; r < mc; r++) {
    const i = ic + r;
    const jn = lower ? Math.min(nc, i + diag - jc + 1) : nc;
    const src = cb + r * LDCB, dst = cOff + i * ldc + jc;
    for (let j = 0; j < jn; j++) C[dst + j] += f[src + j];
  }
  if (!sym) return;
  for (let j = 0; j < nc; j++) {
    const col = jc + j;
    const r0 = Math.max(0, col + 1 - ic);
    const dst = cOff + col * ldc + ic;
    for (let r = r0; r < mc; r++) C[dst + r] += f[cb + r * LDCB + j];
  }
}

/**
 * C += A B^T for operands of any kind: the WebAssembly path where available, otherwise
 * both operands are materialised as float64 rows and the plain-JS kernel runs.
 */
export function gemm(
  m: number, n: number, k: number, A: Operand, B: Operand,
  C: Float64Array, cOff: number, ldc: number, opts: OperandGemmOptions = {},
): void {
  if (m <= 0 || n <= 0 || k <= 0) return;
  if (wasmAvailable()) {
    gemmOperands(m, n, k, A, B, C, cOff, ldc, opts);
    return;
  }
  const a = materialise(A, m, k), b = materialise(B, n, k);
  const sym = opts.symmetric === true;
  if (!sym) {
    if (opts.lower && (opts.diagonal ?? 0) !== 0) {
      // the plain-JS kernel has no diagonal offset: the full block, then the kept entries
      const t = new Float64Array(m * n);
      gemmNTJs(m, n, k, a, 0, k, b, 0, k, t, 0, n, { triA: opts.triA, triB: opts.triB });
      const dg = opts.diagonal ?? 0;
      for (let i = 0; i < m; i++) {
        const jn = Math.min(n, i + dg + 1);
        for (let j = 0; j < jn; j++) C[cOff + i * ldc + j] += t[i * n + j];
      }
      return;
    }
    gemmNTJs(m, n, k, a, 0, k, b, 0, k, C, cOff, ldc, opts);
    return;
  }
  const t = new Float64Array(m * m);
  gemmNTJs(m, m, k, a, 0, k, b, 0, k, t, 0, m, { ...opts, lower: true });
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      const v = t[i * m + j];
      C[cOff + i * ldc + j] += v;
      if (j < i) C[cOff + j * ldc + i] += v;
    }
  }
}

/** Rows x k float64 copy of an operand (through its packer, in slices of 4 rows). */
function materialise(op: Operand, rows: number, k: number): Float64Array {
  const out = new Float64Array(rows * k);
  const buf = new Float64Array(4 * k);
  for (let i0 = 0; i0 < rows; i0 += 4) {
    const nr = Math.min(4, rows - i0);
    op.pack(buf, 0, i0, nr, 0, k);
    for (let r = 0; r < nr; r++) for (let p = 0; p < k; p++) out[(i0 + r) * k + p] = buf[4 * p + r];
  }
  return out;
}

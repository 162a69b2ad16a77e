/**
 * Float64 WebAssembly SIMD kernels (f64x2) for the dense linear algebra of ../gemm.ts and
 * ../eigh.ts, built at run time by ./encode.ts. Every operation is an IEEE float64 multiply
 * followed by an add (no fused multiply-add), as in the plain-JS kernels; only the order of
 * the additions differs.
 *
 * gemm (the micro-kernel loop of Goto & van de Geijn, "Anatomy of high-performance matrix
 * multiplication", ACM TOMS 34(3), 2008; BLIS layout): C = Ap Bp^T, or C += Ap Bp^T, on
 * packed operands. Ap holds mc rows as mc/4 micro-panels of kc x 4 values (row r of the
 * panel at p: Ap[panel][p * 4 + r]); Bp holds nc columns likewise. Each 4 x 4 tile of C
 * is kept in eight f64x2 registers for the whole inner loop (16 multiply-adds per 6 loads).
 * Measured on one core of the development machine (AMD EPYC, Node 20): about 6 GFMA/s,
 * against about 1 to 1.5 for the best plain-JS kernel.
 *
 * symv4, rowsAxpy, rowsDot (for the Householder tridiagonalisation of eigh.ts): the
 * symmetric matrix-vector product four rows at a time, and the corrections by the
 * panel's stored vectors (y += sum_t c_t row_t; dot products of rows with a vector).
 */
import { FnBuilder, I32, V128, buildModule } from './encode.ts';

/** Micro-tile size (rows of Ap panels and columns of Bp panels). */
export const MR = 4;

export interface WasmKernels {
  memory: WebAssembly.Memory;
  /** View of the whole memory (never grown, so the view stays valid). */
  f64: Float64Array;
  /**
   * C[i][j] (=|+=) sum_p Ap[i][p] Bp[j][p] for i < mc, j < nc (multiples of 4), C at byte
   * offset cp with a row stride of ldcBytes. Tiles whose every row index + lowerOff is
   * below every column index are skipped (lowerOff = 2^30 computes all of them).
   */
  gemm(ap: number, bp: number, cp: number, mc: number, nc: number, kc: number, ldcBytes: number, lowerOff: number, accumulate: number): void;
  /**
   * Rows i0..i0+3 of the lower triangle of the row-major matrix at byte offset a (row stride
   * ldaBytes), columns k..i0-1: p[j] += sum_r A[i0+r][j] u[i0+r] for j in [k, i0), and returns
   * nothing; the row sums sum_j A[i0+r][j] u[j] are added to p[i0+r]. u and p are byte offsets
   * of float64 vectors indexed like the columns.
   */
  symv4(a: number, ldaBytes: number, k: number, i0: number, u: number, p: number): void;
  /** y[j] += sum_{t < count} coef[t] rows[t][j] for j in [j0, j1); rows at byte offset rows, row stride ldBytes. */
  rowsAxpy(rows: number, ldBytes: number, coef: number, count: number, y: number, j0: number, j1: number): void;
  /** out[t] = sum_{j in [j0, j1)} rows[t][j] x[j] for t < count. */
  rowsDot(rows: number, ldBytes: number, count: number, x: number, j0: number, j1: number, out: number): void;
}

function buildGemm(): FnBuilder {
  const f = new FnBuilder([I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const [ap, bp, cp, mc, nc, kc, ldc, low, accum] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const jr = f.local(I32), ir = f.local(I32), a = f.local(I32), b = f.local(I32), p = f.local(I32), c = f.local(I32);
  const NV = MR / 2; // f64x2 vectors per tile row
  const acc: number[] = [];
  for (let t = 0; t < MR * NV; t++) acc.push(f.local(V128));
  const bv: number[] = [];
  for (let t = 0; t < NV; t++) bv.push(f.local(V128));
  const av = f.local(V128);
  f.i32(0).set(jr);
  f.block().loop(); // over column tiles
  f.get(jr).get(nc).geS().brIf(1);
  f.i32(0).set(ir);
  f.block().loop(); // over row tiles
  f.get(ir).get(mc).geS().brIf(1);
  f.get(ir).i32(MR - 1).add().get(low).add().get(jr).geS().if_();
  for (const x of acc) f.f64(0).f64x2Splat().set(x);
  f.get(ap).get(ir).get(kc).mul().i32(8).mul().add().set(a);
  f.get(bp).get(jr).get(kc).mul().i32(8).mul().add().set(b);
  f.get(kc).set(p);
  f.loop(); // inner dimension
  for (let j = 0; j < NV; j++) f.get(b).v128Load(16 * j).set(bv[j]);
  for (let r = 0; r < MR; r++) {
    f.get(a).load64Splat(8 * r).set(av);
    for (let j = 0; j < NV; j++) f.get(acc[r * NV + j]).get(av).get(bv[j]).f64x2Mul().f64x2Add().set(acc[r * NV + j]);
  }
  f.get(a).i32(MR * 8).add().set(a);
  f.get(b).i32(MR * 8).add().set(b);
  f.get(p).i32(1).sub().tee(p).brIf(0);
  f.end();
  f.get(cp).get(ir).get(ldc).mul().add().get(jr).i32(8).mul().add().set(c);
  f.get(accum).if_();
  for (let r = 0; r < MR; r++) {
    for (let j = 0; j < NV; j++) f.get(c).get(c).v128Load(16 * j).get(acc[r * NV + j]).f64x2Add().v128Store(16 * j);
    if (r < MR - 1) f.get(c).get(ldc).add().set(c);
  }
  f.else_();
  for (let r = 0; r < MR; r++) {
    for (let j = 0; j < NV; j++) f.get(c).get(acc[r * NV + j]).v128Store(16 * j);
    if (r < MR - 1) f.get(c).get(ldc).add().set(c);
  }
  f.end();
  f.end(); // if tile needed
  f.get(ir).i32(MR).add().set(ir);
  f.br(0);
  f.end().end();
  f.get(jr).i32(MR).add().set(jr);
  f.br(0);
  f.end().end();
  return f;
}

/**
 * symv4(a, lda, k, i0, u, p): with rows R_r = A[i0 + r] (r < 4) and columns j in [k, i0):
 * s_r = sum_j R_r[j] u[j] and p[j] += sum_r R_r[j] u[i0 + r]; then p[i0 + r] += s_r.
 * Pairs of columns go through the two f64x2 lanes; an odd last column goes through lane 0
 * alone (lane 1 loaded as zero).
 */
function buildSymv(): FnBuilder {
  const f = new FnBuilder([I32, I32, I32, I32, I32, I32]);
  const [a, lda, k, i0, u, pv] = [0, 1, 2, 3, 4, 5];
  const rows = [f.local(I32), f.local(I32), f.local(I32), f.local(I32)];
  const j = f.local(I32), jEnd = f.local(I32), off = f.local(I32), po = f.local(I32);
  const s = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  const ui = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  const x = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  const uj = f.local(V128);
  f.get(a).get(i0).get(lda).mul().add().set(rows[0]);
  for (let r = 1; r < 4; r++) f.get(rows[r - 1]).get(lda).add().set(rows[r]);
  for (let r = 0; r < 4; r++) {
    f.f64(0).f64x2Splat().set(s[r]);
    f.get(u).get(i0).i32(8).mul().add().load64Splat(8 * r).set(ui[r]);
  }
  // one step over columns j, j+1 (pair = true) or column j alone in lane 0 (pair = false)
  const step = (pair: boolean) => {
    f.get(j).i32(8).mul().set(off);
    f.get(u).get(off).add();
    if (pair) f.v128Load(); else f.load64Zero();
    f.set(uj);
    f.get(pv).get(off).add().set(po);
    for (let r = 0; r < 4; r++) {
      f.get(rows[r]).get(off).add();
      if (pair) f.v128Load(); else f.load64Zero();
      f.set(x[r]);
      f.get(s[r]).get(x[r]).get(uj).f64x2Mul().f64x2Add().set(s[r]);
    }
    f.get(po);
    if (pair) f.get(po).v128Load(); else f.get(po).load64Zero();
    f.get(x[0]).get(ui[0]).f64x2Mul().get(x[1]).get(ui[1]).f64x2Mul().f64x2Add()
      .get(x[2]).get(ui[2]).f64x2Mul().get(x[3]).get(ui[3]).f64x2Mul().f64x2Add()
      .f64x2Add().f64x2Add();
    if (pair) f.v128Store(); else f.f64x2Lane(0).f64Store();
  };
  // j runs over [k, jEnd) in pairs, jEnd = k + 2 floor((i0 - k) / 2)
  f.get(k).set(j);
  f.get(i0).get(k).sub().i32(-2).and().get(k).add().set(jEnd);
  f.block().loop();
  f.get(j).get(jEnd).geS().brIf(1);
  step(true);
  f.get(j).i32(2).add().set(j);
  f.br(0);
  f.end().end();
  f.get(jEnd).get(i0).ltS().if_();
  step(false);
  f.end();
  // p[i0 + r] += lane 0 + lane 1 of s_r
  for (let r = 0; r < 4; r++) {
    f.get(pv).get(i0).i32(8).mul().add().set(po);
    f.get(po).get(po).f64Load(8 * r).get(s[r]).f64x2Lane(0).get(s[r]).f64x2Lane(1).fadd().fadd().f64Store(8 * r);
  }
  return f;
}

/**
 * rowsAxpy(rows, ld, coef, count, y, j0, j1): two rows per pass over y (the second with
 * coefficient 0 and the first row again when count is odd), pairs of columns in f64x2 lanes
 * and an odd last column in lane 0.
 */
function buildRowsAxpy(): FnBuilder {
  const f = new FnBuilder([I32, I32, I32, I32, I32, I32, I32]);
  const [rows, ld, coef, count, y, j0, j1] = [0, 1, 2, 3, 4, 5, 6];
  const t = f.local(I32), r0 = f.local(I32), r1 = f.local(I32), j = f.local(I32), jEnd = f.local(I32), off = f.local(I32), yo = f.local(I32);
  const c0 = f.local(V128), c1 = f.local(V128);
  f.get(j1).get(j0).sub().i32(-2).and().get(j0).add().set(jEnd);
  f.i32(0).set(t);
  f.block().loop();
  f.get(t).get(count).geS().brIf(1);
  f.get(rows).get(t).get(ld).mul().add().set(r0);
  f.get(coef).get(t).i32(8).mul().add().load64Splat().set(c0);
  // second row: t + 1 when it exists, otherwise the same row with coefficient 0
  f.get(t).i32(1).add().get(count).ltS().if_();
  f.get(r0).get(ld).add().set(r1);
  f.get(coef).get(t).i32(8).mul().add().load64Splat(8).set(c1);
  f.else_();
  f.get(r0).set(r1);
  f.f64(0).f64x2Splat().set(c1);
  f.end();
  const step = (pair: boolean) => {
    f.get(j).i32(8).mul().set(off);
    f.get(y).get(off).add().set(yo);
    f.get(yo);
    f.get(yo); if (pair) f.v128Load(); else f.load64Zero();
    f.get(c0).get(r0).get(off).add(); if (pair) f.v128Load(); else f.load64Zero();
    f.f64x2Mul();
    f.get(c1).get(r1).get(off).add(); if (pair) f.v128Load(); else f.load64Zero();
    f.f64x2Mul().f64x2Add().f64x2Add();
    if (pair) f.v128Store(); else f.f64x2Lane(0).f64Store();
  };
  f.get(j0).set(j);
  f.block().loop();
  f.get(j).get(jEnd).geS().brIf(1);
  step(true);
  f.get(j).i32(2).add().set(j);
  f.br(0);
  f.end().end();
  f.get(jEnd).get(j1).ltS().if_();
  step(false);
  f.end();
  f.get(t).i32(2).add().set(t);
  f.br(0);
  f.end().end();
  return f;
}

/** rowsDot(rows, ld, count, x, j0, j1, out): one row at a time, pairs of columns in f64x2 lanes. */
function buildRowsDot(): FnBuilder {
  const f = new FnBuilder([I32, I32, I32, I32, I32, I32, I32]);
  const [rows, ld, count, x, j0, j1, out] = [0, 1, 2, 3, 4, 5, 6];
  const t = f.local(I32), r = f.local(I32), j = f.local(I32), jEnd = f.local(I32), off = f.local(I32);
  const acc = f.local(V128);
  f.get(j1).get(j0).sub().i32(-2).and().get(j0).add().set(jEnd);
  f.i32(0).set(t);
  f.block().loop();
  f.get(t).get(count).geS().brIf(1);
  f.get(rows).get(t).get(ld).mul().add().set(r);
  f.f64(0).f64x2Splat().set(acc);
  const step = (pair: boolean) => {
    f.get(j).i32(8).mul().set(off);
    f.get(acc);
    f.get(r).get(off).add(); if (pair) f.v128Load(); else f.load64Zero();
    f.get(x).get(off).add(); if (pair) f.v128Load(); else f.load64Zero();
    f.f64x2Mul().f64x2Add().set(acc);
  };
  f.get(j0).set(j);
  f.block().loop();
  f.get(j).get(jEnd).geS().brIf(1);
  step(true);
  f.get(j).i32(2).add().set(j);
  f.br(0);
  f.end().end();
  f.get(jEnd).get(j1).ltS().if_();
  step(false);
  f.end();
  f.get(out).get(t).i32(8).mul().add();
  f.get(acc).f64x2Lane(0).get(acc).f64x2Lane(1).fadd();
  f.f64Store();
  f.get(t).i32(1).add().set(t);
  f.br(0);
  f.end().end();
  return f;
}

let compiled: WebAssembly.Module | null | undefined;
let enabled = true;

/** The compiled module, or null where WebAssembly SIMD is not available. */
function wasmModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  try {
    if (typeof WebAssembly === 'object') {
      const bytes = buildModule([
        { name: 'gemm', fn: buildGemm() }, { name: 'symv4', fn: buildSymv() },
        { name: 'rowsAxpy', fn: buildRowsAxpy() }, { name: 'rowsDot', fn: buildRowsDot() },
      ]);
      compiled = new WebAssembly.Module(bytes);
    }
  } catch {
    compiled = null; // e.g. synchronous compilation refused on a browser main thread
  }
  return compiled;
}

/** Whether the WebAssembly kernels are in use (SIMD available and not switched off). */
export function wasmAvailable(): boolean {
  return enabled && wasmModule() !== null;
}

/**
 * Switch the WebAssembly kernels off (false) or back on (true); returns the previous
 * setting. For tests and benchmarks that compare them with the plain-JS kernels.
 */
export function useWasmKernels(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

/** A new instance with its own zeroed memory of at least `bytes` bytes, or null (see wasmAvailable). */
export function instantiate(bytes: number): WasmKernels | null {
  const mod = enabled ? wasmModule() : null;
  if (!mod) return null;
  const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / 65536)) });
  const inst = new WebAssembly.Instance(mod, { env: { memory } });
  const ex = inst.exports as unknown as Pick<WasmKernels, 'gemm' | 'symv4' | 'rowsAxpy' | 'rowsDot'>;
  return { memory, f64: new Float64Array(memory.buffer), gemm: ex.gemm, symv4: ex.symv4, rowsAxpy: ex.rowsAxpy, rowsDot: ex.rowsDot };
}

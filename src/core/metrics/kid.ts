/**
 * Kernel Inception Distance (KID; Binkowski, Sutherland, Arbel & Gretton, "Demystifying
 * MMD GANs", ICLR 2018). Reference implementation: torch-fidelity
 * (toshas/torch-fidelity, torch_fidelity/metric_kid.py: kid_features_to_metric, mmd2)
 * with its defaults: polynomial kernel k(x, y) = (x.y / d + 1)^3, 100 subsets of
 * m = 1000 rows drawn without replacement, unbiased MMD^2 estimate per subset
 *
 *   (sum_{i != j} Kxx + sum_{i != j} Kyy) / (m (m - 1)) - 2 sum Kxy / m^2,
 *
 * reported as the mean and the population std (ddof 0) over subsets.
 *
 * Differences from torch-fidelity, by design:
 * - m = min(subsetSize, N, M): small sets are never refused (a note says that small m
 *   widens the spread).
 * - Subsets come from the seeded mulberry32 generator and partial Fisher-Yates of
 *   ../random.ts (real subset first, then synthetic, for each subset), which the Python
 *   reference ports exactly, instead of numpy's RandomState.choice.
 * - Float64 throughout here. A large KID in evaluate() takes its inner products from the
 *   neighbour passes' float32 products instead (kidSums.ts; kidFromPassesPlan and kidFromPassSums
 *   below; the report says which in kid.products).
 * When m equals both set sizes every subset is a permutation of both sets and the value
 * does not depend on the draw: it is computed once and std is 0.
 *
 * Work: a kernel entry costs d multiply-adds (float64, WebAssembly SIMD products of
 * ../linalg/gemm.ts, reading the float32 features directly, no float64 copy). Each subset
 * needs about 2 m^2 entries (lower triangle of the kernel of its 2m rows). When the
 * subsets together need more entries than the lower triangle of the whole union
 * [real; synth], (N + M)^2 / 2, the union's kernel is computed once instead, a block of
 * rows at a time (never stored whole), and every entry is added to the sums of the subsets
 * that contain both of its rows. When m equals one set's size, that set's own kernel sum
 * and the kernel sums of each row of the other set against it are computed once.
 * Kernel values are held a block of rows at a time: at most about 2^21 values (16 MB) by
 * default (option blockValues), or 4 rows when that is more.
 *
 * Threads: both engines are cut into units (KidUnits below): a subset (direct engine), or
 * one block of kernel rows (a set used whole, its rows against the other set, the union's
 * kernel), each giving per-subset values or per-row sums. One set of units is merged into
 * the subsets' values in a fixed order, whichever thread computed each unit and in whatever
 * order, so kidParallel() on the engine pool (../neighbours/parallel.ts, a 'kid' task) gives
 * the values of kid() on this thread bit for bit, for any number of threads (every thread
 * computes a unit with the same code and the same block sizes).
 */
import type { FeatureSet } from '../features/featureSet.ts';
import { inMemory, rowsInMemory } from '../features/rowSource.ts';
import { createRng, sampleWithoutReplacement } from '../random.ts';
import { gemm, wasmMatrix, type NumericRows, type Operand } from '../linalg/gemm.ts';
import { membershipOf, type Membership } from './kidSums.ts';
import { canShareMemory, getEnginePool, shareSet, type EnginePool, type EngineTask, type Unit } from '../neighbours/parallel.ts';

export interface KidResult {
  mean: number;
  std: number;
  /** m actually used: min(requested subset size, N, M). */
  subsetSize: number;
  subsets: number;
  note?: string;
  /** Caveats about the inputs (e.g. discrete codes treated as numbers). */
  warnings: string[];
  /**
   * The kernel's inner products: 'float64' (this file's products), or 'float32' (the neighbour
   * passes' products of centred rows, shared: kidSums.ts). Absent means float64.
   */
  products?: 'float64' | 'float32';
}

export interface KidOptions {
  /** Requested subset size (default 1000, torch-fidelity's). */
  subsetSize?: number;
  /** Number of subsets (default 100). */
  subsets?: number;
  /** Seed of the subset generator (default 2020, torch-fidelity's). */
  seed?: number;
  /**
   * 'auto' (default): the cheaper of the two ways below; 'direct': every subset from its own
   * rows; 'shared': the kernel of the union of both sets once, shared by all subsets.
   */
  engine?: 'auto' | 'direct' | 'shared';
  /** Most kernel values held at once, a block of rows (default 2^21, 16 MB). */
  blockValues?: number;
}

export interface KidParallelOptions extends KidOptions {
  /**
   * Engine pool to run the units on: undefined uses the registered one (setEnginePool), null
   * runs on this thread. A pool is used only with at least 2 workers, memory that can be
   * shared, at least 2 units and parallelMinFlops of work.
   */
  pool?: EnginePool | null;
  /** Useful FLOPs (2 d per kernel entry) from which the pool is used; default 4e9 (the neighbour engine's). */
  parallelMinFlops?: number;
  /** Stops the pool's workers between units (a unit: one subset or one block of kernel rows). */
  signal?: AbortSignal;
}

export interface KidParallelResult extends KidResult {
  /** Threads that computed the kernel sums (1: this thread). */
  workers: number;
}

/** What a thread needs besides the two sets to run units of a KID (the 'kid' task of the engine pool). */
export interface KidWork {
  m: number;
  subsets: number;
  /** Subset s: real rows draws[2ms .. 2ms + m), synthetic rows draws[2ms + m .. 2m(s + 1)). */
  draws: Int32Array;
  blockValues: number;
}

/** A thread's results: the units it ran, in order, and their values one after the other (see KidUnits). */
export interface KidPartial {
  units: Unit[];
  values: Float64Array;
}

/** Most kernel values held at once (one block of rows). */
const BLOCK_VALUES = 1 << 21;
/** Useful FLOPs from which a KID goes to the engine pool (as the neighbour engine's passes). */
const DEFAULT_PARALLEL_MIN_FLOPS = 4e9;

/**
 * Unit kinds, in a unit's third place ([a0, a1, kind]):
 * SUBSETS: subsets a0..a1-1; the MMD^2 of each (direct engine), or, when a set is used whole,
 *   the off-diagonal kernel sum of the other set's subset rows.
 * FIXED_ROWS: rows a0..a1-1 (one kernel block) of the set used whole against its earlier rows: a sum per row.
 * CROSS_ROWS: rows a0..a1-1 (one block) of the other set against the whole set: a sum per row.
 * UNION_ROWS: rows a0..a1-1 (one block) of the union [real; synth] against its earlier rows
 *   (shared engine): per row, a sum (or two) for each subset that holds the row.
 */
const SUBSETS = 0, FIXED_ROWS = 1, CROSS_ROWS = 2, UNION_ROWS = 3;

/** Checked arguments and sizes of one KID. */
export interface Plan {
  d: number;
  nR: number;
  nS: number;
  m: number;
  subsets: number;
  seed: number;
  engine: 'auto' | 'direct' | 'shared';
  blockValues: number;
  notes: string[];
  warnings: string[];
}

function plan(real: FeatureSet, synth: FeatureSet, opts: KidOptions): Plan {
  if (real.dim !== synth.dim) throw new Error(`KID: feature dimensions differ (${real.dim} vs ${synth.dim})`);
  const subsetSize = opts.subsetSize ?? 1000;
  const subsets = opts.subsets ?? 100;
  const blockValues = opts.blockValues ?? BLOCK_VALUES;
  if (!Number.isInteger(blockValues) || blockValues < 1) throw new Error(`KID: invalid block size ${blockValues}`);
  if (!Number.isInteger(subsetSize) || subsetSize < 1) throw new Error(`KID: invalid subset size ${subsetSize}`);
  if (!Number.isInteger(subsets) || subsets < 1) throw new Error(`KID: invalid number of subsets ${subsets}`);
  const nR = real.n, nS = synth.n;
  const m = Math.min(subsetSize, nR, nS);
  const warnings: string[] = [];
  if (real.kind === 'discrete' || synth.kind === 'discrete') {
    warnings.push('KID on discrete features: the integer codes are treated as numbers (cast to float64).');
  }
  const notes: string[] = [];
  if (m >= 2 && m < subsetSize) {
    notes.push(
      `Subsets of ${m} rows instead of ${subsetSize} (set sizes ${nR} and ${nS}): smaller subsets widen the ` +
      'spread of the estimate; compare KID values computed with the same subset size.',
    );
  }
  return { d: real.dim, nR, nS, m, subsets, seed: opts.seed ?? 2020, engine: opts.engine ?? 'auto', blockValues, notes, warnings };
}

/**
 * The result when no subsets are drawn (fewer than 2 rows, or every subset is both whole
 * sets: one MMD^2, on this thread), else null.
 */
function withoutDraws(real: FeatureSet, synth: FeatureSet, p: Plan): KidResult | null {
  const { m, nR, nS, d, subsets, notes, warnings } = p;
  if (m < 2) {
    return {
      mean: NaN, std: NaN, subsetSize: m, subsets,
      note: `KID needs at least 2 rows in each set (got ${nR} and ${nS}).`, warnings,
    };
  }
  if (d === 0) throw new Error('KID: feature dimension is 0');
  if (m === nR && m === nS) {
    notes.push('Every subset contains all rows of both sets, so every draw gives the same value (std 0).');
    const all = Int32Array.from({ length: m }, (_, i) => i);
    const v = subsetMmd(rowsInMemory(real), rowsInMemory(synth), d, all, all, m, blockBuffer(2 * m, p.blockValues));
    return { mean: v, std: 0, subsetSize: m, subsets, note: notes.join(' '), warnings };
  }
  return null;
}

/** Every subset's rows (real subset first, then synthetic, for each subset), on shared memory when asked. */
function drawSubsets(p: Plan, shared: boolean): Int32Array {
  const { m, subsets, nR, nS } = p;
  const draws = shared ? new Int32Array(new SharedArrayBuffer(subsets * 2 * m * 4)) : new Int32Array(subsets * 2 * m);
  const rng = createRng(p.seed);
  for (let s = 0; s < subsets; s++) {
    draws.set(sampleWithoutReplacement(rng, nR, m), 2 * m * s);
    draws.set(sampleWithoutReplacement(rng, nS, m), 2 * m * s + m);
  }
  return draws;
}

function summary(p: Plan, values: Float64Array): KidResult {
  const S = p.subsets;
  let mean = 0;
  for (let s = 0; s < S; s++) mean += values[s];
  mean /= S;
  let v2 = 0;
  for (let s = 0; s < S; s++) { const t = values[s] - mean; v2 += t * t; }
  const std = Math.sqrt(v2 / S);
  return { mean, std, subsetSize: p.m, subsets: S, note: p.notes.length ? p.notes.join(' ') : undefined, warnings: p.warnings };
}

/** KID on this thread; see the file header. */
export function kid(real: FeatureSet, synth: FeatureSet, opts: KidOptions = {}): KidResult {
  const p = plan(real, synth, opts);
  const early = withoutDraws(real, synth, p);
  if (early) return early;
  const work: KidWork = { m: p.m, subsets: p.subsets, draws: drawSubsets(p, false), blockValues: p.blockValues };
  const units = kidUnits(p.nR, p.nS, work, useShared(p));
  // a streamed set (../features/rowSource.ts) is read whole: the subsets reach every row at random
  const runner = new KidUnits(rowsInMemory(real), p.nR, rowsInMemory(synth), p.nS, p.d, work);
  for (const u of units) runner.runUnit(u);
  return summary(p, mergeKid(p.nR, p.nS, work, [runner.finish()]));
}

/**
 * KID with its units on the engine pool's threads when the work is large enough (see
 * KidParallelOptions), otherwise kid() on this thread; the same values either way (file
 * header). The feature sets are moved onto shared memory (shareSet) when the pool is used.
 */
export async function kidParallel(real: FeatureSet, synth: FeatureSet, opts: KidParallelOptions = {}): Promise<KidParallelResult> {
  opts.signal?.throwIfAborted();
  const p = plan(real, synth, opts);
  const pool = opts.pool === undefined ? getEnginePool() : opts.pool;
  const minFlops = opts.parallelMinFlops ?? DEFAULT_PARALLEL_MIN_FLOPS;
  const onPool = pool !== null && pool.size >= 2 && canShareMemory() && p.m >= 2 && !(p.m === p.nR && p.m === p.nS) && p.d > 0;
  const shared = useShared(p);
  if (!onPool || 2 * p.d * kernelEntries(p, shared) < minFlops) return { ...kid(real, synth, opts), workers: 1 };
  const work: KidWork = { m: p.m, subsets: p.subsets, draws: drawSubsets(p, true), blockValues: p.blockValues };
  const units = kidUnits(p.nR, p.nS, work, shared);
  if (units.length < 2) return { ...kid(real, synth, opts), workers: 1 };
  // a streamed set is read whole onto shared memory: the subsets reach every row at random
  const task: EngineTask = { pass: 'kid', real: shareSet(inMemory(real, true)), synth: shareSet(inMemory(synth, true)), work, abort: new Int32Array(new SharedArrayBuffer(4)) };
  const parts = await pool.run(task, units, () => {}, opts.signal);
  const kidParts = parts.map((q) => {
    if (q.pass !== 'kid') throw new Error(`KID: the engine pool returned a '${q.pass}' partial`);
    return q.part;
  });
  return { ...summary(p, mergeKid(p.nR, p.nS, work, kidParts)), workers: parts.length };
}

/** A KID whose kernel sums come from the neighbour passes (kidSums.ts): its plan and which subsets hold each row of either set. */
export interface KidFromPasses {
  plan: Plan;
  real: Membership;
  synth: Membership;
  /** Useful FLOPs the float64 path would spend (2 d per kernel entry of its cheaper engine). */
  float64Flops: number;
}

/**
 * KID's subsets for sums taken from the neighbour passes (kidSums.ts); or its result when there
 * is nothing to draw (fewer than 2 rows, or both sets used whole: one MMD^2, computed here); or
 * null, before anything is drawn, when the float64 path would cost less than `minFlops` useful
 * FLOPs (call kid() or kidParallel() then). Memberships go on shared memory when `shared` (the
 * engine pool's threads read them).
 */
export function kidFromPassesPlan(
  real: FeatureSet, synth: FeatureSet, opts: KidOptions, shared: boolean, minFlops = 0,
): { passes: KidFromPasses } | { result: KidResult } | null {
  const p = plan(real, synth, opts);
  const early = withoutDraws(real, synth, p);
  if (early) return { result: early };
  const float64Flops = 2 * p.d * kernelEntries(p, useShared(p));
  if (float64Flops < minFlops) return null;
  const draws = drawSubsets(p, false);
  return {
    passes: {
      plan: p,
      real: membershipOf(p.nR, p.m, p.subsets, draws, 0, shared),
      synth: membershipOf(p.nS, p.m, p.subsets, draws, p.m, shared),
      float64Flops,
    },
  };
}

/**
 * The KID from the passes' sums: xx over R x R and yy over S x S (each pair once: half the
 * off-diagonal sums; one value when the set is used whole), xy over S x R, per subset.
 */
export function kidFromPassSums(f: KidFromPasses, xx: Float64Array, yy: Float64Array, xy: Float64Array): KidResult {
  const p = f.plan;
  const S = p.subsets;
  const at = (a: Float64Array, s: number) => (a.length === 1 ? a[0] : a[s]);
  const values = new Float64Array(S);
  for (let s = 0; s < S; s++) values[s] = mmdUnbiased(2 * at(xx, s), 2 * at(yy, s), at(xy, s), p.m);
  return { ...summary(p, values), products: 'float32' };
}

function mmdUnbiased(sxx: number, syy: number, sxy: number, m: number): number {
  return (sxx + syy) / (m * (m - 1)) - (2 * sxy) / (m * m);
}

/** Kernel entries of the direct engine (each d multiply-adds). */
function directEntries(nR: number, nS: number, m: number, subsets: number): number {
  const realFixed = m === nR, synthFixed = m === nS;
  const perSubset = (realFixed ? 0 : m * m / 2) + (synthFixed ? 0 : m * m / 2) + (realFixed || synthFixed ? 0 : m * m);
  return subsets * perSubset + (realFixed ? nR * nR / 2 + nR * nS : 0) + (synthFixed ? nS * nS / 2 + nR * nS : 0);
}

/** Kernel entries of the chosen engine. */
function kernelEntries(p: Plan, shared: boolean): number {
  const t = p.nR + p.nS;
  return shared ? t * t / 2 : directEntries(p.nR, p.nS, p.m, p.subsets);
}

/** Whether the shared union pass costs fewer kernel entries than the direct per-subset ones. */
function useShared(p: Plan): boolean {
  if (p.engine !== 'auto') return p.engine === 'shared';
  return kernelEntries(p, true) < kernelEntries(p, false);
}

/**
 * Rows of two row-major arrays stacked: row i < na is a[ia[i]] (a[i] without a list), row
 * na + i is b[ib[i]]; the operand of the kernel products.
 */
function stackedRows(a: NumericRows, ia: Int32Array | null, na: number, b: NumericRows, ib: Int32Array | null, d: number): Operand {
  const src = (i: number): NumericRows => (i < na ? a : b);
  const base = (i: number): number => (i < na ? (ia ? ia[i] : i) : (ib ? ib[i - na] : i - na)) * d;
  return {
    pack(dst, o, i0, rows, p0, kc) {
      for (let blk = 0; blk < rows; blk += 4) {
        const nr = Math.min(4, rows - blk);
        const q = o + blk * kc;
        if (nr === 4) {
          const g = i0 + blk;
          const s0 = src(g), s1 = src(g + 1), s2 = src(g + 2), s3 = src(g + 3);
          const r0 = base(g) + p0, r1 = base(g + 1) + p0, r2 = base(g + 2) + p0, r3 = base(g + 3) + p0;
          for (let p = 0, w = q; p < kc; p++, w += 4) {
            dst[w] = s0[r0 + p]; dst[w + 1] = s1[r1 + p]; dst[w + 2] = s2[r2 + p]; dst[w + 3] = s3[r3 + p];
          }
        } else {
          dst.fill(0, q, q + 4 * kc);
          for (let r = 0; r < nr; r++) {
            const sr = src(i0 + blk + r), rr = base(i0 + blk + r) + p0;
            for (let p = 0; p < kc; p++) dst[q + 4 * p + r] = sr[rr + p];
          }
        }
      }
    },
  };
}

/** Values of a buffer for blocks of kernel rows of width up to `cols`: `values`, at least 4 rows, at most 4 rows more than needed. */
function blockBufferValues(cols: number, values: number): number {
  return Math.max(4 * cols, Math.min(values, cols * (cols + 4)));
}

function blockBuffer(cols: number, values: number): Float64Array {
  return wasmMatrix(blockBufferValues(cols, values));
}

/** Rows per block of a kernel of m rows against n columns, in a buffer of `bufValues` values. */
function blockRows(m: number, n: number, bufValues: number): number {
  return Math.max(4, Math.min(m, Math.floor(bufValues / Math.max(1, n))) & ~3);
}

function shifted(op: Operand, by: number): Operand {
  return { pack: (dst, o, i0, rows, p0, kc) => op.pack(dst, o, i0 + by, rows, p0, kc) };
}

/**
 * The polynomial kernel k(x, y) = (x.y / d + 1)^3 between rows of A (m of them) and rows of
 * B (n), a block of rows of A at a time: visit(i0, rb, K, ld) gets K[r ld + j] = k(A_{i0+r},
 * B_j). With lower = true (A and B the same rows) only j < i0 + r is filled and ld = i0 + rb.
 * Rows r0..r1-1 only, when given: r0 must start a block (a multiple of blockRows(m, n,
 * buf.length)) and r1 end one (or be m), so that every row is computed as in a whole pass.
 */
function kernelBlocks(
  A: Operand, m: number, B: Operand, n: number, d: number, lower: boolean, buf: Float64Array,
  visit: (i0: number, rb: number, K: Float64Array, ld: number) => void, r0 = 0, r1 = m,
): void {
  const rbMax = blockRows(m, n, buf.length);
  if (rbMax * n > buf.length) throw new Error('KID: kernel block buffer too small');
  if (r0 % rbMax !== 0 || (r1 !== m && r1 % rbMax !== 0)) throw new Error(`KID: rows ${r0}..${r1} are not whole kernel blocks of ${rbMax}`);
  for (let i0 = r0; i0 < r1; i0 += rbMax) {
    const rb = Math.min(rbMax, m - i0);
    const cols = lower ? Math.min(n, i0 + rb) : n;
    buf.fill(0, 0, rb * cols);
    gemm(rb, cols, d, shifted(A, i0), B, buf, 0, cols, lower ? { lower: true, diagonal: i0 - 1, upperMayChange: true } : {});
    for (let r = 0; r < rb; r++) {
      const jn = lower ? i0 + r : cols;
      const o = r * cols;
      for (let j = 0; j < jn; j++) {
        const u = buf[o + j] / d + 1;
        buf[o + j] = u * u * u;
      }
    }
    visit(i0, rb, buf, cols);
  }
}

/**
 * MMD^2 of one subset pair from its own rows: the lower triangle of the kernel of the 2m
 * stacked rows [x_ix; y_iy] gives the off-diagonal Kxx sum (rows < m), Kxy (rows >= m,
 * columns < m) and the off-diagonal Kyy sum (rows >= m, columns m.. below the diagonal).
 */
function subsetMmd(x: NumericRows, y: NumericRows, d: number, ix: Int32Array, iy: Int32Array, m: number, buf: Float64Array): number {
  const z = stackedRows(x, ix, m, y, iy, d);
  let sxx = 0, syy = 0, sxy = 0;
  kernelBlocks(z, 2 * m, z, 2 * m, d, true, buf, (i0, rb, K, ld) => {
    for (let r = 0; r < rb; r++) {
      const i = i0 + r, o = r * ld;
      let a = 0, b = 0;
      if (i < m) {
        for (let j = 0; j < i; j++) a += K[o + j];
        sxx += a;
      } else {
        for (let j = 0; j < m; j++) a += K[o + j];
        for (let j = m; j < i; j++) b += K[o + j];
        sxy += a;
        syy += b;
      }
    }
  });
  return mmdUnbiased(2 * sxx, 2 * syy, sxy, m);
}

/** out[i - r0] = sum_{j < i} k(x_i, x_j) for rows r0..r1-1 (whole kernel blocks) of the rows ix of x (n of them). */
function offDiagonalRowSums(x: NumericRows, ix: Int32Array | null, n: number, d: number, buf: Float64Array, r0: number, r1: number, out: Float64Array): void {
  const op = stackedRows(x, ix, n, x, null, d);
  kernelBlocks(op, n, op, n, d, true, buf, (i0, rb, K, ld) => {
    for (let r = 0; r < rb; r++) {
      const o = r * ld;
      let a = 0;
      for (let j = 0; j < i0 + r; j++) a += K[o + j];
      out[i0 + r - r0] = a;
    }
  }, r0, r1);
}

/** Off-diagonal kernel sum sum_{i != j} k(x_i, x_j) from the row sums of offDiagonalRowSums, added in row order. */
function offDiagonalTotal(rowSums: Float64Array): number {
  let total = 0;
  for (let i = 0; i < rowSums.length; i++) total += rowSums[i];
  return 2 * total;
}

/** For rows r0..r1-1 (whole kernel blocks) of the q rows of `other`: out[j - r0] = sum over the n rows x_i of k(x_i, other_j). */
function crossRowSums(x: NumericRows, n: number, other: NumericRows, q: number, d: number, buf: Float64Array, r0: number, r1: number, out: Float64Array): void {
  kernelBlocks(stackedRows(other, null, q, other, null, d), q, stackedRows(x, null, n, x, null, d), n, d, false, buf, (i0, rb, K, ld) => {
    for (let r = 0; r < rb; r++) {
      const o = r * ld;
      let a = 0;
      for (let j = 0; j < n; j++) a += K[o + j];
      out[i0 + r - r0] = a;
    }
  }, r0, r1);
}

/**
 * Membership lists of the shared engine: sorted real rows (xs) and union-indexed synthetic
 * rows (ys) of each subset; the subsets holding union row i are members[count[i] .. count[i+1]).
 */
class UnionIndex {
  readonly xs: Int32Array[] = [];
  readonly ys: Int32Array[] = [];
  readonly count: Int32Array;
  readonly members: Int32Array;

  constructor(nR: number, nS: number, work: KidWork) {
    const { m, subsets: S, draws } = work;
    const t = nR + nS;
    const count = new Int32Array(t + 1);
    for (let s = 0; s < S; s++) {
      const ix = draws.subarray(2 * m * s, 2 * m * s + m), iy = draws.subarray(2 * m * s + m, 2 * m * (s + 1));
      this.xs.push(Int32Array.from(ix).sort());
      const u = new Int32Array(m);
      for (let b = 0; b < m; b++) u[b] = iy[b] + nR;
      this.ys.push(u.sort());
      for (let a = 0; a < m; a++) count[ix[a] + 1]++;
      for (let b = 0; b < m; b++) count[iy[b] + nR + 1]++;
    }
    for (let i = 0; i < t; i++) count[i + 1] += count[i];
    this.count = count;
    this.members = new Int32Array(count[t]);
    const fill = count.slice(0, t);
    for (let s = 0; s < S; s++) {
      for (const i of this.xs[s]) this.members[fill[i]++] = s;
      for (const i of this.ys[s]) this.members[fill[i]++] = s;
    }
  }
}

/**
 * Rows r0..r1-1 (whole kernel blocks) of the lower triangle of the union [x; y]'s kernel: for
 * each row i and each of its memberships e (subset s = members[e]), a[e - e0] = the row's
 * entries summed over the real rows of s below it (i < nR: Kxx) or over all of them (Kxy), and
 * b[e - e0] = over the synthetic rows of s below it (i >= nR: Kyy; 0 for real rows), with
 * e0 = count[r0].
 */
function unionRowSums(
  x: NumericRows, nR: number, y: NumericRows, nS: number, d: number, idx: UnionIndex, m: number, buf: Float64Array,
  r0: number, r1: number, a: Float64Array, b: Float64Array,
): void {
  const t = nR + nS, { count, members, xs, ys } = idx;
  const e0 = count[r0];
  const z = stackedRows(x, null, nR, y, null, d);
  kernelBlocks(z, t, z, t, d, true, buf, (i0, rb, K, ld) => {
    for (let r = 0; r < rb; r++) {
      const i = i0 + r, o = r * ld;
      for (let e = count[i]; e < count[i + 1]; e++) {
        const s = members[e];
        const lx = xs[s];
        let sa = 0, sb = 0;
        if (i < nR) {
          for (let q = 0; q < m; q++) { const j = lx[q]; if (j >= i) break; sa += K[o + j]; }
        } else {
          for (let q = 0; q < m; q++) sa += K[o + lx[q]];
          const ly = ys[s];
          for (let q = 0; q < m; q++) { const j = ly[q]; if (j >= i) break; sb += K[o + j]; }
        }
        a[e - e0] = sa;
        b[e - e0] = sb;
      }
    }
  }, r0, r1);
}

/** The buffer width of each kind of unit (all of a KID's units on one thread share one buffer). */
function bufferCols(nR: number, nS: number, work: KidWork, shared: boolean): number {
  return shared ? nR + nS : Math.max(nR, nS, 2 * work.m);
}

/** Units [r, r + block, kind] covering rows 0..rows-1 in kernel blocks. */
function rowUnits(rows: number, block: number, kind: number): Unit[] {
  const out: Unit[] = [];
  for (let r = 0; r < rows; r += block) out.push([r, Math.min(rows, r + block), kind]);
  return out;
}

/**
 * The units of a KID: shared engine, the union's row blocks, last (widest) first; direct
 * engine, one unit per subset, after the row blocks of a set used whole and of the other set
 * against it. Any order and any split over threads gives the same values (mergeKid).
 */
export function kidUnits(nR: number, nS: number, work: KidWork, shared: boolean): Unit[] {
  const { m, subsets } = work;
  const bufValues = blockBufferValues(bufferCols(nR, nS, work, shared), work.blockValues);
  if (shared) {
    const t = nR + nS;
    return rowUnits(t, blockRows(t, t, bufValues), UNION_ROWS).reverse();
  }
  const subsetUnits: Unit[] = Array.from({ length: subsets }, (_, s) => [s, s + 1, SUBSETS]);
  if (m !== nR && m !== nS) return subsetUnits;
  const nFixed = m === nR ? nR : nS, nOther = m === nR ? nS : nR;
  return [
    ...rowUnits(nOther, blockRows(nOther, nFixed, bufValues), CROSS_ROWS),
    ...rowUnits(nFixed, blockRows(nFixed, nFixed, bufValues), FIXED_ROWS),
    ...subsetUnits,
  ];
}

/**
 * Runs units of one KID on this thread (see kidUnits and the unit kinds above) and collects
 * their values: per SUBSETS unit one value a subset, per FIXED_ROWS / CROSS_ROWS unit one a
 * row, per UNION_ROWS unit the a values then the b values of its rows' memberships.
 * check() runs before every subset and every block of rows (abort).
 */
export class KidUnits {
  private buf: Float64Array | null = null;
  private readonly units: Unit[] = [];
  private readonly out: Float64Array[] = [];
  private index: UnionIndex | null = null;

  constructor(
    private readonly x: NumericRows, private readonly nR: number,
    private readonly y: NumericRows, private readonly nS: number,
    private readonly d: number, private readonly work: KidWork,
    private readonly check: () => void = () => {},
  ) {}

  /** The kernel block buffer of the engine (the same size on every thread, so the same blocks). */
  private buffer(shared: boolean): Float64Array {
    const values = blockBufferValues(bufferCols(this.nR, this.nS, this.work, shared), this.work.blockValues);
    if (this.buf?.length !== values) this.buf = wasmMatrix(values);
    return this.buf;
  }

  /** Runs one unit; returns its count of subsets or kernel blocks. */
  runUnit(u: Unit): number {
    const [a0, a1, kind] = u;
    const { x, y, nR, nS, d, work } = this;
    const { m, draws } = work;
    const realFixed = m === nR, synthFixed = m === nS;
    this.check();
    if (kind === SUBSETS) {
      const buf = this.buffer(false);
      const v = new Float64Array(a1 - a0);
      for (let s = a0; s < a1; s++) {
        this.check();
        const ix = draws.subarray(2 * m * s, 2 * m * s + m), iy = draws.subarray(2 * m * s + m, 2 * m * (s + 1));
        if (realFixed) v[s - a0] = offDiagonalTotalOf(y, iy, m, d, buf);
        else if (synthFixed) v[s - a0] = offDiagonalTotalOf(x, ix, m, d, buf);
        else v[s - a0] = subsetMmd(x, y, d, ix, iy, m, buf);
      }
      this.keep(u, v);
      return a1 - a0;
    }
    if (kind === FIXED_ROWS || kind === CROSS_ROWS) {
      if (!realFixed && !synthFixed) throw new Error('KID: row units need a set used whole');
      const buf = this.buffer(false);
      const [fx, nF, ox, nO] = realFixed ? [x, nR, y, nS] : [y, nS, x, nR];
      const v = new Float64Array(a1 - a0);
      if (kind === FIXED_ROWS) offDiagonalRowSums(fx, null, nF, d, buf, a0, a1, v);
      else crossRowSums(fx, nF, ox, nO, d, buf, a0, a1, v);
      this.keep(u, v);
      return 1;
    }
    if (kind === UNION_ROWS) {
      const buf = this.buffer(true);
      const idx = (this.index ??= new UnionIndex(nR, nS, work));
      const e = idx.count[a1] - idx.count[a0];
      const v = new Float64Array(2 * e);
      unionRowSums(x, nR, y, nS, d, idx, m, buf, a0, a1, v.subarray(0, e), v.subarray(e));
      this.keep(u, v);
      return 1;
    }
    throw new Error(`KID: unknown unit kind ${kind}`);
  }

  private keep(u: Unit, v: Float64Array): void {
    this.units.push([u[0], u[1], u[2]]);
    this.out.push(v);
  }

  /** The units run and their values, one after the other. */
  finish(): KidPartial {
    const values = new Float64Array(this.out.reduce((a, v) => a + v.length, 0));
    let o = 0;
    for (const v of this.out) { values.set(v, o); o += v.length; }
    return { units: this.units, values };
  }
}

/** sum_{i != j} k over the rows ix of x (n of them): row sums in whole blocks, added in row order. */
function offDiagonalTotalOf(x: NumericRows, ix: Int32Array | null, n: number, d: number, buf: Float64Array): number {
  const rows = new Float64Array(n);
  offDiagonalRowSums(x, ix, n, d, buf, 0, n, rows);
  return offDiagonalTotal(rows);
}

/**
 * The subsets' MMD^2 values from the partials of every unit of a KID (each unit exactly
 * once, from any threads): per-row sums are added in row order, so the values do not depend
 * on the split.
 */
function mergeKid(nR: number, nS: number, work: KidWork, parts: KidPartial[]): Float64Array {
  const { m, subsets: S, draws } = work;
  const realFixed = m === nR, synthFixed = m === nS;
  const nFixed = realFixed ? nR : nS, nOther = realFixed ? nS : nR;
  const perSubset = new Float64Array(S);
  let fixedRows: Float64Array | null = null, cross: Float64Array | null = null;
  let index: UnionIndex | null = null, ua: Float64Array | null = null, ub: Float64Array | null = null;
  const covered = [0, 0, 0, 0];
  for (const { units, values } of parts) {
    let o = 0;
    for (const [a0, a1, kind] of units) {
      const len = a1 - a0;
      if (kind === SUBSETS) perSubset.set(values.subarray(o, o + len), a0);
      else if (kind === FIXED_ROWS) (fixedRows ??= new Float64Array(nFixed)).set(values.subarray(o, o + len), a0);
      else if (kind === CROSS_ROWS) (cross ??= new Float64Array(nOther)).set(values.subarray(o, o + len), a0);
      else {
        index ??= new UnionIndex(nR, nS, work);
        ua ??= new Float64Array(index.members.length);
        ub ??= new Float64Array(index.members.length);
        const e0 = index.count[a0], e = index.count[a1] - e0;
        ua.set(values.subarray(o, o + e), e0);
        ub.set(values.subarray(o + e, o + 2 * e), e0);
        o += 2 * e;
        covered[kind] += len;
        continue;
      }
      o += len;
      covered[kind] += len;
    }
    if (o !== values.length) throw new Error('KID: a partial\'s values do not match its units');
  }
  const values = new Float64Array(S);
  if (index) {
    if (covered[UNION_ROWS] !== nR + nS) throw new Error('KID: union rows missing from the partials');
    const { count, members } = index;
    const sxx = new Float64Array(S), syy = new Float64Array(S), sxy = new Float64Array(S);
    for (let i = 0; i < nR + nS; i++) {
      for (let e = count[i]; e < count[i + 1]; e++) {
        const s = members[e];
        if (i < nR) sxx[s] += ua![e];
        else {
          sxy[s] += ua![e];
          syy[s] += ub![e];
        }
      }
    }
    for (let s = 0; s < S; s++) values[s] = mmdUnbiased(2 * sxx[s], 2 * syy[s], sxy[s], m);
    return values;
  }
  if (covered[SUBSETS] !== S) throw new Error('KID: subsets missing from the partials');
  if (!realFixed && !synthFixed) return perSubset;
  // one side whole: its off-diagonal sum, and per subset its other rows' sums against it
  if (!fixedRows || !cross || covered[FIXED_ROWS] !== nFixed || covered[CROSS_ROWS] !== nOther) throw new Error('KID: row sums missing from the partials');
  const fixedSum = offDiagonalTotal(fixedRows);
  for (let s = 0; s < S; s++) {
    const other = realFixed ? draws.subarray(2 * m * s + m, 2 * m * (s + 1)) : draws.subarray(2 * m * s, 2 * m * s + m);
    let sxy = 0;
    for (let b = 0; b < m; b++) sxy += cross[other[b]];
    const own = perSubset[s];
    values[s] = realFixed ? mmdUnbiased(fixedSum, own, sxy, m) : mmdUnbiased(own, fixedSum, sxy, m);
  }
  return values;
}

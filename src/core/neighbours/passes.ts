/**
 * The two kinds of neighbour pass as resumable states fed block by block, and the merge of
 * partial states (one per worker of a parallel pass). Definitions: shared/design/METRICS.md
 * (Notation, fidelity/privacy, PRDC, DCR); the guarantees are those of engine.ts.
 *
 * Work unit: one column tile (the matMul's right operand, packed once by the backend) with
 * the row tiles it meets, in ascending row order: for a self pass over n rows the blocks
 * (a, b) with a <= b of column tile b (upper triangle of tiles, each unordered pair once),
 * for the S x R pass every synthetic row tile against one real column tile. A pool's units
 * are cut further into row chunks (splitUnits), queued column tile by column tile with their
 * chunks ascending, so each worker still meets the columns of any row in ascending order.
 *
 * Two block consumers per pass:
 * - generic: reads the [lo, hi] interval arrays of a Block (exact JS geometries, lo = hi);
 * - float32 products (TfGeometry): reads g = A_c . B_c^T directly. Both sweeps work in
 *   squared space without a square root, on separable bounds (SeparableBounds):
 *   lq = Lr + Lc - 2 g <= l2 = est - e2 and hq = Ur + Uc - 2 g >= est + e2, as
 *   TfGeometry.resolve computes them (one add and one multiply-add per pair). A pair is skipped only when lq > Q(X), which implies
 *   lo > X for the largest threshold X any decision in the block uses (see screenSq). Every
 *   pair not skipped goes through exactly the generic consumer's decision code with lo and hi
 *   computed exactly as TfGeometry.resolve computes them, so decisions and ties are those of
 *   the generic path. Per-block thresholds come from the smallest hq, turned into distances
 *   with the block's largest conversion term (upperFromSq), which is at least the hi of that
 *   pair: still an upper bound of a true distance.
 *
 * Merging (parallel passes; each worker visits its column tiles in ascending order):
 * k-NN heaps hold values only, so the union's k smallest are the serial ones; nearest
 * neighbours keep the smaller distance and, on a tie, the lower index; copyOf keeps the lowest
 * index; counts add; flags are or-ed. Results are identical to one thread's.
 */
import type { Block, Geometry } from './blocks.ts';
import { TfGeometry } from './blocks.ts';
import { deviceThresholds, type Candidates, type ScreenSink, type ScreenThresholds, type TopLists } from './deviceScreen.ts';

/** Bounded max-heaps of the k smallest exact distances per row (values only). */
export class KSmallest {
  readonly heap: Float64Array;
  readonly count: Int32Array;
  constructor(
    readonly n: number,
    readonly k: number,
  ) {
    this.heap = new Float64Array(n * k);
    this.count = new Int32Array(n);
  }
  /** Current k-th smallest (Infinity until k values are known). */
  kth(i: number): number {
    return this.count[i] < this.k ? Infinity : this.heap[i * this.k];
  }
  push(i: number, v: number): void {
    const k = this.k;
    const h = this.heap;
    const o = i * k;
    const c = this.count[i];
    if (c < k) {
      // sift up
      let p = c;
      h[o + p] = v;
      while (p > 0) {
        const q = (p - 1) >> 1;
        if (h[o + q] >= h[o + p]) break;
        const t = h[o + q];
        h[o + q] = h[o + p];
        h[o + p] = t;
        p = q;
      }
      this.count[i] = c + 1;
      return;
    }
    if (v >= h[o]) return;
    // replace root, sift down
    h[o] = v;
    let p = 0;
    for (;;) {
      const l = 2 * p + 1;
      if (l >= k) break;
      let m = l;
      if (l + 1 < k && h[o + l + 1] > h[o + l]) m = l + 1;
      if (h[o + m] <= h[o + p]) break;
      const t = h[o + m];
      h[o + m] = h[o + p];
      h[o + p] = t;
      p = m;
    }
  }
  sorted(i: number): Float64Array {
    return Float64Array.from(this.heap.subarray(i * this.k, i * this.k + this.count[i])).sort();
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = 1 - HI;
/** High word of +Infinity. */
const INF_HI = 0x7ff00000;

/**
 * Upper bounds shared by the workers of a parallel pass (an Int32Array on a
 * SharedArrayBuffer): per index, the smallest value any worker published, kept as the high
 * 32 bits of its float64, rounded up, so what get() returns is never below a published bound.
 * Workers use these only as thresholds "lo <= bound" (never as "lo < value"), so a tie at
 * the bound is still visited and lowest-index rules are unaffected.
 */
export class SharedMinBound {
  private readonly f = new Float64Array(1);
  private readonly w = new Int32Array(this.f.buffer);
  constructor(readonly cells: Int32Array) {}

  /** Cells for n indices, all +Infinity. */
  static cells(n: number): Int32Array {
    return new Int32Array(new SharedArrayBuffer(4 * n)).fill(INF_HI);
  }

  get(p: number): number {
    this.w[HI] = Atomics.load(this.cells, p);
    this.w[LO] = 0;
    return this.f[0];
  }

  /** Lowers the bound of p to x (x >= 0) when x is smaller. */
  publish(p: number, x: number): void {
    if (!(x >= 0) || x === Infinity) return;
    this.f[0] = x;
    let hi = this.w[HI];
    if (this.w[LO] !== 0) hi++;
    let cur = Atomics.load(this.cells, p);
    while (hi < cur) {
      const prev = Atomics.compareExchange(this.cells, p, cur, hi);
      if (prev === cur) break;
      cur = prev;
    }
  }
}

export interface PassCounters {
  blocks: number;
  pairs: number;
  exactPairs: number;
}

/**
 * Block coordinates [r0, nr, c0, nc], and 1 in a fifth place for the second part of a
 * diagonal tile computed in two parts (see selfUnitBlocks): progress and block counts take
 * the two parts as one block.
 */
export type BlockSpec = [number, number, number, number] | [number, number, number, number, 1];

/**
 * A unit of work: the blocks of column tile c0 with the row tiles starting at a in [a0, a1)
 * (multiples of the tile size), visited in ascending row order.
 */
export type Unit = [c0: number, a0: number, a1: number];

/** Diagonal tiles of at least this many rows are computed in two parts. */
const SPLIT_DIAGONAL_MIN = 64;

/** Column-tile units of a self pass over n rows: column tile b with row tiles a <= b. */
export function selfUnits(n: number, T: number): Unit[] {
  const u: Unit[] = [];
  for (let b = 0; b < n; b += T) u.push([b, 0, b + 1]);
  return u;
}

/**
 * Blocks of a self-pass unit. With splitDiagonal, the diagonal tile (a = b, s rows) is
 * computed as rows [b, b + s/2) against the whole column tile, then rows [b + s/2, b + s)
 * against its second half: the products below the diagonal that are computed and not used
 * drop from s^2 / 2 to s^2 / 4, for one more (half) column tile upload.
 */
export function selfUnitBlocks(unit: Unit, n: number, T: number, splitDiagonal = false): BlockSpec[] {
  const [b, a0, a1] = unit;
  const out: BlockSpec[] = [];
  const nc = Math.min(T, n - b);
  for (let a = a0; a < a1 && a <= b; a += T) {
    const nr = Math.min(T, n - a);
    if (a === b && splitDiagonal && nr >= SPLIT_DIAGONAL_MIN) {
      const h = nr >> 1;
      out.push([a, h, b, nc], [a + h, nr - h, b + h, nc - h, 1]);
    } else out.push([a, nr, b, nc]);
  }
  return out;
}

/** Column-tile units of an S x R pass (columns are the M reals, rows the N synthetics). */
export function crossUnits(M: number, N: number, T: number): Unit[] {
  const u: Unit[] = [];
  for (let c = 0; c < M; c += T) u.push([c, 0, N]);
  return u;
}

/** Blocks of an S x R unit (N synthetic rows, M real columns). */
export function crossUnitBlocks(unit: Unit, N: number, M: number, T: number): BlockSpec[] {
  const [c0, a0, a1] = unit;
  const out: BlockSpec[] = [];
  const nc = Math.min(T, M - c0);
  for (let a = a0; a < Math.min(a1, N); a += T) out.push([a, Math.min(T, N - a), c0, nc]);
  return out;
}

/**
 * Units cut into pieces of at most maxTiles row tiles each, in order (a unit's pieces stay
 * together and ascend), so that a pool's workers finish close together.
 */
export function splitUnits(units: Unit[], T: number, maxTiles: number): Unit[] {
  const out: Unit[] = [];
  const step = Math.max(1, maxTiles) * T;
  for (const [c0, a0, a1] of units) {
    for (let a = a0; a < a1; a += step) out.push([c0, a, Math.min(a1, a + step)]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Squared-space screening (see the file header)

const SCREEN_MARGIN = 1 + 2 ** -30;

/**
 * Q(X) such that, for any pair of the block, l2 > Q(X) implies lo > X, where
 * lo = max(0, (sqrt(l2) - conv) * loF) as TfGeometry.resolve computes it and conv <= convMax.
 * Rounding is monotone, so fl(sqrt(l2)) - conv >= fl(sqrt(Q)) - convMax; the 2^-30 relative
 * margin covers the few roundings between (X / loF + convMax)^2 and lo. -Infinity (always
 * skip) for X < 0, Infinity (never skip) for NaN and when the square could underflow.
 */
export function screenSq(X: number, convMax: number, loF: number): number {
  if (!(X >= 0)) return X < 0 ? -Infinity : Infinity;
  const base = X / loF + convMax;
  if (base === 0) return 0;
  if (!(base > 1e-140)) return Infinity;
  return base * base * SCREEN_MARGIN;
}

/** An upper bound of hi for every pair of the block with est + e2 = hq (Infinity when hq < 0 or NaN). */
export function upperFromSq(hq: number, convMax: number, hiF: number): number {
  if (!(hq >= 0)) return Infinity;
  const h = (Math.sqrt(hq) + convMax) * hiF;
  return h < Infinity ? h : Infinity;
}

/**
 * Y such that every hq >= Y has upperFromSq(hq, convMax, hiF) >= U, whatever convMax >= 0:
 * with s = U / hiF, Y = s^2 (1 + 2^-30), so fl(sqrt(hq)) >= s (1 + 2^-32) after the few
 * roundings, adding convMax cannot lower it, and multiplying by hiF gives at least
 * U (1 + 2^-32) (1 - 2^-52) > U. Infinity (keep every value) when U is not finite, and when s
 * is so small that its square could underflow or so large that it overflows.
 */
export function sqCap(U: number, hiF: number): number {
  if (!(U < Infinity)) return Infinity;
  const s = U / hiF;
  if (!(s > 1e-140)) return Infinity;
  return s * s * (1 + 2 ** -30);
}

function maxOf(x: Float64Array, from: number, count: number): number {
  let m = 0;
  for (let p = from; p < from + count; p++) if (x[p] > m) m = x[p];
  return m;
}

/**
 * Per-block terms of the separable bounds (file header). With |g| <= (1 + gamma_d) |a~||b~|
 * (Higham 3.1 and Cauchy-Schwarz) and the float64 norms within a relative (d + 2) 2^-53 of
 * |a~|, resolve's e2 = C1 a b + C2 (a^2 + b^2 + 2|g|) + C3 is at most
 * k1 a b + C2 (a^2 + b^2) + C3 with k1 = C1 + 2 C2 (1 + C1) F, and a b <= (a^2 + b^2) / 2, so
 * e2 <= c (a^2 + b^2) + C3 with c = C2 + k1 / 2. The extra 2^-44 (a^2 + b^2) and 2 C3
 * absorb every rounding of both evaluations (a few units of 2^-53 times a^2 + b^2 + 2|g|,
 * and |g| <= (a^2 + b^2) / 2 + ...), so with c' = c + 2^-44
 *   lq = [a^2 (1 - c') - 3 C3] + [b^2 (1 - c')] - 2 g <= l2 and
 *   hq = [a^2 (1 + c') + 3 C3] + [b^2 (1 + c')] - 2 g >= est + e2
 * hold for the computed values.
 */
class SeparableBounds {
  readonly Lr: Float64Array;
  readonly Ur: Float64Array;
  readonly Lc: Float64Array;
  readonly Uc: Float64Array;
  constructor(T: number) {
    this.Lr = new Float64Array(T);
    this.Ur = new Float64Array(T);
    this.Lc = new Float64Array(T);
    this.Uc = new Float64Array(T);
  }
  fill(geom: TfGeometry, r0: number, nr: number, aS: Float64Array, c0: number, nc: number, bS: Float64Array, dim: number): void {
    const { C1, C2, C3 } = geom;
    const F = 1 + 4 * (dim + 2) * 2 ** -53 + 2 ** -40;
    const k1 = C1 + 2 * C2 * (1 + C1) * F;
    const c = C2 + k1 / 2 + 2 ** -44;
    const c3 = 3 * C3;
    for (let r = 0; r < nr; r++) {
      const a2 = aS[r0 + r];
      this.Lr[r] = a2 * (1 - c) - c3;
      this.Ur[r] = a2 * (1 + c) + c3;
    }
    for (let q = 0; q < nc; q++) {
      const b2 = bS[c0 + q];
      this.Lc[q] = b2 * (1 - c);
      this.Uc[q] = b2 * (1 + c);
    }
  }
}

// ---------------------------------------------------------------------------------------
// k-NN radii within one set

/**
 * Running state of a self pass: exact k smallest distances per row, plus per-block scratch.
 *
 * Float32 blocks (consumeProducts) defer exact recomputation: a pair whose lower bound could
 * still enter a point's k smallest becomes a candidate, and candidates are checked against a
 * running upper bound U(p), the k-th smallest upper bound over every pair of p seen so far
 * (each pair is seen once, so U(p) >= rho_k(p)), only when the list fills up or at the end
 * (finish()). A pair among p's k nearest has lo <= D <= rho_k(p) <= U(p) at every moment,
 * so it is a candidate and survives; survivors are recomputed exactly, four at a time, and
 * pushed. Heaps hold values only, so the result does not depend on this order.
 */
export class SelfPassState implements PassCounters, ScreenSink {
  blocks = 0;
  pairs = 0;
  exactPairs = 0;
  readonly best: KSmallest;
  private readonly bound: KSmallest;
  /** Per point touched by the block: min(cap, k-th smallest hq in the block's bound so far). */
  private readonly boundKth: Float64Array;
  /** Per point touched by the block: sqCap of its running upper bound (sweep 1 keeps only hq below it). */
  private readonly cap: Float64Array;
  private readonly thr: Float64Array;
  private readonly q: Float64Array;
  private sep: SeparableBounds | null = null;
  /** Running upper bounds (float32 path): k smallest hi per point over all blocks so far. */
  private ub: KSmallest | null = null;
  private candI = new Int32Array(0);
  private candJ = new Int32Array(0);
  private candLo = new Float64Array(0);
  private candD = new Float64Array(0);
  private nCand = 0;
  private readonly maxCand: number;
  private geom: TfGeometry | null = null;
  /** The float32 block being consumed (beginProducts). */
  private readonly blk = { r0: 0, nr: 0, c0: 0, nc: 0, diag: false, convMax: 0 };
  /**
   * @param shared upper bounds of rho_k shared with the other workers of a parallel pass
   *   (each worker publishes min(exact k-th, running upper bound) of the points it touched).
   * @param maxCandidates most deferred candidates held before they are checked (default
   *   max(65536, 2 n k); small values only for tests).
   */
  constructor(
    readonly n: number,
    readonly k: number,
    private readonly shared: SharedMinBound | null = null,
    maxCandidates?: number,
  ) {
    this.best = new KSmallest(n, k);
    this.bound = new KSmallest(n, k);
    this.boundKth = new Float64Array(n);
    this.cap = new Float64Array(n);
    this.thr = new Float64Array(n);
    this.q = new Float64Array(n);
    this.maxCand = maxCandidates ?? Math.max(1 << 16, 2 * n * k);
  }

  /**
   * Block from interval arrays. A first sweep finds for every point touched the k-th smallest
   * upper bound among its pairs in the block (an upper bound of its true k-th distance); the
   * second sweep recomputes exactly only pairs whose lower bound is below both that bound
   * and the point's current exact k-th value. Typically about k exact pairs per row and block.
   */
  consume(blk: Block, geom: Geometry): void {
    const { r0, nr, c0, nc, lo, hi, exact } = blk;
    const { best, bound: blockBound, thr } = this;
    const diag = r0 === c0;
    this.blocks++;
    this.pairs += diag ? nr * nc - (nr * (nr + 1)) / 2 : nr * nc;
    blockBound.count.fill(0, r0, r0 + nr);
    blockBound.count.fill(0, c0, c0 + nc);
    for (let rr = 0; rr < nr; rr++) {
      const i = r0 + rr;
      const o = rr * nc;
      for (let cc = diag ? rr + 1 : 0; cc < nc; cc++) {
        const h = hi[o + cc];
        if (h < blockBound.kth(i)) blockBound.push(i, h);
        const j = c0 + cc;
        if (h < blockBound.kth(j)) blockBound.push(j, h);
      }
    }
    for (let i = r0; i < r0 + (diag ? Math.max(nr, nc) : nr); i++) thr[i] = Math.min(best.kth(i), blockBound.kth(i));
    if (!diag) for (let j = c0; j < c0 + nc; j++) thr[j] = Math.min(best.kth(j), blockBound.kth(j));
    for (let rr = 0; rr < nr; rr++) {
      const i = r0 + rr;
      const o = rr * nc;
      const thrI = thr[i];
      for (let cc = diag ? rr + 1 : 0; cc < nc; cc++) {
        const l = lo[o + cc];
        const j = c0 + cc;
        if (l > thrI && l > thr[j]) continue;
        const ti = best.kth(i);
        const tj = best.kth(j);
        const needI = l < ti && l <= thrI;
        const needJ = l < tj && l <= thr[j];
        if (!needI && !needJ) continue;
        let D: number;
        if (exact || hi[o + cc] === l) D = l;
        else {
          D = geom.exact(i, j);
          this.exactPairs++;
        }
        if (needI && D < ti) best.push(i, D);
        if (needJ && D < tj) best.push(j, D);
      }
    }
  }

  /**
   * Block from float32 products: the k smallest exact distances as consume() would find them.
   * A diagonal block (r0 = c0) may be wider than tall (the first part of a split diagonal
   * tile); part2 marks the second part, which does not count as a block of its own.
   */
  consumeProducts(r0: number, nr: number, c0: number, nc: number, g: Float32Array, geom: TfGeometry, part2 = false): void {
    this.beginProducts(r0, nr, c0, nc, geom, part2);
    this.sweep1(g);
    this.blockThresholds();
    this.sweep2(g);
  }

  /** Counters, separable bounds and cleared block bounds of a float32 block (every path). */
  private beginProducts(r0: number, nr: number, c0: number, nc: number, geom: TfGeometry, part2: boolean): void {
    const diag = r0 === c0;
    if (!part2) this.blocks++;
    this.pairs += diag ? nr * nc - (nr * (nr + 1)) / 2 : nr * nc;
    this.geom = geom;
    this.ub ??= new KSmallest(this.n, this.k);
    const aN = geom.aNorm, aS = geom.aSq; // self pass: columns are the same set
    const b = this.blk;
    b.r0 = r0;
    b.nr = nr;
    b.c0 = c0;
    b.nc = nc;
    b.diag = diag;
    b.convMax = geom.CV * (maxOf(aN, r0, nr) + maxOf(aN, c0, nc));
    const T = Math.max(nr, nc);
    if (!this.sep || this.sep.Lr.length < T) this.sep = new SeparableBounds(T);
    this.sep.fill(geom, r0, nr, aS, c0, nc, aS, geom.dim);
    const { bound, boundKth: bk, cap } = this;
    const ub = this.ub!;
    const hiF = 1 + geom.EPS;
    bound.count.fill(0, r0, r0 + nr);
    bound.count.fill(0, c0, c0 + nc);
    for (let p = r0; p < r0 + nr; p++) bk[p] = cap[p] = sqCap(ub.kth(p), hiF);
    for (let p = c0; p < c0 + nc; p++) bk[p] = cap[p] = sqCap(ub.kth(p), hiF);
  }

  /**
   * Sweep 1 over every product: k smallest hq (>= est + e2) per point among its pairs in this
   * block, of those below the point's cap (beginProducts). A value at or above the cap becomes
   * an upper bound no smaller than the point's running one (sqCap), which blockThresholds would
   * not keep, so leaving it out changes nothing: the bound holds exactly the values below the
   * cap that the k smallest of the whole block has, and the running bounds, thresholds,
   * candidates and results are as without caps. Once the running bounds settle, few pairs
   * reach the bound's heap.
   */
  private sweep1(g: Float32Array): void {
    const { bound, boundKth: bk, cap } = this;
    const { r0, nr, c0, nc, diag } = this.blk;
    const { Ur, Uc } = this.sep!;
    let rr = 0;
    for (; rr + 1 < nr; rr += 2) {
      const i0 = r0 + rr, i1 = i0 + 1;
      if (diag) this.sweep1Row(g, rr, rr + 1, rr + 2);
      const ur0 = Ur[rr], ur1 = Ur[rr + 1];
      const o0 = rr * nc, o1 = o0 + nc;
      let rk0 = bk[i0], rk1 = bk[i1];
      for (let cc = diag ? rr + 2 : 0; cc < nc; cc++) {
        const uc = Uc[cc];
        const h0 = ur0 + uc - 2 * g[o0 + cc];
        const h1 = ur1 + uc - 2 * g[o1 + cc];
        if (h0 < rk0) {
          bound.push(i0, h0);
          rk0 = Math.min(cap[i0], bound.kth(i0));
        }
        if (h1 < rk1) {
          bound.push(i1, h1);
          rk1 = Math.min(cap[i1], bound.kth(i1));
        }
        const j = c0 + cc;
        if (h0 < bk[j]) {
          bound.push(j, h0);
          bk[j] = Math.min(cap[j], bound.kth(j));
        }
        if (h1 < bk[j]) {
          bound.push(j, h1);
          bk[j] = Math.min(cap[j], bound.kth(j));
        }
      }
      bk[i0] = rk0;
      bk[i1] = rk1;
    }
    if (rr < nr) this.sweep1Row(g, rr, diag ? rr + 1 : 0, nc);
  }

  /** Sweep 1 over row rr's pairs with columns [from, to). */
  private sweep1Row(g: Float32Array, rr: number, from: number, to: number): void {
    const { bound, boundKth: bk, cap } = this;
    const { r0, c0, nc } = this.blk;
    const { Ur, Uc } = this.sep!;
    const i = r0 + rr;
    const ur = Ur[rr];
    const o = rr * nc;
    let rk = bk[i];
    for (let cc = from; cc < to; cc++) {
      const j = c0 + cc;
      const hq = ur + Uc[cc] - 2 * g[o + cc];
      if (hq < rk) {
        bound.push(i, hq);
        rk = Math.min(cap[i], bound.kth(i));
      }
      if (hq < bk[j]) {
        bound.push(j, hq);
        bk[j] = Math.min(cap[j], bound.kth(j));
      }
    }
    bk[i] = rk;
  }

  /**
   * Sweep 1 from the pairs the device picked (deviceScreen.ts): per row its kr and per column
   * its kc smallest hq by the device's float32 arithmetic. hq is recomputed here in float64
   * from the same products, so each value is a valid upper bound whatever the device picked,
   * and the point's k-th smallest over these pairs bounds its k-th smallest over the block.
   */
  private sweep1Lists(t: TopLists): void {
    const { bound } = this;
    const { r0, nr, c0, nc, diag } = this.blk;
    const { Ur, Uc } = this.sep!;
    for (let rr = 0; rr < nr; rr++) {
      const i = r0 + rr;
      for (let s = rr * t.kr; s < (rr + 1) * t.kr; s++) {
        const cc = t.rowIdx[s];
        if (!(cc >= 0 && cc < nc) || (diag && cc <= rr)) continue;
        const hq = Ur[rr] + Uc[cc] - 2 * t.rowG[s];
        if (hq < bound.kth(i)) bound.push(i, hq);
      }
    }
    for (let cc = 0; cc < nc; cc++) {
      const j = c0 + cc;
      for (let s = cc * t.kc; s < (cc + 1) * t.kc; s++) {
        const rr = t.colIdx[s];
        if (!(rr >= 0 && rr < nr) || (diag && cc <= rr)) continue;
        const hq = Ur[rr] + Uc[cc] - 2 * t.colG[s];
        if (hq < bound.kth(j)) bound.push(j, hq);
      }
    }
  }

  /** The block's bounds join the running ones (as distances); thresholds q for sweep 2. */
  private blockThresholds(): void {
    const { best, bound, thr, q, shared } = this;
    const ub = this.ub!;
    const { r0, nr, c0, nc, diag, convMax } = this.blk;
    const EPS = this.geom!.EPS;
    const loF = 1 - EPS, hiF = 1 + EPS;
    const k = this.k;
    const h = bound.heap;
    for (let pass = 0; pass < (diag ? 1 : 2); pass++) {
      const from = pass === 0 ? r0 : c0;
      const to = pass === 0 ? r0 + (diag ? Math.max(nr, nc) : nr) : c0 + nc;
      for (let p = from; p < to; p++) {
        const c = bound.count[p];
        for (let t = 0; t < c; t++) {
          const u = upperFromSq(h[p * k + t], convMax, hiF);
          if (u < ub.kth(p)) ub.push(p, u);
        }
        const own = Math.min(best.kth(p), ub.kth(p));
        if (shared) shared.publish(p, own);
        thr[p] = shared ? Math.min(own, shared.get(p)) : own;
        q[p] = screenSq(thr[p], convMax, loF);
      }
    }
  }

  /**
   * Sweep 2 over every product: pairs whose lower bound may beat a threshold become
   * candidates. Two rows at a time, as sweep 1; the thresholds are fixed for the block and
   * the result does not depend on the order of the candidates (heaps hold values only).
   */
  private sweep2(g: Float32Array): void {
    const { q } = this;
    const { r0, nr, c0, nc, diag } = this.blk;
    const { Lr, Lc } = this.sep!;
    let rr = 0;
    for (; rr + 1 < nr; rr += 2) {
      const i0 = r0 + rr, i1 = i0 + 1;
      if (diag) this.sweep2Row(g, rr, rr + 1, rr + 2);
      const lr0 = Lr[rr], lr1 = Lr[rr + 1];
      const o0 = rr * nc, o1 = o0 + nc;
      const q0 = q[i0], q1 = q[i1];
      for (let cc = diag ? rr + 2 : 0; cc < nc; cc++) {
        const lc = Lc[cc];
        const g0 = g[o0 + cc], g1 = g[o1 + cc];
        const lq0 = lr0 + lc - 2 * g0;
        const lq1 = lr1 + lc - 2 * g1;
        const j = c0 + cc;
        const qj = q[j];
        if (lq0 > q0 && lq1 > q1 && lq0 > qj && lq1 > qj) continue;
        if (!(lq0 > q0 && lq0 > qj)) this.candidateOf(i0, j, g0);
        if (!(lq1 > q1 && lq1 > qj)) this.candidateOf(i1, j, g1);
      }
    }
    if (rr < nr) this.sweep2Row(g, rr, diag ? rr + 1 : 0, nc);
  }

  /** Sweep 2 over row rr's pairs with columns [from, to). */
  private sweep2Row(g: Float32Array, rr: number, from: number, to: number): void {
    const { q } = this;
    const { r0, c0, nc } = this.blk;
    const { Lr, Lc } = this.sep!;
    const i = r0 + rr;
    const lr = Lr[rr];
    const o = rr * nc;
    const qI = q[i];
    for (let cc = from; cc < to; cc++) {
      const j = c0 + cc;
      const lq = lr + Lc[cc] - 2 * g[o + cc];
      if (lq > qI && lq > q[j]) continue;
      this.candidateOf(i, j, g[o + cc]);
    }
  }

  // device screening (ScreenSink, deviceScreen.ts)

  get screenListLength(): number {
    return this.k;
  }

  readonly screenTriangular = true;

  beginScreened(r0: number, nr: number, c0: number, nc: number, geom: TfGeometry, part2: boolean): void {
    this.beginProducts(r0, nr, c0, nc, geom, part2);
  }

  screenThresholds(t: TopLists): ScreenThresholds {
    this.sweep1Lists(t);
    this.blockThresholds();
    const { r0, nr, c0, nc } = this.blk;
    const { Lr, Lc } = this.sep!;
    const q = this.q;
    return deviceThresholds(Lr, nr, Lc, nc, (rr) => q[r0 + rr], (cc) => q[c0 + cc]);
  }

  completeOnHost(g: Float32Array): void {
    this.sweep2(g);
  }

  /** Sweep 2 on the device's candidates (a superset of sweep 2's survivors, in row-major order). */
  consumeCandidates(c: Candidates): void {
    const { q } = this;
    const { r0, nr, c0, nc, diag } = this.blk;
    const { Lr, Lc } = this.sep!;
    for (let s = 0; s < c.m; s++) {
      const rr = c.rows[s], cc = c.cols[s];
      if (rr >= nr || cc >= nc || (diag && cc <= rr)) continue;
      const i = r0 + rr, j = c0 + cc;
      const gv = c.g[s];
      const lq = Lr[rr] + Lc[cc] - 2 * gv;
      if (lq > q[i] && lq > q[j]) continue;
      this.candidateOf(i, j, gv);
    }
  }

  private candidateOf(i: number, j: number, gv: number): void {
    const geom = this.geom!;
    const { C1, C2, C3, CV, EPS } = geom;
    this.candidate(i, j, gv, geom, C1, C2, C3, CV, 1 - EPS, 1 + EPS);
  }

  /** Pair (i, j) with TfGeometry.resolve's interval from the product gv: pushed when exact, else kept as a candidate. */
  private candidate(i: number, j: number, gv: number, geom: TfGeometry, C1: number, C2: number, C3: number, CV: number, loF: number, hiF: number): void {
    const { best, thr } = this;
    const a = geom.aNorm[i], a2 = geom.aSq[i], b = geom.aNorm[j], b2 = geom.aSq[j];
    const est = a2 + b2 - 2 * gv;
    const e2 = C1 * a * b + C2 * (a2 + b2 + 2 * Math.abs(gv)) + C3;
    const conv = CV * (a + b);
    const l2 = est - e2;
    let l = l2 > 0 ? (Math.sqrt(l2) - conv) * loF : 0;
    if (!(l > 0)) l = 0;
    const needI = l < best.kth(i) && l <= thr[i];
    const needJ = l < best.kth(j) && l <= thr[j];
    if (!needI && !needJ) return;
    let h = (Math.sqrt(est + e2) + conv) * hiF;
    if (!(h < Infinity)) h = Infinity;
    if (h === l) {
      // the interval is the exact distance
      if (needI) best.push(i, l);
      if (needJ) best.push(j, l);
      return;
    }
    if (this.nCand === this.candI.length) this.growCandidates();
    const c = this.nCand++;
    this.candI[c] = i;
    this.candJ[c] = j;
    this.candLo[c] = l;
  }

  private growCandidates(): void {
    if (this.candI.length >= this.maxCand) {
      this.flush(false);
      if (this.nCand < this.candI.length) return;
    }
    const size = Math.min(this.maxCand, Math.max(Math.min(1024, this.maxCand), 2 * this.candI.length));
    const grow = <A extends Int32Array | Float64Array>(x: A, make: (m: number) => A): A => {
      const y = make(size);
      y.set(x.subarray(0, this.nCand));
      return y;
    };
    this.candI = grow(this.candI, (m) => new Int32Array(m));
    this.candJ = grow(this.candJ, (m) => new Int32Array(m));
    this.candLo = grow(this.candLo, (m) => new Float64Array(m));
    this.candD = new Float64Array(size);
  }

  /**
   * Drops candidates that can no longer enter either point's k smallest (lo > U or
   * lo >= the exact k-th); with all = true, or when too few drop, recomputes the rest exactly.
   */
  private flush(all: boolean): void {
    const { best, candI, candJ, candLo, shared } = this;
    const ub = this.ub!;
    const bound = (p: number) => (shared ? Math.min(ub.kth(p), shared.get(p)) : ub.kth(p));
    let m = 0;
    for (let c = 0; c < this.nCand; c++) {
      const i = candI[c], j = candJ[c], l = candLo[c];
      const forI = l <= bound(i) && l < best.kth(i);
      const forJ = l <= bound(j) && l < best.kth(j);
      if (!forI && !forJ) continue;
      candI[m] = i;
      candJ[m] = j;
      candLo[m] = l;
      m++;
    }
    this.nCand = m;
    if (!all && m < (3 * candI.length) / 4) return;
    const D = this.candD.length >= m ? this.candD : (this.candD = new Float64Array(m));
    this.geom!.exactMany(candI, candJ, m, D);
    this.exactPairs += m;
    for (let c = 0; c < m; c++) {
      const i = candI[c], j = candJ[c], l = candLo[c];
      if (l <= bound(i)) best.push(i, D[c]);
      if (l <= bound(j)) best.push(j, D[c]);
    }
    this.nCand = 0;
  }

  /** Completes the pass: recomputes the remaining candidates (float32 path). */
  finish(): void {
    if (this.nCand > 0) this.flush(true);
  }
}

/** Partial result of a self pass (one worker's share). */
export interface SelfPartial extends PassCounters {
  heap: Float64Array;
  count: Int32Array;
}

export function selfPartial(st: SelfPassState): SelfPartial {
  st.finish();
  return { heap: st.best.heap, count: st.best.count, blocks: st.blocks, pairs: st.pairs, exactPairs: st.exactPairs };
}

/** The k smallest values per row over all partials (values only, so order-independent). */
export function mergeSelf(parts: SelfPartial[], n: number, k: number): { best: KSmallest; counters: PassCounters } {
  const best = new KSmallest(n, k);
  const counters: PassCounters = { blocks: 0, pairs: 0, exactPairs: 0 };
  for (const p of parts) {
    counters.blocks += p.blocks;
    counters.pairs += p.pairs;
    counters.exactPairs += p.exactPairs;
    for (let i = 0; i < n; i++) {
      const c = p.count[i];
      for (let t = 0; t < c; t++) best.push(i, p.heap[i * k + t]);
    }
  }
  return { best, counters };
}

// ---------------------------------------------------------------------------------------
// The S x R pass

export interface CrossPassInput {
  /** Copy radius per real: rho_1(i), or rho_1(i) + tau when the mode-collapse rule fired. */
  copyRadius: Float64Array;
  /** rho_k(i) per real. */
  rhoK: Float64Array;
  /** sigma_k(j) per synthetic (k-NN radius within S), or null to skip recall. */
  sigmaK: Float64Array | null;
}

/** Per-row and per-column outputs of the S x R pass (crossPass in engine.ts returns them with its statistics). */
export interface CrossOutputs extends PassCounters {
  /** Per synthetic row: index of the nearest real (lowest index on ties) and its exact distance. */
  nearestReal: Int32Array;
  nearestRealDistance: Float64Array;
  /** Per real row: index of the nearest synthetic and its exact distance. */
  nearestSynth: Int32Array;
  nearestSynthDistance: Float64Array;
  /** Per synthetic row: 1 when D(s, r_i) < copyRadius(i) for some i. */
  copy: Uint8Array;
  /** Per synthetic row: lowest i with D(s, r_i) < copyRadius(i), or -1. */
  copyOf: Int32Array;
  /** Per synthetic row: 1 when D(s, r_i) < rho_k(i) for some i. */
  realistic: Uint8Array;
  /** Per synthetic row: number of reals i with D(s, r_i) < rho_k(i). */
  ballCount: Int32Array;
  /** Number of pairs with D(s, r_i) < rho_k(i). */
  densityCount: number;
  /** Per real row: 1 when D(r_i, s_j) < sigma_k(j) for some j; null when sigmaK was null. */
  recalled: Uint8Array | null;
}

function emptyCross(N: number, M: number, recall: boolean): CrossOutputs {
  return {
    blocks: 0, pairs: 0, exactPairs: 0,
    nearestReal: new Int32Array(N).fill(-1),
    nearestRealDistance: new Float64Array(N).fill(Infinity),
    nearestSynth: new Int32Array(M).fill(-1),
    nearestSynthDistance: new Float64Array(M).fill(Infinity),
    copy: new Uint8Array(N),
    copyOf: new Int32Array(N).fill(-1),
    realistic: new Uint8Array(N),
    ballCount: new Int32Array(N),
    densityCount: 0,
    recalled: recall ? new Uint8Array(M) : null,
  };
}

/** Running state of an S x R pass (rows: synthetic, columns: real). */
export class CrossPassState implements ScreenSink {
  readonly out: CrossOutputs;
  private readonly maxRadius: Float64Array;
  private readonly rowThr: Float64Array;
  private readonly colThr: Float64Array;
  private readonly rowQ: Float64Array;
  private readonly colQ: Float64Array;
  private readonly sep: SeparableBounds;
  private geom: TfGeometry | null = null;
  /** The float32 block being consumed (beginProducts). */
  private readonly blk = { r0: 0, nr: 0, c0: 0, nc: 0, convMax: 0 };
  /**
   * @param shared upper bounds of each synthetic row's nearest-real distance, shared with the
   *   other workers of a parallel pass (each publishes its own running nearest distance).
   */
  constructor(
    readonly N: number,
    readonly M: number,
    readonly input: CrossPassInput,
    tileSize: number,
    private readonly shared: SharedMinBound | null = null,
  ) {
    this.out = emptyCross(N, M, input.sigmaK !== null);
    // Largest radius any test can use per real: pairs whose lower bound is at or beyond it
    // (and beyond the nearest-neighbour thresholds) need nothing.
    this.maxRadius = new Float64Array(M);
    for (let i = 0; i < M; i++) this.maxRadius[i] = Math.max(input.copyRadius[i], input.rhoK[i]);
    this.rowThr = new Float64Array(tileSize);
    this.colThr = new Float64Array(tileSize);
    this.rowQ = new Float64Array(tileSize);
    this.colQ = new Float64Array(tileSize);
    this.sep = new SeparableBounds(tileSize);
  }

  /** Block from interval arrays. */
  consume(blk: Block, geom: Geometry): void {
    const { r0, nr, c0, nc, lo, hi, exact } = blk;
    const { rowThr, colThr } = this;
    this.out.blocks++;
    this.out.pairs += nr * nc;
    // First sweep: smallest upper bound per row and per column of the block. A pair whose
    // lower bound exceeds it cannot be the nearest neighbour, so only about one pair per
    // row / column and block is recomputed exactly for the nearest-neighbour searches.
    rowThr.fill(Infinity, 0, nr);
    colThr.fill(Infinity, 0, nc);
    for (let rr = 0; rr < nr; rr++) {
      const o = rr * nc;
      let m = Infinity;
      for (let cc = 0; cc < nc; cc++) {
        const h = hi[o + cc];
        if (h < m) m = h;
        if (h < colThr[cc]) colThr[cc] = h;
      }
      rowThr[rr] = m;
    }
    for (let rr = 0; rr < nr; rr++) {
      const o = rr * nc;
      for (let cc = 0; cc < nc; cc++) this.decide(r0 + rr, c0 + cc, rr, cc, lo[o + cc], hi[o + cc], exact, geom);
    }
  }

  /**
   * The decisions for synthetic j and real i from the interval [l, h] (exact: l is the exact
   * distance). Rows and columns are visited in ascending order within a worker.
   */
  private decide(j: number, i: number, rr: number, cc: number, l: number, h: number, exact: boolean, geom: Geometry): void {
    const o = this.out;
    const { nearestRealDistance, nearestSynthDistance, recalled } = o;
    const { copyRadius, rhoK, sigmaK } = this.input;
    const sig = sigmaK ? sigmaK[j] : -Infinity;
    const needRecall = recalled !== null;
    const nearJ = l < nearestRealDistance[j] && l <= this.rowThr[rr];
    const nearI = l < nearestSynthDistance[i] && l <= this.colThr[cc];
    if (!nearJ && !nearI && l >= this.maxRadius[i] && (!needRecall || l >= sig)) return;
    // exact distance, computed at most once and only when some decision needs it
    let D = exact || h === l ? l : NaN;
    if (nearJ || nearI) {
      if (D !== D) {
        D = geom.exact(j, i);
        o.exactPairs++;
      }
      // rows and columns are visited in ascending order, so a tie never replaces (lowest index wins)
      if (D < nearestRealDistance[j]) {
        nearestRealDistance[j] = D;
        o.nearestReal[j] = i;
      }
      if (D < nearestSynthDistance[i]) {
        nearestSynthDistance[i] = D;
        o.nearestSynth[i] = j;
      }
    }
    // k-ball of r_i: realistic(s_j), density
    const rk = rhoK[i];
    let inK: boolean;
    if (h < rk) inK = true;
    else if (l >= rk) inK = false;
    else {
      if (D !== D) {
        D = geom.exact(j, i);
        o.exactPairs++;
      }
      inK = D < rk;
    }
    if (inK) {
      o.densityCount++;
      o.ballCount[j]++;
      o.realistic[j] = 1;
    }
    // copy ball of r_i
    if (o.copy[j] === 0) {
      const cr = copyRadius[i];
      let inCopy: boolean;
      if (h < cr) inCopy = true;
      else if (l >= cr) inCopy = false;
      else {
        if (D !== D) {
          D = geom.exact(j, i);
          o.exactPairs++;
        }
        inCopy = D < cr;
      }
      // columns of a row are visited in ascending order, so the first hit is the lowest i
      if (inCopy) {
        o.copy[j] = 1;
        o.copyOf[j] = i;
      }
    }
    // recall: r_i inside the k-ball of s_j
    if (needRecall && recalled[i] === 0) {
      if (h < sig) recalled[i] = 1;
      else if (!(l >= sig)) {
        if (D !== D) {
          D = geom.exact(j, i);
          o.exactPairs++;
        }
        if (D < sig) recalled[i] = 1;
      }
    }
  }

  /** Block from float32 products (same decisions as consume() on geom.resolve()'s intervals). */
  consumeProducts(r0: number, nr: number, c0: number, nc: number, g: Float32Array, geom: TfGeometry, _part2 = false): void {
    this.beginProducts(r0, nr, c0, nc, geom);
    this.sweep1(g);
    this.blockThresholds();
    this.sweep2(g);
  }

  private beginProducts(r0: number, nr: number, c0: number, nc: number, geom: TfGeometry): void {
    const o = this.out;
    o.blocks++;
    o.pairs += nr * nc;
    this.geom = geom;
    const b = this.blk;
    b.r0 = r0;
    b.nr = nr;
    b.c0 = c0;
    b.nc = nc;
    b.convMax = geom.CV * (maxOf(geom.aNorm, r0, nr) + maxOf(geom.bNorm, c0, nc));
    this.sep.fill(geom, r0, nr, geom.aSq, c0, nc, geom.bSq, geom.dim);
    this.colThr.fill(Infinity, 0, nc);
  }

  /**
   * Sweep 1 over every product: smallest hq (>= est + e2) per row (rowThr, squared) and per
   * column (colThr, squared). Two rows at a time: a column's running minimum is read and
   * written once per pair of rows (NaN is never taken, as in the one-row loop).
   */
  private sweep1(g: Float32Array): void {
    const { rowThr, colThr } = this;
    const { nr, nc } = this.blk;
    const { Ur, Uc } = this.sep;
    let rr = 0;
    for (; rr + 1 < nr; rr += 2) {
      const ur0 = Ur[rr], ur1 = Ur[rr + 1];
      const o0 = rr * nc, o1 = o0 + nc;
      let m0 = Infinity, m1 = Infinity;
      for (let cc = 0; cc < nc; cc++) {
        const uc = Uc[cc];
        const h0 = ur0 + uc - 2 * g[o0 + cc];
        const h1 = ur1 + uc - 2 * g[o1 + cc];
        if (h0 < m0) m0 = h0;
        if (h1 < m1) m1 = h1;
        const ct = colThr[cc];
        if (h0 < ct) colThr[cc] = h1 < h0 ? h1 : h0;
        else if (h1 < ct) colThr[cc] = h1;
      }
      rowThr[rr] = m0;
      rowThr[rr + 1] = m1;
    }
    for (; rr < nr; rr++) {
      const ur = Ur[rr];
      const o = rr * nc;
      let m = Infinity;
      for (let cc = 0; cc < nc; cc++) {
        const hq = ur + Uc[cc] - 2 * g[o + cc];
        if (hq < m) m = hq;
        if (hq < colThr[cc]) colThr[cc] = hq;
      }
      rowThr[rr] = m;
    }
  }

  /** Sweep 1 from the pairs the device picked (see SelfPassState.sweep1Lists): any pair's hq bounds the smallest. */
  private sweep1Lists(t: TopLists): void {
    const { rowThr, colThr } = this;
    const { nr, nc } = this.blk;
    const { Ur, Uc } = this.sep;
    for (let rr = 0; rr < nr; rr++) {
      let m = Infinity;
      for (let s = rr * t.kr; s < (rr + 1) * t.kr; s++) {
        const cc = t.rowIdx[s];
        if (!(cc >= 0 && cc < nc)) continue;
        const hq = Ur[rr] + Uc[cc] - 2 * t.rowG[s];
        if (hq < m) m = hq;
      }
      rowThr[rr] = m;
    }
    for (let cc = 0; cc < nc; cc++) {
      for (let s = cc * t.kc; s < (cc + 1) * t.kc; s++) {
        const rr = t.colIdx[s];
        if (!(rr >= 0 && rr < nr)) continue;
        const hq = Ur[rr] + Uc[cc] - 2 * t.colG[s];
        if (hq < colThr[cc]) colThr[cc] = hq;
      }
    }
  }

  /** Squared block minima to distance thresholds; screening values rowQ and colQ for sweep 2. */
  private blockThresholds(): void {
    const { rowThr, colThr, rowQ, colQ, maxRadius } = this;
    const { nearestRealDistance: nRD, nearestSynthDistance: nSD } = this.out;
    const sigmaK = this.input.sigmaK;
    const { r0, nr, c0, nc, convMax } = this.blk;
    const EPS = this.geom!.EPS;
    const loF = 1 - EPS, hiF = 1 + EPS;
    for (let rr = 0; rr < nr; rr++) rowThr[rr] = upperFromSq(rowThr[rr], convMax, hiF);
    const shared = this.shared;
    if (shared) for (let rr = 0; rr < nr; rr++) rowThr[rr] = Math.min(rowThr[rr], shared.get(r0 + rr));
    for (let cc = 0; cc < nc; cc++) {
      colThr[cc] = upperFromSq(colThr[cc], convMax, hiF);
      const i = c0 + cc;
      colQ[cc] = screenSq(Math.max(Math.min(nSD[i], colThr[cc]), maxRadius[i]), convMax, loF);
    }
    for (let rr = 0; rr < nr; rr++) {
      const j = r0 + rr;
      const x = Math.min(nRD[j], rowThr[rr]);
      rowQ[rr] = screenSq(sigmaK ? Math.max(x, sigmaK[j]) : x, convMax, loF);
    }
  }

  /**
   * Sweep 2 over every product: only pairs some decision may need. Two rows at a time, the
   * pairs of a column in ascending row order: each pair's decisions read and write only its
   * row's and its column's state, so any order ascending along every row and every column
   * (this one, row-major, the device's) gives the same decisions and exact recomputations.
   */
  private sweep2(g: Float32Array): void {
    const { rowQ, colQ } = this;
    const { r0, nr, nc } = this.blk;
    const { Lr, Lc } = this.sep;
    let rr = 0;
    for (; rr + 1 < nr; rr += 2) {
      const lr0 = Lr[rr], lr1 = Lr[rr + 1];
      const o0 = rr * nc, o1 = o0 + nc;
      const q0 = rowQ[rr], q1 = rowQ[rr + 1];
      for (let cc = 0; cc < nc; cc++) {
        const lc = Lc[cc];
        const g0 = g[o0 + cc], g1 = g[o1 + cc];
        const lq0 = lr0 + lc - 2 * g0;
        const lq1 = lr1 + lc - 2 * g1;
        const cq = colQ[cc];
        if (lq0 > q0 && lq1 > q1 && lq0 > cq && lq1 > cq) continue;
        if (!(lq0 > q0 && lq0 > cq)) this.decideProduct(r0 + rr, rr, cc, g0);
        if (!(lq1 > q1 && lq1 > cq)) this.decideProduct(r0 + rr + 1, rr + 1, cc, g1);
      }
    }
    for (; rr < nr; rr++) {
      const lr = Lr[rr];
      const o = rr * nc;
      const qR = rowQ[rr];
      for (let cc = 0; cc < nc; cc++) {
        const lq = lr + Lc[cc] - 2 * g[o + cc];
        if (lq > qR && lq > colQ[cc]) continue;
        this.decideProduct(r0 + rr, rr, cc, g[o + cc]);
      }
    }
    this.endBlock();
  }

  /** The decisions for block pair (rr, cc) on exactly TfGeometry.resolve's interval from the product gv. */
  private decideProduct(j: number, rr: number, cc: number, gv: number): void {
    const geom = this.geom!;
    const { C1, C2, C3, CV, EPS } = geom;
    const i = this.blk.c0 + cc;
    const a = geom.aNorm[j], a2 = geom.aSq[j], b = geom.bNorm[i], b2 = geom.bSq[i];
    const est = a2 + b2 - 2 * gv;
    const e2 = C1 * a * b + C2 * (a2 + b2 + 2 * Math.abs(gv)) + C3;
    const conv = CV * (a + b);
    const l2 = est - e2;
    let l = l2 > 0 ? (Math.sqrt(l2) - conv) * (1 - EPS) : 0;
    if (!(l > 0)) l = 0;
    let h = (Math.sqrt(est + e2) + conv) * (1 + EPS);
    if (!(h < Infinity)) h = Infinity;
    this.decide(j, i, rr, cc, l, h, false, geom);
  }

  private endBlock(): void {
    const shared = this.shared;
    const { r0, nr } = this.blk;
    const nRD = this.out.nearestRealDistance;
    if (shared) for (let rr = 0; rr < nr; rr++) shared.publish(r0 + rr, nRD[r0 + rr]);
  }

  // device screening (ScreenSink, deviceScreen.ts)

  readonly screenListLength = 1;
  readonly screenTriangular = false;

  beginScreened(r0: number, nr: number, c0: number, nc: number, geom: TfGeometry, _part2: boolean): void {
    this.beginProducts(r0, nr, c0, nc, geom);
  }

  screenThresholds(t: TopLists): ScreenThresholds {
    this.sweep1Lists(t);
    this.blockThresholds();
    const { nr, nc } = this.blk;
    const { rowQ, colQ } = this;
    return deviceThresholds(this.sep.Lr, nr, this.sep.Lc, nc, (rr) => rowQ[rr], (cc) => colQ[cc]);
  }

  completeOnHost(g: Float32Array): void {
    this.sweep2(g);
  }

  /** Sweep 2 on the device's candidates (a superset of sweep 2's survivors, in row-major order). */
  consumeCandidates(c: Candidates): void {
    const { rowQ, colQ } = this;
    const { r0, nr, nc } = this.blk;
    const { Lr, Lc } = this.sep;
    for (let s = 0; s < c.m; s++) {
      const rr = c.rows[s], cc = c.cols[s];
      if (rr >= nr || cc >= nc) continue;
      const gv = c.g[s];
      const lq = Lr[rr] + Lc[cc] - 2 * gv;
      if (lq > rowQ[rr] && lq > colQ[cc]) continue;
      this.decideProduct(r0 + rr, rr, cc, gv);
    }
    this.endBlock();
  }
}

/** Merge of S x R partials (each worker: a set of column tiles, visited in ascending order). */
export function mergeCross(parts: CrossOutputs[], N: number, M: number, recall: boolean): CrossOutputs {
  const m = emptyCross(N, M, recall);
  for (const p of parts) {
    m.blocks += p.blocks;
    m.pairs += p.pairs;
    m.exactPairs += p.exactPairs;
    m.densityCount += p.densityCount;
    for (let j = 0; j < N; j++) {
      const d = p.nearestRealDistance[j];
      const idx = p.nearestReal[j];
      if (d < m.nearestRealDistance[j] || (d === m.nearestRealDistance[j] && idx >= 0 && (m.nearestReal[j] < 0 || idx < m.nearestReal[j]))) {
        m.nearestRealDistance[j] = d;
        m.nearestReal[j] = idx;
      }
      if (p.copy[j]) {
        m.copy[j] = 1;
        if (m.copyOf[j] < 0 || p.copyOf[j] < m.copyOf[j]) m.copyOf[j] = p.copyOf[j];
      }
      if (p.realistic[j]) m.realistic[j] = 1;
      m.ballCount[j] += p.ballCount[j];
    }
    for (let i = 0; i < M; i++) {
      const d = p.nearestSynthDistance[i];
      const idx = p.nearestSynth[i];
      if (d < m.nearestSynthDistance[i] || (d === m.nearestSynthDistance[i] && idx >= 0 && (m.nearestSynth[i] < 0 || idx < m.nearestSynth[i]))) {
        m.nearestSynthDistance[i] = d;
        m.nearestSynth[i] = idx;
      }
      if (m.recalled && p.recalled && p.recalled[i]) m.recalled[i] = 1;
    }
  }
  return m;
}

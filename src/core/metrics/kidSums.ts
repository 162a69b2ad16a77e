/**
 * KID's kernel sums taken from the neighbour passes' float32 products (definitions: kid.ts and
 * shared/design/METRICS.md, KID).
 *
 * Why. KID's kernel k(x, y) = (x.y / d + 1)^3 needs one inner product per pair of rows that
 * share a subset. At 10,000 rows per set and 100 subsets of 1,000 those pairs are about all the
 * pairs of [R; S], and the neighbour engine already computes an inner product for every one of
 * them: the R x R self pass (k-NN radii), the S x S self pass (recall's radii) and the S x R pass.
 * A pass's float32 block g holds the products of centred rows, g = (x - c).(y - c) with c the
 * geometry's float32 centre, so
 *
 *   x.y / d + 1 = g / d + u_x + v_y,   u_x = (x.c - c.c / 2) / d + 1/2,   v_y = (y.c - c.c / 2) / d + 1/2,
 *
 * with x.c and c.c in float64. A tap (KidTap) on the pass adds, for every block, the kernel values
 * of the pairs that share a subset into that subset's sum. What it costs on top of the pass: one
 * multiply-add and a cube per (pair, subset holding both), about one per pair at 10,000 rows.
 *
 * Precision: the inner products are float32 sums of d products of centred rows (torch-fidelity
 * computes its whole KID in float32). kid.ts's float64 path remains for small sets, for passes
 * that do not read their products back (GPU screening, exact float64 geometries) and on request.
 *
 * Determinism: each block's sums are kept apart, keyed by the block's first row and column, and
 * merged in key order (mergeTap), so the sums are the same bit for bit on one thread or on any
 * number of workers, whichever worker computed each block.
 */
import type { TfGeometry } from '../neighbours/blocks.ts';

/**
 * Which of the KID's subsets hold each row of one set: all of them (whole: m equals the set's
 * size, every subset is the whole set), or, per row i, subs[start[i] .. start[i + 1]) in
 * ascending order.
 */
export type Membership =
  | { whole: true; n: number }
  | { whole: false; n: number; start: Int32Array; subs: Int32Array };

/** One sum a pass feeds: per subset, the kernel sum over the pass's pairs (row i, column j) that the subset holds both of. */
export interface TapGroup {
  rows: Membership;
  cols: Membership;
}

/**
 * What a pass's tap computes: its groups (a self pass over R may serve several synthetic sets'
 * draws) and the number of subsets. A self pass visits each unordered pair once (i < j): its
 * sums are half the off-diagonal sums.
 */
export interface KidTapSpec {
  subsets: number;
  groups: TapGroup[];
}

/** One thread's sums: per block (key), per group, per slot (one slot when both sides are whole). */
export interface KidTapPartial {
  /** False when some block of the pass did not come as float32 products read back (the sums are then unusable). */
  fed: boolean;
  keys: Float64Array;
  /** keys.length rows of `width` values (the groups' slots one after the other). */
  sums: Float64Array;
  width: number;
}

/** The subsets of set rows `offset .. offset + m` of every subset in `draws` (kid.ts's layout: real rows first, then synthetic). */
export function membershipOf(n: number, m: number, subsets: number, draws: Int32Array, offset: number, shared: boolean): Membership {
  if (m === n) return { whole: true, n };
  const alloc = (len: number) => (shared ? new Int32Array(new SharedArrayBuffer(Math.max(1, len) * 4), 0, len) : new Int32Array(len));
  const start = alloc(n + 1);
  for (let s = 0; s < subsets; s++) {
    const o = 2 * m * s + offset;
    for (let t = 0; t < m; t++) start[draws[o + t] + 1]++;
  }
  for (let i = 0; i < n; i++) start[i + 1] += start[i];
  const subs = alloc(subsets * m);
  const fill = Int32Array.from(start.subarray(0, n));
  for (let s = 0; s < subsets; s++) {
    const o = 2 * m * s + offset;
    for (let t = 0; t < m; t++) subs[fill[draws[o + t]]++] = s;
  }
  return { whole: false, n, start, subs };
}

/** Whether two memberships are the same (a self pass over R computes a repeated group once). */
export function sameMembership(a: Membership, b: Membership): boolean {
  if (a.n !== b.n || a.whole !== b.whole) return false;
  if (a.whole || b.whole) return true;
  if (a.subs.length !== b.subs.length) return false;
  for (let i = 0; i <= a.n; i++) if (a.start[i] !== b.start[i]) return false;
  for (let p = 0; p < a.subs.length; p++) if (a.subs[p] !== b.subs[p]) return false;
  return true;
}

function slotsOf(g: TapGroup, subsets: number): number {
  return g.rows.whole && g.cols.whole ? 1 : subsets;
}

/** Values per block of a spec (all groups' slots). */
export function tapWidth(spec: KidTapSpec): number {
  return spec.groups.reduce((a, g) => a + slotsOf(g, spec.subsets), 0);
}

const KEY_STRIDE = 2 ** 26;

/** Per column tile: for each subset, the tile's columns it holds (ascending local indices). */
interface ColumnLists {
  c0: number;
  nc: number;
  start: Int32Array;
  cols: Int32Array;
}

/** A pass's tap: fed every float32 block (addProducts) or told that a block came otherwise (missed). */
export class KidTap {
  fed = true;
  private readonly width: number;
  private keys = new Float64Array(64);
  private sums: Float64Array;
  private count = 0;
  private u: Float64Array | null = null;
  private v: Float64Array | null = null;
  private geom: TfGeometry | null = null;
  private readonly lists: (ColumnLists | null)[];
  private colSum = new Float64Array(0);

  constructor(private readonly spec: KidTapSpec, private readonly self: boolean) {
    for (const g of spec.groups) {
      if (g.rows.n >= KEY_STRIDE || g.cols.n >= KEY_STRIDE) throw new Error(`KID sums: sets of ${KEY_STRIDE} rows or more are not supported`);
    }
    this.width = tapWidth(spec);
    this.sums = new Float64Array(64 * this.width);
    this.lists = spec.groups.map(() => null);
  }

  /** A block of the pass that was not read back as float32 products: the tap cannot give the sums. */
  missed(): void {
    this.fed = false;
  }

  /**
   * Block rows r0 .. r0 + nr against columns c0 .. c0 + nc, products g (row-major, stride nc)
   * of geometry `geom`. A block with r0 = c0 of a self pass is a diagonal one: only its pairs
   * with column > row are visited.
   */
  addProducts(r0: number, nr: number, c0: number, nc: number, g: Float32Array, geom: TfGeometry): void {
    if (!this.fed) return;
    if (this.geom !== geom) {
      this.geom = geom;
      const half = geom.centreSq / 2;
      const d = geom.dim;
      const shift = (dots: Float64Array) => dots.map((p) => (p - half) / d + 0.5);
      this.u = shift(geom.centreDots('a'));
      this.v = this.self ? this.u : shift(geom.centreDots('b'));
    }
    const diag = this.self && r0 === c0;
    if (this.count === this.keys.length) {
      const k = new Float64Array(this.count * 2);
      k.set(this.keys);
      this.keys = k;
      const s = new Float64Array(this.count * 2 * this.width);
      s.set(this.sums);
      this.sums = s;
    }
    this.keys[this.count] = r0 * KEY_STRIDE + c0;
    let off = this.count * this.width;
    this.count++;
    const invD = 1 / geom.dim;
    const { groups, subsets } = this.spec;
    for (let gi = 0; gi < groups.length; gi++) {
      const grp = groups[gi];
      const out = this.sums.subarray(off, off + slotsOf(grp, subsets));
      off += out.length;
      const { rows, cols } = grp;
      if (rows.whole && cols.whole) out[0] = this.wholeSum(r0, nr, c0, nc, g, invD, diag);
      else if (cols.whole) this.rowSums(rows as Extract<Membership, { whole: false }>, r0, nr, c0, nc, g, invD, diag, out);
      else if (rows.whole) this.colSums(cols, r0, nr, c0, nc, g, invD, diag, out);
      else this.pairSums(gi, rows, cols, r0, nr, c0, nc, g, invD, diag, out);
    }
  }

  /** Kernel sum of block row rr over columns from..nc (one multiply-add and a cube per pair). */
  private rowKernelSum(g: Float32Array, rr: number, nc: number, c0: number, ui: number, invD: number, from: number): number {
    const v = this.v!;
    const o = rr * nc;
    let a = 0;
    for (let c = from; c < nc; c++) {
      const t = g[o + c] * invD + ui + v[c0 + c];
      a += t * t * t;
    }
    return a;
  }

  private wholeSum(r0: number, nr: number, c0: number, nc: number, g: Float32Array, invD: number, diag: boolean): number {
    const u = this.u!;
    let acc = 0;
    for (let rr = 0; rr < nr; rr++) acc += this.rowKernelSum(g, rr, nc, c0, u[r0 + rr], invD, diag ? rr + 1 : 0);
    return acc;
  }

  /** Columns whole: each row's sum over the block, added to every subset that holds the row. */
  private rowSums(
    rows: Extract<Membership, { whole: false }>, r0: number, nr: number, c0: number, nc: number, g: Float32Array, invD: number, diag: boolean, out: Float64Array,
  ): void {
    const u = this.u!;
    const { start, subs } = rows;
    for (let rr = 0; rr < nr; rr++) {
      const i = r0 + rr;
      if (start[i] === start[i + 1]) continue;
      const a = this.rowKernelSum(g, rr, nc, c0, u[i], invD, diag ? rr + 1 : 0);
      for (let p = start[i]; p < start[i + 1]; p++) out[subs[p]] += a;
    }
  }

  /** Rows whole: each column's sum over the block, added to every subset that holds the column. */
  private colSums(
    cols: Extract<Membership, { whole: false }>, r0: number, nr: number, c0: number, nc: number, g: Float32Array, invD: number, diag: boolean, out: Float64Array,
  ): void {
    const u = this.u!, v = this.v!;
    if (this.colSum.length < nc) this.colSum = new Float64Array(nc);
    const cs = this.colSum;
    cs.fill(0, 0, nc);
    for (let rr = 0; rr < nr; rr++) {
      const ui = u[r0 + rr];
      const o = rr * nc;
      for (let c = diag ? rr + 1 : 0; c < nc; c++) {
        const t = g[o + c] * invD + ui + v[c0 + c];
        cs[c] += t * t * t;
      }
    }
    const { start, subs } = cols;
    for (let c = 0; c < nc; c++) {
      const j = c0 + c;
      for (let p = start[j]; p < start[j + 1]; p++) out[subs[p]] += cs[c];
    }
  }

  /** Both sides drawn: per row, per subset holding it, the sum over that subset's columns in the block. */
  private pairSums(
    gi: number, rows: Extract<Membership, { whole: false }>, cols: Extract<Membership, { whole: false }>,
    r0: number, nr: number, c0: number, nc: number, g: Float32Array, invD: number, diag: boolean, out: Float64Array,
  ): void {
    const u = this.u!, v = this.v!;
    const L = this.columnLists(gi, cols, c0, nc);
    const ls = L.start, lc = L.cols;
    const { start, subs } = rows;
    for (let rr = 0; rr < nr; rr++) {
      const i = r0 + rr;
      const s0 = start[i], s1 = start[i + 1];
      if (s0 === s1) continue;
      const ui = u[i];
      const o = rr * nc;
      for (let p = s0; p < s1; p++) {
        const s = subs[p];
        let q = ls[s];
        const q1 = ls[s + 1];
        if (diag) while (q < q1 && lc[q] <= rr) q++;
        let a = 0;
        for (; q < q1; q++) {
          const c = lc[q];
          const t = g[o + c] * invD + ui + v[c0 + c];
          a += t * t * t;
        }
        out[s] += a;
      }
    }
  }

  private columnLists(gi: number, cols: Extract<Membership, { whole: false }>, c0: number, nc: number): ColumnLists {
    const have = this.lists[gi];
    if (have && have.c0 === c0 && have.nc === nc) return have;
    const S = this.spec.subsets;
    const { start, subs } = cols;
    const ls = new Int32Array(S + 1);
    for (let p = start[c0]; p < start[c0 + nc]; p++) ls[subs[p] + 1]++;
    for (let s = 0; s < S; s++) ls[s + 1] += ls[s];
    const lc = new Int32Array(ls[S]);
    const fill = Int32Array.from(ls.subarray(0, S));
    for (let c = 0; c < nc; c++) {
      const j = c0 + c;
      for (let p = start[j]; p < start[j + 1]; p++) lc[fill[subs[p]]++] = c;
    }
    const made = { c0, nc, start: ls, cols: lc };
    this.lists[gi] = made;
    return made;
  }

  /** This thread's sums (copies sized to the blocks seen). */
  partial(): KidTapPartial {
    return { fed: this.fed, keys: this.keys.slice(0, this.count), sums: this.sums.slice(0, this.count * this.width), width: this.width };
  }
}

/**
 * The groups' sums over every block of a pass, from the partials of the threads that ran it:
 * blocks in key order (first row, then first column), whatever thread computed each. One
 * Float64Array per group (one value when both sides are whole, else one per subset), or null
 * when some block did not feed the tap.
 */
export function mergeTap(spec: KidTapSpec, parts: KidTapPartial[]): Float64Array[] | null {
  if (parts.length === 0 || parts.some((p) => !p.fed)) return null;
  const width = tapWidth(spec);
  const all: { key: number; part: number; row: number }[] = [];
  parts.forEach((p, pi) => {
    if (p.width !== width) throw new Error(`KID sums: a partial has ${p.width} values per block, expected ${width}`);
    for (let r = 0; r < p.keys.length; r++) all.push({ key: p.keys[r], part: pi, row: r });
  });
  all.sort((a, b) => a.key - b.key || a.part - b.part);
  const total = new Float64Array(width);
  for (const e of all) {
    const src = parts[e.part].sums;
    const o = e.row * width;
    for (let w = 0; w < width; w++) total[w] += src[o + w];
  }
  const out: Float64Array[] = [];
  let o = 0;
  for (const g of spec.groups) {
    const n = slotsOf(g, spec.subsets);
    out.push(total.slice(o, o + n));
    o += n;
  }
  return out;
}

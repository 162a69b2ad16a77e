/**
 * Distance blocks: the only place where many pairs are touched at once.
 *
 * A "geometry" couples a row set A and a column set B and hands out rectangular blocks
 * (at most tileSize x tileSize pairs) with, per pair, an interval [lo, hi] that is
 * guaranteed to contain the exact float64 distance that exactDistance() would return
 * (exact.ts). Consumers decide "D < radius" from the interval when it is conclusive and
 * call exact(i, j) otherwise, so every decision and every reported distance is the exact
 * float64 value. Nothing of size |A| x |B| is ever held.
 *
 * Three implementations:
 * - TfGeometry (continuous, the hot path): both sets are centred on one centre c32 (the
 *   real set's float64 mean for S x R, the set's own mean for a self pass, rounded to
 *   float32) in float32 arithmetic, a~ = fl32(x - c32), tile by tile as they are uploaded,
 *   and the block of dot products g = A_c . B_c^T is computed by tf.matMul on the active
 *   TF.js backend. The squared norms of the a~ are computed in float64 here, so
 *   est = |a|^2 + |b|^2 - 2g, and the rigorous bound below turns est into [lo, hi].
 * - JsFloat64Geometry (continuous, when no float32 TF.js backend is active): exact float64
 *   distances in plain JS, lo = hi = exact.
 * - HammingGeometry (discrete codes): integer counts of differing positions in plain JS,
 *   lo = hi = count / dim, exact.
 *
 * Error bound for TfGeometry (u = 2^-24, gamma_d = d u / (1 - d u); any summation order,
 * FMA or not, holds for IEEE float32 inner products, Higham, Accuracy and Stability, 3.1):
 *   |g - a~.b~| <= gamma_d |a~| |b~|
 *   |est - |a~ - b~|^2| <= E2 = 2 gamma_d |a~||b~| + (d + 8) 2^-52 (|a~|^2 + |b~|^2 + 2|g|) + d 2^-120
 * (the middle term covers the float64 norms and the float64 combination, the last one
 * float32 denormals flushed to zero), so |a~ - b~| is in [sqrt(est - E2), sqrt(est + E2)].
 * Since (x - c32) - (y - c32) = x - y exactly, only the float32 rounding of each
 * difference separates |a~ - b~| from |x - y|: it moves each centred vector by at most
 * 2^-24 |x - c32| <= CV |a~| with CV = 2^-24 (1 + 2^-20), and the exact float64 evaluation
 * differs from the true distance by a relative (d + 16) 2^-52 at most, which also absorbs
 * the rounding of lo and hi themselves.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { FeatureSet } from '../features/featureSet.ts';
import { RowAccess, blockRows, largeF32, rowsInMemory } from '../features/rowSource.ts';
import { columnMeansOf } from '../linalg/crossprod.ts';
import { euclidean64, euclidean64x4, hammingCount, type Values } from './exact.ts';
import { yieldTask } from '../yieldTask.ts';

export type ComputeMode = 'auto' | 'tf' | 'js';

/** How distances were obtained; recorded in results for the run report. */
export type EngineMethod = 'tf-float32-refined' | 'js-float64' | 'js-hamming';

export interface Block {
  r0: number;
  nr: number;
  c0: number;
  nc: number;
  /** Row-major nr x nc (stride nc): lower and upper bound of the exact distance. */
  lo: Float64Array;
  hi: Float64Array;
  /** True when lo === hi === the exact distance (no refinement ever needed). */
  exact: boolean;
}

export interface Geometry {
  readonly method: EngineMethod;
  /** Exact float64 distance between row i of A and row j of B. */
  exact(i: number, j: number): number;
  /** Starts computing a block (may enqueue device work); resolve() it later, in launch order. */
  launch(r0: number, nr: number, c0: number, nc: number): PendingBlock;
  resolve(p: PendingBlock): Promise<Block>;
  dispose(): void;
}

export interface PendingBlock {
  r0: number;
  nr: number;
  c0: number;
  nc: number;
  /** Device result of a TF block, or null for JS geometries. */
  product: tf.Tensor | null;
  /** Tensors to release once the block is resolved. */
  release: tf.Tensor[];
}

const U32 = 2 ** -24;
/** Squared centred norms from which rows go to the float64 geometry (TfGeometry.normsInRange). */
export const MAX_SQ = 2 ** 100;

/** Yields to the event loop at most every `budgetMs` of uninterrupted work (keeps AbortSignal and UI responsive). */
export class Yielder {
  private last = now();
  constructor(private readonly budgetMs = 40) {}
  async maybeYield(): Promise<void> {
    if (now() - this.last >= this.budgetMs) {
      await yieldTask();
      this.last = now();
    }
  }
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

class BlockBuffers {
  lo: Float64Array;
  hi: Float64Array;
  constructor(size: number, exact: boolean) {
    this.lo = new Float64Array(size);
    this.hi = exact ? this.lo : new Float64Array(size);
  }
}

/** Exact float64 Euclidean blocks in plain JS. */
export class JsFloat64Geometry implements Geometry {
  readonly method: EngineMethod = 'js-float64';
  private readonly buf: BlockBuffers;
  private readonly y = new Yielder();
  constructor(private readonly A: Values, private readonly B: Values, private readonly dim: number, tileSize: number) {
    this.buf = new BlockBuffers(tileSize * tileSize, true);
  }
  exact(i: number, j: number): number {
    return euclidean64(this.A, i, this.B, j, this.dim);
  }
  launch(r0: number, nr: number, c0: number, nc: number): PendingBlock {
    return { r0, nr, c0, nc, product: null, release: [] };
  }
  async resolve(p: PendingBlock): Promise<Block> {
    const { r0, nr, c0, nc } = p;
    const out = this.buf.lo;
    for (let r = 0; r < nr; r++) {
      for (let c = 0; c < nc; c++) out[r * nc + c] = euclidean64(this.A, r0 + r, this.B, c0 + c, this.dim);
      await this.y.maybeYield();
    }
    return { r0, nr, c0, nc, lo: out, hi: out, exact: true };
  }
  dispose(): void {}
}

/** Exact Hamming blocks (integer counts) in plain JS. */
export class HammingGeometry implements Geometry {
  readonly method: EngineMethod = 'js-hamming';
  private readonly buf: BlockBuffers;
  private readonly y = new Yielder();
  constructor(private readonly A: Values, private readonly B: Values, private readonly dim: number, tileSize: number) {
    this.buf = new BlockBuffers(tileSize * tileSize, true);
  }
  exact(i: number, j: number): number {
    return hammingCount(this.A, i, this.B, j, this.dim) / this.dim;
  }
  launch(r0: number, nr: number, c0: number, nc: number): PendingBlock {
    return { r0, nr, c0, nc, product: null, release: [] };
  }
  async resolve(p: PendingBlock): Promise<Block> {
    const { r0, nr, c0, nc } = p;
    const out = this.buf.lo;
    const { A, B, dim } = this;
    for (let r = 0; r < nr; r++) {
      const oa = (r0 + r) * dim;
      for (let c = 0; c < nc; c++) {
        const ob = (c0 + c) * dim;
        let cnt = 0;
        for (let t = 0; t < dim; t++) if (A[oa + t] !== B[ob + t]) cnt++;
        out[r * nc + c] = cnt / dim;
      }
      await this.y.maybeYield();
    }
    return { r0, nr, c0, nc, lo: out, hi: out, exact: true };
  }
  dispose(): void {}
}

/**
 * float64 norms and squared norms of the centred float32 rows of `x` (n x dim): exactly the
 * vectors the float32 products see (v = fround(x - c32), the float32 difference), without
 * keeping them.
 */
function centredNorms(x: RowAccess, n: number, dim: number, centre: Float32Array): { norm: Float64Array; sq: Float64Array } {
  const norm = new Float64Array(n);
  const sq = new Float64Array(n);
  x.forEachBlock(blockRows(dim), (blk, first, count) => {
    for (let r = 0; r < count; r++) {
      const o = r * dim;
      let s = 0;
      for (let t = 0; t < dim; t++) {
        const v = Math.fround(blk[o + t] - centre[t]);
        s += v * v;
      }
      sq[first + r] = s;
      norm[first + r] = Math.sqrt(s);
    }
  });
  return { norm, sq };
}

/** Column means in float64 (the engine's default centre). */
export const meanRow = (fs: FeatureSet): Float64Array => columnMeansOf(fs);

/** tfjs-backend-wasm's view of a tensor's values in its heap (public on BackendWasm, used by its kernels). */
interface HeapBackend {
  typedArrayFromHeap(info: { dataId: object; shape: number[]; dtype: 'float32' }): Float32Array;
}

/**
 * float32 dot-product blocks on the active TF.js backend, turned into rigorous [lo, hi]
 * intervals around the exact float64 distance (see the bound at the top of the file).
 *
 * Memory: no centred copy of either set is kept. Each tile is centred and converted to
 * float32 into one reusable buffer when it is uploaded; only the float64 norms of the
 * centred rows (O(n)) live for the whole pass. A streamed set (../features/rowSource.ts) is
 * read from its file a tile at a time, and a row at a time for the exact refinement.
 *
 * Uploads: the column tile is the matMul's right operand, which the wasm backend packs once
 * per tensor (XNNPACK fully-connected weights), so the engine schedules blocks column tile by
 * column tile and the geometry keeps the current column tile until another one is asked
 * for. Row tiles are uploaded per block (a plain copy) unless the tensor cache budget
 * lets them stay.
 */
export class TfGeometry implements Geometry {
  readonly method: EngineMethod = 'tf-float32-refined';
  /** Norms and squared norms (float64) of the centred float32 rows of A and of B. */
  readonly aNorm: Float64Array;
  readonly aSq: Float64Array;
  readonly bNorm: Float64Array;
  readonly bSq: Float64Array;
  readonly C1: number;
  readonly C2: number;
  readonly C3: number;
  readonly CV: number;
  readonly EPS: number;
  /** Interval buffers of resolve(), made on first use (passes that take products never need them). */
  private buf: BlockBuffers | null = null;
  private readonly tileSize: number;
  /** The centre rounded to float32: tiles are x - c32 in float32 arithmetic. */
  private readonly c32: Float32Array;
  /**
   * On wasm, tiles are centred into `tileBuf` (the backend copies uploads at once) and
   * products are read from the WebAssembly heap into `products`, both reused from block to
   * block, instead of a fresh array per block (1 MiB at tile 512) left for the garbage collector;
   * all on memory of their own (../features/rowSource.ts largeF32).
   */
  private readonly reuse: boolean;
  private tileBuf: Float32Array = new Float32Array(0);
  /** A streamed column tile's rows before they are centred and transposed. */
  private fromBuf: Float32Array = new Float32Array(0);
  private products: Float32Array = new Float32Array(0);
  /** Row tiles kept on the backend, by first row and row count (a split diagonal tile's first half is a tile of its own). */
  private readonly rowCache = new Map<string, tf.Tensor2D>();
  private rowCacheBytes = 0;
  private col: { c0: number; nc: number; t: tf.Tensor2D } | null = null;
  private readonly live = new Set<tf.Tensor>();
  private readonly y = new Yielder();
  private readonly quad = new Float64Array(4);
  /** Blocks launched and not yet released. */
  private readonly inFlight = new Set<PendingBlock>();
  /**
   * Whether the backend computes a product at the call (wasm, cpu). Launching the next block
   * before this one is resolved then overlaps nothing and only holds a second block's tiles and
   * product in the backend's memory, so runBlocks launches one block at a time there.
   */
  readonly computesAtCall: boolean;
  /** Rows read for the exact refinement of a streamed set. */
  private readonly rowI: Float32Array;
  private readonly rowJ: Float32Array;
  /** Milliseconds spent in tf.matMul calls (the whole product on wasm and cpu, where it runs at the call). */
  matmulMs = 0;
  /** Pairs the products covered (with the unused parts of diagonal tiles). */
  productPairs = 0;
  /** Where this geometry's blocks were screened: 'device' once runScreenedBlocks ran them, 'host' again if it fell back. */
  screening: 'device' | 'host' = 'host';
  /** Why screening on the device stopped during a pass (deviceScreen.ts), or null. */
  screeningFallback: string | null = null;

  /**
   * @param same true when A and B are the same set (self pass): one set of norms is shared.
   * @param cacheBudgetBytes bytes of row tiles kept on the backend instead of re-uploaded.
   */
  constructor(
    private readonly A: RowAccess,
    private readonly B: RowAccess,
    private readonly nA: number,
    private readonly nB: number,
    readonly dim: number,
    centre: Float64Array,
    same: boolean,
    tileSize: number,
    private readonly cacheBudgetBytes: number,
  ) {
    this.c32 = Float32Array.from(centre);
    const streamed = !A.data || !B.data;
    this.rowI = new Float32Array(streamed ? dim : 0);
    this.rowJ = new Float32Array(streamed ? dim : 0);
    const a = centredNorms(A, nA, dim, this.c32);
    const b = same ? a : centredNorms(B, nB, dim, this.c32);
    this.aNorm = a.norm;
    this.aSq = a.sq;
    this.bNorm = b.norm;
    this.bSq = b.sq;
    this.tileSize = tileSize;
    this.computesAtCall = tf.getBackend() === 'wasm' || tf.getBackend() === 'cpu';
    this.reuse = tf.getBackend() === 'wasm' && typeof (tf.backend() as unknown as HeapBackend).typedArrayFromHeap === 'function';
    const d = dim;
    const gamma = (d * U32) / (1 - d * U32);
    this.C1 = 2 * gamma * (1 + 2 ** -20);
    this.C2 = (d + 8) * 2 ** -52;
    this.C3 = d * 2 ** -120;
    this.CV = U32 * (1 + 2 ** -20);
    this.EPS = (d + 16) * 2 ** -52;
  }

  /** c32 . c32 in float64, with c32 the float32 centre subtracted from every row (KID sums, ../metrics/kidSums.ts). */
  get centreSq(): number {
    let s = 0;
    for (let t = 0; t < this.dim; t++) s += this.c32[t] * this.c32[t];
    return s;
  }

  /** x . c32 in float64 for every row x of A ('a') or of B ('b'): with centreSq, what turns a centred product back into x . y. */
  centreDots(side: 'a' | 'b'): Float64Array {
    const x = side === 'a' ? this.A : this.B;
    const n = side === 'a' ? this.nA : this.nB;
    const d = this.dim, c = this.c32;
    const out = new Float64Array(n);
    x.forEachBlock(blockRows(d), (blk, first, count) => {
      for (let r = 0; r < count; r++) {
        const o = r * d;
        let s = 0;
        for (let t = 0; t < d; t++) s += blk[o + t] * c[t];
        out[first + r] = s;
      }
    });
    return out;
  }

  /** Whether the float32 bound is usable for this dimension (d u < 1/2). */
  static supportsDim(dim: number): boolean {
    return dim * U32 < 0.5;
  }

  /**
   * Whether every centred row's squared norm is below MAX_SQ (2^100). Then every float32
   * product and partial sum is at most |a~| |b~| (1 + gamma_d) < 2^101, far from float32's
   * overflow at 2^128, so the products are finite and the bounds of passes.ts hold. Beyond
   * it a product could round to an infinity (the sweeps would skip a pair they need), and
   * makeGeometry uses the float64 geometry instead.
   */
  normsInRange(): boolean {
    const ok = (x: Float64Array) => {
      for (let p = 0; p < x.length; p++) if (!(x[p] < MAX_SQ)) return false;
      return true;
    };
    return ok(this.aSq) && (this.bSq === this.aSq || ok(this.bSq));
  }

  exact(i: number, j: number): number {
    const A = this.A.data, B = this.B.data;
    if (A && B) return euclidean64(A, i, B, j, this.dim);
    return euclidean64(this.A.row(i, this.rowI), 0, this.B.row(j, this.rowJ), 0, this.dim);
  }

  /** exact() of `count` pairs (ia[p], ib[p]) into out[p], four at a time (same values as exact()). */
  exactMany(ia: Int32Array, ib: Int32Array, count: number, out: Float64Array): void {
    const A = this.A.data, B = this.B.data, dim = this.dim;
    if (!A || !B) {
      // streamed rows: read one pair at a time (euclidean64x4 gives the same values as euclidean64)
      for (let p = 0; p < count; p++) out[p] = this.exact(ia[p], ib[p]);
      return;
    }
    const q = this.quad;
    let p = 0;
    for (; p + 4 <= count; p += 4) {
      euclidean64x4(A, B, dim, ia[p], ib[p], ia[p + 1], ib[p + 1], ia[p + 2], ib[p + 2], ia[p + 3], ib[p + 3], q);
      out[p] = q[0];
      out[p + 1] = q[1];
      out[p + 2] = q[2];
      out[p + 3] = q[3];
    }
    for (; p < count; p++) out[p] = euclidean64(A, ia[p], B, ib[p], dim);
  }

  /**
   * Rows i0 .. i0 + count of x, centred in float32 (fround(x - c32), as every backend's IEEE
   * float32 subtraction would give), as a count x dim tensor, or dim x count when `transposed`
   * (the column tile: tf.matMul with transposeB takes a much slower path on wasm).
   */
  private centredRows(x: RowAccess, i0: number, count: number, transposed: boolean): tf.Tensor2D {
    const d = this.dim;
    const c32 = this.c32;
    // on wasm the upload copies at once, so the tile is built in a buffer kept for the next one;
    // the cpu and GPU backends may keep the array they are given
    let buf: Float32Array;
    if (this.reuse) {
      if (this.tileBuf.length < count * d) this.tileBuf = largeF32(count * d);
      buf = this.tileBuf.subarray(0, count * d);
    } else {
      buf = new Float32Array(count * d);
    }
    let from: Float32Array | null = null;
    if (transposed && !x.data) {
      if (this.fromBuf.length < count * d) this.fromBuf = largeF32(count * d);
      from = this.fromBuf;
    }
    // a streamed row tile is read straight into buf and centred in place
    const src = x.blockInto(i0, count, from ?? buf);
    if (!transposed) {
      for (let r = 0; r < count; r++) {
        const o = r * d;
        for (let t = 0; t < d; t++) buf[o + t] = src[o + t] - c32[t];
      }
      return tf.tensor2d(buf, [count, d], 'float32');
    }
    // 16 source rows at a time, so the writes run along the transposed rows
    for (let r0 = 0; r0 < count; r0 += 16) {
      const r1 = Math.min(count, r0 + 16);
      for (let t = 0; t < d; t++) {
        const c = c32[t];
        const o = t * count;
        for (let r = r0; r < r1; r++) buf[o + r] = src[r * d + t] - c;
      }
    }
    return tf.tensor2d(buf, [d, count], 'float32');
  }

  /** Rows r0 .. r0 + nr of A, centred, float32, row-major (nr x dim). */
  private rowTile(r0: number, nr: number, release: tf.Tensor[]): tf.Tensor2D {
    const key = `${r0}:${nr}`;
    const cached = this.rowCache.get(key);
    if (cached) return cached;
    const d = this.dim;
    const t = this.centredRows(this.A, r0, nr, false);
    this.live.add(t);
    const bytes = nr * d * 4;
    if (this.rowCacheBytes + bytes <= this.cacheBudgetBytes) {
      this.rowCache.set(key, t);
      this.rowCacheBytes += bytes;
    } else {
      release.push(t);
    }
    return t;
  }

  /**
   * Column tile, centred and transposed (dim x nc) before the product: tf.matMul with
   * transposeB takes a much slower path on wasm.
   */
  private colTile(c0: number, nc: number, release: tf.Tensor[]): tf.Tensor2D {
    if (this.col && this.col.c0 === c0 && this.col.nc === nc) return this.col.t;
    // the previous column tile may still feed a launched block: release it with this one; with
    // no block in flight, at once
    if (this.col) {
      if (this.inFlight.size === 0) this.free(this.col.t);
      else release.push(this.col.t);
    }
    const t = this.centredRows(this.B, c0, nc, true);
    this.live.add(t);
    this.col = { c0, nc, t };
    return t;
  }

  launch(r0: number, nr: number, c0: number, nc: number): PendingBlock {
    const release: tf.Tensor[] = [];
    const rows = this.rowTile(r0, nr, release);
    const cols = this.colTile(c0, nc, release);
    const t0 = now();
    const product = tf.matMul(rows, cols);
    this.matmulMs += now() - t0;
    this.productPairs += nr * nc;
    this.live.add(product);
    const p = { r0, nr, c0, nc, product, release };
    this.inFlight.add(p);
    return p;
  }

  /**
   * The float32 products g = A_c . B_c^T of a launched block (row-major nr x nc), tensors
   * released. On wasm the array is reused: it holds the values until the next call.
   */
  async resolveProduct(p: PendingBlock): Promise<Float32Array> {
    const t = p.product!;
    let g: Float32Array;
    if (this.reuse) {
      // wasm computes at the call: the product is in the heap now; copied out, as data() would
      const view = (tf.backend() as unknown as HeapBackend).typedArrayFromHeap({ dataId: t.dataId, shape: t.shape, dtype: 'float32' });
      if (this.products.length < view.length) this.products = largeF32(view.length);
      g = this.products.subarray(0, view.length);
      g.set(view);
    } else {
      g = (await t.data()) as Float32Array;
    }
    this.releaseBlock(p);
    return g;
  }

  /** Releases a launched block's product and the tiles it alone still held. */
  releaseBlock(p: PendingBlock): void {
    this.inFlight.delete(p);
    if (p.product) this.free(p.product);
    for (const t of p.release) this.free(t);
  }

  async resolve(p: PendingBlock): Promise<Block> {
    const { r0, nr, c0, nc } = p;
    const g = await this.resolveProduct(p);
    const { lo, hi } = (this.buf ??= new BlockBuffers(this.tileSize * this.tileSize, false));
    const { C1, C2, C3, CV, EPS } = this;
    const aN = this.aNorm, aS = this.aSq, bN = this.bNorm, bS = this.bSq;
    const loF = 1 - EPS, hiF = 1 + EPS;
    for (let r = 0; r < nr; r++) {
      const a = aN[r0 + r];
      const a2 = aS[r0 + r];
      const o = r * nc;
      for (let c = 0; c < nc; c++) {
        const b = bN[c0 + c];
        const b2 = bS[c0 + c];
        const gv = g[o + c];
        const est = a2 + b2 - 2 * gv;
        const e2 = C1 * a * b + C2 * (a2 + b2 + 2 * Math.abs(gv)) + C3;
        const conv = CV * (a + b);
        const l2 = est - e2;
        let l = l2 > 0 ? (Math.sqrt(l2) - conv) * loF : 0;
        if (!(l > 0)) l = 0; // negative or NaN
        let h = (Math.sqrt(est + e2) + conv) * hiF;
        if (!(h < Infinity)) h = Infinity; // overflow or NaN: undecided, refined exactly
        lo[o + c] = l;
        hi[o + c] = h;
      }
    }
    await this.y.maybeYield();
    return { r0, nr, c0, nc, lo, hi, exact: false };
  }

  /** Yields to the event loop when the time budget since the last yield is spent. */
  maybeYield(): Promise<void> {
    return this.y.maybeYield();
  }

  private free(t: tf.Tensor): void {
    if (this.live.delete(t)) t.dispose();
  }

  dispose(): void {
    for (const t of this.live) t.dispose();
    this.live.clear();
    this.rowCache.clear();
    this.rowCacheBytes = 0;
    this.col = null;
    this.A.close();
    this.B.close();
  }
}

/** Name and float precision of the active TF.js backend, or null when none can be initialised. */
/** Whether the active TF.js backend computes on a GPU (webgpu, webgl), where passes stay on this thread. */
export function onGpuBackend(): boolean {
  try {
    const name = tf.getBackend();
    return name === 'webgpu' || name === 'webgl';
  } catch {
    return false;
  }
}

export async function activeTfBackend(): Promise<{ name: string; precision: number } | null> {
  try {
    await tf.ready();
    const name = tf.getBackend();
    if (!name) return null;
    return { name, precision: tf.backend().floatPrecision() };
  } catch {
    return null;
  }
}

export interface GeometryChoice {
  mode: ComputeMode;
  tileSize: number;
  cacheBudgetBytes: number;
}

/**
 * Builds the geometry for rows of `a` against rows of `b`.
 * `centre` (continuous only) is subtracted from both before the float32 conversion. Rows whose
 * centred squared norms reach MAX_SQ get the float64 geometry even when "tf" is asked for: their
 * float32 products could overflow.
 */
export async function makeGeometry(
  a: FeatureSet,
  b: FeatureSet,
  same: boolean,
  centre: Float64Array | null,
  choice: GeometryChoice,
): Promise<{ geom: Geometry; backend: string | null }> {
  // the float64 and Hamming geometries read rows at random: a streamed set is read whole for them
  if (a.kind === 'discrete') {
    const A = rowsInMemory(a);
    return { geom: new HammingGeometry(A, same ? A : rowsInMemory(b), a.dim, choice.tileSize), backend: null };
  }
  if (choice.mode !== 'js') {
    const be = await activeTfBackend();
    const usable = be !== null && be.precision === 32 && TfGeometry.supportsDim(a.dim);
    if (usable) {
      const c = centre ?? meanRow(b);
      const ra = new RowAccess(a);
      const geom = new TfGeometry(ra, same ? ra : new RowAccess(b), a.n, b.n, a.dim, c, same, choice.tileSize, choice.cacheBudgetBytes);
      if (geom.normsInRange()) return { geom, backend: be!.name };
      geom.dispose();
      return { geom: jsGeometry(a, b, same, choice.tileSize), backend: null };
    }
    if (choice.mode === 'tf') {
      throw new Error(
        be === null
          ? 'compute "tf" requested but no TF.js backend is registered'
          : `compute "tf" requested but backend ${be.name} has ${be.precision}-bit floats (32 needed)`,
      );
    }
  }
  return { geom: jsGeometry(a, b, same, choice.tileSize), backend: null };
}

function jsGeometry(a: FeatureSet, b: FeatureSet, same: boolean, tileSize: number): JsFloat64Geometry {
  const A = rowsInMemory(a);
  return new JsFloat64Geometry(A, same ? A : rowsInMemory(b), a.dim, tileSize);
}

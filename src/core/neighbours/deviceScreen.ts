/**
 * Screening on the device: the two sweeps of a float32 block (passes.ts) without reading the
 * block back. On a GPU the products of a 1,024 x 1,024 block take about 3 ms, and reading all
 * of them back and sweeping them twice in JavaScript takes several times that (measured on an
 * H200 through Dawn: the engine ran at 0.10 of plain tf.matMul, with the product itself 7 to
 * 10 % of the pass time). Here the device keeps the products and sends back only:
 *
 * 1. per row and per column of the block, the k pairs with the smallest upper bound
 *    hq ~ |a|^2 + |b|^2 - 2 g by its own float32 arithmetic (tf.topk), with their products;
 * 2. once JavaScript has turned those into thresholds (the pass's running state decides them),
 *    a bit mask of the pairs whose lower bound lq = Lr + Lc - 2 g may be at or below a threshold,
 *    16 pairs per word, and the products of the pairs it marks (tf.gatherND).
 *
 * Correctness does not rest on the device's arithmetic:
 * - step 1 only picks pairs: JavaScript recomputes each picked pair's hq in float64 from the
 *   product exactly as the host sweep does, so every bound it keeps is an upper bound of a true
 *   distance whatever was picked (a poor pick only loosens the thresholds);
 * - step 2 marks a superset of the pairs the host sweep keeps: the row and column terms are
 *   lowered and the thresholds raised by a relative 2^-12 (plus 2^-100) before they are rounded
 *   to float32, which covers the device's float32 evaluation of Lr + Lc - 2 g (a few units of
 *   2^-24 of |Lr| + |Lc| + 2|g| <= 2.5 (|Lr| + |Lc|), flushed denormals included) many times
 *   over; NaN is always marked. JavaScript then applies the host sweep's own float64 test to
 *   every marked pair, in row-major order, so the candidates, the decisions and the results
 *   are those of the host path. Rows whose squared norms reach 2^100 never reach a TfGeometry
 *   (blocks.ts, normsInRange), and usable() checks it again.
 *
 * Used for passes that stay on one thread with a GPU backend (engine.ts: screening 'auto' on
 * webgpu); 'device' forces it on any backend, which is how the tests hold it to the host path.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { PendingBlock, TfGeometry } from './blocks.ts';
import type { BlockSpec } from './passes.ts';

/** Per row: kr picked columns and their products; per column: kc picked rows and theirs (block-local indices). */
export interface TopLists {
  kr: number;
  rowIdx: Int32Array;
  rowG: Float32Array;
  kc: number;
  colIdx: Int32Array;
  colG: Float32Array;
}

/** Pairs the device marked (block-local row and column, row-major order) and their products. */
export interface Candidates {
  m: number;
  rows: Int32Array;
  cols: Int32Array;
  g: Float32Array;
}

/** What the device compares: lowered row and column terms and raised thresholds, float32. */
export interface ScreenThresholds {
  lr: Float32Array;
  lc: Float32Array;
  qr: Float32Array;
  qc: Float32Array;
}

/** A pass state that takes device-screened blocks (SelfPassState, CrossPassState). */
export interface ScreenSink {
  /** Pairs per row and per column the sweep-1 lists should hold (k for a self pass, 1 for S x R). */
  readonly screenListLength: number;
  /** Self pass: a block with r0 = c0 holds only its pairs above the diagonal (S x R: every pair). */
  readonly screenTriangular: boolean;
  beginScreened(r0: number, nr: number, c0: number, nc: number, geom: TfGeometry, part2: boolean): void;
  /** Sweep 1 from the lists; returns what the device needs for sweep 2. */
  screenThresholds(t: TopLists): ScreenThresholds;
  /** Sweep 2 over the marked pairs. */
  consumeCandidates(c: Candidates): void;
  /** The whole block on the host path (after a device failure, before beginScreened). */
  consumeProducts(r0: number, nr: number, c0: number, nc: number, g: Float32Array, geom: TfGeometry, part2: boolean): void;
  /** Sweep 2 of a begun block over every product (after a device failure in step 2). */
  completeOnHost(g: Float32Array): void;
}

export function isScreenSink(x: unknown): x is ScreenSink {
  return typeof (x as ScreenSink | null)?.consumeCandidates === 'function';
}

const SLACK = 2 ** -12;
const TINY = 2 ** -100;
const WORD = 16;

function lower32(x: number): number {
  return Math.fround(x - SLACK * Math.abs(x) - TINY);
}

function upper32(x: number): number {
  if (x === Infinity || x === -Infinity) return x;
  if (x !== x) return Infinity;
  return Math.fround(x + SLACK * Math.abs(x) + TINY);
}

/** The float32 terms of the device's sweep-2 test from the host's float64 ones (see the file header). */
export function deviceThresholds(
  Lr: Float64Array, nr: number, Lc: Float64Array, nc: number, qRow: (rr: number) => number, qCol: (cc: number) => number,
): ScreenThresholds {
  const lr = new Float32Array(nr), qr = new Float32Array(nr);
  const lc = new Float32Array(nc), qc = new Float32Array(nc);
  for (let rr = 0; rr < nr; rr++) {
    lr[rr] = lower32(Lr[rr]);
    qr[rr] = upper32(qRow(rr));
  }
  for (let cc = 0; cc < nc; cc++) {
    lc[cc] = lower32(Lc[cc]);
    qc[cc] = upper32(qCol(cc));
  }
  return { lr, lc, qr, qc };
}

/** Bit positions of the words (WORD bits each, row-major, nw words per row) as block rows and columns. */
export function decodeMask(words: ArrayLike<number>, nr: number, nc: number, nw: number): { m: number; rows: Int32Array; cols: Int32Array } {
  let m = 0;
  for (let w = 0; w < nr * nw; w++) {
    let bits = words[w] | 0;
    while (bits !== 0) {
      bits &= bits - 1;
      m++;
    }
  }
  const rows = new Int32Array(m), cols = new Int32Array(m);
  let s = 0;
  for (let rr = 0; rr < nr; rr++) {
    for (let w = 0; w < nw; w++) {
      let bits = words[rr * nw + w] | 0;
      while (bits !== 0) {
        const low = bits & -bits;
        const cc = w * WORD + 31 - Math.clz32(low);
        bits ^= low;
        if (cc >= nc) continue;
        rows[s] = rr;
        cols[s] = cc;
        s++;
      }
    }
  }
  return { m: s, rows: rows.subarray(0, s), cols: cols.subarray(0, s) };
}

interface Screening {
  p: PendingBlock;
  /** Only the pairs above the block's diagonal count (a self pass's diagonal block). */
  upper: boolean;
  /** null: the block goes the host path. */
  lists: Promise<TopLists> | null;
}

/** The device side of screening for one geometry. */
export class DeviceScreen {
  private readonly pow2: tf.Tensor1D;
  /** Per diagonal block shape: 0 above the diagonal, +Infinity on and below it. */
  private readonly lowerPenalty = new Map<string, tf.Tensor2D>();
  private readonly aSq32: Float32Array;
  private readonly bSq32: Float32Array;

  constructor(geom: TfGeometry) {
    this.pow2 = tf.tensor1d(Array.from({ length: WORD }, (_, b) => 2 ** b), 'float32');
    this.aSq32 = Float32Array.from(geom.aSq);
    this.bSq32 = geom.bSq === geom.aSq ? this.aSq32 : Float32Array.from(geom.bSq);
  }

  /** Whether every squared norm is small enough for the device's float32 test. */
  static usable(geom: TfGeometry): boolean {
    return geom.normsInRange();
  }

  private penalty(nr: number, nc: number): tf.Tensor2D {
    const key = `${nr}x${nc}`;
    let t = this.lowerPenalty.get(key);
    if (!t) {
      const v = new Float32Array(nr * nc);
      for (let rr = 0; rr < nr; rr++) v.fill(Infinity, rr * nc, rr * nc + Math.min(nc, rr + 1));
      t = tf.keep(tf.tensor2d(v, [nr, nc], 'float32')); // made inside a tidy, kept for later blocks
      this.lowerPenalty.set(key, t);
    }
    return t;
  }

  /**
   * Step 1, queued right after the block's product: the sweep-1 lists, read back as one array.
   * triangular: a self pass, whose blocks with r0 = c0 count only the pairs above the diagonal.
   */
  start(p: PendingBlock, k: number, triangular: boolean): Screening {
    const { r0, nr, c0, nc } = p;
    const g = p.product!;
    const upper = triangular && r0 === c0;
    const kr = Math.min(k, nc), kc = Math.min(k, nr);
    const packed = tf.tidy(() => {
      const ar = tf.tensor2d(this.aSq32.subarray(r0, r0 + nr), [nr, 1], 'float32');
      const bc = tf.tensor2d(this.bSq32.subarray(c0, c0 + nc), [1, nc], 'float32');
      let hq = tf.sub(tf.add(ar, bc), tf.mul(g, 2));
      if (upper) hq = tf.add(hq, this.penalty(nr, nc));
      const rt = tf.topk(tf.neg(hq), kr);
      const rg = tf.gather(g, rt.indices, 1, 1);
      const gT = tf.transpose(g);
      const ct = tf.topk(tf.neg(tf.transpose(hq)), kc);
      const cg = tf.gather(gT, ct.indices, 1, 1);
      return tf.concat([
        tf.reshape(tf.cast(rt.indices, 'float32'), [-1]), tf.reshape(rg, [-1]),
        tf.reshape(tf.cast(ct.indices, 'float32'), [-1]), tf.reshape(cg, [-1]),
      ]);
    });
    const lists = (packed.data() as Promise<Float32Array>).then(
      (v) => {
        packed.dispose();
        const a = nr * kr, b = nc * kc;
        return {
          kr, rowIdx: Int32Array.from(v.subarray(0, a)), rowG: v.slice(a, 2 * a),
          kc, colIdx: Int32Array.from(v.subarray(2 * a, 2 * a + b)), colG: v.slice(2 * a + b, 2 * a + 2 * b),
        };
      },
      (e: unknown) => {
        packed.dispose();
        throw e;
      },
    );
    return { p, upper, lists };
  }

  /** Step 2: the marked pairs of a block and their products. */
  async candidates(sc: Screening, t: ScreenThresholds): Promise<Candidates> {
    const { nr, nc } = sc.p;
    const g = sc.p.product!;
    const nw = Math.ceil(nc / WORD);
    const words = tf.tidy(() => {
      const lr = tf.tensor2d(t.lr, [nr, 1], 'float32');
      const lc = tf.tensor2d(t.lc, [1, nc], 'float32');
      const qr = tf.tensor2d(t.qr, [nr, 1], 'float32');
      const qc = tf.tensor2d(t.qc, [1, nc], 'float32');
      let lq = tf.sub(tf.add(lr, lc), tf.mul(g, 2));
      if (sc.upper) lq = tf.add(lq, this.penalty(nr, nc));
      const keep = tf.logicalOr(tf.lessEqual(lq, tf.maximum(qr, qc)), tf.isNaN(lq));
      let f = tf.cast(keep, 'float32') as tf.Tensor2D;
      if (nw * WORD > nc) f = tf.pad(f, [[0, 0], [0, nw * WORD - nc]]);
      return tf.sum(tf.mul(tf.reshape(f, [nr, nw, WORD]), this.pow2), 2);
    });
    let w: Float32Array;
    try {
      w = (await words.data()) as Float32Array;
    } finally {
      words.dispose();
    }
    const { m, rows, cols } = decodeMask(w, nr, nc, nw);
    if (m === 0) return { m, rows, cols, g: new Float32Array(0) };
    const coords = new Int32Array(2 * m);
    for (let s = 0; s < m; s++) {
      coords[2 * s] = rows[s];
      coords[2 * s + 1] = cols[s];
    }
    const picked = tf.tidy(() => tf.gatherND(g, tf.tensor2d(coords, [m, 2], 'int32')));
    try {
      return { m, rows, cols, g: (await picked.data()) as Float32Array };
    } finally {
      picked.dispose();
    }
  }

  dispose(): void {
    this.pow2.dispose();
    for (const t of this.lowerPenalty.values()) t.dispose();
    this.lowerPenalty.clear();
  }
}

/**
 * runBlocks (parallel.ts) with device screening: blocks are launched `lookahead` ahead, so the
 * device computes the next products and lists while JavaScript decides this block. If a device
 * step fails (an op a driver does not run, a lost read-back), the pass goes on on the host path
 * from that point: a block not yet begun is consumed whole, a begun one gets its sweep 2 over
 * every product, so no pair is seen twice and the results stay the same; the geometry records
 * why (TfGeometry.screening, screeningFallback) and a warning is logged.
 */
export async function runScreenedBlocks(
  geom: TfGeometry, blocks: BlockSpec[], sink: ScreenSink, check: () => void, onBlock: () => void, lookahead = 2,
): Promise<number> {
  const screen = new DeviceScreen(geom);
  geom.screening = 'device';
  const queue: Screening[] = [];
  let next = 0;
  let counted = 0;
  let device = true;
  const fallBack = (e: unknown) => {
    if (!device) return;
    device = false;
    geom.screening = 'host';
    geom.screeningFallback = e instanceof Error ? e.message || e.name : String(e);
    console.warn(`neighbour engine: screening on the device failed (${geom.screeningFallback}); the pass goes on on the host`);
  };
  const products = async (sc: Screening) => (await sc.p.product!.data()) as Float32Array;
  try {
    for (let s = 0; s < blocks.length; s++) {
      check();
      while (next < blocks.length && next <= s + lookahead) {
        const b = blocks[next++];
        const p = geom.launch(b[0], b[1], b[2], b[3]);
        let sc: Screening = { p, upper: false, lists: null };
        if (device) {
          try {
            sc = screen.start(p, sink.screenListLength, sink.screenTriangular);
          } catch (e) {
            fallBack(e);
          }
        }
        queue.push(sc);
      }
      const sc = queue.shift()!;
      const part2 = blocks[s][4] === 1;
      const { r0, nr, c0, nc } = sc.p;
      try {
        let lists: TopLists | null = null;
        if (sc.lists) {
          try {
            lists = await sc.lists;
          } catch (e) {
            fallBack(e);
          }
        }
        if (!device || !lists) {
          sink.consumeProducts(r0, nr, c0, nc, await products(sc), geom, part2);
        } else {
          sink.beginScreened(r0, nr, c0, nc, geom, part2);
          const thr = sink.screenThresholds(lists);
          let cands: Candidates | null = null;
          try {
            cands = await screen.candidates(sc, thr);
          } catch (e) {
            fallBack(e);
          }
          if (cands) sink.consumeCandidates(cands);
          else sink.completeOnHost(await products(sc));
        }
      } finally {
        geom.releaseBlock(sc.p);
      }
      await geom.maybeYield();
      if (!part2) {
        counted++;
        onBlock();
      }
    }
    return counted;
  } finally {
    for (const sc of queue) {
      await sc.lists?.catch(() => undefined);
      geom.releaseBlock(sc.p);
    }
    screen.dispose();
  }
}

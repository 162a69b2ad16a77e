/**
 * Neighbour engine: tiled, streaming k-NN radii and the single S x R pass that every
 * neighbour-based metric reads from. Definitions: shared/design/METRICS.md (Notation,
 * fidelity/privacy, PRDC, DCR).
 *
 * - Memory is O((N + M)(d + k)) plus one tileSize x tileSize block; no N x M matrix exists.
 * - Every "D < radius" decision and every reported distance uses the exact float64
 *   distance (exact.ts). Blocks give an interval [lo, hi] around it (blocks.ts); a pair is
 *   decided from the interval when hi < radius or lo >= radius and recomputed exactly
 *   otherwise. Nearest neighbours and k-NN radii keep exact running values and recompute
 *   every pair whose lower bound could still beat them, so duplicates and ties fall back
 *   to exact per-row work automatically.
 * - rho_k(i) is the k-th smallest distance from r_i to the other rows of R (a duplicate of
 *   r_i counts at 0), i.e. the (k+1)-th smallest of row i of the R x R matrix with the
 *   diagonal set to exactly 0; rho_1 is the smallest. The self pass visits each unordered
 *   pair once (upper triangle of tiles) and feeds both rows.
 * - Ties for nearest neighbours go to the lowest index (numpy argmin).
 */
import type { FeatureSet } from '../features/featureSet.ts';
import { activeTfBackend, makeGeometry, type Block, type ComputeMode, type EngineMethod, type Geometry } from './blocks.ts';
import { validateFeatureSet, validatePair } from './exact.ts';

export type { ComputeMode, EngineMethod } from './blocks.ts';

export interface RealRadii {
  k: number;
  /** Distance from r_i to its nearest other real (0 when r_i has a duplicate). */
  rho1: Float64Array;
  /** Distance from r_i to its k-th nearest other real. */
  rhoK: Float64Array;
  /** Number of rows these radii were computed for (optional; checked when present). */
  n?: number;
}

export interface EngineOptions {
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Rows (and columns) per distance block; default: see defaultTileSize(). Small values are for tests. */
  tileSize?: number;
  /**
   * 'auto' (default): float32 blocks on the active TF.js backend when it has 32-bit floats,
   * otherwise exact float64 in plain JS. 'tf' insists on TF.js, 'js' never uses it.
   * Discrete codes always use exact integer Hamming counts in plain JS.
   */
  compute?: ComputeMode;
  /** Bytes of column tiles kept on the backend during a pass instead of re-uploaded; default 256 MiB. */
  tensorCacheBytes?: number;
}

/** What the engine did, for the run report. */
export interface EngineStats {
  method: EngineMethod;
  /** TF.js backend name when method is tf-float32-refined. */
  backend: string | null;
  tileSize: number;
  blocks: number;
  /** Pairs whose exact float64 distance was computed (interval inconclusive or needed as a value). */
  exactPairs: number;
  /** Pairs visited. */
  pairs: number;
}

/** Default block side on GPU backends (webgpu, webgl). */
export const GPU_TILE_SIZE = 1024;
/** Default block side on CPU backends (wasm, cpu) and in plain JS: fastest measured for d = 2048 on wasm. */
export const CPU_TILE_SIZE = 512;
const DEFAULT_CACHE_BYTES = 256 * 1024 * 1024;

/** Shared progress counter over several passes. */
export class Progress {
  done = 0;
  constructor(
    public total: number,
    private readonly cb?: (done: number, total: number) => void,
  ) {}
  step(): void {
    this.done++;
    this.cb?.(this.done, this.total);
  }
}

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) {
    throw signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
  }
}

/**
 * The block side a pass over `fs` will use: opts.tileSize when given, otherwise 1024 when
 * the float32 path runs on a GPU backend (webgpu, webgl) and 512 elsewhere.
 */
export async function resolveTileSize(fs: FeatureSet, opts?: EngineOptions): Promise<number> {
  const given = opts?.tileSize;
  if (given !== undefined) {
    if (!Number.isInteger(given) || given < 1) throw new Error(`tileSize must be a positive integer, got ${given}`);
    return given;
  }
  if (fs.kind === 'discrete' || opts?.compute === 'js') return CPU_TILE_SIZE;
  const be = await activeTfBackend();
  return be && (be.name === 'webgpu' || be.name === 'webgl') ? GPU_TILE_SIZE : CPU_TILE_SIZE;
}

/** Number of blocks of a self pass over n rows (upper triangle of tiles). */
export function selfPassBlocks(n: number, tileSize: number): number {
  const t = Math.ceil(n / tileSize);
  return (t * (t + 1)) / 2;
}

/** Number of blocks of a cross pass. */
export function crossPassBlocks(nRows: number, nCols: number, tileSize: number): number {
  return Math.ceil(nRows / tileSize) * Math.ceil(nCols / tileSize);
}

async function runBlocks(
  geom: Geometry,
  schedule: Array<[number, number, number, number]>,
  consume: (b: Block) => void,
  signal: AbortSignal | undefined,
  progress: Progress | null,
): Promise<void> {
  if (schedule.length === 0) return;
  checkAbort(signal);
  let pending = geom.launch(...schedule[0]);
  for (let s = 0; s < schedule.length; s++) {
    checkAbort(signal);
    const next = s + 1 < schedule.length ? geom.launch(...schedule[s + 1]) : null;
    const block = await geom.resolve(pending);
    consume(block);
    progress?.step();
    if (next) pending = next;
  }
}

// ---------------------------------------------------------------------------------------
// k-NN radii within one set

/** Bounded max-heaps of the k smallest exact distances per row (values only). */
class KSmallest {
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

interface Resolved {
  mode: ComputeMode;
  tileSize: number;
  cacheBudgetBytes: number;
}

async function resolveOpts(fs: FeatureSet, opts?: EngineOptions): Promise<Resolved> {
  return {
    mode: opts?.compute ?? 'auto',
    tileSize: await resolveTileSize(fs, opts),
    cacheBudgetBytes: opts?.tensorCacheBytes ?? DEFAULT_CACHE_BYTES,
  };
}

/** k-NN radii of a set within itself, with engine statistics. */
export async function knnRadiiWithStats(
  fs: FeatureSet,
  k: number,
  opts: EngineOptions = {},
  progress?: Progress,
): Promise<{ radii: RealRadii; stats: EngineStats }> {
  if (!Number.isInteger(k) || k < 1) throw new Error(`k must be a positive integer, got ${k}`);
  validateFeatureSet(fs, 'feature set');
  const n = fs.n;
  if (n < k + 1) throw new Error(`k-NN radii need more than k = ${k} rows, the set has ${n}`);
  const r = await resolveOpts(fs, opts);
  const T = r.tileSize;
  const prog = progress ?? new Progress(selfPassBlocks(n, T), opts.onProgress);
  const { geom, backend } = await makeGeometry(fs, fs, true, null, r);
  const best = new KSmallest(n, k);
  const stats: EngineStats = { method: geom.method, backend, tileSize: T, blocks: 0, exactPairs: 0, pairs: 0 };
  const schedule: Array<[number, number, number, number]> = [];
  for (let a = 0; a < n; a += T) {
    for (let b = a; b < n; b += T) schedule.push([a, Math.min(T, n - a), b, Math.min(T, n - b)]);
  }
  // Per block, a first sweep finds for every point touched the k-th smallest upper bound
  // among its pairs in the block (an upper bound of its true k-th distance); the second
  // sweep recomputes exactly only pairs whose lower bound is below both that bound and the
  // point's current exact k-th value. Typically about k exact pairs per row and block.
  const blockBound = new KSmallest(n, k);
  const thr = new Float64Array(n);
  const consume = (blk: Block): void => {
    const { r0, nr, c0, nc, lo, hi, exact } = blk;
    const diag = r0 === c0;
    stats.blocks++;
    stats.pairs += diag ? (nr * (nr - 1)) / 2 : nr * nc;
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
    for (let i = r0; i < r0 + nr; i++) thr[i] = Math.min(best.kth(i), blockBound.kth(i));
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
          stats.exactPairs++;
        }
        if (needI && D < ti) best.push(i, D);
        if (needJ && D < tj) best.push(j, D);
      }
    }
  };
  try {
    await runBlocks(geom, schedule, consume, opts.signal, prog);
  } finally {
    geom.dispose();
  }
  const rho1 = new Float64Array(n);
  const rhoK = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = best.sorted(i);
    rho1[i] = s[0];
    rhoK[i] = s[k - 1];
  }
  return { radii: { k, rho1, rhoK, n }, stats };
}

/**
 * rho_1 and rho_k of every row of `fs` within `fs` (METRICS.md, Notation).
 * Compute once per real set and reuse across synthetic sets (pass as `radii`).
 */
export async function computeKnnRadii(
  fs: FeatureSet,
  k: number,
  opts?: EngineOptions,
): Promise<RealRadii> {
  return (await knnRadiiWithStats(fs, k, opts ?? {})).radii;
}

/** The real set's k-NN radii (rho_1, rho_k); cache the result per (real set, k). */
export async function computeRealRadii(
  real: FeatureSet,
  k: number,
  opts?: EngineOptions,
): Promise<RealRadii> {
  return computeKnnRadii(real, k, opts);
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

export interface CrossPassResult {
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
  stats: EngineStats;
}

/**
 * One pass over S x R computing, per pair and from the exact distance: row minimum,
 * column minimum, copy test, k-ball test (realistic / density) and recall test.
 */
export async function crossPass(
  real: FeatureSet,
  synth: FeatureSet,
  input: CrossPassInput,
  opts: EngineOptions = {},
  progress?: Progress,
): Promise<CrossPassResult> {
  validateFeatureSet(real, 'real set');
  validateFeatureSet(synth, 'synthetic set');
  validatePair(real, synth, 'real set', 'synthetic set');
  const M = real.n;
  const N = synth.n;
  const { copyRadius, rhoK, sigmaK } = input;
  if (copyRadius.length !== M || rhoK.length !== M) throw new Error('radii do not match the real set');
  if (sigmaK && sigmaK.length !== N) throw new Error('sigma_k does not match the synthetic set');
  const r = await resolveOpts(real, opts);
  const T = r.tileSize;
  const prog = progress ?? new Progress(crossPassBlocks(N, M, T), opts.onProgress);
  const { geom, backend } = await makeGeometry(synth, real, false, null, r);
  const stats: EngineStats = { method: geom.method, backend, tileSize: T, blocks: 0, exactPairs: 0, pairs: 0 };

  const nearestReal = new Int32Array(N).fill(-1);
  const nearestRealDistance = new Float64Array(N).fill(Infinity);
  const nearestSynth = new Int32Array(M).fill(-1);
  const nearestSynthDistance = new Float64Array(M).fill(Infinity);
  const copy = new Uint8Array(N);
  const copyOf = new Int32Array(N).fill(-1);
  const realistic = new Uint8Array(N);
  const ballCount = new Int32Array(N);
  const recalled = sigmaK ? new Uint8Array(M) : null;
  let densityCount = 0;

  const schedule: Array<[number, number, number, number]> = [];
  for (let a = 0; a < N; a += T) {
    for (let b = 0; b < M; b += T) schedule.push([a, Math.min(T, N - a), b, Math.min(T, M - b)]);
  }

  // Largest radius any test can use per real / per synthetic: pairs whose lower bound is at
  // or beyond all of them (and beyond the nearest-neighbour thresholds) need nothing.
  const maxRadius = new Float64Array(M);
  for (let i = 0; i < M; i++) maxRadius[i] = Math.max(copyRadius[i], rhoK[i]);
  const rowThr = new Float64Array(T);
  const colThr = new Float64Array(T);

  const consume = (blk: Block): void => {
    const { r0, nr, c0, nc, lo, hi, exact } = blk;
    stats.blocks++;
    stats.pairs += nr * nc;
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
      const j = r0 + rr; // synthetic
      const o = rr * nc;
      const sig = sigmaK ? sigmaK[j] : -Infinity;
      const needRecall = recalled !== null;
      const rThr = rowThr[rr];
      for (let cc = 0; cc < nc; cc++) {
        const i = c0 + cc; // real
        const l = lo[o + cc];
        const nearJ = l < nearestRealDistance[j] && l <= rThr;
        const nearI = l < nearestSynthDistance[i] && l <= colThr[cc];
        if (!nearJ && !nearI && l >= maxRadius[i] && (!needRecall || l >= sig)) continue;
        const h = hi[o + cc];
        // exact distance, computed at most once and only when some decision needs it
        let D = exact || h === l ? l : NaN;
        if (nearJ || nearI) {
          if (D !== D) {
            D = geom.exact(j, i);
            stats.exactPairs++;
          }
          // rows and columns are visited in ascending order, so a tie never replaces (lowest index wins)
          if (D < nearestRealDistance[j]) {
            nearestRealDistance[j] = D;
            nearestReal[j] = i;
          }
          if (D < nearestSynthDistance[i]) {
            nearestSynthDistance[i] = D;
            nearestSynth[i] = j;
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
            stats.exactPairs++;
          }
          inK = D < rk;
        }
        if (inK) {
          densityCount++;
          ballCount[j]++;
          realistic[j] = 1;
        }
        // copy ball of r_i
        if (copy[j] === 0) {
          const cr = copyRadius[i];
          let inCopy: boolean;
          if (h < cr) inCopy = true;
          else if (l >= cr) inCopy = false;
          else {
            if (D !== D) {
              D = geom.exact(j, i);
              stats.exactPairs++;
            }
            inCopy = D < cr;
          }
          // columns of a row are visited in ascending order, so the first hit is the lowest i
          if (inCopy) {
            copy[j] = 1;
            copyOf[j] = i;
          }
        }
        // recall: r_i inside the k-ball of s_j
        if (needRecall && recalled[i] === 0) {
          if (h < sig) recalled[i] = 1;
          else if (!(l >= sig)) {
            if (D !== D) {
              D = geom.exact(j, i);
              stats.exactPairs++;
            }
            if (D < sig) recalled[i] = 1;
          }
        }
      }
    }
  };
  try {
    await runBlocks(geom, schedule, consume, opts.signal, prog);
  } finally {
    geom.dispose();
  }
  return {
    nearestReal,
    nearestRealDistance,
    nearestSynth,
    nearestSynthDistance,
    copy,
    copyOf,
    realistic,
    ballCount,
    densityCount,
    recalled,
    stats,
  };
}

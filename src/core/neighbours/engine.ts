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
 * - Blocks are visited column tile by column tile (passes.ts), and large passes are split
 *   by column tiles over a worker pool (parallel.ts) with a merge that reproduces the
 *   one-thread results exactly.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { FeatureSet } from '../features/featureSet.ts';
import { activeTfBackend, makeGeometry, onGpuBackend, TfGeometry, type ComputeMode, type EngineMethod } from './blocks.ts';
import { validateFeatureSet, validatePair } from './exact.ts';
import { KidTap, mergeTap, type KidTapSpec } from '../metrics/kidSums.ts';
import {
  CrossPassState, KSmallest, SelfPassState, SharedMinBound, crossUnitBlocks, crossUnits, mergeCross, mergeSelf, selfUnitBlocks, selfUnits,
  splitUnits, type CrossOutputs, type PassCounters, type CrossPassInput, type SelfPartial, type Unit,
} from './passes.ts';
import {
  canShareMemory, getEnginePool, runBlocks, shareSet,
  type EnginePartial, type EnginePool, type EngineTask, type PassOptionsWire,
} from './parallel.ts';

export type { ComputeMode, EngineMethod } from './blocks.ts';
export type { CrossPassInput } from './passes.ts';
export { setEnginePool, getEnginePool, type EnginePool } from './parallel.ts';

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
   * Discrete codes always use exact integer Hamming counts in plain JS, and rows whose
   * float32 products could overflow (centred squared norms from 2^100) exact float64.
   */
  compute?: ComputeMode;
  /** Bytes of row tiles kept on the backend during a pass instead of re-uploaded; default 256 MiB. */
  tensorCacheBytes?: number;
  /**
   * Worker pool for large passes: undefined uses the registered one (setEnginePool), null
   * keeps the pass on this thread. Results are identical either way.
   */
  pool?: EnginePool | null;
  /** Useful FLOPs (2 d x pairs) from which a pass goes to the pool; default 4e9. */
  parallelMinFlops?: number;
  /**
   * Where the float32 blocks of a pass on this thread are screened (deviceScreen.ts): 'auto'
   * (default) on the device when the backend is webgpu, 'device' on any TF.js backend, 'host'
   * never (every product is read back and swept in JavaScript). The results are the same.
   */
  screening?: 'auto' | 'device' | 'host';
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
  /** Workers that ran the pass (1: this thread). */
  workers?: number;
  /**
   * float32 path: seconds in tf.matMul calls, all workers together (the products themselves
   * on wasm and cpu, where they run at the call; only their dispatch on GPU backends), and the
   * pairs those products covered. For benchmarks: the engine's overhead is the rest.
   */
  matmulSeconds?: number;
  productPairs?: number;
  /** float32 path on this thread: whether the blocks were screened on the device or read back whole. */
  screening?: 'device' | 'host';
}

/** Default block side on GPU backends (webgpu, webgl). */
export const GPU_TILE_SIZE = 1024;
/** Default block side on CPU backends (wasm, cpu) and in plain JS: fastest measured for d = 2048 on wasm. */
export const CPU_TILE_SIZE = 512;
const DEFAULT_CACHE_BYTES = 256 * 1024 * 1024;
const DEFAULT_PARALLEL_MIN_FLOPS = 4e9;

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

function abortCheck(signal?: AbortSignal): () => void {
  return () => checkAbort(signal);
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

/**
 * Units for a pool of `workers`: cut so that there are about four per worker (or as many as
 * there are blocks), for an even finish.
 */
function unitsForPool(units: Unit[], blocks: number, T: number, workers: number): Unit[] {
  return splitUnits(units, T, Math.ceil(blocks / (4 * workers)));
}

/**
 * The pool a pass of `flops` useful FLOPs in `blocks` blocks runs on, or null for this thread.
 * On a GPU backend the float32 passes stay here, on the GPU (the pool's threads compute on the CPU).
 */
function poolFor(opts: EngineOptions, flops: number, blocks: number): EnginePool | null {
  const pool = opts.pool === undefined ? getEnginePool() : opts.pool;
  if (!pool || pool.size < 2 || blocks < 2) return null;
  if (opts.compute !== 'js' && onGpuBackend()) return null;
  if (flops < (opts.parallelMinFlops ?? DEFAULT_PARALLEL_MIN_FLOPS)) return null;
  return canShareMemory() ? pool : null;
}

function wire(r: Resolved): PassOptionsWire {
  return { tileSize: r.tileSize, compute: r.mode, tensorCacheBytes: r.cacheBudgetBytes };
}

/** A pooled pass's method and product statistics; its float32 blocks are screened on the workers' host side. */
function methodOf(parts: EnginePartial[]): { method: EngineMethod; backend: string | null; matmulSeconds: number; productPairs: number; screening?: 'host' } {
  const p = parts[0];
  const matmulSeconds = parts.reduce((a, q) => a + q.matmulMs, 0) / 1000;
  return {
    method: p.method, backend: p.backend, matmulSeconds, productPairs: parts.reduce((a, q) => a + q.productPairs, 0),
    ...(p.method === 'tf-float32-refined' ? { screening: 'host' as const } : {}),
  };
}

/** Whether a pass on this thread screens its float32 blocks on the device (EngineOptions.screening). */
function deviceScreening(opts: EngineOptions): boolean {
  const s = opts.screening ?? 'auto';
  if (s === 'auto') {
    try {
      return tf.getBackend() === 'webgpu';
    } catch {
      return false;
    }
  }
  return s === 'device';
}

function productStats(geom: unknown): { matmulSeconds?: number; productPairs?: number; screening?: 'device' | 'host' } {
  if (!(geom instanceof TfGeometry)) return {};
  return { matmulSeconds: geom.matmulMs / 1000, productPairs: geom.productPairs, screening: geom.screening };
}

/** k-NN radii of a set within itself, with engine statistics. */
export async function knnRadiiWithStats(
  fs: FeatureSet,
  k: number,
  opts: EngineOptions = {},
  progress?: Progress,
  tap: KidTapSpec | null = null,
): Promise<{ radii: RealRadii; stats: EngineStats; kidSums: Float64Array[] | null }> {
  if (!Number.isInteger(k) || k < 1) throw new Error(`k must be a positive integer, got ${k}`);
  validateFeatureSet(fs, 'feature set');
  const n = fs.n;
  if (n < k + 1) throw new Error(`k-NN radii need more than k = ${k} rows, the set has ${n}`);
  const r = await resolveOpts(fs, opts);
  const T = r.tileSize;
  const prog = progress ?? new Progress(selfPassBlocks(n, T), opts.onProgress);
  const units = selfUnits(n, T);
  const pool = poolFor(opts, fs.dim * n * (n - 1), selfPassBlocks(n, T));
  let best: KSmallest;
  let stats: EngineStats;
  let kidSums: Float64Array[] | null = null;
  if (pool) {
    checkAbort(opts.signal);
    const task: EngineTask = {
      pass: 'self', set: shareSet(fs), k, opts: wire(r), abort: new Int32Array(new SharedArrayBuffer(4)), shared: SharedMinBound.cells(n),
      ...(tap ? { tap } : {}),
    };
    // largest column tiles (most blocks) first, for an even finish
    const work = unitsForPool([...units].reverse(), selfPassBlocks(n, T), T, pool.size);
    const parts = await pool.run(task, work, (c) => { for (let s = 0; s < c; s++) prog.step(); }, opts.signal);
    const merged = mergeSelf(parts.map((p) => p.part as SelfPartial), n, k);
    if (tap) kidSums = mergeTap(tap, parts.map((p) => p.tap!));
    best = merged.best;
    stats = { ...methodOf(parts), tileSize: T, ...merged.counters, workers: parts.length };
  } else {
    const { geom, backend } = await makeGeometry(fs, fs, true, null, r);
    const st = new SelfPassState(n, k);
    const screen = deviceScreening(opts);
    const kt = tap ? new KidTap(tap, true) : null;
    try {
      const split = geom instanceof TfGeometry;
      await runBlocks(geom, units.flatMap((u) => selfUnitBlocks(u, n, T, split)), st, abortCheck(opts.signal), () => prog.step(), screen, kt);
      st.finish();
      if (tap) kidSums = mergeTap(tap, [kt!.partial()]);
    } finally {
      geom.dispose();
    }
    best = st.best;
    stats = { method: geom.method, backend, tileSize: T, blocks: st.blocks, exactPairs: st.exactPairs, pairs: st.pairs, workers: 1, ...productStats(geom) };
  }
  const rho1 = new Float64Array(n);
  const rhoK = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = best.sorted(i);
    rho1[i] = s[0];
    rhoK[i] = s[k - 1];
  }
  return { radii: { k, rho1, rhoK, n }, stats, kidSums };
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

/** What crossPass returns: the per-row and per-column outputs (CrossOutputs in passes.ts) and engine statistics. */
export type CrossPassResult = Omit<CrossOutputs, keyof PassCounters> & { stats: EngineStats; kidSums: Float64Array[] | null };

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
  tap: KidTapSpec | null = null,
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
  const units = crossUnits(M, N, T);
  const pool = poolFor(opts, 2 * real.dim * N * M, crossPassBlocks(N, M, T));
  let out: CrossOutputs;
  let method: EngineMethod;
  let backend: string | null;
  let workers = 1;
  let kidSums: Float64Array[] | null = null;
  let product: { matmulSeconds?: number; productPairs?: number; screening?: 'device' | 'host' } = {};
  if (pool) {
    checkAbort(opts.signal);
    const task: EngineTask = {
      pass: 'cross', real: shareSet(real), synth: shareSet(synth), input: { copyRadius, rhoK, sigmaK }, opts: wire(r),
      abort: new Int32Array(new SharedArrayBuffer(4)), shared: SharedMinBound.cells(N), ...(tap ? { tap } : {}),
    };
    const work = unitsForPool(units, crossPassBlocks(N, M, T), T, pool.size);
    const parts = await pool.run(task, work, (c) => { for (let s = 0; s < c; s++) prog.step(); }, opts.signal);
    out = mergeCross(parts.map((p) => p.part as CrossOutputs), N, M, sigmaK !== null);
    if (tap) kidSums = mergeTap(tap, parts.map((p) => p.tap!));
    const m = methodOf(parts);
    ({ method, backend } = m);
    product = { matmulSeconds: m.matmulSeconds, productPairs: m.productPairs, screening: m.screening };
    workers = parts.length;
  } else {
    const made = await makeGeometry(synth, real, false, null, r);
    const st = new CrossPassState(N, M, input, T);
    const screen = deviceScreening(opts);
    const kt = tap ? new KidTap(tap, false) : null;
    try {
      await runBlocks(made.geom, units.flatMap((u) => crossUnitBlocks(u, N, M, T)), st, abortCheck(opts.signal), () => prog.step(), screen, kt);
      if (tap) kidSums = mergeTap(tap, [kt!.partial()]);
    } finally {
      made.geom.dispose();
    }
    out = st.out;
    method = made.geom.method;
    backend = made.backend;
    product = productStats(made.geom);
  }
  const stats: EngineStats = { method, backend, tileSize: T, blocks: out.blocks, exactPairs: out.exactPairs, pairs: out.pairs, workers, ...product };
  return {
    nearestReal: out.nearestReal,
    nearestRealDistance: out.nearestRealDistance,
    nearestSynth: out.nearestSynth,
    nearestSynthDistance: out.nearestSynthDistance,
    copy: out.copy,
    copyOf: out.copyOf,
    realistic: out.realistic,
    ballCount: out.ballCount,
    densityCount: out.densityCount,
    recalled: out.recalled,
    stats,
    kidSums,
  };
}

/**
 * The dense float64 statistics of one real scope (Gaussian fits, FID, Vendi) on the engine pool's
 * threads, so that they use every core instead of one.
 *
 * evaluate() computes, for a real set R and synthetic sets S_1..S_k: the Gaussian fit of R and of
 * each S_i (mean and covariance, an n x d x d product each, ./fid.ts gaussianStats), the FID of each
 * S_i against R (a d x d factorisation and products, frechetDistance) and the Vendi score of each S_i
 * (a d x d eigendecomposition, ./vendi.ts). On one thread these take 22 s of the 95 s of a 10,000 x
 * 10,000, d = 2,048 run (docs/scale.md), with the other cores idle. Here they become units of a
 * 'dense' task of the engine pool (../neighbours/parallel.ts), in two rounds:
 *   1. the k + 1 Gaussian fits, one unit each;
 *   2. the k FIDs and the k Vendi scores, one unit each (FIDs first, as they take longer).
 * Each unit runs the same function as on this thread, on the same float32 rows (shared memory), so
 * every value is that of the serial computation bit for bit. The one choice frechetDistance makes
 * from its call history (which covariance to factor: the first set's on the first call with a given
 * real fit, the real set's afterwards) is made explicit (fidFactorSide) and used on both paths.
 *
 * Memory: each thread copies the fits it computes onto shared memory (out of the WebAssembly memory
 * they were accumulated in, which cannot cross threads), and round 2 reads them there: one d x d
 * float64 array per set on this side (32 MiB at d = 2,048).
 *
 * Used only with a registered pool of at least 2 threads, memory that can be shared, continuous
 * features, more rows than dimensions in every set (the fits are then plain mean + covariance;
 * smaller sets use the Gram-matrix routes of ./fid.ts, which stay on this thread) and at least
 * DEFAULT_MIN_FLOPS of work.
 */
import type { FeatureSet } from '../features/featureSet.ts';
import { asFeatureSet, canShareMemory, getEnginePool, shareSet, type EnginePool, type SharedSet, type Unit } from '../neighbours/parallel.ts';
import { frechetDistance, gaussianStats, type FidResult, type GaussianStats } from './fid.ts';
import { vendiScore, type VendiResult } from './vendi.ts';

/** One unit of a dense task. Indices refer to the task's sets (gaussian, vendi) and fits (fid). */
export type DenseJob =
  | { kind: 'gaussian'; set: number }
  | { kind: 'fid'; synth: number; real: number; factor: 'a' | 'b' }
  | { kind: 'vendi'; set: number };

/** A Gaussian fit on shared memory (mean and covariance), as a task carries it. */
export interface SharedFit {
  n: number;
  dim: number;
  mean: Float64Array;
  cov: Float64Array;
}

/** The engine pool task (see EngineTask in ../neighbours/parallel.ts). */
export interface DenseTask {
  pass: 'dense';
  sets: SharedSet[];
  fits: SharedFit[];
  jobs: DenseJob[];
  abort: Int32Array;
}

/** One unit's result; ms: the time it took on its thread. */
export interface DenseJobResult {
  job: number;
  ms: number;
  fit?: { n: number; dim: number; mean: Float64Array; cov: Float64Array };
  fid?: FidResult;
  vendi?: VendiResult;
}

/** A thread's results: the units it ran, in the order it ran them. */
export interface DensePartial {
  results: DenseJobResult[];
}

/** Work (multiply-adds x 2, roughly) from which the dense statistics go to the pool. */
const DEFAULT_MIN_FLOPS = 4e9;

/**
 * The side frechetDistance(synthFit, realFit) factors when evaluate() calls it for the synthetic
 * sets of one real fit in order: the synthetic set's covariance on the first call, then the real
 * set's (factored once and cached with the real fit).
 */
export function fidFactorSide(indexAmongUsers: number): 'a' | 'b' {
  return indexAmongUsers === 0 ? 'a' : 'b';
}

function fitOf(f: SharedFit): GaussianStats {
  return { n: f.n, dim: f.dim, mean: f.mean, cov: f.cov, kind: 'continuous' };
}

/** A thread's share of a dense task (the 'dense' task of ../neighbours/parallel.ts). */
export class DenseUnits {
  private readonly results: DenseJobResult[] = [];
  /** This thread's real fits (FIDs of several sets against one fit reuse its factorisation). */
  private readonly fits = new Map<number, GaussianStats>();

  constructor(private readonly task: DenseTask, private readonly check: () => void) {}

  /** Runs units [j0, j1) (one job each); returns how many. */
  runUnit(u: Unit): number {
    const { sets, jobs } = this.task;
    for (let j = u[0]; j < u[1]; j++) {
      this.check();
      const job = jobs[j];
      const t0 = performance.now();
      const r: DenseJobResult = { job: j, ms: 0 };
      if (job.kind === 'gaussian') {
        // copied out of the WebAssembly memory the covariance was accumulated in (which cannot be
        // transferred), onto shared memory where there is some, so that round 2 reads it as it is
        const s = gaussianStats(asFeatureSet(sets[job.set]));
        r.fit = { n: s.n, dim: s.dim, mean: sharedCopy(s.mean), cov: sharedCopy(s.cov) };
      } else if (job.kind === 'fid') {
        let real = this.fits.get(job.real);
        if (!real) {
          real = fitOf(this.task.fits[job.real]);
          this.fits.set(job.real, real);
        }
        r.fid = frechetDistance(fitOf(this.task.fits[job.synth]), real, { factor: job.factor });
      } else {
        r.vendi = vendiScore(asFeatureSet(sets[job.set]));
      }
      r.ms = performance.now() - t0;
      this.results.push(r);
    }
    return u[1] - u[0];
  }

  finish(): DensePartial {
    return { results: this.results };
  }
}

/** A copy of `a` on a SharedArrayBuffer where this environment has them, else on a plain ArrayBuffer. */
function sharedCopy(a: Float64Array): Float64Array {
  const b = canShareMemory() ? new Float64Array(new SharedArrayBuffer(a.length * 8)) : new Float64Array(a.length);
  b.set(a);
  return b;
}

/** The buffers of a partial's fits that are not shared, handed back without a copy. */
export function densePartialTransferables(p: DensePartial): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const r of p.results) {
    if (!r.fit) continue;
    for (const a of [r.fit.mean, r.fit.cov]) if (a.buffer instanceof ArrayBuffer) out.push(a.buffer);
  }
  return out;
}

export interface DenseScopeOptions {
  /** Engine pool: undefined uses the registered one, null keeps everything on this thread. */
  pool?: EnginePool | null;
  signal?: AbortSignal;
  /** Work from which the pool is used (default 4e9). */
  parallelMinFlops?: number;
}

export interface DenseScopeResult {
  realFit: GaussianStats;
  /** Per synthetic set, in the order given. */
  fid: FidResult[];
  vendi: VendiResult[];
  /** Each unit's own time on its thread (ms): the real fit, and per set its fit + FID, and its Vendi. */
  ms: { realFit: number; fid: number[]; vendi: number[] };
  /** Threads that took part. */
  workers: number;
}

/**
 * Whether denseScope() would use the pool for these sets: the conditions of the file header.
 */
export function denseOnPool(real: FeatureSet, synth: FeatureSet[], opts: DenseScopeOptions = {}): EnginePool | null {
  const pool = opts.pool === undefined ? getEnginePool() : opts.pool;
  if (pool === null || pool.size < 2 || !canShareMemory() || synth.length === 0) return null;
  const all = [real, ...synth];
  if (all.some((s) => s.kind !== 'continuous' || s.n <= s.dim || s.dim !== real.dim)) return null;
  const d = real.dim;
  // fits: n d^2 multiply-adds each; FID and Vendi: a few d^3 each
  let flops = 0;
  for (const s of all) flops += 2 * s.n * d * d;
  flops += synth.length * 2 * 8 * d * d * d;
  return flops >= (opts.parallelMinFlops ?? DEFAULT_MIN_FLOPS) ? pool : null;
}

/** A fit's values on shared memory (as they come from the threads; copied otherwise). */
function shareFit(f: { n: number; dim: number; mean: Float64Array; cov: Float64Array }): SharedFit {
  const shared = (a: Float64Array) => (a.buffer instanceof SharedArrayBuffer ? a : sharedCopy(a));
  return { n: f.n, dim: f.dim, mean: shared(f.mean), cov: shared(f.cov) };
}

async function runDense(pool: EnginePool, task: DenseTask, signal: AbortSignal | undefined): Promise<{ results: DenseJobResult[]; workers: number }> {
  const units: Unit[] = task.jobs.map((_, j) => [j, j + 1, 0]);
  const parts = await pool.run(task, units, () => {}, signal);
  const results: DenseJobResult[] = new Array(task.jobs.length);
  for (const q of parts) {
    if (q.pass !== 'dense') throw new Error(`dense statistics: the engine pool returned a '${q.pass}' partial`);
    for (const r of q.part.results) results[r.job] = r;
  }
  for (let j = 0; j < results.length; j++) if (!results[j]) throw new Error(`dense statistics: unit ${j} came back without a result`);
  return { results, workers: parts.length };
}

/**
 * Gaussian fit of `real`, and FID against it and Vendi score of every set of `synth`, on the engine
 * pool when denseOnPool() says so; null otherwise (the caller then computes them on this thread).
 * The values are those of gaussianStats(real), frechetDistance(gaussianStats(synth[i]), realFit,
 * { factor: fidFactorSide(i) }) and vendiScore(synth[i]) on this thread, bit for bit.
 */
export async function denseScope(real: FeatureSet, synth: FeatureSet[], opts: DenseScopeOptions = {}): Promise<DenseScopeResult | null> {
  opts.signal?.throwIfAborted();
  const pool = denseOnPool(real, synth, opts);
  if (!pool) return null;
  const sets = [shareSet(real), ...synth.map((s) => shareSet(s))];
  const abort = new Int32Array(new SharedArrayBuffer(4));
  // round 1: every fit
  const r1 = await runDense(pool, { pass: 'dense', sets, fits: [], jobs: sets.map((_, i) => ({ kind: 'gaussian', set: i })), abort }, opts.signal);
  const fits = r1.results.map((r) => r.fit!);
  // round 2: FIDs (longer) first, then Vendi scores
  const jobs: DenseJob[] = [
    ...synth.map((_, i): DenseJob => ({ kind: 'fid', synth: i + 1, real: 0, factor: fidFactorSide(i) })),
    ...synth.map((_, i): DenseJob => ({ kind: 'vendi', set: i + 1 })),
  ];
  const shared = fits.map(shareFit);
  const r2 = await runDense(pool, { pass: 'dense', sets, fits: shared, jobs, abort }, opts.signal);
  const k = synth.length;
  const realFit: GaussianStats = { n: fits[0].n, dim: fits[0].dim, mean: fits[0].mean, cov: fits[0].cov, kind: real.kind };
  return {
    realFit,
    fid: r2.results.slice(0, k).map((r) => r.fid!),
    vendi: r2.results.slice(k).map((r) => r.vendi!),
    ms: {
      realFit: r1.results[0].ms,
      fid: synth.map((_, i) => r1.results[i + 1].ms + r2.results[i].ms),
      vendi: synth.map((_, i) => r2.results[k + i].ms),
    },
    workers: Math.max(r1.workers, r2.workers),
  };
}

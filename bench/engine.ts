/**
 * `npm run bench -- engine`: effective throughput of the neighbour engine (useful distance
 * FLOPs per second) against the same backend's plain tf.matMul throughput, measured in the
 * same run (issue 6, "Neighbour engine speed": target ratio >= 0.7).
 *
 * Useful FLOPs of a pass = 2 d x (pairs the metric needs): n (n - 1) / 2 for a self pass over
 * n rows (each unordered pair once), n m for a cross pass. Work the engine spends beyond that
 * (the diagonal tiles' lower halves, exact float64 refinement, interval arithmetic, copies)
 * lowers the ratio.
 *
 * Plain matMul throughput = the same backend multiplying tiles of the engine's shape
 * (T x d by d x T, the column tile already transposed as the engine uploads it) in a loop
 * with data() read back, 2 d T^2 FLOPs each. With --threads P > 1 the baseline is P
 * concurrent loops (one per worker of the engine's pool), so the ratio compares like with like.
 * Three readings of the ratio: medians (engine) over medians (matMul); the median of per-repeat
 * ratios, each against the matMul loop run right after the passes; and, machine speed aside,
 * useful GFLOP per worker-second over the GFLOP/s the pass's own tf.matMul calls reached
 * (EngineStats.matmulSeconds; on wasm the product runs inside the call).
 *
 * Data: seeded ReLU-like features around 10 shared cluster centres (distances resemble image
 * embeddings rather than isotropic noise). Medians over repeats; the matMul loop runs
 * between the engine repeats so both see the same machine load.
 *
 * Wall-clock figures suffer from other load on a shared machine; the CPU-time figures (useful
 * GFLOP per CPU second of this process, all its threads) do not, and measure the engine's
 * overheads (with workers: including work they repeat) rather than its parallel speed-up.
 *
 * Options: --n 4000 (rows per set)  --dim 1280  --backend wasm|cpu  --tile (engine default)
 *          --repeats 3  --k 5  --threads 1 (engine workers, a list such as 1,2 compares
 *          counts in one run; 0 = one per core)  --passes self,cross  --json
 */
import { once } from 'node:events';
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { makeFeatureSet, type FeatureSet } from '../src/core/features/featureSet.ts';
import { createRng } from '../src/core/random.ts';
import { crossPass, knnRadiiWithStats, resolveTileSize, type EngineOptions, type EngineStats } from '../src/core/neighbours/engine.ts';
import { initNodeBackend, type NodeBackend } from '../src/cli/tfBackend.ts';
import { NodeEnginePool } from '../src/cli/enginePool.ts';

export type PassKind = 'self' | 'cross';

export interface EngineBenchOptions {
  /** Rows of each set (real and synthetic). */
  n: number;
  d: number;
  backend?: NodeBackend;
  tileSize?: number;
  repeats?: number;
  k?: number;
  passes?: PassKind[];
  seed?: number;
  /** Bytes of column tiles the engine may keep on the backend (the CLI uses 0). */
  tensorCacheBytes?: number;
  /** Where float32 blocks are screened (EngineOptions.screening; 'auto': on the device on webgpu). */
  screening?: 'auto' | 'device' | 'host';
  onLog?: (line: string) => void;
  /** Worker script for bundled builds (engine pools and matMul workers); default: the TypeScript sources through tsx. */
  workerScript?: URL;
}

export interface PassMeasure {
  pass: PassKind;
  /** Median wall seconds of the pass. */
  seconds: number;
  samples: number[];
  /** Median CPU seconds (all threads of this process) of the pass. */
  cpuSeconds: number;
  usefulGflop: number;
  engineGflops: number;
  /** Useful GFLOP per CPU second. */
  engineCpuGflops: number;
  pairs: number;
  exactPairs: number;
  exactPairsFraction: number;
  blocks: number;
  /** Workers that ran the pass. */
  workers: number;
  /** float32 blocks screened on the device or read back whole (engine stats). */
  screening: string;
  /** Median seconds inside tf.matMul calls (all workers), and GFLOP/s of those products. */
  matmulSeconds: number;
  inPassMatmulGflops: number;
  /** Useful GFLOP per worker-second over inPassMatmulGflops: the engine's overhead, whatever the machine's speed. */
  inPassRatio: number;
}

export interface EngineThroughput {
  n: number;
  d: number;
  backend: string;
  tileSize: number;
  /** Engine workers (1: the calling thread); the matMul baseline then runs on as many threads at once. */
  threads: number;
  repeats: number;
  /** Useful GFLOP / median seconds, all measured passes together. */
  engineGflops: number;
  /** Median GFLOP/s of the plain tile matMul loop. */
  matmulGflops: number;
  ratio: number;
  /**
   * The same by CPU time (useful GFLOP per CPU second of this process): insensitive to other
   * load on a shared machine; with workers it counts every thread, so it measures overheads,
   * not the parallel speed-up.
   */
  engineCpuGflops: number;
  matmulCpuGflops: number;
  cpuRatio: number;
  /**
   * Median over repeats of (engine GFLOP/s in the repeat / matMul GFLOP/s of the loop right
   * after it): pairs measurements taken close in time, for machines whose speed drifts.
   */
  pairedRatio: number;
  pairedCpuRatio: number;
  /** All passes: useful GFLOP per worker-second over the GFLOP/s of the pass's own tf.matMul calls. */
  inPassRatio: number;
  /** Median seconds per pass kind. */
  passSeconds: Partial<Record<PassKind, number>>;
  /** Exactly recomputed pairs / visited pairs, all measured passes together. */
  exactPairsFraction: number;
  passes: PassMeasure[];
  matmulSamples: number[];
  matmulCpuSamples: number[];
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** n x d ReLU-like features around shared cluster centres; `shift` moves the synthetic set slightly. */
export function clusteredFeatures(n: number, d: number, seed: number, centres: Float32Array[], shift = 0): FeatureSet {
  const r = createRng(seed);
  const g = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = centres[Math.floor(r() * centres.length)];
    for (let t = 0; t < d; t++) x[i * d + t] = Math.max(0, c[t] + shift + 0.4 * g());
  }
  return makeFeatureSet(x, n, d);
}

export function clusterCentres(d: number, seed: number, count = 10): Float32Array[] {
  const r = createRng(seed);
  const g = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  return Array.from({ length: count }, () => Float32Array.from({ length: d }, () => 0.5 * g()));
}

/** CPU seconds (user + system) of this process so far: the work done, whatever else the machine runs. */
function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** GFLOP/s of `iters` T x d by d x T products with data() read back (one sample), by wall and by CPU time. */
async function matmulSample(T: number, d: number, iters: number): Promise<{ wall: number; cpu: number }> {
  const a = tf.randomNormal([T, d], 0, 1, 'float32', 1) as tf.Tensor2D;
  const b = tf.randomNormal([d, T], 0, 1, 'float32', 2) as tf.Tensor2D;
  try {
    const warm = tf.matMul(a, b);
    await warm.data();
    warm.dispose();
    const t0 = performance.now();
    const c0 = cpuSeconds();
    for (let i = 0; i < iters; i++) {
      const c = tf.matMul(a, b);
      await c.data();
      c.dispose();
    }
    const s = (performance.now() - t0) / 1000;
    const cs = cpuSeconds() - c0;
    const gflop = (2 * d * T * T * iters) / 1e9;
    return { wall: gflop / s, cpu: gflop / cs };
  } finally {
    tf.dispose([a, b]);
  }
}

function usefulFlop(pass: PassKind, n: number, d: number): number {
  return pass === 'self' ? 2 * d * ((n * (n - 1)) / 2) : 2 * d * n * n;
}

/** Plain matMul loops on P worker threads at once (the baseline for an engine pool of P workers). */
class MatmulWorkers {
  private constructor(private readonly workers: Worker[]) {}

  static async start(count: number, backend: NodeBackend, script?: URL): Promise<MatmulWorkers> {
    const boot = script ?? new URL('../src/cli/engineWorkerBoot.mjs', import.meta.url);
    const ws = Array.from({ length: count }, () => new Worker(boot, { workerData: { entry: import.meta.url, role: 'matmul', backend } }));
    await Promise.all(ws.map((w) => once(w, 'message')));
    return new MatmulWorkers(ws);
  }

  /** All workers run `iters` products at once; GFLOP/s of the lot by wall time and by this process's CPU time. */
  async sample(T: number, d: number, iters: number): Promise<{ wall: number; cpu: number }> {
    const t0 = performance.now();
    const c0 = cpuSeconds();
    const done = this.workers.map((w) => once(w, 'message'));
    for (const w of this.workers) w.postMessage({ T, d, iters });
    await Promise.all(done);
    const s = (performance.now() - t0) / 1000;
    const cs = cpuSeconds() - c0;
    const gflop = (this.workers.length * 2 * d * T * T * iters) / 1e9;
    return { wall: gflop / s, cpu: gflop / cs };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Worker side of MatmulWorkers (engineWorkerBoot.mjs calls it in those threads). */
export async function workerMain(): Promise<void> {
  if (isMainThread || !parentPort) throw new Error('bench/engine.ts workerMain runs in a worker thread');
  await initNodeBackend((workerData as { backend: NodeBackend }).backend);
  parentPort.on('message', async (m: { T: number; d: number; iters: number }) => {
    parentPort!.postMessage(await matmulSample(m.T, m.d, m.iters));
  });
  parentPort.postMessage('ready');
}

/** Runs the engine's passes and the plain matMul loop in one process; see the file header. */
export async function measureEngineThroughput(opts: EngineBenchOptions & { threads?: number }): Promise<EngineThroughput> {
  return (await measureEngineScaling({ ...opts, threads: [opts.threads ?? 1] }))[0];
}

/**
 * measureEngineThroughput for several worker counts in one run: every repeat runs each count
 * in turn (engine passes, then its matMul baseline), so all see the same machine load.
 */
export async function measureEngineScaling(opts: EngineBenchOptions & { threads: number[] }): Promise<EngineThroughput[]> {
  const { n, d } = opts;
  const repeats = opts.repeats ?? 3;
  const k = opts.k ?? 5;
  const passes = opts.passes ?? ['self', 'cross'];
  const log = opts.onLog ?? (() => {});
  const backend = await initNodeBackend(opts.backend ?? 'wasm');
  const centres = clusterCentres(d, opts.seed ?? 0);
  const R = clusteredFeatures(n, d, (opts.seed ?? 0) + 1, centres);
  const S = clusteredFeatures(n, d, (opts.seed ?? 0) + 2, centres, 0.02);
  const engine: EngineOptions = { tileSize: opts.tileSize, tensorCacheBytes: opts.tensorCacheBytes ?? 0, parallelMinFlops: 0, screening: opts.screening ?? 'auto' };
  const T = await resolveTileSize(R, engine);

  // One pool per worker count, kept for the whole run; radii the cross pass needs (not timed).
  const pools = new Map<number, NodeEnginePool>();
  const poolOptions = opts.workerScript ? { script: opts.workerScript, workerData: { role: 'engine' } } : {};
  for (const P of opts.threads) if (P > 1 && !pools.has(P)) pools.set(P, new NodeEnginePool(P, backend as NodeBackend, poolOptions));
  const engineFor = (P: number): EngineOptions => ({ ...engine, pool: P > 1 ? pools.get(P)! : null });
  const maxThreads = Math.max(...opts.threads);
  log(`setting up: radii of both sets (n = ${n}, d = ${d}, tile ${T}, ${backend}, ${maxThreads} thread(s))`);
  const radiiR = (await knnRadiiWithStats(R, k, engineFor(maxThreads))).radii;
  const sigmaK = (await knnRadiiWithStats(S, k, engineFor(maxThreads))).radii.rhoK;

  // About 2 s of matMul per sample at the first measured one-thread rate.
  const probe = await matmulSample(T, d, 2);
  const iters = Math.max(3, Math.round((2 * probe.wall * 1e9) / (2 * d * T * T)));

  interface Acc {
    samples: Record<PassKind, number[]>; cpu: Record<PassKind, number[]>; mmIn: Record<PassKind, number[]>;
    stats: Partial<Record<PassKind, EngineStats>>; mm: number[]; mmCpu: number[]; paired: number[]; pairedCpu: number[];
  }
  const acc: Acc[] = opts.threads.map(() => ({
    samples: { self: [], cross: [] }, cpu: { self: [], cross: [] }, mmIn: { self: [], cross: [] }, stats: {}, mm: [], mmCpu: [], paired: [], pairedCpu: [],
  }));
  const usefulAll = passes.reduce((x, p) => x + usefulFlop(p, n, d), 0) / 1e9;
  const mmWorkers = new Map<number, MatmulWorkers>();
  try {
    for (const P of opts.threads) if (P > 1) mmWorkers.set(P, await MatmulWorkers.start(P, backend as NodeBackend, opts.workerScript));
    for (let rep = 0; rep < repeats; rep++) {
      for (let ti = 0; ti < opts.threads.length; ti++) {
        const P = opts.threads[ti];
        const a = acc[ti];
        const eng = engineFor(P);
        if (P > 1) await knnRadiiWithStats(clusteredFeatures(2 * T, 8, 7, [new Float32Array(8)]), 1, eng); // starts the pool's workers (not timed)
        for (const pass of passes) {
          const t0 = performance.now();
          const c0 = cpuSeconds();
          if (pass === 'self') {
            a.stats.self = (await knnRadiiWithStats(R, k, eng)).stats;
          } else {
            a.stats.cross = (await crossPass(R, S, { copyRadius: radiiR.rho1, rhoK: radiiR.rhoK, sigmaK }, eng)).stats;
          }
          const s = (performance.now() - t0) / 1000;
          const cs = cpuSeconds() - c0;
          a.samples[pass].push(s);
          a.cpu[pass].push(cs);
          a.mmIn[pass].push(a.stats[pass]!.matmulSeconds ?? NaN);
          log(`  repeat ${rep + 1}/${repeats}, ${P} thread(s): ${pass} pass ${s.toFixed(2)} s (CPU ${cs.toFixed(2)} s)`);
        }
        const g = P > 1 ? await mmWorkers.get(P)!.sample(T, d, iters) : await matmulSample(T, d, iters);
        a.mm.push(g.wall);
        a.mmCpu.push(g.cpu);
        const last = (x: Record<PassKind, number[]>) => passes.reduce((t, p) => t + x[p][x[p].length - 1], 0);
        a.paired.push(usefulAll / last(a.samples) / g.wall);
        a.pairedCpu.push(usefulAll / last(a.cpu) / g.cpu);
        log(`  repeat ${rep + 1}/${repeats}, ${P} thread(s): matMul ${T} x ${d} x ${T} ${g.wall.toFixed(1)} GFLOP/s (by CPU time ${g.cpu.toFixed(1)})`);
      }
    }
  } finally {
    for (const w of mmWorkers.values()) await w.close();
    for (const p of pools.values()) await p.close();
  }

  return opts.threads.map((threads, ti) => {
    const a = acc[ti];
    const measures: PassMeasure[] = passes.map((pass) => {
      const st = a.stats[pass]!;
      const seconds = median(a.samples[pass]);
      const cpuSecondsMedian = median(a.cpu[pass]);
      const usefulGflop = usefulFlop(pass, n, d) / 1e9;
      const matmulSeconds = median(a.mmIn[pass]);
      const inPassMatmulGflops = (2 * d * (st.productPairs ?? NaN)) / 1e9 / matmulSeconds;
      const workers = st.workers ?? 1;
      return {
        pass, seconds, samples: a.samples[pass], cpuSeconds: cpuSecondsMedian, usefulGflop, engineGflops: usefulGflop / seconds,
        engineCpuGflops: usefulGflop / cpuSecondsMedian, workers,
        matmulSeconds, inPassMatmulGflops, inPassRatio: usefulGflop / (seconds * workers) / inPassMatmulGflops,
        pairs: st.pairs, exactPairs: st.exactPairs, exactPairsFraction: st.exactPairs / st.pairs, blocks: st.blocks,
        screening: st.screening ?? '-',
      };
    });
    const totalGflop = measures.reduce((x, m) => x + m.usefulGflop, 0);
    const engineGflops = totalGflop / measures.reduce((x, m) => x + m.seconds, 0);
    const matmulGflops = median(a.mm);
    const engineCpuGflops = totalGflop / measures.reduce((x, m) => x + m.cpuSeconds, 0);
    const matmulCpuGflops = median(a.mmCpu);
    const inPassGflops = measures.reduce((x, m) => x + m.inPassMatmulGflops * m.matmulSeconds, 0) / measures.reduce((x, m) => x + m.matmulSeconds, 0);
    const workerSeconds = measures.reduce((x, m) => x + m.seconds * m.workers, 0);
    return {
      n, d, backend, tileSize: T, threads, repeats,
      engineGflops, matmulGflops, ratio: engineGflops / matmulGflops,
      engineCpuGflops, matmulCpuGflops, cpuRatio: engineCpuGflops / matmulCpuGflops,
      pairedRatio: median(a.paired), pairedCpuRatio: median(a.pairedCpu),
      inPassRatio: totalGflop / workerSeconds / inPassGflops,
      passSeconds: Object.fromEntries(measures.map((m) => [m.pass, m.seconds])),
      exactPairsFraction: measures.reduce((x, m) => x + m.exactPairs, 0) / measures.reduce((x, m) => x + m.pairs, 0),
      passes: measures, matmulSamples: a.mm, matmulCpuSamples: a.mmCpu,
    };
  });
}

export async function main(argv: string[], workerScript?: URL): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      n: { type: 'string', default: '4000' },
      dim: { type: 'string', default: '1280' },
      backend: { type: 'string', default: 'wasm' },
      tile: { type: 'string' },
      screening: { type: 'string', default: 'auto' },
      repeats: { type: 'string', default: '3' },
      k: { type: 'string', default: '5' },
      threads: { type: 'string', default: '1' },
      passes: { type: 'string', default: 'self,cross' },
      json: { type: 'boolean', default: false },
    },
  });
  const backend = values.backend;
  if (backend !== 'wasm' && backend !== 'cpu' && backend !== 'webgpu') {
    process.stderr.write(`bench engine: --backend must be wasm, cpu or webgpu, got ${backend}\n`);
    return 2;
  }
  const passes = values.passes.split(',') as PassKind[];
  if (passes.some((p) => p !== 'self' && p !== 'cross')) {
    process.stderr.write(`bench engine: --passes takes self and/or cross\n`);
    return 2;
  }
  if (!['auto', 'device', 'host'].includes(values.screening)) {
    process.stderr.write(`bench engine: --screening takes auto, device or host\n`);
    return 2;
  }
  const threads = values.threads.split(',').map((t) => (t === '0' ? availableParallelism() : Number(t)));
  if (threads.some((t) => !Number.isInteger(t) || t < 1)) {
    process.stderr.write(`bench engine: --threads takes positive integers (0: one per core)\n`);
    return 2;
  }
  if (backend === 'webgpu' && threads.some((t) => t !== 1)) {
    process.stderr.write(`bench engine: on webgpu the passes run on the GPU from one thread (--threads 1)\n`);
    return 2;
  }
  process.stderr.write(`bench engine: ${availableParallelism()} CPUs (${cpus()[0]?.model ?? '?'}), node ${process.version}\n`);
  const results = await measureEngineScaling({
    n: Number(values.n), d: Number(values.dim), backend, passes, threads,
    tileSize: values.tile ? Number(values.tile) : undefined,
    screening: values.screening as 'auto' | 'device' | 'host',
    repeats: Number(values.repeats), k: Number(values.k), workerScript,
    onLog: (l) => process.stderr.write(l + '\n'),
  });
  if (values.json) {
    process.stdout.write(JSON.stringify(results, null, 2) + '\n');
    return 0;
  }
  const f = (x: number, dg = 2) => x.toFixed(dg);
  const first = results[0];
  const lines = [
    `neighbour engine vs plain tf.matMul, backend ${first.backend}, n = ${first.n} per set, d = ${first.d}, tile ${first.tileSize}, screening ${values.screening}, medians of ${first.repeats}; ${availableParallelism()} CPUs`,
  ];
  for (const r of results) {
    lines.push(
      `threads ${r.threads}:`,
      ...r.passes.map((m) => `  ${m.pass.padEnd(5)} pass: ${f(m.seconds)} s (CPU ${f(m.cpuSeconds)} s), ${f(m.usefulGflop, 1)} useful GFLOP, ${f(m.engineGflops, 1)} GFLOP/s (per CPU s ${f(m.engineCpuGflops, 1)}), exact pairs ${(100 * m.exactPairsFraction).toFixed(3)} % of ${m.pairs}, ${m.workers} worker(s), screening ${m.screening}`),
      `  wall:     engine ${f(r.engineGflops, 1)} GFLOP/s, matMul x${r.threads} ${f(r.matmulGflops, 1)} GFLOP/s (samples ${r.matmulSamples.map((x) => f(x, 1)).join(', ')}), ratio ${f(r.ratio, 3)}`,
      `  CPU time: engine ${f(r.engineCpuGflops, 1)} GFLOP/s, matMul ${f(r.matmulCpuGflops, 1)} GFLOP/s (samples ${r.matmulCpuSamples.map((x) => f(x, 1)).join(', ')}), ratio ${f(r.cpuRatio, 3)}`,
      `  paired by repeat (median of engine / the matMul loop right after it): wall ${f(r.pairedRatio, 3)}, CPU ${f(r.pairedCpuRatio, 3)}`,
      `  inside the passes: tf.matMul ran at ${r.passes.map((m) => `${f(m.inPassMatmulGflops, 1)} (${m.pass})`).join(', ')} GFLOP/s per worker, ${r.passes.map((m) => `${f((100 * m.matmulSeconds) / (m.seconds * m.workers), 1)} % of ${m.pass}`).join(', ')} worker time; useful GFLOP per worker-second / that: ${f(r.inPassRatio, 3)}`,
    );
    if (r !== first) lines.push(`  engine wall speed-up over ${first.threads} thread(s): ${f(r.engineGflops / first.engineGflops)} (matMul: ${f(r.matmulGflops / first.matmulGflops)})`);
  }
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

/**
 * Node worker_threads pool for the neighbour engine (the EnginePool of
 * src/core/neighbours/parallel.ts): one engineWorker.ts per thread, each with its own
 * single-threaded TF.js wasm (or cpu) backend, sharing the feature sets through
 * SharedArrayBuffers. Workers start on the first pass that uses the pool, are kept for later
 * passes, and do not keep the process alive between passes. The same workers run KID's subsets
 * (a 'kid' task, src/core/metrics/kid.ts kidParallel); the pool treats every task alike.
 *
 * Why workers and not tfjs-backend-wasm's threaded build: TF.js switches threads off in Node
 * (WASM_HAS_MULTITHREAD_SUPPORT is false there), and forcing it fails to start, since the
 * emscripten pthread workers are created from blob: URLs, which Node's Worker refuses. Workers
 * also run the engine's JS work (interval screening, exact refinement) in parallel, which
 * a threaded matMul would leave on one thread.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { EnginePartial, EnginePool, EngineTask, Unit } from '../core/neighbours/parallel.ts';
import type { WorkerReply, WorkerRequest } from './engineWorker.ts';
import type { NodeBackend } from './engineBackend.ts';

/**
 * Default cap on engine threads: each holds its own wasm backend (about 66 MiB), so 8 threads cost about
 * 0.5 GiB and leave room for 100,000 x 2 sets of 1,280-d features under the 2 GB budget.
 */
export const DEFAULT_MAX_ENGINE_THREADS = 8;

/**
 * V8's young generation in each engine thread, in MiB. The threads' work is typed arrays and
 * short-lived small objects; V8's default lets each young generation grow to tens of MiB of
 * RSS. Measured at N = M = 10,000, d = 2,048 (`synthlens metrics`, 2 threads): about 50 MiB
 * lower peak with this limit, at no measurable cost in time (docs/scale.md, session 13).
 */
export const ENGINE_YOUNG_GENERATION_MIB = 2;

/** Worker count from SYNTHLENS_ENGINE_THREADS (a positive integer), else one per available core, at most 8. */
export function engineThreadsFromEnv(env: Record<string, string | undefined> = process.env): number {
  const v = env.SYNTHLENS_ENGINE_THREADS;
  if (v !== undefined && v !== '') {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`SYNTHLENS_ENGINE_THREADS must be a positive integer, got "${v}"`);
    return n;
  }
  return Math.min(DEFAULT_MAX_ENGINE_THREADS, availableParallelism());
}

class PoolWorker {
  private readonly waiting: Array<(r: WorkerReply) => void> = [];
  private failure: Error | null = null;
  readonly ready: Promise<string>;

  constructor(readonly worker: Worker) {
    worker.on('message', (r: WorkerReply) => this.waiting.shift()?.({ ...r }));
    const fail = (e: Error) => {
      this.failure = e;
      for (const w of this.waiting.splice(0)) w({ type: 'error', message: e.message });
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`engine worker exited (code ${code})`)));
    this.ready = this.next().then((r) => {
      if (r.type !== 'ready') throw new Error(r.type === 'error' ? r.message : `engine worker: unexpected ${r.type}`);
      return r.backend;
    });
  }

  private next(): Promise<WorkerReply> {
    if (this.failure) return Promise.resolve({ type: 'error', message: this.failure.message });
    return new Promise((res) => this.waiting.push(res));
  }

  /** Sends one request and waits for its reply; errors reject. */
  async call(m: WorkerRequest): Promise<WorkerReply> {
    const p = this.next();
    if (!this.failure) this.worker.postMessage(m);
    const r = await p;
    if (r.type === 'error') throw new Error(r.message);
    return r;
  }
}

export interface NodeEnginePoolOptions {
  /**
   * Script each worker thread runs, with workerData { backend, ...workerData }; default
   * engineWorkerBoot.mjs (TypeScript through tsx). A bundled build passes its own file,
   * which must call engineWorker.ts's workerMain() in such threads.
   */
  script?: URL;
  workerData?: Record<string, unknown>;
}

export class NodeEnginePool implements EnginePool {
  private workers: Promise<PoolWorker[]> | null = null;

  constructor(
    readonly size: number,
    private readonly backend: NodeBackend,
    private readonly options: NodeEnginePoolOptions = {},
  ) {}

  private start(): Promise<PoolWorker[]> {
    this.workers ??= (async () => {
      // TypeScript workers: the boot file registers tsx in the thread, then loads engineWorker.ts
      const script = this.options.script ?? new URL('./engineWorkerBoot.mjs', import.meta.url);
      const workerData = { ...this.options.workerData, backend: this.backend };
      const resourceLimits = { maxYoungGenerationSizeMb: ENGINE_YOUNG_GENERATION_MIB };
      const ws = Array.from({ length: this.size }, () => new PoolWorker(new Worker(script, { workerData, resourceLimits })));
      try {
        await Promise.all(ws.map((w) => w.ready));
      } catch (e) {
        await Promise.all(ws.map((w) => w.worker.terminate()));
        this.workers = null;
        throw e;
      }
      for (const w of ws) w.worker.unref();
      return ws;
    })();
    return this.workers;
  }

  async run(task: EngineTask, units: Unit[], onBlocks: (count: number) => void, signal?: AbortSignal): Promise<EnginePartial[]> {
    signal?.throwIfAborted();
    const workers = await this.start();
    for (const w of workers) w.worker.ref();
    const queue = [...units];
    let failure: unknown = null;
    const stop = () => Atomics.store(task.abort, 0, 1);
    const onAbort = () => {
      failure ??= signal!.reason ?? new DOMException('The operation was aborted.', 'AbortError');
      stop();
    };
    signal?.addEventListener('abort', onAbort);
    try {
      const parts = await Promise.all(
        workers.map(async (w): Promise<EnginePartial | null> => {
          if (queue.length === 0) return null;
          let begun = false;
          try {
            await w.call({ type: 'begin', task });
            begun = true;
            while (failure === null && queue.length > 0) {
              const unit = queue.shift()!;
              const r = await w.call({ type: 'unit', unit });
              if (r.type === 'unitDone') onBlocks(r.blocks);
            }
            if (failure !== null) {
              await w.call({ type: 'drop' });
              return null;
            }
            const r = await w.call({ type: 'finish' });
            return r.type === 'partial' ? r.partial : null;
          } catch (e) {
            failure ??= e;
            stop();
            if (begun) await w.call({ type: 'drop' }).catch(() => {});
            return null;
          }
        }),
      );
      if (failure !== null) throw failure;
      return parts.filter((p): p is EnginePartial => p !== null);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      for (const w of workers) w.worker.unref();
    }
  }

  /** Stops the workers (a later pass starts new ones). */
  async close(): Promise<void> {
    const ws = this.workers;
    this.workers = null;
    if (ws) await Promise.all((await ws.catch(() => [] as PoolWorker[])).map((w) => w.worker.terminate()));
  }
}

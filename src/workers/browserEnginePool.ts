/**
 * Web Worker pool for the neighbour engine in the browser (the EnginePool of
 * src/core/neighbours/parallel.ts; the Node twin is src/cli/enginePool.ts): one dedicated
 * worker per thread (engineThread.worker.ts), each with its own single-threaded TF.js wasm (or
 * cpu) backend, sharing the feature sets through SharedArrayBuffers, so the k-NN, PRDC and DCR
 * passes use several cores. Results are those of one thread exactly (parallel.ts merges). The
 * threads also run KID's subsets and kernel row blocks (a 'kid' task, src/core/metrics/kid.ts
 * kidParallel, which merges them into the one-thread values exactly).
 *
 * The app's engine worker (engine.worker.ts) creates the pool and passes the factory that
 * starts a thread (Vite's `new Worker(new URL(...), { type: 'module' })`, so the build bundles
 * the thread's script); this module itself names no script, so a thread can import it.
 *
 * Semantics as NodeEnginePool: threads start on the first pass that uses the pool and are kept
 * for later passes; units go one at a time to the next free thread from an ascending queue;
 * an abort sets task.abort (threads stop between blocks) and rejects with the signal's reason;
 * a thread's error rejects the pass (and retires the threads, so the next pass starts fresh ones);
 * close() terminates the threads. Browser additions:
 * - idle threads are terminated after idleMs (default 30 s), which frees their wasm heaps (a
 *   wasm heap never shrinks); the next pass starts new ones;
 * - each thread's TF.js row-tile cache is capped (default 32 MiB, the CLI's default), since the
 *   engine's 256 MiB default would be taken once per thread (neighbour passes; a KID task uses
 *   no TF.js and is passed on as it is);
 * - when the threads cannot start (no nested workers, a script or backend that fails to load),
 *   the pass runs on the calling thread with the same runner and later passes do too:
 *   EngineStats.workers then says 1.
 *
 * Protocol (same as src/cli/engineWorker.ts):
 *   in:  { type: 'begin', task } | { type: 'unit', unit } | { type: 'finish' } | { type: 'drop' }
 *   out: { type: 'ready', backend } once (or { type: 'error' } when no backend starts), then
 *        one reply per request, in order: { type: 'ok' } | { type: 'unitDone', blocks } |
 *        { type: 'partial', partial } (its arrays transferred) | { type: 'error', message }.
 */
import {
  EngineTaskRunner, engineRequestHandler, partialTransferables,
  type EnginePartial, type EnginePool, type EngineReply, type EngineRequest, type EngineTask, type Unit,
} from '../core/neighbours/parallel.ts';

export { partialTransferables };
export type EngineThreadRequest = EngineRequest;
export type EngineThreadReply = EngineReply;

/** What the pool needs of a Worker (a Worker satisfies it). */
export interface EngineThreadHandle {
  postMessage(message: EngineThreadRequest): void;
  addEventListener(type: 'message' | 'messageerror' | 'error', listener: (ev: Event) => void): void;
  terminate(): void;
}

/** What a thread needs of its global scope (a DedicatedWorkerGlobalScope satisfies it). */
export interface EngineThreadScope {
  postMessage(message: EngineThreadReply, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (ev: MessageEvent) => void): void;
}

/** Default cap on engine threads in a tab: each holds its own wasm heap (see engine.worker.ts). */
export const DEFAULT_MAX_BROWSER_ENGINE_THREADS = 4;
/** Default TF.js row-tile cache per thread (the CLI's default). */
export const DEFAULT_THREAD_CACHE_BYTES = 32 * 2 ** 20;

/** Threads for this machine: one per logical core, at most `max`, at least 1. */
export function defaultEngineThreads(cores = globalThis.navigator?.hardwareConcurrency ?? 1, max = DEFAULT_MAX_BROWSER_ENGINE_THREADS): number {
  const c = Number.isFinite(cores) && cores >= 1 ? Math.floor(cores) : 1;
  return Math.max(1, Math.min(max, c));
}

/**
 * Serves the pool's requests in a thread, once `backend` (the thread's TF.js set-up, resolving to
 * the backend's name) is ready: posts 'ready', or 'error' when the set-up fails. Requests are
 * handled one at a time, in order.
 */
export function serveEngineThread(scope: EngineThreadScope, backend: Promise<string>): void {
  const reply = (r: EngineThreadReply, transfer: Transferable[] = []) => {
    try {
      scope.postMessage(r, transfer);
    } catch (e) {
      // a reply that cannot be sent (e.g. a buffer that cannot be transferred) fails the pass instead of leaving it waiting
      scope.postMessage({ type: 'error', message: `engine thread could not send its reply: ${(e as Error)?.message ?? String(e)}` }, []);
    }
  };
  const handler = engineRequestHandler();
  const handle = async (m: EngineThreadRequest): Promise<void> => {
    const { reply: r, transfer } = await handler(m);
    reply(r, transfer);
  };
  let chain: Promise<unknown> = backend;
  scope.addEventListener('message', (ev: MessageEvent) => {
    chain = chain.then(() => handle(ev.data as EngineThreadRequest), () => reply({ type: 'error', message: 'engine thread has no backend' }));
  });
  backend.then(
    (name) => reply({ type: 'ready', backend: name }),
    (e) => reply({ type: 'error', message: `engine thread could not start a TF.js backend: ${(e as Error)?.message ?? String(e)}` }),
  );
}

class PoolThread {
  private readonly waiting: Array<(r: EngineThreadReply) => void> = [];
  private failure: Error | null = null;
  readonly ready: Promise<string>;

  constructor(readonly handle: EngineThreadHandle, readyTimeoutMs: number) {
    handle.addEventListener('message', (ev) => this.waiting.shift()?.((ev as MessageEvent).data as EngineThreadReply));
    const fail = (e: Error) => this.fail(e);
    handle.addEventListener('error', (ev) => {
      ev.preventDefault?.();
      fail(new Error(`engine thread failed: ${(ev as ErrorEvent).message || 'the script could not be loaded or threw'}`));
    });
    handle.addEventListener('messageerror', () => fail(new Error('engine thread: a message could not be deserialised')));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`engine thread did not start within ${readyTimeoutMs} ms`)), readyTimeoutMs);
    });
    const first = this.next().then((r) => {
      if (r.type !== 'ready') throw new Error(r.type === 'error' ? r.message : `engine thread: unexpected ${r.type}`);
      return r.backend;
    });
    this.ready = Promise.race([first, timeout]).finally(() => clearTimeout(timer));
  }

  get failed(): boolean {
    return this.failure !== null;
  }

  /** Fails the waiting and every later call with `e`. */
  fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.waiting.splice(0)) w({ type: 'error', message: this.failure.message });
  }

  /** Terminates the thread; calls in flight reject (browsers report no exit). */
  terminate(): void {
    this.handle.terminate();
    this.fail(new Error('engine thread terminated'));
  }

  private next(): Promise<EngineThreadReply> {
    if (this.failure) return Promise.resolve({ type: 'error', message: this.failure.message });
    return new Promise((res) => this.waiting.push(res));
  }

  /** Sends one request and waits for its reply; errors reject. */
  async call(m: EngineThreadRequest): Promise<EngineThreadReply> {
    const p = this.next();
    if (!this.failure) this.handle.postMessage(m);
    const r = await p;
    if (r.type === 'error') throw new Error(r.message);
    return r;
  }
}

export interface BrowserEnginePoolOptions {
  /** Terminate idle threads after this many ms (default 30,000; 0 keeps them until close()). */
  idleMs?: number;
  /** Cap on each thread's TF.js row-tile cache (default DEFAULT_THREAD_CACHE_BYTES). */
  threadCacheBytes?: number;
  /** How long a thread may take to start its backend (default 60,000 ms). */
  readyTimeoutMs?: number;
}

/** What the pool has done, for diagnostics and tests. */
export interface BrowserEnginePoolStats {
  size: number;
  /** Passes run on the threads, and units they ran. */
  runs: number;
  units: number;
  /** Passes run on the calling thread because the threads could not start. */
  inlineRuns: number;
  /** Backend of each running thread (empty when none run). */
  backends: string[];
  /** Why the threads could not start, or null. */
  startError: string | null;
}

export class BrowserEnginePool implements EnginePool {
  private threads: Promise<PoolThread[]> | null = null;
  private backends: string[] = [];
  private busy = 0;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private startError: string | null = null;
  private counts = { runs: 0, units: 0, inlineRuns: 0 };
  private readonly idleMs: number;
  private readonly threadCacheBytes: number;
  private readonly readyTimeoutMs: number;

  /**
   * @param size threads (at least 1; the engine uses a pool only when size >= 2)
   * @param spawn starts one thread running engineThread.worker.ts (or anything serving the protocol)
   */
  constructor(
    readonly size: number,
    private readonly spawn: (index: number) => EngineThreadHandle,
    options: BrowserEnginePoolOptions = {},
  ) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`engine pool size must be a positive integer, got ${size}`);
    this.idleMs = options.idleMs ?? 30_000;
    this.threadCacheBytes = options.threadCacheBytes ?? DEFAULT_THREAD_CACHE_BYTES;
    this.readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  }

  stats(): BrowserEnginePoolStats {
    return { size: this.size, ...this.counts, backends: [...this.backends], startError: this.startError };
  }

  /** The running threads, or null when they cannot start (the pool then runs passes inline). */
  private start(): Promise<PoolThread[] | null> {
    if (this.startError !== null) return Promise.resolve(null);
    this.threads ??= (async () => {
      const ts: PoolThread[] = [];
      try {
        for (let i = 0; i < this.size; i++) ts.push(new PoolThread(this.spawn(i), this.readyTimeoutMs));
        this.backends = await Promise.all(ts.map((t) => t.ready));
        return ts;
      } catch (e) {
        for (const t of ts) t.terminate();
        this.threads = null;
        this.backends = [];
        throw e;
      }
    })();
    return this.threads.catch((e: unknown) => {
      this.startError = (e as Error)?.message ?? String(e);
      return null;
    });
  }

  async run(task: EngineTask, units: Unit[], onBlocks: (count: number) => void, signal?: AbortSignal): Promise<EnginePartial[]> {
    signal?.throwIfAborted();
    this.busy++;
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    try {
      // neighbour passes: each thread's TF.js tile cache capped; KID and dense tasks have no TF.js cache
      const capped: EngineTask = task.pass === 'kid' || task.pass === 'dense' ? task : { ...task, opts: { ...task.opts, tensorCacheBytes: Math.min(task.opts.tensorCacheBytes, this.threadCacheBytes) } };
      const threads = await this.start();
      if (!threads) {
        this.counts.inlineRuns++;
        return await runInline(task, units, onBlocks, signal);
      }
      this.counts.runs++;
      try {
        return await this.runOn(threads, capped, units, onBlocks, signal);
      } catch (e) {
        // threads that failed (not stopped on request) are not used again: an error inside wasm (out of
        // memory, abort) can leave a backend unusable, so the next pass starts fresh threads
        if (!signal?.aborted || threads.some((t) => t.failed)) await this.close();
        throw e;
      }
    } finally {
      this.busy--;
      if (this.busy === 0 && this.idleMs > 0 && this.threads) this.idleTimer = setTimeout(() => void this.close(), this.idleMs);
    }
  }

  private async runOn(threads: PoolThread[], task: EngineTask, units: Unit[], onBlocks: (count: number) => void, signal?: AbortSignal): Promise<EnginePartial[]> {
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
        threads.map(async (t): Promise<EnginePartial | null> => {
          if (queue.length === 0) return null;
          let begun = false;
          try {
            await t.call({ type: 'begin', task });
            begun = true;
            while (failure === null && queue.length > 0) {
              const unit = queue.shift()!;
              const r = await t.call({ type: 'unit', unit });
              this.counts.units++;
              if (r.type === 'unitDone') onBlocks(r.blocks);
            }
            if (failure !== null) {
              await t.call({ type: 'drop' });
              return null;
            }
            const r = await t.call({ type: 'finish' });
            return r.type === 'partial' ? r.partial : null;
          } catch (e) {
            failure ??= e;
            stop();
            if (begun) await t.call({ type: 'drop' }).catch(() => {});
            return null;
          }
        }),
      );
      if (failure !== null) throw failure;
      return parts.filter((p): p is EnginePartial => p !== null);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Terminates the threads (a later pass starts new ones). */
  async close(): Promise<void> {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const ts = this.threads;
    this.threads = null;
    this.backends = [];
    if (ts) for (const t of (await ts.catch(() => null)) ?? []) t.terminate();
  }
}

/** All units on this thread with one runner, in queue order (a schedule a pool may also produce). */
async function runInline(task: EngineTask, units: Unit[], onBlocks: (count: number) => void, signal?: AbortSignal): Promise<EnginePartial[]> {
  const runner = await EngineTaskRunner.start(task);
  try {
    for (const u of units) {
      signal?.throwIfAborted();
      onBlocks(await runner.runUnit(u));
    }
  } catch (e) {
    runner.dispose();
    throw e;
  }
  return [runner.finish()];
}

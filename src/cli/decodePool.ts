/**
 * Node worker_threads pool for the per-file CPU work of the image pipeline (src/pipeline/extract.ts
 * prepareFile: decode all frames, [augment], preprocess, thumbnail, variety image), so the model on the main
 * thread (a GPU through WebGPU, or wasm) is not left waiting for one core to decode. processItems reads,
 * hashes and looks files up in the cache on its own thread, hands each miss to this pool (a FilePreparer)
 * and batches the results in input order: the features, records, skip reasons and onItem order are those of
 * the single-thread path.
 *
 * Each request goes to the worker with the fewest outstanding requests; the file's bytes go over by
 * transfer, and the prepared frames come back by transfer. A worker that dies (an uncaught error, exit, or
 * termination) fails its outstanding requests, so the run fails instead of waiting; later requests go to the
 * threads still alive, and fail at once when none is. Workers start
 * on the first request, and do not keep the process alive while they have nothing to do.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DEFAULT_PIPELINE_OPTIONS, type FilePreparer, type PipelineOptions, type Prepared, type PrepareSpec } from '../pipeline/extract.ts';
import type { DecodeReply, DecodeRequest } from './decodeWorker.ts';

/** Default cap on decode threads. */
export const DEFAULT_MAX_DECODE_THREADS = 8;

/** Files in flight per decode thread (the pipeline keeps at most max(this x threads, 2 x batch size) ahead of the model). */
export const FILES_PER_DECODE_THREAD = 4;

/**
 * Decode threads: SYNTHLENS_DECODE_THREADS (a non-negative integer; 0 = none, decode on the pipeline's thread),
 * else one per available core but one (the main thread runs the model), at most 8, none on a single core.
 */
export function decodeThreadsFromEnv(env: Record<string, string | undefined> = process.env, cores: number = availableParallelism()): number {
  const v = env.SYNTHLENS_DECODE_THREADS;
  if (v !== undefined && v !== '') {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`SYNTHLENS_DECODE_THREADS must be a non-negative integer, got "${v}"`);
    return n;
  }
  return cores <= 1 ? 0 : Math.min(cores - 1, DEFAULT_MAX_DECODE_THREADS);
}

export interface DecodePoolOptions {
  /**
   * Script each worker thread runs; default decodeWorkerBoot.mjs beside this module (TypeScript through tsx).
   * The bundles write their own decodeWorkerBoot.mjs beside their chunks, which loads the bundled decodeWorker.js.
   */
  script?: URL;
}

interface Job {
  resolve(p: Prepared): void;
  reject(e: Error): void;
}

class DecodeThread {
  readonly jobs = new Map<number, Job>();
  failure: Error | null = null;

  constructor(readonly worker: Worker) {
    worker.unref();
    worker.on('message', (r: DecodeReply) => {
      const job = this.jobs.get(r.id);
      if (!job) return;
      this.jobs.delete(r.id);
      if (this.jobs.size === 0) worker.unref();
      if ('error' in r) job.reject(new Error(r.error));
      else job.resolve(r.prepared);
    });
    const fail = (e: Error) => {
      this.failure ??= e;
      for (const job of this.jobs.values()) job.reject(this.failure);
      this.jobs.clear();
      worker.unref();
    };
    worker.on('error', (e) => fail(new Error(`decode thread failed: ${e instanceof Error ? e.message : String(e)}`)));
    worker.on('exit', (code) => fail(new Error(`decode thread exited (code ${code})`)));
  }

  send(m: DecodeRequest, job: Job): void {
    if (this.failure) return job.reject(this.failure);
    if (this.jobs.size === 0) this.worker.ref();
    this.jobs.set(m.id, job);
    try {
      try {
        this.worker.postMessage(m, m.bytes.buffer instanceof ArrayBuffer ? [m.bytes.buffer] : []);
      } catch {
        this.worker.postMessage(m); // a buffer that cannot be transferred is copied
      }
    } catch (e) {
      this.jobs.delete(m.id);
      if (this.jobs.size === 0) this.worker.unref();
      job.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }
}

/** A pool of `size` decode threads (size >= 1), usable by any number of processItems runs, one after another or at once. */
export class DecodePool implements FilePreparer {
  readonly window: number;
  private threads: DecodeThread[] | null = null;
  private nextId = 0;

  constructor(
    readonly size: number,
    private readonly options: DecodePoolOptions = {},
  ) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`a decode pool needs at least one thread, got ${size}`);
    this.window = FILES_PER_DECODE_THREAD * size;
  }

  /** The threads, started on the first request (a run that decodes nothing starts none). */
  private started(): DecodeThread[] {
    if (!this.threads) {
      const script = this.options.script ?? new URL('./decodeWorkerBoot.mjs', import.meta.url);
      this.threads = Array.from({ length: this.size }, () => new DecodeThread(new Worker(script)));
    }
    return this.threads;
  }

  prepare(bytes: Uint8Array, path: string, sha256: string, spec: PrepareSpec, opts: PipelineOptions): Promise<Prepared> {
    const threads = this.started();
    let best: DecodeThread | null = null;
    for (const t of threads) if (!t.failure && (best === null || t.jobs.size < best.jobs.size)) best = t;
    const thread = best ?? threads[0];
    // a view on part of a larger buffer is copied, so the transfer moves exactly these bytes
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
    const id = this.nextId++;
    return new Promise<Prepared>((resolve, reject) => {
      thread.send({ id, bytes: own, path, sha256, spec: { inputSize: spec.inputSize, channels: spec.channels }, opts }, { resolve, reject });
    });
  }

  /**
   * Starts the threads and waits until each has answered a request (an empty file, which prepareFile reports as
   * skipped), so a timed run that follows does not include their start-up.
   */
  async warm(): Promise<void> {
    const threads = this.started();
    await Promise.all(
      threads.map(
        (t) =>
          new Promise<Prepared>((resolve, reject) =>
            t.send({ id: this.nextId++, bytes: new Uint8Array(0), path: '', sha256: '', spec: { inputSize: 1, channels: 1 }, opts: DEFAULT_PIPELINE_OPTIONS }, { resolve, reject }),
          ),
      ),
    );
  }

  /** Stops the threads; requests still outstanding fail. A later request starts new ones. */
  async close(): Promise<void> {
    const ts = this.threads;
    this.threads = null;
    if (ts) await Promise.all(ts.map((t) => t.worker.terminate()));
  }
}

/** A pool of decodeThreadsFromEnv() threads, or null when that is 0 (decode on the pipeline's thread). */
export function decodePoolFromEnv(options: DecodePoolOptions = {}, env: Record<string, string | undefined> = process.env): DecodePool | null {
  const n = decodeThreadsFromEnv(env);
  return n > 0 ? new DecodePool(n, options) : null;
}

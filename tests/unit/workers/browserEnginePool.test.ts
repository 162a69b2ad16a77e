/**
 * src/workers/browserEnginePool.ts in Node: the pool and the thread protocol (serveEngineThread) over
 * in-process MessageChannels, with TF.js cpu as each "thread's" backend. The engine split over the pool must
 * give the float64 references of tests/fixtures/neighbours/tiles_reference.json (scipy cdist, made by
 * make_tiles_reference.py) exactly, as on one thread; threads that cannot start leave the pass on the calling
 * thread; a thread's error rejects the pass and retires the threads; abort stops the pass; idle threads are
 * terminated; the per-thread tile cache is capped. The real Web Workers run in tests/e2e/enginePool.e2e.ts.
 */
import { MessageChannel } from 'node:worker_threads';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  BrowserEnginePool, defaultEngineThreads, serveEngineThread,
  type EngineThreadHandle, type EngineThreadReply, type EngineThreadRequest, type EngineThreadScope,
} from '../../../src/workers/browserEnginePool.ts';
import { knnRadiiWithStats } from '../../../src/core/neighbours/engine.ts';
import { firstMismatch } from '../neighbours/reference.ts';
import { cases, expectReference, runAll } from '../neighbours/tilesCases.ts';

/** A "thread" in this process: the pool's end of a MessageChannel, and serveEngineThread on the other. */
class ChannelThread implements EngineThreadHandle {
  terminated = false;
  readonly requests: EngineThreadRequest[] = [];
  private readonly port: MessagePort;
  constructor(backend: Promise<string>, wrapScope: (s: EngineThreadScope) => EngineThreadScope = (s) => s) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1 as unknown as MessagePort;
    const p2 = port2 as unknown as MessagePort;
    const scope: EngineThreadScope = {
      postMessage: (m: EngineThreadReply, transfer: Transferable[]) => p2.postMessage(m, transfer),
      addEventListener: (type, l) => p2.addEventListener(type, l),
    };
    serveEngineThread(wrapScope(scope), backend);
    p2.start();
    this.port.start();
  }
  postMessage(m: EngineThreadRequest): void {
    this.requests.push(m);
    this.port.postMessage(m);
  }
  addEventListener(type: 'message' | 'messageerror' | 'error', l: (ev: Event) => void): void {
    this.port.addEventListener(type as 'message', l as (ev: MessageEvent) => void);
  }
  terminate(): void {
    this.terminated = true;
    this.port.close();
  }
}

const cpu = () => Promise.resolve('cpu');

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('defaultEngineThreads', () => {
  it('is one per core, at most 4, at least 1', () => {
    expect(defaultEngineThreads(16)).toBe(4);
    expect(defaultEngineThreads(4)).toBe(4);
    expect(defaultEngineThreads(2)).toBe(2);
    expect(defaultEngineThreads(1)).toBe(1);
    expect(defaultEngineThreads(0)).toBe(1);
    expect(defaultEngineThreads(Number.NaN)).toBe(1);
    expect(defaultEngineThreads(12, 8)).toBe(8);
  });
});

describe('BrowserEnginePool over message channels', () => {
  it('gives the float64 references with 2 and 3 threads, on the threads, lazily started', async () => {
    for (const size of [2, 3]) {
      const spawned: ChannelThread[] = [];
      const pool = new BrowserEnginePool(size, () => {
        const t = new ChannelThread(cpu());
        spawned.push(t);
        return t;
      }, { idleMs: 0 });
      expect(spawned).toHaveLength(0);
      for (const c of [cases[0], cases[1]]) {
        const r = await runAll(c.R, c.S, c.k, { tileSize: 7, compute: 'tf', pool, parallelMinFlops: 0 });
        expectReference(c, r);
        expect(r.pass.stats.workers).toBe(size);
        expect(r.radiiStats.workers).toBe(size);
        expect(r.pass.stats.backend).toBe('cpu');
        expect(r.radiiStats.method).toBe('tf-float32-refined');
      }
      // started once, kept for the six passes
      expect(spawned).toHaveLength(size);
      const st = pool.stats();
      expect(st).toMatchObject({ size, runs: 6, inlineRuns: 0, backends: Array(size).fill('cpu'), startError: null });
      expect(st.units).toBeGreaterThanOrEqual(6 * size);
      await pool.close();
      expect(spawned.every((t) => t.terminated)).toBe(true);
    }
  }, 30_000);

  it('caps each thread\'s tile cache', async () => {
    const seen: number[] = [];
    const pool = new BrowserEnginePool(2, () => {
      const t = new ChannelThread(cpu());
      const post = t.postMessage.bind(t);
      t.postMessage = (m) => {
        if (m.type === 'begin' && m.task.pass !== 'kid' && m.task.pass !== 'dense') seen.push(m.task.opts.tensorCacheBytes);
        post(m);
      };
      return t;
    }, { idleMs: 0, threadCacheBytes: 1000 });
    const c = cases[2];
    await knnRadiiWithStats(c.R, c.k, { tileSize: 5, compute: 'tf', pool, parallelMinFlops: 0, tensorCacheBytes: 5000 });
    await knnRadiiWithStats(c.R, c.k, { tileSize: 5, compute: 'tf', pool, parallelMinFlops: 0, tensorCacheBytes: 300 });
    expect(seen).toEqual([1000, 1000, 300, 300]);
    await pool.close();
  });

  it('runs the pass on the calling thread when the threads cannot start, and says why', async () => {
    let spawns = 0;
    const pool = new BrowserEnginePool(2, () => {
      spawns++;
      return new ChannelThread(Promise.reject(new Error('no wasm here')));
    }, { idleMs: 0 });
    const c = cases[0];
    const r = await runAll(c.R, c.S, c.k, { tileSize: 7, compute: 'tf', pool, parallelMinFlops: 0 });
    expectReference(c, r);
    expect(r.pass.stats.workers).toBe(1);
    const st = pool.stats();
    expect(st.runs).toBe(0);
    expect(st.inlineRuns).toBe(3);
    expect(st.startError).toMatch(/no wasm here/);
    expect(spawns).toBe(2); // not retried on every pass
  });

  it('falls back as well when a thread cannot be created or never answers', async () => {
    const throwing = new BrowserEnginePool(2, () => {
      throw new Error('Worker is not defined');
    });
    const silent = new BrowserEnginePool(2, () => new ChannelThread(new Promise<string>(() => {})), { readyTimeoutMs: 50, idleMs: 0 });
    const c = cases[3];
    for (const pool of [throwing, silent]) {
      const r = await knnRadiiWithStats(c.R, c.k, { tileSize: 6, compute: 'tf', pool, parallelMinFlops: 0 });
      expect(firstMismatch(r.radii.rhoK, c.expected.rhoK)).toBe(-1);
      expect(r.stats.workers).toBe(1);
    }
    expect(throwing.stats().startError).toMatch(/not defined/);
    expect(silent.stats().startError).toMatch(/did not start within 50 ms/);
  });

  it('rejects when a thread fails, and retires the threads', async () => {
    let spawns = 0;
    const pool = new BrowserEnginePool(2, (i) => {
      spawns++;
      // the first pool's second thread fails its third unit
      let units = 0;
      return new ChannelThread(cpu(), (s) => ({
        postMessage: s.postMessage,
        addEventListener: (type, l) =>
          s.addEventListener(type, (ev) => {
            const m = ev.data as EngineThreadRequest;
            if (spawns <= 2 && i === 1 && m.type === 'unit' && ++units === 3) s.postMessage({ type: 'error', message: 'out of memory in thread 1' }, []);
            else l(ev);
          }),
      }));
    }, { idleMs: 0 });
    const c = cases[0];
    await expect(knnRadiiWithStats(c.R, c.k, { tileSize: 4, compute: 'tf', pool, parallelMinFlops: 0 })).rejects.toThrow('out of memory in thread 1');
    expect(tf.memory().numTensors).toBe(0);
    // fresh threads for the next pass, which succeeds
    const r = await knnRadiiWithStats(c.R, c.k, { tileSize: 4, compute: 'tf', pool, parallelMinFlops: 0 });
    expect(spawns).toBe(4);
    expect(firstMismatch(r.radii.rhoK, c.expected.rhoK)).toBe(-1);
    await pool.close();
  });

  it('a reply the thread cannot send (an untransferable buffer) rejects the pass instead of leaving it waiting', async () => {
    // each thread's partial (sent with a transfer list) fails to post, as a WebAssembly memory's buffer would
    const pool = new BrowserEnginePool(2, () => new ChannelThread(cpu(), (s) => ({
      postMessage: (m, transfer) => {
        if (m.type === 'partial') throw new DOMException('An ArrayBuffer is detached or cannot be transferred', 'DataCloneError');
        s.postMessage(m, transfer);
      },
      addEventListener: s.addEventListener,
    })), { idleMs: 0 });
    const c = cases[0];
    await expect(knnRadiiWithStats(c.R, c.k, { tileSize: 4, compute: 'tf', pool, parallelMinFlops: 0 })).rejects.toThrow(/could not send its reply: .*cannot be transferred/);
    await pool.close();
  });

  it('stops on abort with the signal\'s reason, and the threads stay usable', async () => {
    const threads: ChannelThread[] = [];
    const pool = new BrowserEnginePool(2, () => {
      const t = new ChannelThread(cpu());
      threads.push(t);
      return t;
    }, { idleMs: 0 });
    const c = cases[0];
    const ac = new AbortController();
    let steps = 0;
    const p = knnRadiiWithStats(c.R, c.k, {
      tileSize: 4, compute: 'tf', pool, parallelMinFlops: 0, signal: ac.signal,
      onProgress: () => {
        if (++steps === 3) ac.abort(new Error('cancelled by the user'));
      },
    });
    await expect(p).rejects.toThrow('cancelled by the user');
    const after = threads.flatMap((t) => t.requests.map((m) => m.type));
    expect(after).toContain('drop');
    expect(after).not.toContain('finish');
    const r = await knnRadiiWithStats(c.R, c.k, { tileSize: 4, compute: 'tf', pool, parallelMinFlops: 0 });
    expect(firstMismatch(r.radii.rhoK, c.expected.rhoK)).toBe(-1);
    expect(threads).toHaveLength(2);
    await pool.close();
  });

  it('terminates idle threads after idleMs and starts new ones for the next pass', async () => {
    const threads: ChannelThread[] = [];
    const pool = new BrowserEnginePool(2, () => {
      const t = new ChannelThread(cpu());
      threads.push(t);
      return t;
    }, { idleMs: 250 });
    const c = cases[1];
    await knnRadiiWithStats(c.R, c.k, { tileSize: 4, compute: 'tf', pool, parallelMinFlops: 0 });
    expect(threads.some((t) => t.terminated)).toBe(false);
    await new Promise((r) => setTimeout(r, 700));
    expect(threads.every((t) => t.terminated)).toBe(true);
    expect(pool.stats().backends).toEqual([]);
    const r = await knnRadiiWithStats(c.R, c.k, { tileSize: 4, compute: 'tf', pool, parallelMinFlops: 0 });
    expect(firstMismatch(r.radii.rhoK, c.expected.rhoK)).toBe(-1);
    expect(threads).toHaveLength(4);
    await pool.close();
  });

  it('rejects a size that is not a positive integer', () => {
    expect(() => new BrowserEnginePool(0, () => new ChannelThread(cpu()))).toThrow(/positive integer/);
    expect(() => new BrowserEnginePool(1.5, () => new ChannelThread(cpu()))).toThrow(/positive integer/);
  });
});

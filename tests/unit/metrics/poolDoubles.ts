/**
 * Test doubles for the engine pool (src/core/neighbours/parallel.ts), shared by the tests of the work
 * that runs on it (kidParallel, denseParallel): an engine thread in this process, and a pool wrapper
 * that records what it was given.
 */
import { MessageChannel } from 'node:worker_threads';
import { EngineTaskRunner, type EnginePartial, type EnginePool, type EngineTask, type Unit } from '../../../src/core/neighbours/parallel.ts';
import { serveEngineThread, type EngineThreadHandle, type EngineThreadScope } from '../../../src/workers/browserEnginePool.ts';

/** One engine thread in this process: the pool's port of a MessageChannel, serveEngineThread on the other. */
export function channelThread(backend: Promise<string> = Promise.resolve('cpu')): EngineThreadHandle {
  const { port1, port2 } = new MessageChannel();
  const own = port1 as unknown as MessagePort, far = port2 as unknown as MessagePort;
  const scope: EngineThreadScope = { postMessage: (r, transfer) => far.postMessage(r, transfer), addEventListener: (type, l) => far.addEventListener(type, l) };
  serveEngineThread(scope, backend);
  far.start();
  own.start();
  return { postMessage: (m) => own.postMessage(m), addEventListener: (type, l) => own.addEventListener(type as 'message', l), terminate: () => own.close() };
}

/** A pool that records what it was given and can abort after its first unit. */
export class Recording implements EnginePool {
  runs = 0;
  unitsRun = 0;
  tasks: EngineTask[] = [];
  units: Unit[][] = [];
  constructor(private readonly inner: EnginePool, private readonly abortAfterFirst: AbortController | null = null) {}
  get size(): number {
    return this.inner.size;
  }
  run(task: EngineTask, units: Unit[], onBlocks: (count: number) => void, signal?: AbortSignal): Promise<EnginePartial[]> {
    this.runs++;
    this.tasks.push(task);
    this.units.push(units);
    return this.inner.run(task, units, (c) => {
      this.unitsRun++;
      this.abortAfterFirst?.abort();
      onBlocks(c);
    }, signal);
  }
}

/** Units run on this thread by `size` runners, unit i on runner assign(i) (every split a pool might make, and more). */
export class SplitPool implements EnginePool {
  constructor(readonly size: number, private readonly assign: (i: number, n: number) => number) {}
  async run(task: EngineTask, units: Unit[], onBlocks: (count: number) => void): Promise<EnginePartial[]> {
    const runners = await Promise.all(Array.from({ length: this.size }, () => EngineTaskRunner.start(task)));
    for (let i = 0; i < units.length; i++) onBlocks(await runners[this.assign(i, units.length) % this.size].runUnit(units[i]));
    return runners.map((r) => r.finish());
  }
}

/**
 * A worker thread of the Node engine pool (enginePool.ts): its own TF.js backend, running
 * units of neighbour-engine tasks with EngineTaskRunner (src/core/neighbours/parallel.ts).
 *
 * Messages in:  { type: 'begin', task } | { type: 'unit', unit } | { type: 'finish' } | { type: 'drop' }
 * Messages out: { type: 'ready', backend } once, then one reply per message in:
 *               { type: 'ok' } | { type: 'unitDone', blocks } | { type: 'partial', partial } | { type: 'error', message }
 * Messages are handled one at a time, in order. The thread's entry (engineWorkerBoot.mjs)
 * calls workerMain().
 */
import { parentPort, workerData } from 'node:worker_threads';
import { EngineTaskRunner, type EnginePartial, type EngineTask, type Unit } from '../core/neighbours/parallel.ts';
import { setNodeBackend, type NodeBackend } from './engineBackend.ts';

export type WorkerRequest = { type: 'begin'; task: EngineTask } | { type: 'unit'; unit: Unit } | { type: 'finish' } | { type: 'drop' };
export type WorkerReply =
  | { type: 'ready'; backend: string }
  | { type: 'ok' }
  | { type: 'unitDone'; blocks: number }
  | { type: 'partial'; partial: EnginePartial }
  | { type: 'error'; message: string };

/** The typed arrays' buffers of a partial, handed over without a copy. */
function transferables(p: EnginePartial): ArrayBuffer[] {
  const arrays: ArrayBufferView[] =
    p.pass === 'self'
      ? [p.part.heap, p.part.count]
      : [
          p.part.nearestReal, p.part.nearestRealDistance, p.part.nearestSynth, p.part.nearestSynthDistance,
          p.part.copy, p.part.copyOf, p.part.realistic, p.part.ballCount, ...(p.part.recalled ? [p.part.recalled] : []),
        ];
  return arrays.map((a) => a.buffer).filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
}

/** Serves the pool's requests in this worker thread (engineWorkerBoot.mjs calls it). */
export async function workerMain(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('engineWorker.ts must run in a worker thread');
  const backend = await setNodeBackend((workerData as { backend: NodeBackend }).backend);
  let runner: EngineTaskRunner | null = null;
  let chain: Promise<void> = Promise.resolve();
  const reply = (r: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(r, transfer);
  const handle = async (m: WorkerRequest): Promise<void> => {
    try {
      if (m.type === 'begin') {
        runner?.dispose();
        runner = null;
        runner = await EngineTaskRunner.start(m.task);
        reply({ type: 'ok' });
      } else if (m.type === 'unit') {
        if (!runner) throw new Error('unit before begin');
        reply({ type: 'unitDone', blocks: await runner.runUnit(m.unit) });
      } else if (m.type === 'finish') {
        if (!runner) throw new Error('finish before begin');
        const partial = runner.finish();
        runner = null;
        reply({ type: 'partial', partial }, transferables(partial));
      } else {
        runner?.dispose();
        runner = null;
        reply({ type: 'ok' });
      }
    } catch (e) {
      reply({ type: 'error', message: (e as Error)?.message ?? String(e) });
    }
  };
  port.on('message', (m: WorkerRequest) => {
    chain = chain.then(() => handle(m));
  });
  reply({ type: 'ready', backend });
}

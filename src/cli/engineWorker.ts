/**
 * A worker thread of the Node engine pool (enginePool.ts): its own TF.js backend, running
 * units of neighbour-engine tasks and of KID tasks (subsets, kernel row blocks; no TF.js) with
 * EngineTaskRunner (src/core/neighbours/parallel.ts).
 *
 * Messages in:  { type: 'begin', task } | { type: 'unit', unit } | { type: 'finish' } | { type: 'drop' }
 * Messages out: { type: 'ready', backend } once, then one reply per message in:
 *               { type: 'ok' } | { type: 'unitDone', blocks } | { type: 'partial', partial } | { type: 'error', message }
 * Messages are handled one at a time, in order. The thread's entry (engineWorkerBoot.mjs)
 * calls workerMain().
 */
import { parentPort, workerData } from 'node:worker_threads';
import { engineRequestHandler, type EngineReply, type EngineRequest } from '../core/neighbours/parallel.ts';
import { setNodeBackend, type NodeBackend } from './engineBackend.ts';
import { installRowFileReader } from './rowFile.ts';

export type WorkerRequest = EngineRequest;
export type WorkerReply = EngineReply;

/** Serves the pool's requests in this worker thread (engineWorkerBoot.mjs calls it). */
export async function workerMain(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('engineWorker.ts must run in a worker thread');
  const backend = await setNodeBackend((workerData as { backend: NodeBackend }).backend);
  installRowFileReader(); // tiles of streamed feature sets (rowFile.ts) are read here
  const handle = engineRequestHandler();
  let chain: Promise<void> = Promise.resolve();
  port.on('message', (m: WorkerRequest) => {
    chain = chain.then(async () => {
      const { reply, transfer } = await handle(m);
      try {
        port.postMessage(reply, transfer);
      } catch (e) {
        // a reply that cannot be sent fails the pass instead of leaving it waiting
        port.postMessage({ type: 'error', message: `engine thread could not send its reply: ${(e as Error)?.message ?? String(e)}` } satisfies WorkerReply);
      }
    });
  });
  port.postMessage({ type: 'ready', backend } satisfies WorkerReply);
}

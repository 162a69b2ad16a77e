/**
 * A worker thread of the decode pool (decodePool.ts): runs src/pipeline/extract.ts prepareFile (decode all
 * frames, [augment], preprocess, thumbnail, variety image) on the files the pipeline's thread sends, and sends
 * the frames back with their typed arrays transferred.
 *
 * Messages in:  DecodeRequest { id, bytes, path, sha256, spec, opts } (bytes transferred)
 * Messages out: DecodeReply { id, prepared } | { id, error } (prepareFile threw: the pipeline fails the run
 *               with that message, as it would on one thread)
 * Requests are handled one at a time, in order. The thread's entry (decodeWorkerBoot.mjs, or the bundles'
 * own boot file) calls workerMain().
 */
import { parentPort } from 'node:worker_threads';
import { prepareFile, type PipelineOptions, type Prepared, type PrepareSpec } from '../pipeline/extract.ts';

export interface DecodeRequest {
  id: number;
  bytes: Uint8Array;
  path: string;
  sha256: string;
  spec: PrepareSpec;
  opts: PipelineOptions;
}

export type DecodeReply = { id: number; prepared: Prepared } | { id: number; error: string };

/** The distinct buffers of a prepared file's typed arrays (a transfer list names each buffer once). */
export function preparedBuffers(p: Prepared): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  if ('frames' in p) {
    for (const f of p.frames) {
      for (const a of [f.input, f.thumb.data, f.gray]) if (a && a.buffer instanceof ArrayBuffer) out.add(a.buffer);
    }
  }
  return [...out];
}

/** Serves the pool's requests in this worker thread. */
export function workerMain(): void {
  const port = parentPort;
  if (!port) throw new Error('decodeWorker.ts must run in a worker thread');
  let chain: Promise<void> = Promise.resolve();
  port.on('message', (m: DecodeRequest) => {
    chain = chain.then(async () => {
      let reply: DecodeReply;
      let transfer: ArrayBuffer[] = [];
      try {
        const prepared = await prepareFile(m.bytes, m.path, m.sha256, m.spec, m.opts);
        reply = { id: m.id, prepared };
        transfer = preparedBuffers(prepared);
      } catch (e) {
        reply = { id: m.id, error: e instanceof Error ? e.message || e.name : String(e) };
      }
      try {
        port.postMessage(reply, transfer);
      } catch (e) {
        // a reply that cannot be sent fails the run instead of leaving it waiting
        port.postMessage({ id: m.id, error: `decode thread could not send its reply: ${e instanceof Error ? e.message : String(e)}` } satisfies DecodeReply);
      }
    });
  });
}

/**
 * The page's side of the thumbnail worker (thumbs.worker.ts): started on the first request, closed after
 * `idleMs` without one (it holds a decoder and little else; the next request starts it again). The file is read
 * here and its bytes transferred, rather than the File posted (see pipeline.worker.ts: a posted File holds more
 * browser memory for as long as the page keeps it).
 */
import * as Comlink from 'comlink';
import type { Thumb } from '../app/types.ts';
import type { ThumbsWorkerApi } from './thumbs.worker.ts';

export type ThumbDraw = (file: Blob, path: string, frame: number | null, maxSide: number) => Promise<Thumb | undefined>;

export function workerThumbDrawer(idleMs = 30_000): ThumbDraw {
  let worker: Worker | null = null;
  let remote: Comlink.Remote<ThumbsWorkerApi> | null = null;
  let pending = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const close = () => {
    worker?.terminate();
    worker = null;
    remote = null;
  };
  return async (file, path, frame, maxSide) => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (!remote) {
      worker = new Worker(new URL('./thumbs.worker.ts', import.meta.url), { type: 'module', name: 'synthlens-thumbs' });
      remote = Comlink.wrap<ThumbsWorkerApi>(worker);
    }
    pending++;
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      return await remote.draw(Comlink.transfer(bytes, [bytes.buffer]), path, frame, maxSide);
    } finally {
      pending--;
      if (pending === 0) timer = setTimeout(close, idleMs);
    }
  };
}

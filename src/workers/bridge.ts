/** Page-side bridge to the compute worker: one lazily created worker, wrapped with Comlink. */
import * as Comlink from 'comlink';
import type { EngineWorkerApi } from './engine.worker';

let worker: Worker | null = null;
let remote: Comlink.Remote<EngineWorkerApi> | null = null;

export function engine(): Comlink.Remote<EngineWorkerApi> {
  if (!remote) {
    worker = new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module', name: 'synthlens-engine' });
    remote = Comlink.wrap<EngineWorkerApi>(worker);
  }
  return remote;
}

export function terminateEngine(): void {
  worker?.terminate();
  worker = null;
  remote = null;
}

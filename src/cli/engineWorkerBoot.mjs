// Entry of an engine pool worker thread (enginePool.ts): registers tsx in the thread (the CLI
// runs TypeScript through tsx), then loads workerData.entry, by default engineWorker.ts.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData?.entry ?? new URL('./engineWorker.ts', import.meta.url).href);

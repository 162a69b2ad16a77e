// Entry of a worker thread started by enginePool.ts (or a benchmark): registers tsx in the
// thread (the CLI runs TypeScript through tsx), loads workerData.entry (default
// engineWorker.ts) and runs its exported workerMain().
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const mod = await import(workerData?.entry ?? new URL('./engineWorker.ts', import.meta.url).href);
await mod.workerMain();

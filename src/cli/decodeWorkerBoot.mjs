// Entry of a decode worker thread started by decodePool.ts under tsx (dev, tests, benchmarks): registers tsx
// in the thread, loads decodeWorker.ts and runs its workerMain(). The bundled CLI (bin/cliBundle.js) and the
// GPU payload (bench/gpu/bundle.mjs) write their own boot file, which loads the bundled decodeWorker.js.
import { register } from 'tsx/esm/api';

register();
const mod = await import(new URL('./decodeWorker.ts', import.meta.url).href);
mod.workerMain();

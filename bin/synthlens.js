#!/usr/bin/env -S MALLOC_MMAP_THRESHOLD_=131072 node
// The first line sets glibc's mmap threshold (ignored elsewhere): buffers of 128 KiB or more are
// then mapped and unmapped on their own instead of raising the threshold to their size and
// being carved from heaps that seldom shrink. Measured at N = M = 10,000, d = 2,048 (`synthlens
// metrics`): about 50 MiB lower peak RSS (docs/scale.md, session 13). `node bin/synthlens.js`
// skips the line, and with it the setting.
// SynthLens CLI: runs the TypeScript sources bundled by esbuild (cached per source state, see
// cliBundle.js), or through tsx when no bundle can be built. No build step to run by hand.
import { loadCliMain } from './cliBundle.js';

const main = await loadCliMain();
process.exitCode = await main(process.argv.slice(2));

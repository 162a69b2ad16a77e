#!/usr/bin/env node
// SynthLens CLI: runs the TypeScript sources bundled by esbuild (cached per source state, see
// cliBundle.js), or through tsx when no bundle can be built. No build step to run by hand.
import { loadCliMain } from './cliBundle.js';

const main = await loadCliMain();
process.exitCode = await main(process.argv.slice(2));

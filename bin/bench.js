#!/usr/bin/env node
// Benchmarks (not tests): `npm run bench -- <name> [options]` runs bench/<name>.ts through tsx.
import { register } from 'tsx/esm/api';

const BENCHES = {
  metrics: '../bench/metrics.ts',
  extract: '../bench/extract.ts',
  'extract-browser': '../bench/extractBrowser.ts',
  utility: '../bench/utility.ts',
  scale: '../bench/scale.ts',
  'scale-browser': '../bench/scaleBrowser.ts',
  engine: '../bench/engine.ts',
};

const [name, ...args] = process.argv.slice(2);
if (!name || !(name in BENCHES)) {
  process.stderr.write(`usage: npm run bench -- <${Object.keys(BENCHES).join('|')}> [options]\n`);
  process.exit(2);
}
register();
const mod = await import(BENCHES[name]);
process.exitCode = await mod.main(args);

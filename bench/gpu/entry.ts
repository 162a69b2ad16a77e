/**
 * One entry for the GPU machine's bundle (bench/gpu/bundle.mjs): `cli ...` runs the synthlens CLI,
 * `engine ...` the neighbour-engine benchmark, `extract ...` the extraction benchmark, so a single
 * self-contained JavaScript bundle (no node_modules but Dawn's) carries all three.
 */
const [what, ...args] = process.argv.slice(2);
if (what === 'cli') {
  const { main } = await import('../../src/cli/main.ts');
  process.exitCode = await main(args);
} else if (what === 'engine') {
  const { main } = await import('../engine.ts');
  process.exitCode = await main(args, new URL('./engineWorkerBoot.mjs', import.meta.url));
} else if (what === 'extract') {
  const { main } = await import('../extract.ts');
  process.exitCode = await main(args);
} else {
  process.stderr.write('usage: node entry.js cli|engine|extract [options]\n');
  process.exitCode = 2;
}

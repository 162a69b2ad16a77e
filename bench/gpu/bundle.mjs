// Builds the payload for a GPU machine that has no Node and no npm registry (the device machine of
// docs/gpu.md): scratch/gpu/payload.tar.xz holds
//   node                  this Node binary (process.execPath),
//   app/                  bench/gpu/entry.ts and the engine and decode workers, bundled with every npm package
//                         inside (esbuild), except Dawn's binding, which cannot be bundled,
//   node_modules/webgpu   the `webgpu` package, Linux x64 binary only,
//   node_modules/@tensorflow/tfjs-backend-wasm   package.json, its Node entry and the .wasm files
//                         (the CLI points TF.js at them through require.resolve).
// The repository itself travels beside it (models/ is found upward from app/). Run:
//   node bench/gpu/bundle.mjs            then bench/gpu/run.sh on the GPU machine
//   node bench/gpu/bundle.mjs --stage-only   scratch/gpu/payload/ without Node and the archive, to try here
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = join(ROOT, 'scratch', 'gpu');
const STAGE = join(OUT, 'payload');
rmSync(OUT, { recursive: true, force: true });
mkdirSync(STAGE, { recursive: true });

const BOOT = `import { workerData } from 'node:worker_threads';
const entry = workerData?.entry;
const mod = await import(entry ?? new URL('./engineWorker.js', import.meta.url).href);
await mod.workerMain();
`;
// decodePool.ts starts ./decodeWorkerBoot.mjs beside its own chunk: here, the bundled decodeWorker.js
const DECODE_BOOT = `const mod = await import(new URL('./decodeWorker.js', import.meta.url).href);
mod.workerMain();
`;
await esbuild.build({
  entryPoints: { entry: join(ROOT, 'bench/gpu/entry.ts'), engineWorker: join(ROOT, 'src/cli/engineWorker.ts'), decodeWorker: join(ROOT, 'src/cli/decodeWorker.ts') },
  outdir: join(STAGE, 'app'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // the packages' ES module builds (TF.js's CommonJS Node entries lose their named exports here)
  mainFields: ['module', 'main'],
  // Dawn's binding loads dist/<platform>/dawn.node beside its index.js; the rest is only imported
  // by code paths the GPU machine does not take (browser benchmarks, the tsx fallback).
  external: ['webgpu', 'playwright-core', 'vite', 'esbuild', 'tsx', 'tsx/*', '@sveltejs/*', 'svelte', 'svelte/*'],
  // Vite's "?url" imports of the browser's codec .wasm files (WebP, JPEG-LS, JPEG 2000): the GPU
  // checks read PNGs only, so they become empty URLs here.
  plugins: [{
    name: 'vite-url-stub',
    setup(b) {
      b.onResolve({ filter: /\?url$/ }, (a) => ({ path: a.path, namespace: 'vite-url-stub' }));
      b.onLoad({ filter: /.*/, namespace: 'vite-url-stub' }, () => ({ contents: 'export default "";', loader: 'js' }));
    },
  }],
  // CommonJS inside ES modules: require, __dirname and __filename of each chunk
  banner: {
    js: "import { createRequire as __slRequire } from 'node:module'; import { fileURLToPath as __slPath } from 'node:url'; " +
      "import { dirname as __slDir } from 'node:path'; const require = __slRequire(import.meta.url); " +
      "var __filename = __slPath(import.meta.url); var __dirname = __slDir(__filename);",
  },
  logLevel: 'warning',
});
const { writeFileSync } = await import('node:fs');
writeFileSync(join(STAGE, 'app', 'engineWorkerBoot.mjs'), BOOT);
writeFileSync(join(STAGE, 'app', 'decodeWorkerBoot.mjs'), DECODE_BOOT);

const copy = (from, to) => {
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
};
const NM = join(ROOT, 'node_modules');
for (const f of ['package.json', 'index.js', 'dist/linux-x64/dawn.node']) copy(join(NM, 'webgpu', f), join(STAGE, 'node_modules/webgpu', f));
const wasmPkg = join(NM, '@tensorflow/tfjs-backend-wasm');
for (const f of ['package.json', 'dist/tf-backend-wasm.node.js', 'dist/tfjs-backend-wasm.wasm', 'dist/tfjs-backend-wasm-simd.wasm', 'dist/tfjs-backend-wasm-threaded-simd.wasm']) {
  copy(join(wasmPkg, f), join(STAGE, 'node_modules/@tensorflow/tfjs-backend-wasm', f));
}
if (process.argv.includes('--stage-only')) {
  process.stdout.write(`staged in ${STAGE} (no Node binary, no archive)\n`);
  process.exit(0);
}
copy(process.execPath, join(STAGE, 'node'));
execFileSync('tar', ['-C', OUT, '-cJf', join(OUT, 'payload.tar.xz'), 'payload'], { env: { ...process.env, XZ_OPT: '-6 -T2' }, stdio: 'inherit' });
rmSync(STAGE, { recursive: true, force: true });
process.stdout.write(`${join(OUT, 'payload.tar.xz')}: ${(statSync(join(OUT, 'payload.tar.xz')).size / 2 ** 20).toFixed(1)} MiB\n`);

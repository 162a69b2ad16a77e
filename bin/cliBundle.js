// The CLI's TypeScript sources, bundled once per source state with esbuild and cached in
// node_modules/.cache/synthlens-cli/<fingerprint>/, so `synthlens` runs plain JavaScript:
// no tsx in the process nor in each engine or decode worker thread. tsx costs about 75 MiB of memory per
// thread (measured: a small `synthlens metrics` run peaks at 113 MiB bundled, 189 MiB under tsx).
//
// The fingerprint is the path, size and modification time of every file under src/ plus this
// file's BUNDLE_VERSION, so an edited source rebuilds on the next run (about 1 s). Builds are
// written to a temporary folder and renamed into place, so concurrent runs never see half a
// bundle. If the bundle cannot be built or loaded (no write access, esbuild missing, or
// SYNTHLENS_CLI_BUNDLE=0), the CLI runs the sources through tsx as before.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const BUNDLE_VERSION = '2';
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');

// Entry of each engine worker thread inside the bundle (enginePool.ts resolves
// ./engineWorkerBoot.mjs next to its own chunk): plain JS, no tsx unless a benchmark asks for a .ts entry.
const BOOT = `import { workerData } from 'node:worker_threads';
const entry = workerData?.entry;
if (typeof entry === 'string' && entry.endsWith('.ts')) (await import('tsx/esm/api')).register();
const mod = await import(entry ?? new URL('./engineWorker.js', import.meta.url).href);
await mod.workerMain();
`;
// Entry of each decode worker thread inside the bundle (decodePool.ts resolves ./decodeWorkerBoot.mjs next to its own chunk).
const DECODE_BOOT = `const mod = await import(new URL('./decodeWorker.js', import.meta.url).href);
mod.workerMain();
`;

function fingerprint() {
  const h = createHash('sha256');
  h.update(`v${BUNDLE_VERSION}\n`);
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        const s = statSync(p);
        h.update(`${relative(SRC, p)}\0${s.size}\0${s.mtimeMs}\n`);
      }
    }
  };
  walk(SRC);
  return h.digest('hex').slice(0, 16);
}

async function build(outDir) {
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [join(SRC, 'cli', 'main.ts'), join(SRC, 'cli', 'engineWorker.ts'), join(SRC, 'cli', 'decodeWorker.ts')],
    outdir: outDir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: 'inline',
    logLevel: 'silent',
  });
  writeFileSync(join(outDir, 'decodeWorkerBoot.mjs'), DECODE_BOOT);
  writeFileSync(join(outDir, 'engineWorkerBoot.mjs'), BOOT);
}

/** Directory of a ready bundle for the current sources, building it if needed; null when that fails. */
export async function cliBundleDir() {
  if (process.env.SYNTHLENS_CLI_BUNDLE === '0') return null;
  try {
    const cacheRoot = join(ROOT, 'node_modules', '.cache', 'synthlens-cli');
    const key = fingerprint();
    const dir = join(cacheRoot, key);
    if (existsSync(join(dir, 'engineWorkerBoot.mjs'))) return dir;
    mkdirSync(cacheRoot, { recursive: true });
    const tmp = join(cacheRoot, `${key}.tmp-${process.pid}-${Date.now()}`);
    await build(tmp);
    try {
      renameSync(tmp, dir);
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another run finished the same bundle first
      if (!existsSync(join(dir, 'engineWorkerBoot.mjs'))) return null;
    }
    // bundles of older sources (not touched for an hour) are removed
    for (const name of readdirSync(cacheRoot)) {
      if (name === key) continue;
      const p = join(cacheRoot, name);
      try {
        if (Date.now() - statSync(p).mtimeMs > 3_600_000) rmSync(p, { recursive: true, force: true });
      } catch {
        // in use or gone: leave it
      }
    }
    return dir;
  } catch {
    return null;
  }
}

/** The CLI's main(): from the bundle when it can be built, else the TypeScript sources through tsx. */
export async function loadCliMain() {
  const dir = await cliBundleDir();
  if (dir) {
    try {
      return (await import(pathToFileURL(join(dir, 'main.js')).href)).main;
    } catch {
      // fall through to tsx
    }
  }
  const { register } = await import('tsx/esm/api');
  register();
  return (await import('../src/cli/main.ts')).main;
}

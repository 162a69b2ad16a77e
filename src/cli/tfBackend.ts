/**
 * TF.js in Node: backend set-up and reading model folders from disk.
 *
 * initNodeBackend() registers @tensorflow/tfjs-backend-wasm (SIMD; TF.js keeps
 * wasm single-threaded in Node) and sets it under a timeout, falling back to
 * the pure-JS cpu backend. @tensorflow/tfjs-node is not used (it needs a
 * native download). On the main thread it also registers the neighbour engine's
 * worker pool (enginePool.ts: SYNTHLENS_ENGINE_THREADS workers, default one per
 * core, at most 8), which large passes use; setEngineThreads() changes it. With
 * --backend webgpu (Dawn, engineBackend.ts) the threads run wasm and the neighbour passes stay
 * on the GPU (engine.ts poolFor).
 */
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import type * as tf from '@tensorflow/tfjs';
import type { ModelSource } from '../extractors/registry.ts';
import { setEnginePool } from '../core/neighbours/parallel.ts';
import { setNodeBackend, type NodeBackend } from './engineBackend.ts';
import { engineThreadsFromEnv, NodeEnginePool, type NodeEnginePoolOptions } from './enginePool.ts';

export type { NodeBackend } from './engineBackend.ts';

let enginePool: NodeEnginePool | null = null;

/**
 * Runs the neighbour engine's large passes on `threads` worker threads with the given
 * backend (1: on the calling thread only). Results are identical for any count. Replaces
 * (and stops) an earlier pool.
 */
export function setEngineThreads(threads: number, backend: NodeBackend = 'wasm', options?: NodeEnginePoolOptions): void {
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`engine threads must be a positive integer, got ${threads}`);
  void enginePool?.close();
  enginePool = threads > 1 ? new NodeEnginePool(threads, backend, options) : null;
  setEnginePool(enginePool);
}

/**
 * Sets the TF.js backend for Node and returns its name ('wasm' or 'cpu').
 * prefer 'cpu' skips wasm. A wasm start that fails or takes longer than
 * timeoutMs falls back to cpu. On the main thread, registers the engine's
 * worker pool on the same backend (see the file header).
 */
export async function initNodeBackend(prefer: NodeBackend = 'wasm', timeoutMs = 15_000): Promise<string> {
  const name = await setNodeBackend(prefer, timeoutMs);
  // The threads compute on the CPU (wasm, else cpu); on webgpu the engine keeps its passes on the GPU
  // and the pool serves the CPU work that can be split (KID's subsets).
  if (isMainThread && !enginePool) setEngineThreads(engineThreadsFromEnv(), name === 'webgpu' ? 'wasm' : (name as NodeBackend));
  return name;
}

/**
 * Repository models/ folder: the nearest folder above this file that holds both package.json and
 * models/ (src/cli/ under tsx; node_modules/.cache/synthlens-cli/<key>/ for the bundled CLI, bin/cliBundle.js).
 */
export function modelsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'models'))) return join(dir, 'models');
    const up = dirname(dir);
    if (up === dir) return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'models');
    dir = up;
  }
}

/**
 * Reads model.json and the weight files it names from `dir` into memory.
 * Only the files model.json names are read, so a folder with extra files works.
 */
export async function readModelDir(dir: string): Promise<ModelSource & { kind: 'files' }> {
  const names = new Set(await readdir(dir));
  const jsonName = names.has('model.json') ? 'model.json' : [...names].find((n) => n.endsWith('.json'));
  if (!jsonName) throw new Error(`no model.json in ${dir}`);
  const jsonBytes = new Uint8Array(await readFile(join(dir, jsonName)));
  const json = JSON.parse(new TextDecoder().decode(jsonBytes)) as tf.io.ModelJSON;
  const files = new Map<string, Uint8Array>([['model.json', jsonBytes]]);
  for (const p of (json.weightsManifest ?? []).flatMap((g) => g.paths)) {
    files.set(p, new Uint8Array(await readFile(join(dir, p))));
  }
  return { kind: 'files', files };
}

/** The shipped model folder models/<id>/ as an in-memory source. */
export function shippedModelSource(id: 'mobilenet-v2' | 'inception-v3', root = modelsDir()): Promise<ModelSource & { kind: 'files' }> {
  return readModelDir(join(root, id));
}

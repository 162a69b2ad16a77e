/**
 * TF.js model files held in memory: a `model.json` plus its weight shards,
 * keyed by file name. Works in page, worker and Node (no fs, no network here
 * except `fetchModelFiles`, which uses the platform `fetch`).
 *
 * The weights hash of a model is the SHA-256 of its weight shards
 * concatenated in manifest order (groups in order, paths in order) -- the
 * same bytes TF.js decodes, so it identifies the weights independently of how
 * model.json is formatted.
 */
import * as tf from '@tensorflow/tfjs';
import { sha256Hex } from './sha256.ts';

export type ModelFiles = Map<string, Uint8Array>;

export type ModelFormat = 'layers-model' | 'graph-model';

export interface LoadedModelFiles {
  json: tf.io.ModelJSON;
  format: ModelFormat;
  artifacts: tf.io.ModelArtifacts;
  /** Shard paths in manifest order, as written in model.json. */
  weightPaths: string[];
  /** SHA-256 (hex) of the shards concatenated in manifest order. */
  weightsHash: string;
  weightBytes: number;
}

const decoder = new TextDecoder();

function baseName(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i >= 0 ? p.slice(i + 1) : p;
}

/** Finds a file by exact key, else by base name (a dropped folder may carry a prefix). */
function lookup(files: ModelFiles, path: string): Uint8Array | undefined {
  const exact = files.get(path);
  if (exact) return exact;
  const want = baseName(path);
  let found: Uint8Array | undefined;
  for (const [k, v] of files) {
    if (baseName(k) === want) {
      if (found) throw new Error(`more than one file is named ${want}`);
      found = v;
    }
  }
  return found;
}

function findModelJson(files: ModelFiles): Uint8Array {
  const direct = lookup(files, 'model.json');
  if (direct) return direct;
  const jsons = [...files.keys()].filter((k) => k.toLowerCase().endsWith('.json'));
  if (jsons.length === 1) return files.get(jsons[0])!;
  throw new Error(jsons.length === 0 ? 'no model.json among the model files' : `several .json files and none is model.json: ${jsons.join(', ')}`);
}

/** Determines layers vs graph model from `format`, else from the topology's shape. */
export function modelFormat(json: tf.io.ModelJSON): ModelFormat {
  const f = (json.format ?? '').toLowerCase();
  if (f === 'layers-model') return 'layers-model';
  if (f === 'graph-model') return 'graph-model';
  const topo = json.modelTopology as Record<string, unknown> | undefined;
  if (topo && Array.isArray((topo as { node?: unknown }).node)) return 'graph-model';
  if (topo && ('model_config' in topo || 'class_name' in topo)) return 'layers-model';
  throw new Error(`cannot tell whether model.json is a layers or a graph model (format "${json.format ?? ''}")`);
}

function asArrayBuffer(u: Uint8Array): ArrayBuffer {
  if (u.byteOffset === 0 && u.byteLength === u.buffer.byteLength && u.buffer instanceof ArrayBuffer) return u.buffer;
  return u.slice().buffer as ArrayBuffer;
}

/** Parses model.json, checks every shard is present with the size the manifest implies, hashes the weights. */
export async function readModelFiles(files: ModelFiles): Promise<LoadedModelFiles> {
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(decoder.decode(findModelJson(files))) as tf.io.ModelJSON;
  } catch (e) {
    throw new Error(`model.json is not valid JSON: ${(e as Error).message}`);
  }
  if (json.modelTopology == null) throw new Error('model.json has no modelTopology');
  const format = modelFormat(json);
  const manifest: tf.io.WeightsManifestConfig = json.weightsManifest ?? [];
  const weightPaths: string[] = [];
  const shards: Uint8Array[] = [];
  for (const group of manifest) {
    for (const p of group.paths) {
      const bytes = lookup(files, p);
      if (!bytes) throw new Error(`weight file ${p} named in model.json is missing`);
      weightPaths.push(p);
      shards.push(bytes);
    }
  }
  const weightSpecs = tf.io.getWeightSpecs(manifest);
  const expected = weightSpecs.reduce((a, w) => a + specBytes(w), 0);
  const weightBytes = shards.reduce((a, s) => a + s.length, 0);
  if (expected !== weightBytes) {
    throw new Error(`model.json describes ${expected} weight bytes but the shards hold ${weightBytes}`);
  }
  const weightsHash = await sha256Hex(shards);
  const artifacts = await tf.io.getModelArtifactsForJSON(json, async () => [weightSpecs, shards.map(asArrayBuffer)]);
  return { json, format, artifacts, weightPaths, weightsHash, weightBytes };
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2, bool: 1, complex64: 8 };

function specBytes(w: tf.io.WeightsManifestEntry): number {
  const n = w.shape.reduce((a, b) => a * b, 1);
  if (w.dtype === 'string') throw new Error(`string weights (${w.name}) are not supported`);
  const dt = w.quantization ? w.quantization.dtype : w.dtype;
  const b = DTYPE_BYTES[dt];
  if (b === undefined) throw new Error(`unsupported weight dtype ${dt} (${w.name})`);
  return n * b;
}

/** An IOHandler that serves already-read artifacts (no network, no fs). */
export function memoryHandler(artifacts: tf.io.ModelArtifacts): tf.io.IOHandler {
  return { load: async () => artifacts };
}

function resolveBase(baseUrl: string): string {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const here = (globalThis as { location?: { href: string } }).location?.href;
  try {
    return new URL(base, here).href;
  } catch {
    throw new Error(`cannot resolve model URL ${base}${here ? '' : ' (relative URL and no page location: pass an absolute URL or files)'}`);
  }
}

/** Fetches model.json and every shard it names from `baseUrl` into memory. */
export async function fetchModelFiles(baseUrl: string, fetchImpl: typeof fetch = fetch): Promise<ModelFiles> {
  const base = resolveBase(baseUrl);
  const get = async (name: string): Promise<Uint8Array> => {
    const url = new URL(name, base).href;
    const res = await fetchImpl(url);
    if (!res.ok) throw new Error(`fetching ${url}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  };
  const files: ModelFiles = new Map();
  const jsonBytes = await get('model.json');
  files.set('model.json', jsonBytes);
  const json = JSON.parse(decoder.decode(jsonBytes)) as tf.io.ModelJSON;
  const paths = (json.weightsManifest ?? []).flatMap((g) => g.paths);
  const shards = await Promise.all(paths.map(get));
  paths.forEach((p, i) => files.set(p, shards[i]));
  return files;
}

/**
 * Loads the decoders' WebAssembly binaries with no network request outside the app itself:
 * - Node (CLI, tests): the .wasm file is read from node_modules (resolved from this module).
 * - Browser and workers (Vite build): ./wasmUrls.ts imports each binary with `?url`, so Vite emits it
 *   as an asset of the app (same origin, precached by the service worker) and it is fetched from there.
 * The bytes are handed to the emscripten factories as `wasmBinary`, so no codec ever locates or fetches
 * its own file. setWasmSource() lets an app supply the bytes in another way (e.g. from IndexedDB).
 */
export type WasmCodec = 'webp' | 'charls' | 'openjpeg';

/** Package paths of the decode-only binaries (resolved through each package's exports). */
export const WASM_PACKAGE_PATHS: Record<WasmCodec, string> = {
  webp: '@jsquash/webp/codec/dec/webp_dec.wasm',
  charls: '@cornerstonejs/codec-charls/decodewasm',
  openjpeg: '@cornerstonejs/codec-openjpeg/decodewasm',
};

type WasmSource = () => Promise<ArrayBuffer | Uint8Array>;
const overrides = new Map<WasmCodec, WasmSource>();
const cache = new Map<WasmCodec, Promise<Uint8Array>>();

/** Supplies the binary of one codec in a custom way (call before the first decode that needs it). */
export function setWasmSource(codec: WasmCodec, source: WasmSource): void {
  overrides.set(codec, source);
  cache.delete(codec);
}

export function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

async function readFromNodeModules(codec: WasmCodec): Promise<Uint8Array> {
  // Module names in variables, so that bundlers leave these Node-only imports alone.
  const moduleName = 'node:module';
  const fsName = 'node:fs/promises';
  const { createRequire } = await import(/* @vite-ignore */ moduleName);
  const fs = await import(/* @vite-ignore */ fsName);
  const path: string = createRequire(import.meta.url).resolve(WASM_PACKAGE_PATHS[codec]);
  return new Uint8Array(await fs.readFile(path));
}

async function fetchBundled(codec: WasmCodec): Promise<Uint8Array> {
  const { WASM_URLS } = await import('./wasmUrls.ts');
  const res = await fetch(WASM_URLS[codec]);
  if (!res.ok) throw new Error(`could not load the ${codec} decoder (${res.status} ${res.statusText})`);
  return new Uint8Array(await res.arrayBuffer());
}

/** The wasm bytes of one codec (loaded once). */
export function loadWasmBinary(codec: WasmCodec): Promise<Uint8Array> {
  let p = cache.get(codec);
  if (!p) {
    const src = overrides.get(codec);
    p = src
      ? src().then((b) => (b instanceof Uint8Array ? b : new Uint8Array(b)))
      : isNode()
        ? readFromNodeModules(codec)
        : fetchBundled(codec);
    cache.set(codec, p);
    p.catch(() => cache.delete(codec));
  }
  return p;
}

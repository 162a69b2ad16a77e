/// <reference types="vite/client" />
/**
 * Browser-only: the decoders' wasm binaries as Vite assets. Imported lazily by ./wasm.ts when not in
 * Node; never imported in Node (plain Node cannot resolve `?url`).
 */
import webpUrl from '@jsquash/webp/codec/dec/webp_dec.wasm?url';
import charlsUrl from '@cornerstonejs/codec-charls/decodewasm?url';
import openjpegUrl from '@cornerstonejs/codec-openjpeg/decodewasm?url';
import type { WasmCodec } from './wasm.ts';

export const WASM_URLS: Record<WasmCodec, string> = {
  webp: webpUrl,
  charls: charlsUrl,
  openjpeg: openjpegUrl,
};

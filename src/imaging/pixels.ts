/** Small helpers shared by the decoders: integer samples -> canonical Float32 HWC in [0, 1]. */
import type { DecodedImage, DecodedImageMeta } from './types.ts';

/**
 * Copies `keep` of the `srcChannels` interleaved channels (the first ones: alpha, when present, is the
 * last and is dropped) and divides by `maxValue`.
 */
export function normalizeInterleaved(
  src: ArrayLike<number>,
  width: number,
  height: number,
  srcChannels: number,
  keep: 1 | 3,
  maxValue: number,
): Float32Array {
  const n = width * height;
  const out = new Float32Array(n * keep);
  if (keep === srcChannels) {
    for (let i = 0; i < n * keep; i++) out[i] = src[i] / maxValue;
    return out;
  }
  for (let p = 0, s = 0, o = 0; p < n; p++, s += srcChannels, o += keep) {
    for (let c = 0; c < keep; c++) out[o + c] = src[s + c] / maxValue;
  }
  return out;
}

/** Maps palette indices to gray (1 channel) when every entry is gray, else to RGB. */
export function applyPalette(
  indices: ArrayLike<number>,
  palette: ArrayLike<ArrayLike<number>>,
  paletteMax: number,
): { channels: 1 | 3; data: Float32Array } {
  let grayPalette = true;
  for (let i = 0; i < palette.length; i++) {
    const e = palette[i];
    if (e[0] !== e[1] || e[1] !== e[2]) {
      grayPalette = false;
      break;
    }
  }
  const n = indices.length;
  const channels: 1 | 3 = grayPalette ? 1 : 3;
  const data = new Float32Array(n * channels);
  for (let p = 0; p < n; p++) {
    const idx = indices[p];
    // An index past the palette is black (what libpng and browsers show).
    const e = idx < palette.length ? palette[idx] : [0, 0, 0];
    if (channels === 1) data[p] = e[0] / paletteMax;
    else {
      data[3 * p] = e[0] / paletteMax;
      data[3 * p + 1] = e[1] / paletteMax;
      data[3 * p + 2] = e[2] / paletteMax;
    }
  }
  return { channels, data };
}

export function image(
  width: number,
  height: number,
  channels: 1 | 3,
  data: Float32Array,
  meta: DecodedImageMeta,
): DecodedImage {
  return { width, height, channels, data, meta };
}

/** Unpacks one row of 1/2/4-bit samples (MSB first) into `out` starting at `outOffset`. */
export function unpackBits(
  src: Uint8Array,
  srcOffset: number,
  count: number,
  bits: number,
  out: Uint8Array | Uint16Array,
  outOffset: number,
): void {
  const perByte = 8 / bits;
  const mask = (1 << bits) - 1;
  for (let i = 0; i < count; i++) {
    const byte = src[srcOffset + Math.floor(i / perByte)];
    const shift = 8 - bits * ((i % perByte) + 1);
    out[outOffset + i] = (byte >> shift) & mask;
  }
}

export function readU16BE(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}
export function readU32BE(b: Uint8Array, o: number): number {
  return ((b[o] << 24) >>> 0) + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);
}
export function readU16LE(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8);
}
export function readU32LE(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + ((b[o + 3] << 24) >>> 0);
}
export function readI32LE(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24);
}

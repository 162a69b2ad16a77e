/**
 * WebP decoder: libwebp compiled to wasm, as packaged by @jsquash/webp (the Squoosh codec).
 * Lossy and lossless still images; alpha is dropped; animated WebP is refused.
 * The wasm binary is loaded through ./wasm.ts (node_modules in Node, a bundled asset in the browser).
 */
import decodeWebpLib, { init as initWebp } from '@jsquash/webp/decode.js';
import { image, normalizeInterleaved, readU16LE, readU32LE } from './pixels.ts';
import { checkSize, DecodeError, errorText, type DecodedImage } from './types.ts';
import { loadWasmBinary } from './wasm.ts';

let ready: Promise<void> | null = null;

function ensureInit(): Promise<void> {
  if (!ready) {
    ready = loadWasmBinary('webp').then((wasmBinary) => initWebp({ wasmBinary } as Parameters<typeof initWebp>[0]));
    ready.catch(() => {
      ready = null;
    });
  }
  return ready;
}

function fourcc(b: Uint8Array, o: number): string {
  return String.fromCharCode(b[o], b[o + 1], b[o + 2], b[o + 3]);
}

/** Canvas size from the first chunk (VP8, VP8L or VP8X); throws for animations and unknown layouts. */
export function readWebpHeader(b: Uint8Array): { width: number; height: number } {
  if (b.length < 30) throw new DecodeError('corrupt', 'corrupt WebP: file too short');
  const chunk = fourcc(b, 12);
  const o = 20;
  if (chunk === 'VP8 ') {
    if (b[o + 3] !== 0x9d || b[o + 4] !== 0x01 || b[o + 5] !== 0x2a) throw new DecodeError('corrupt', 'corrupt WebP: bad VP8 start code');
    return { width: readU16LE(b, o + 6) & 0x3fff, height: readU16LE(b, o + 8) & 0x3fff };
  }
  if (chunk === 'VP8L') {
    if (b[o] !== 0x2f) throw new DecodeError('corrupt', 'corrupt WebP: bad VP8L signature');
    const bits = readU32LE(b, o + 1);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X') {
    if (b[o] & 0x02) throw new DecodeError('unsupported', 'unsupported: animated WebP');
    const w = (b[o + 4] | (b[o + 5] << 8) | (b[o + 6] << 16)) + 1;
    const h = (b[o + 7] | (b[o + 8] << 8) | (b[o + 9] << 16)) + 1;
    return { width: w, height: h };
  }
  throw new DecodeError('corrupt', `corrupt WebP: unknown first chunk '${chunk}'`);
}

export async function decodeWebp(bytes: Uint8Array): Promise<DecodedImage> {
  const { width, height } = readWebpHeader(bytes);
  checkSize(width, height);
  await ensureInit();
  let out;
  try {
    // jsquash copies the input into wasm memory; give it an exact ArrayBuffer.
    const buf = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
      ? (bytes.buffer as ArrayBuffer)
      : (bytes.slice().buffer as ArrayBuffer);
    out = await decodeWebpLib(buf);
  } catch (e) {
    throw new DecodeError('corrupt', `corrupt WebP: ${errorText(e)}`, { cause: e });
  }
  if (out.width !== width || out.height !== height) throw new DecodeError('corrupt', 'corrupt WebP: size mismatch');
  return image(width, height, 3, normalizeInterleaved(out.data, width, height, 4, 3, 255), {
    format: 'webp',
    bitDepth: 8,
    photometric: 'rgb',
  });
}

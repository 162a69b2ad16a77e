/**
 * Decoders for the compressed DICOM transfer syntaxes whose codec is not a plain image format:
 * JPEG Lossless (processes 14 / SV1: jpeg-lossless-decoder-js, pure JS), JPEG-LS (CharLS wasm build
 * @cornerstonejs/codec-charls) and JPEG 2000 (OpenJPEG wasm build @cornerstonejs/codec-openjpeg).
 * The wasm codecs are emscripten modules handed their binary through ./wasm.ts (no network).
 * Each returns the frame's samples as unsigned integers; the caller applies Bits Stored and sign.
 */
import { Decoder as JpegLosslessDecoder } from 'jpeg-lossless-decoder-js';
import charlsFactory, { type CharLSModule } from '@cornerstonejs/codec-charls/decodewasmjs';
import openjpegFactory, { type OpenJPEGModule } from '@cornerstonejs/codec-openjpeg/decodewasmjs';
import { readJpegHeader } from './jpeg.ts';
import { DecodeError, errorText } from './types.ts';
import { loadWasmBinary } from './wasm.ts';

export interface CodecFrame {
  width: number;
  height: number;
  components: number;
  bitsPerSample: number;
  /** Unsigned samples; interleaved unless `planar`. */
  data: Uint8Array | Uint16Array;
  planar: boolean;
}

/** The codecs log progress through emscripten's print / printErr; keep the console clean. */
const quiet = { print: () => {}, printErr: () => {} };

let charls: Promise<CharLSModule> | null = null;
let openjpeg: Promise<OpenJPEGModule> | null = null;

function getCharls(): Promise<CharLSModule> {
  if (!charls) {
    charls = loadWasmBinary('charls').then((wasmBinary) => charlsFactory({ wasmBinary, ...quiet }));
    charls.catch(() => (charls = null));
  }
  return charls;
}

function getOpenjpeg(): Promise<OpenJPEGModule> {
  if (!openjpeg) {
    openjpeg = loadWasmBinary('openjpeg').then((wasmBinary) => openjpegFactory({ wasmBinary, ...quiet }));
    openjpeg.catch(() => (openjpeg = null));
  }
  return openjpeg;
}

/** Copies a wasm-memory view out, as 8- or 16-bit samples (wasm memory is little endian). */
function copySamples(view: Uint8Array, bits: number): Uint8Array | Uint16Array {
  const copy = view.slice();
  return bits > 8 ? new Uint16Array(copy.buffer, 0, copy.length >> 1) : copy;
}

export function decodeJpegLosslessFrame(frame: Uint8Array): CodecFrame {
  const h = readJpegHeader(frame);
  if (!h) throw new DecodeError('corrupt', 'corrupt DICOM: JPEG Lossless frame without a frame header');
  if (h.sof !== 0xc3) throw new DecodeError('corrupt', 'corrupt DICOM: JPEG Lossless frame is not a lossless (SOF3) stream');
  let data: Uint8Array | Uint16Array;
  try {
    const buf = frame.slice().buffer;
    data = new JpegLosslessDecoder().decode(buf, 0, buf.byteLength);
  } catch (e) {
    throw new DecodeError('corrupt', `corrupt DICOM JPEG Lossless frame: ${errorText(e)}`, { cause: e });
  }
  return { width: h.width, height: h.height, components: h.components, bitsPerSample: h.precision, data, planar: false };
}

export async function decodeJpegLsFrame(frame: Uint8Array): Promise<CodecFrame> {
  const lib = await getCharls();
  const dec = new lib.JpegLSDecoder();
  try {
    dec.getEncodedBuffer(frame.length).set(frame);
    dec.decode();
    const fi = dec.getFrameInfo();
    const interleave = dec.getInterleaveMode();
    return {
      width: fi.width,
      height: fi.height,
      components: fi.componentCount,
      bitsPerSample: fi.bitsPerSample,
      data: copySamples(dec.getDecodedBuffer(), fi.bitsPerSample),
      planar: fi.componentCount > 1 && interleave === 0,
    };
  } catch (e) {
    throw new DecodeError('corrupt', `corrupt DICOM JPEG-LS frame: ${errorText(e)}`, { cause: e });
  } finally {
    dec.delete();
  }
}

/** A JP2 file wraps the codestream in boxes; DICOM should hold the bare codestream, but some files don't. */
function j2kCodestream(b: Uint8Array): Uint8Array {
  if (b[0] === 0xff && b[1] === 0x4f) return b;
  let o = 0;
  while (o + 8 <= b.length) {
    let len = ((b[o] << 24) >>> 0) + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);
    const type = String.fromCharCode(b[o + 4], b[o + 5], b[o + 6], b[o + 7]);
    let header = 8;
    if (len === 1) {
      len = Number(new DataView(b.buffer, b.byteOffset + o + 8, 8).getBigUint64(0));
      header = 16;
    } else if (len === 0) len = b.length - o;
    if (type === 'jp2c') return b.subarray(o + header, o + len);
    if (len < header) break;
    o += len;
  }
  throw new DecodeError('corrupt', 'corrupt DICOM: JPEG 2000 frame without a codestream');
}

export async function decodeJ2kFrame(frame: Uint8Array): Promise<CodecFrame> {
  const cs = j2kCodestream(frame);
  const lib = await getOpenjpeg();
  const dec = new lib.J2KDecoder();
  try {
    dec.getEncodedBuffer(cs.length).set(cs);
    dec.decode();
    const fi = dec.getFrameInfo();
    return {
      width: fi.width,
      height: fi.height,
      components: fi.componentCount,
      bitsPerSample: fi.bitsPerSample,
      data: copySamples(dec.getDecodedBuffer(), fi.bitsPerSample),
      planar: false,
    };
  } catch (e) {
    throw new DecodeError('corrupt', `corrupt DICOM JPEG 2000 frame: ${errorText(e)}`, { cause: e });
  } finally {
    dec.delete();
  }
}

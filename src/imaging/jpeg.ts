/**
 * JPEG decoder (jpeg-js, pure JS): baseline, extended (8-bit) and progressive Huffman JPEG,
 * 1 component (gray), 3 components (YCbCr or RGB) and 4 components (CMYK / YCCK, converted to RGB).
 * Not supported: 12/16-bit precision, lossless (SOF3) and arithmetic coding; these are refused from
 * the frame header with an "unsupported" reason. Chroma upsampling is jpeg-js's (nearest sample).
 */
import decodeJpegLib from 'jpeg-js/lib/decoder.js';
import { image, normalizeInterleaved, readU16BE } from './pixels.ts';
import { checkSize, DecodeError, errorText, MAX_PIXELS, type DecodedImage } from './types.ts';

export interface JpegFrameHeader {
  /** SOF marker byte (0xC0 baseline, 0xC1 extended, 0xC2 progressive, 0xC3 lossless, ...). */
  sof: number;
  precision: number;
  width: number;
  height: number;
  components: number;
}

const SOF_NAMES: Record<number, string> = {
  0xc0: 'baseline', 0xc1: 'extended sequential', 0xc2: 'progressive', 0xc3: 'lossless',
  0xc5: 'differential sequential', 0xc6: 'differential progressive', 0xc7: 'differential lossless',
  0xc9: 'arithmetic extended', 0xca: 'arithmetic progressive', 0xcb: 'arithmetic lossless',
  0xcd: 'arithmetic differential sequential', 0xce: 'arithmetic differential progressive',
  0xcf: 'arithmetic differential lossless',
};

/** Reads markers up to the first SOFn; null when there is none (truncated or not a JPEG). */
export function readJpegHeader(b: Uint8Array, start = 0, end = b.length): JpegFrameHeader | null {
  if (b[start] !== 0xff || b[start + 1] !== 0xd8) return null;
  let o = start + 2;
  while (o + 4 <= end) {
    if (b[o] !== 0xff) return null;
    let marker = b[o + 1];
    while (marker === 0xff && o + 2 < end) {
      o++;
      marker = b[o + 1];
    }
    o += 2;
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    if (marker === 0xd9 || marker === 0xda) return null; // EOI / SOS before a frame header
    if (o + 2 > end) return null;
    const len = readU16BE(b, o);
    if (SOF_NAMES[marker] !== undefined) {
      if (o + 8 > end) return null;
      return { sof: marker, precision: b[o + 2], height: readU16BE(b, o + 3), width: readU16BE(b, o + 5), components: b[o + 7] };
    }
    o += len;
  }
  return null;
}

/** Refuses what jpeg-js cannot decode, and images over the pixel limit, from the frame header. */
export function checkJpegHeader(h: JpegFrameHeader | null): JpegFrameHeader {
  if (!h) throw new DecodeError('corrupt', 'corrupt JPEG: no frame header');
  if (h.sof !== 0xc0 && h.sof !== 0xc1 && h.sof !== 0xc2) {
    throw new DecodeError('unsupported', `unsupported JPEG process: ${SOF_NAMES[h.sof]}`);
  }
  if (h.precision !== 8) throw new DecodeError('unsupported', `unsupported JPEG precision: ${h.precision}-bit`);
  if (h.height === 0) throw new DecodeError('unsupported', 'unsupported JPEG: height defined by a DNL marker');
  if (h.components !== 1 && h.components !== 3 && h.components !== 4) {
    throw new DecodeError('unsupported', `unsupported JPEG with ${h.components} components`);
  }
  checkSize(h.width, h.height);
  return h;
}

/**
 * Decodes 8-bit JPEG to interleaved bytes: 1 channel when the stream has one component, else RGB.
 * `colorTransform`: undefined lets jpeg-js decide (Adobe marker / JFIF), true forces YCbCr -> RGB,
 * false keeps the components as they are (DICOM photometric RGB).
 */
export function decodeJpegBytes(
  bytes: Uint8Array,
  colorTransform?: boolean,
): { width: number; height: number; channels: 1 | 3; data: Uint8Array } {
  const h = checkJpegHeader(readJpegHeader(bytes));
  let out;
  try {
    out = decodeJpegLib(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      colorTransform,
      tolerantDecoding: false,
      maxResolutionInMP: MAX_PIXELS / 1e6,
      maxMemoryUsageInMB: 4096,
    });
  } catch (e) {
    throw new DecodeError('corrupt', `corrupt JPEG: ${errorText(e)}`, { cause: e });
  }
  if (out.width !== h.width || out.height !== h.height) throw new DecodeError('corrupt', 'corrupt JPEG: size mismatch');
  if (h.components === 1) {
    const n = out.width * out.height;
    const g = new Uint8Array(n);
    for (let i = 0; i < n; i++) g[i] = out.data[3 * i];
    return { width: out.width, height: out.height, channels: 1, data: g };
  }
  return { width: out.width, height: out.height, channels: 3, data: out.data };
}

export function decodeJpeg(bytes: Uint8Array): DecodedImage {
  const r = decodeJpegBytes(bytes);
  return image(r.width, r.height, r.channels, normalizeInterleaved(r.data, r.width, r.height, r.channels, r.channels, 255), {
    format: 'jpeg',
    bitDepth: 8,
    photometric: r.channels === 1 ? 'gray' : 'rgb',
  });
}

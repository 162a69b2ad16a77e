/**
 * PNG decoder (fast-png, pure JS): gray, gray+alpha, RGB, RGBA at 8/16 bits, gray at 1/2/4 bits,
 * palette at 1/2/4/8 bits. Alpha and tRNS transparency are dropped. APNG: the default image only.
 */
import { decode as decodePngLib } from 'fast-png';
import { applyPalette, image, normalizeInterleaved, readU32BE, unpackBits } from './pixels.ts';
import { checkSize, DecodeError, errorText, type DecodedImage } from './types.ts';

export function decodePng(bytes: Uint8Array): DecodedImage {
  if (bytes.length < 33 || readU32BE(bytes, 12) !== 0x49484452 /* IHDR */) {
    throw new DecodeError('corrupt', 'corrupt PNG: missing IHDR header');
  }
  const width = readU32BE(bytes, 16);
  const height = readU32BE(bytes, 20);
  checkSize(width, height);
  let png;
  try {
    png = decodePngLib(bytes, { checkCrc: true });
  } catch (e) {
    throw new DecodeError('corrupt', `corrupt PNG: ${errorText(e)}`, { cause: e });
  }
  const { depth, channels } = png;
  const need = depth >= 8 ? width * height * channels : Math.ceil((depth * channels * width) / 8) * height;
  if (png.data.length < need) {
    throw new DecodeError('corrupt', 'corrupt PNG: image data is truncated');
  }
  const meta = { format: 'png', bitDepth: depth } as DecodedImage['meta'];
  if (png.palette) {
    const idx = depth === 8 ? (png.data as Uint8Array) : unpackRows(png.data as Uint8Array, width, height, depth);
    const { channels: c, data } = applyPalette(idx, png.palette, 255);
    meta.photometric = 'palette';
    return image(width, height, c, data, meta);
  }
  if (depth < 8) {
    const v = unpackRows(png.data as Uint8Array, width, height, depth);
    meta.photometric = 'gray';
    return image(width, height, 1, normalizeInterleaved(v, width, height, 1, 1, (1 << depth) - 1), meta);
  }
  const max = depth === 16 ? 65535 : 255;
  const keep: 1 | 3 = channels <= 2 ? 1 : 3;
  if (channels < 1 || channels > 4) throw new DecodeError('unsupported', `unsupported PNG with ${channels} channels`);
  meta.photometric = ['gray', 'gray+alpha', 'rgb', 'rgba'][channels - 1];
  return image(width, height, keep, normalizeInterleaved(png.data, width, height, channels, keep, max), meta);
}

function unpackRows(packed: Uint8Array, width: number, height: number, depth: number): Uint8Array {
  const stride = Math.ceil((depth * width) / 8);
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) unpackBits(packed, y * stride, width, depth, out, y * width);
  return out;
}

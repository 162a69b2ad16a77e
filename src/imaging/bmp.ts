/**
 * BMP decoder (own code; format: Microsoft "Bitmap Storage" / BITMAPINFOHEADER..BITMAPV5HEADER and
 * the OS/2 BITMAPCOREHEADER). Supported: 1/2/4/8-bit palette, 16-bit (5-5-5 default or BI_BITFIELDS),
 * 24-bit, 32-bit (BGRX default, BI_BITFIELDS / BI_ALPHABITFIELDS), bottom-up and top-down rows.
 * Each bit field maps to v / (2^bits - 1). Alpha is dropped. Palettes whose entries are all gray give
 * one channel. Refused as unsupported: RLE4/RLE8 compression and embedded JPEG/PNG.
 */
import { applyPalette, image, readI32LE, readU16LE, readU32LE } from './pixels.ts';
import { checkSize, DecodeError, type DecodedImage } from './types.ts';

const BI_RGB = 0;
const BI_RLE8 = 1;
const BI_RLE4 = 2;
const BI_BITFIELDS = 3;
const BI_JPEG = 4;
const BI_PNG = 5;
const BI_ALPHABITFIELDS = 6;

function maskShiftBits(mask: number): { shift: number; bits: number } {
  if (mask === 0) return { shift: 0, bits: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  let bits = 0;
  while (shift + bits < 32 && ((mask >>> (shift + bits)) & 1) === 1) bits++;
  return { shift, bits };
}

export function decodeBmp(b: Uint8Array): DecodedImage {
  if (b.length < 26) throw new DecodeError('corrupt', 'corrupt BMP: file too short');
  const dataOffset = readU32LE(b, 10);
  const headerSize = readU32LE(b, 14);
  let width: number;
  let height: number;
  let bpp: number;
  let compression = BI_RGB;
  let colorsUsed = 0;
  let paletteEntrySize = 4;
  if (headerSize === 12) {
    width = readU16LE(b, 18);
    height = readU16LE(b, 20);
    bpp = readU16LE(b, 24);
    paletteEntrySize = 3;
  } else if (headerSize >= 40 && b.length >= 14 + 40) {
    width = readI32LE(b, 18);
    height = readI32LE(b, 22);
    bpp = readU16LE(b, 28);
    compression = readU32LE(b, 30);
    colorsUsed = readU32LE(b, 46);
  } else {
    throw new DecodeError('corrupt', `corrupt BMP: unknown header size ${headerSize}`);
  }
  const topDown = height < 0;
  height = Math.abs(height);
  checkSize(width, height);
  if (compression === BI_RLE8 || compression === BI_RLE4) throw new DecodeError('unsupported', 'unsupported BMP: RLE compression');
  if (compression === BI_JPEG || compression === BI_PNG) throw new DecodeError('unsupported', 'unsupported BMP: embedded JPEG/PNG');
  if (compression !== BI_RGB && compression !== BI_BITFIELDS && compression !== BI_ALPHABITFIELDS) {
    throw new DecodeError('unsupported', `unsupported BMP compression ${compression}`);
  }
  if (![1, 2, 4, 8, 16, 24, 32].includes(bpp)) throw new DecodeError('unsupported', `unsupported BMP bit depth ${bpp}`);
  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  if (dataOffset + stride * height > b.length) throw new DecodeError('corrupt', 'corrupt BMP: pixel data is truncated');
  const rowStart = (y: number) => dataOffset + (topDown ? y : height - 1 - y) * stride;
  const meta = { format: 'bmp', bitDepth: bpp } as DecodedImage['meta'];

  if (bpp <= 8) {
    const count = colorsUsed || 1 << bpp;
    const palOff = 14 + headerSize + (compression === BI_BITFIELDS ? 12 : 0);
    if (palOff + count * paletteEntrySize > dataOffset) throw new DecodeError('corrupt', 'corrupt BMP: palette overlaps the pixels');
    const palette: number[][] = [];
    for (let i = 0; i < count; i++) {
      const o = palOff + i * paletteEntrySize;
      palette.push([b[o + 2], b[o + 1], b[o]]);
    }
    const idx = new Uint8Array(width * height);
    const perByte = 8 / bpp;
    const mask = (1 << bpp) - 1;
    for (let y = 0; y < height; y++) {
      const r = rowStart(y);
      for (let x = 0; x < width; x++) {
        const byte = b[r + Math.floor(x / perByte)];
        idx[y * width + x] = (byte >> (8 - bpp * ((x % perByte) + 1))) & mask;
      }
    }
    const { channels, data } = applyPalette(idx, palette, 255);
    meta.photometric = 'palette';
    return image(width, height, channels, data, meta);
  }

  if (bpp === 24) {
    const data = new Float32Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      const r = rowStart(y);
      for (let x = 0, o = y * width * 3; x < width; x++, o += 3) {
        data[o] = b[r + 3 * x + 2] / 255;
        data[o + 1] = b[r + 3 * x + 1] / 255;
        data[o + 2] = b[r + 3 * x] / 255;
      }
    }
    meta.photometric = 'rgb';
    return image(width, height, 3, data, meta);
  }

  // 16 and 32 bits: bit fields
  let masks: number[];
  if (compression === BI_BITFIELDS || compression === BI_ALPHABITFIELDS) {
    const mo = 14 + 40; // the masks follow a 40-byte header, or sit at the same place inside V2..V5 headers
    masks = [readU32LE(b, mo), readU32LE(b, mo + 4), readU32LE(b, mo + 8)];
  } else {
    masks = bpp === 16 ? [0x7c00, 0x03e0, 0x001f] : [0x00ff0000, 0x0000ff00, 0x000000ff];
  }
  const fields = masks.map(maskShiftBits);
  if (fields.some((f) => f.bits === 0)) throw new DecodeError('unsupported', 'unsupported BMP: empty colour mask');
  const maxes = fields.map((f) => 2 ** f.bits - 1);
  const data = new Float32Array(width * height * 3);
  const bytesPer = bpp / 8;
  for (let y = 0; y < height; y++) {
    const r = rowStart(y);
    for (let x = 0, o = y * width * 3; x < width; x++, o += 3) {
      const v = bpp === 16 ? readU16LE(b, r + 2 * x) : readU32LE(b, r + bytesPer * x);
      for (let c = 0; c < 3; c++) {
        const f = fields[c];
        // >>> keeps 32-bit masks unsigned; the division by 2^shift avoids a sign flip at bit 31.
        data[o + c] = (Math.floor((v >>> 0) / 2 ** f.shift) % 2 ** f.bits) / maxes[c];
      }
    }
  }
  meta.photometric = 'rgb';
  return image(width, height, 3, data, meta);
}

import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { decode } from 'fast-png';
import { crc32, encodePngGray8, filterRows } from '../../../src/core/png/encode.ts';
import { pngTestImage } from '../../../src/core/png/testImage.ts';

const fixedImage = pngTestImage;

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('encodePngGray8', () => {
  it('CRC-32 of "123456789" is the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('decodes back (fast-png) to the same pixels, for several shapes', () => {
    for (const [w, h] of [[256, 256], [1, 1], [7, 3], [3, 9], [300, 2]]) {
      const img = fixedImage(w, h);
      const png = encodePngGray8(img, w, h);
      const dec = decode(png);
      expect([dec.width, dec.height, dec.channels, dec.depth]).toEqual([w, h, 1, 8]);
      expect(Buffer.from(dec.data as Uint8Array).equals(Buffer.from(img))).toBe(true);
    }
  });

  it('writes IHDR for 8-bit grayscale and only IHDR, IDAT, IEND', () => {
    const png = encodePngGray8(fixedImage(5, 4), 5, 4);
    expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const types: string[] = [];
    let o = 8;
    while (o < png.length) {
      const len = new DataView(png.buffer, png.byteOffset + o).getUint32(0);
      const type = String.fromCharCode(...png.subarray(o + 4, o + 8));
      types.push(type);
      expect(new DataView(png.buffer, png.byteOffset + o + 8 + len).getUint32(0)).toBe(crc32(png, o + 4, o + 8 + len));
      if (type === 'IHDR') expect(Array.from(png.subarray(o + 8, o + 21))).toEqual([0, 0, 0, 5, 0, 0, 0, 4, 8, 0, 0, 0, 0]);
      o += 12 + len;
    }
    expect(types).toEqual(['IHDR', 'IDAT', 'IEND']);
  });

  it('golden: byte length and SHA-256 of the fixed 256 x 256 image are pinned', () => {
    const png = encodePngGray8(fixedImage(), 256, 256);
    expect({ length: png.length, sha256: sha256(png) }).toEqual(GOLDEN_256);
  });

  it('golden: a constant image', () => {
    const flat = encodePngGray8(new Uint8Array(256 * 256).fill(128), 256, 256);
    expect({ length: flat.length, sha256: sha256(flat) }).toEqual(GOLDEN_FLAT);
  });

  it('adaptive filter: hand cases', () => {
    // A horizontal ramp: Sub (1) leaves all 1s after the first byte; None sums 0+1+2+3 = 6, Sub sums 0+1+1+1 = 3.
    const ramp = Uint8Array.from([0, 1, 2, 3]);
    expect(Array.from(filterRows(ramp, 4, 1))).toEqual([1, 0, 1, 1, 1]);
    // Row [9, 9, 9]: None 27, Sub 9 (9, 0, 0), Up 27, Average 19, Paeth 9 (= Sub, tie goes to Sub);
    // the same row again below it: Up gives all zeros.
    const two = Uint8Array.from([9, 9, 9, 9, 9, 9]);
    expect(Array.from(filterRows(two, 3, 2))).toEqual([1, 9, 0, 0, 2, 0, 0, 0]);
    // Differences are modulo 256 and sized as signed bytes: [10, 9, 8] by Sub is 10, -1, -1 (sum 12) < None 27.
    expect(Array.from(filterRows(Uint8Array.from([10, 9, 8]), 3, 1))).toEqual([1, 10, 255, 255]);
    // A tie goes to the lowest type: [0, 255] is 0 + 1 under None and under Sub.
    expect(Array.from(filterRows(Uint8Array.from([0, 255]), 2, 1))).toEqual([0, 0, 255]);
  });

  it('rejects a size that does not match the data', () => {
    expect(() => encodePngGray8(new Uint8Array(10), 3, 3)).toThrow(/expected 3 x 3/);
    expect(() => encodePngGray8(new Uint8Array(0), 0, 0)).toThrow(/bad PNG size/);
  });
});

const GOLDEN_256 = { length: 43943, sha256: 'feb92977f20d4b2d4dc47ca6044a3dd91bdaaec8872b112120c66664cf3cf290' };
const GOLDEN_FLAT = { length: 372, sha256: 'a7e2d1026f9780ca2788ca116feca70d28ef56caac431a217195677a6e74f1bd' };

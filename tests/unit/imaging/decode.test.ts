import { describe, expect, it } from 'vitest';
import { decodeImage, detectFormat, imageId } from '../../../src/imaging/decode.ts';
import { DecodeError, type DecodedImage } from '../../../src/imaging/types.ts';
import { expectClose, expectExact, fixture, H, hash16, hash8, lossyRef, palette16, palIndex, smooth8, W } from './patterns.ts';

async function one(name: string): Promise<DecodedImage> {
  const imgs = await decodeImage(fixture('formats', name), name);
  expect(imgs).toHaveLength(1);
  return imgs[0];
}

const gray = { width: W, height: H, channels: 1 as const };
const rgb = { width: W, height: H, channels: 3 as const };
const bmpGray = { width: 15, height: H, channels: 1 as const };
const bmpRgb = { width: 15, height: H, channels: 3 as const };

describe('PNG (fast-png)', () => {
  it('8-bit gray is v / 255', async () => {
    const img = await one('png-gray8.png');
    expectExact(img, gray, (x, y) => hash8(x, y, 0) / 255);
    expect(img.meta).toMatchObject({ format: 'png', bitDepth: 8 });
    // hand check: pixel (1, 1) = 16 + 21 = 37
    expect(img.data[W + 1]).toBe(Math.fround(37 / 255));
  });
  it('16-bit gray is v / 65535 (byte order right)', async () => {
    const img = await one('png-gray16.png');
    expectExact(img, gray, (x, y) => hash16(x, y, 0) / 65535);
    expect(img.meta.bitDepth).toBe(16);
  });
  it('4-bit gray is v / 15', async () => {
    expectExact(await one('png-gray4.png'), gray, (x, y) => ((x + 2 * y) % 16) / 15);
  });
  it('gray + alpha drops alpha', async () => {
    expectExact(await one('png-graya8.png'), gray, (x, y) => hash8(x, y, 0) / 255);
  });
  it('RGB 8 and 16 bit', async () => {
    expectExact(await one('png-rgb8.png'), rgb, (x, y, c) => hash8(x, y, c) / 255);
    expectExact(await one('png-rgb16.png'), rgb, (x, y, c) => hash16(x, y, c) / 65535);
  });
  it('RGBA 8 and 16 bit drop alpha (not premultiplied)', async () => {
    expectExact(await one('png-rgba8.png'), rgb, (x, y, c) => hash8(x, y, c) / 255);
    expectExact(await one('png-rgba16.png'), rgb, (x, y, c) => hash16(x, y, c) / 65535);
  });
  it('palette: colour palette gives RGB, gray palette gives one channel', async () => {
    expectExact(await one('png-palette.png'), rgb, (x, y, c) => palette16(palIndex(x, y))[c] / 255);
    expectExact(await one('png-palette-gray.png'), gray, (x, y) => (palIndex(x, y) * 17) / 255);
  });
});

describe('JPEG (jpeg-js)', () => {
  // jpeg-js's integer IDCT and nearest-neighbour chroma differ from libjpeg-turbo by a level or two.
  it('baseline and progressive: within 2/255 of libjpeg-turbo, within 6/255 of the source pattern', async () => {
    for (const name of ['jpeg-baseline.jpg', 'jpeg-progressive.jpg']) {
      const img = await one(name);
      const ref = lossyRef(`formats/${name}`);
      expectClose(img, rgb, (x, y, c) => ref(x, y, c) / 255, 2 / 255);
      expectClose(img, rgb, (x, y, c) => smooth8(x, y, c) / 255, 6 / 255);
      expect(img.meta).toMatchObject({ format: 'jpeg', bitDepth: 8 });
    }
  });
  it('gray JPEG gives one channel', async () => {
    const img = await one('jpeg-gray.jpg');
    const ref = lossyRef('formats/jpeg-gray.jpg');
    expectClose(img, gray, (x, y) => ref(x, y, 0) / 255, 1 / 255);
    expectClose(img, gray, (x, y) => smooth8(x, y, 0) / 255, 3 / 255);
  });
});

describe('WebP (@jsquash/webp, wasm)', () => {
  it('lossless is exact, alpha dropped', async () => {
    expectExact(await one('webp-lossless.webp'), rgb, (x, y, c) => hash8(x, y, c) / 255);
    expectExact(await one('webp-lossless-alpha.webp'), rgb, (x, y, c) => hash8(x, y, c) / 255);
  });
  it('lossy: identical to libwebp through PIL', async () => {
    const ref = lossyRef('formats/webp-lossy.webp');
    expectExact(await one('webp-lossy.webp'), rgb, (x, y, c) => ref(x, y, c) / 255);
  });
});

describe('BMP', () => {
  it('24-bit bottom-up with padded rows', async () => {
    expectExact(await one('bmp-rgb24.bmp'), bmpRgb, (x, y, c) => hash8(x, y, c) / 255);
  });
  it('8-bit gray palette gives one channel', async () => {
    expectExact(await one('bmp-gray8.bmp'), bmpGray, (x, y) => hash8(x, y, 0) / 255);
  });
  it('4-bit colour palette', async () => {
    expectExact(await one('bmp-pal4.bmp'), bmpRgb, (x, y, c) => palette16(palIndex(x, y))[c] / 255);
  });
  it('1-bit', async () => {
    expectExact(await one('bmp-1bit.bmp'), bmpGray, (x, y) => (x + y) % 2);
  });
  it('32-bit top-down BITFIELDS (V4 header), alpha dropped', async () => {
    expectExact(await one('bmp-rgba32.bmp'), bmpRgb, (x, y, c) => hash8(x, y, c) / 255);
  });
  it('16-bit 5-6-5 fields map to v / 31 and v / 63', async () => {
    const bits = [3, 2, 3];
    const max = [31, 63, 31];
    expectExact(await one('bmp-rgb565.bmp'), bmpRgb, (x, y, c) => (hash8(x, y, c) >> bits[c]) / max[c]);
  });
});

describe('TIFF (utif)', () => {
  it('8-bit gray, uncompressed and PackBits', async () => {
    expectExact(await one('tiff-gray8.tif'), gray, (x, y) => hash8(x, y, 0) / 255);
    expectExact(await one('tiff-gray8-packbits.tif'), gray, (x, y) => hash8(x, y, 0) / 255);
  });
  it('16-bit gray, big endian', async () => {
    expectExact(await one('tiff-gray16-be.tif'), gray, (x, y) => hash16(x, y, 0) / 65535);
  });
  it('WhiteIsZero is inverted', async () => {
    expectExact(await one('tiff-gray8-miniswhite.tif'), gray, (x, y) => 1 - hash8(x, y, 0) / 255);
  });
  it('RGB 8-bit LZW + predictor in 4-row strips, RGB 16-bit Deflate + predictor', async () => {
    expectExact(await one('tiff-rgb8-lzw.tif'), rgb, (x, y, c) => hash8(x, y, c) / 255);
    expectExact(await one('tiff-rgb16-zip.tif'), rgb, (x, y, c) => hash16(x, y, c) / 65535);
  });
});

describe('format detection and unusable files', () => {
  it('detects by magic bytes, not by name', async () => {
    expect(detectFormat(fixture('bad', 'png-as.jpg'))).toBe('png');
    const [img] = await decodeImage(fixture('bad', 'png-as.jpg'), 'png-as.jpg');
    expectExact(img, rgb, (x, y, c) => hash8(x, y, c) / 255);
    expect(detectFormat(fixture('dicom', 'IM000001'))).toBe('dicom');
  });

  const cases: [string, string, RegExp][] = [
    ['empty.png', 'empty', /^empty file \(0 bytes\)$/],
    ['text.png', 'not-image', /^not an image/],
    ['random.bin', 'not-image', /^not an image/],
    ['truncated.png', 'corrupt', /^corrupt PNG/],
    ['corrupt.png', 'corrupt', /^corrupt PNG/],
    ['truncated.jpg', 'corrupt', /^corrupt JPEG/],
    ['truncated.dcm', 'corrupt', /^corrupt DICOM/],
    ['image.gif', 'unsupported', /^unsupported format: GIF$/],
    ['huge.png', 'too-large', /^too large to decode: 20000 x 20000/],
  ];
  for (const [name, code, reason] of cases) {
    it(`${name}: ${code}`, async () => {
      const err = await decodeImage(fixture('bad', name), name).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DecodeError);
      expect((err as DecodeError).code).toBe(code);
      expect((err as DecodeError).reason).toMatch(reason);
    });
  }

  it('imageId adds #frame only for multi-frame images', () => {
    const meta = { format: 'dicom', bitDepth: 8 };
    const img = { width: 1, height: 1, channels: 1 as const, data: new Float32Array(1), meta };
    expect(imageId('a/b.dcm', img)).toBe('a/b.dcm');
    expect(imageId('a/b.dcm', { ...img, meta: { ...meta, frame: 2 } })).toBe('a/b.dcm#2');
  });
});

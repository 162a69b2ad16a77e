import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../../src/imaging/decode.ts';
import { voiFunction } from '../../../src/imaging/dicom.ts';
import { DecodeError, type DecodedImage } from '../../../src/imaging/types.ts';
import { expectClose, expectExact, fixture, H, hash12, hash8, lossyRef, LOSSY_REF, maxError, smooth8, W } from './patterns.ts';

async function decode(name: string): Promise<DecodedImage[]> {
  return decodeImage(fixture('dicom', name), name);
}
async function one(name: string): Promise<DecodedImage> {
  const imgs = await decode(name);
  expect(imgs).toHaveLength(1);
  return imgs[0];
}
async function failure(name: string): Promise<DecodeError> {
  const e = await decode(name).then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DecodeError);
  return e as DecodeError;
}

/** PS3.3 C.11.2.1.2.1 LINEAR with output range [0, 1], written out from the standard's text. */
function linearWindow(x: number, c: number, w: number): number {
  if (x <= c - 0.5 - (w - 1) / 2) return 0;
  if (x > c - 0.5 + (w - 1) / 2) return 1;
  return (x - (c - 0.5)) / (w - 1) + 0.5;
}

const gray = { width: W, height: H, channels: 1 as const };
const rgb = { width: W, height: H, channels: 3 as const };
// Window 2048 / 4096 on 12-bit data is, by the LINEAR formula, s / 4095 exactly in exact arithmetic.
const gray12 = (x: number, y: number) => linearWindow(hash12(x, y), 2048, 4096);

describe('DICOM transfer syntaxes (12-bit pattern, window 2048/4096)', () => {
  it('the window maps stored s to s / 4095 (hand-derived identity)', () => {
    for (const s of [0, 1, 2047, 2048, 4094, 4095]) expect(linearWindow(s, 2048, 4096)).toBeCloseTo(s / 4095, 12);
  });

  const lossless: [string, string][] = [
    ['ts-implicit-le.dcm', '1.2.840.10008.1.2'],
    ['ts-explicit-le.dcm', '1.2.840.10008.1.2.1'],
    ['ts-explicit-be.dcm', '1.2.840.10008.1.2.2'],
    ['ts-deflated.dcm', '1.2.840.10008.1.2.1.99'],
    ['ts-rle.dcm', '1.2.840.10008.1.2.5'],
    ['ts-jpeg-lossless-sv1.dcm', '1.2.840.10008.1.2.4.70'],
    ['ts-jpeg-lossless-sv6.dcm', '1.2.840.10008.1.2.4.57'],
    ['ts-jpegls-lossless.dcm', '1.2.840.10008.1.2.4.80'],
    ['ts-j2k-lossless.dcm', '1.2.840.10008.1.2.4.90'],
    ['IM000001', '1.2.840.10008.1.2.1'],
    ['bits12-highbits.dcm', '1.2.840.10008.1.2.1'],
  ];
  for (const [name, uid] of lossless) {
    it(`${name} decodes exactly`, async () => {
      const img = await one(name);
      expectExact(img, gray, gray12);
      expect(img.meta).toEqual({
        format: 'dicom',
        bitDepth: 12,
        photometric: 'MONOCHROME2',
        transferSyntax: uid,
        window: { center: 2048, width: 4096 },
      });
    });
  }

  it('JPEG-LS split over several fragments (64 x 48)', async () => {
    expectExact(await one('ts-jpegls-fragments.dcm'), { width: 64, height: 48, channels: 1 }, (x, y) =>
      linearWindow(hash12(x, y), 2048, 4096),
    );
  });

  it('JPEG-LS near-lossless (NEAR = 2): every stored value within 2', async () => {
    const img = await one('ts-jpegls-near.dcm');
    expectClose(img, gray, gray12, 2 / 4095);
    const ref = lossyRef('dicom/ts-jpegls-near.dcm'); // CharLS through gdcm gives the same samples
    expectExact(img, gray, (x, y) => linearWindow(ref(x, y, 0), 2048, 4096));
  });

  it('JPEG 2000 lossy: same samples as OpenJPEG through gdcm', async () => {
    const img = await one('ts-j2k-lossy.dcm');
    const ref = lossyRef('dicom/ts-j2k-lossy.dcm');
    expect(LOSSY_REF['dicom/ts-j2k-lossy.dcm'].shape).toEqual([H, W]);
    expectExact(img, gray, (x, y) => linearWindow(ref(x, y, 0), 2048, 4096));
  });

  it('JPEG baseline 8-bit: within 1 level of libjpeg through gdcm, near the source', async () => {
    const img = await one('ts-jpeg-baseline.dcm');
    const w = img.meta.window as { center: number; width: number };
    const ref = lossyRef('dicom/ts-jpeg-baseline.dcm');
    expectClose(img, gray, (x, y) => linearWindow(ref(x, y, 0), w.center, w.width), 1 / 255);
    // dcmtk shifted the stored values and the window centre together, so the picture is the source's
    expectClose(img, gray, (x, y) => smooth8(x, y, 0) / 255, 3 / 255);
  });

  it('unsupported transfer syntax gives the reason with UID and name', async () => {
    const e = await failure('ts-htj2k-unsupported.dcm');
    expect(e.code).toBe('unsupported');
    expect(e.reason).toBe(
      'unsupported transfer syntax 1.2.840.10008.1.2.4.201 (High-Throughput JPEG 2000 Image Compression (Lossless Only))',
    );
  });

  it('12-bit JPEG extended is refused as unsupported', async () => {
    const e = await failure('ts-jpeg-extended-12bit.dcm');
    expect(e.code).toBe('unsupported');
    expect(e.reason).toMatch(/^unsupported transfer syntax 1\.2\.840\.10008\.1\.2\.4\.51 \(JPEG Extended \(Process 2 & 4\)\)/);
  });
});

describe('DICOM colour', () => {
  const exact: [string, string][] = [
    ['rgb-explicit-le.dcm', 'interleaved'],
    ['rgb-planar.dcm', 'planar configuration 1'],
    ['rgb-rle.dcm', 'RLE (one segment per colour)'],
    ['rgb-jpegls.dcm', 'JPEG-LS line-interleaved'],
    ['rgb-jpegls-planar.dcm', 'JPEG-LS not interleaved'],
    ['rgb-jpeg-lossless.dcm', 'JPEG lossless'],
    ['rgb-j2k.dcm', 'JPEG 2000 lossless'],
  ];
  for (const [name, what] of exact) {
    it(`${name} (${what}) is v / 255`, async () => {
      const img = await one(name);
      expectExact(img, rgb, (x, y, c) => hash8(x, y, c) / 255);
      expect(img.meta.window).toBeUndefined();
    });
  }
  it('native YBR_FULL is converted back to RGB (PS3.3 C.7.6.3.1.2), within the rounding of the stored YBR', async () => {
    const img = await one('ybr-full.dcm');
    expect(img.meta.photometric).toBe('YBR_FULL');
    expectClose(img, rgb, (x, y, c) => hash8(x, y, c) / 255, 2 / 255);
    // hand check, pixel (0,0): stored Y Cb Cr = 69 185 79 -> R = 69 + 1.402 (79 - 128) = 0.302
    expect(img.data[0]).toBeCloseTo((69 + 1.402 * (79 - 128)) / 255, 6);
    expect(img.data[2]).toBeCloseTo((69 + 1.772 * (185 - 128)) / 255, 6);
  });
  it('JPEG baseline YBR_FULL_422 is converted to RGB', async () => {
    const img = await one('rgb-jpeg-baseline.dcm');
    expect(img.meta.photometric).toBe('YBR_FULL_422');
    const ref = lossyRef('dicom/rgb-jpeg-baseline.dcm');
    // jpeg-js upsamples chroma by repetition, libjpeg-turbo by a triangle filter
    expectClose(img, rgb, (x, y, c) => ref(x, y, c) / 255, 10 / 255);
    expectClose(img, rgb, (x, y, c) => smooth8(x, y, c) / 255, 12 / 255);
  });
});

describe('DICOM value transforms', () => {
  it('rescale slope/intercept then the first of several windows (CT, signed 12-bit)', async () => {
    const img = await one('ct-rescale-window.dcm');
    expect(img.meta.window).toEqual({ center: 40, width: 400 });
    const hu = (x: number, y: number) => 2 * (x * 60 + y * 40 - 200) - 1024;
    expectExact(img, gray, (x, y) => linearWindow(hu(x, y), 40, 400));
    // hand-computed: (9,5) s = 540, HU = 56, (56 - 39.5) / 399 + 0.5; (10,5) HU = 176; (0,0) HU = -1424; (15,11) HU = 1256
    const at = (x: number, y: number) => img.data[y * W + x];
    expect(at(9, 5)).toBeCloseTo(0.541353383, 6);
    expect(at(10, 5)).toBeCloseTo(0.842105263, 6);
    expect(at(10, 4)).toBeCloseTo(0.64160401, 6);
    expect(at(0, 0)).toBe(0);
    expect(at(15, 11)).toBe(1);
  });

  it('MONOCHROME1 with a window is inverted after windowing', async () => {
    const img = await one('mono1-window.dcm');
    expect(img.meta).toMatchObject({ photometric: 'MONOCHROME1', bitDepth: 10, window: { center: 500, width: 1000 } });
    expectExact(img, gray, (x, y) => 1 - linearWindow(x * 50 + y * 20, 500, 1000));
    const at = (x: number, y: number) => img.data[y * W + x];
    expect(at(0, 0)).toBe(1); // s = 0 is at the lower edge
    expect(at(10, 0)).toBeCloseTo(0.4994995, 6); // s = 500
    expect(at(15, 11)).toBeCloseTo(0.029029029, 6); // s = 970
  });

  it('MONOCHROME1 without a window: min-max, inverted', async () => {
    const img = await one('mono1-minmax.dcm');
    expect(img.meta.window).toBe('minmax');
    expectExact(img, gray, (x, y) => 1 - (x * 50 + y * 20) / 970);
  });

  it('no window: min-max over the image', async () => {
    const img = await one('gray-minmax.dcm');
    let min = Infinity;
    let max = -Infinity;
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      min = Math.min(min, hash12(x, y));
      max = Math.max(max, hash12(x, y));
    }
    expectExact(img, gray, (x, y) => (hash12(x, y) - min) / (max - min));
    expect(img.meta.window).toBe('minmax');
  });

  it('VOI LUT Function SIGMOID and LINEAR_EXACT', async () => {
    const sig = await one('voi-sigmoid.dcm');
    expect(sig.meta.voiFunction).toBe('SIGMOID');
    expectExact(sig, gray, (x, y) => 1 / (1 + Math.exp((-4 * (x * 50 + y * 20 - 500)) / 1000)));
    expect(sig.data[0]).toBeCloseTo(0.119202922, 6); // 1 / (1 + e^2)
    const lin = await one('voi-linear-exact.dcm');
    expectExact(lin, gray, (x, y) => {
      const s = x * 50 + y * 20;
      return s <= 0 ? 0 : s > 1000 ? 1 : (s - 500) / 1000 + 0.5;
    });
  });

  it('voiFunction edge cases', () => {
    const f = voiFunction(40, 400)!;
    expect(f(40 - 0.5 - 199.5)).toBe(0);
    expect(f(40 - 0.5 + 199.5)).toBe(1);
    expect(f(39.5)).toBe(0.5);
    const one_ = voiFunction(10, 1)!; // width 1: a threshold at c - 0.5
    expect([one_(9.5), one_(9.6)]).toEqual([0, 1]);
    expect(voiFunction(10, 0.5)).toBeNull(); // LINEAR needs width >= 1
    expect(voiFunction(10, 0.5, 'LINEAR_EXACT')).not.toBeNull();
    expect(voiFunction(undefined, 100)).toBeNull();
  });
});

describe('DICOM multi-frame', () => {
  // frame k: 100 k + 10 x + y on 8 x 6; min 0, max 275 over the whole file
  for (const name of ['multiframe.dcm', 'multiframe-rle.dcm', 'multiframe-jpegls-nobot.dcm']) {
    it(`${name}: one image per frame, frames numbered from 1, min-max over all frames`, async () => {
      const imgs = await decode(name);
      expect(imgs).toHaveLength(3);
      imgs.forEach((img, k) => {
        expect(img.meta.frame).toBe(k + 1);
        expect(img.meta.window).toBe('minmax');
        expectExact(img, { width: 8, height: 6, channels: 1 }, (x, y) => (100 * k + 10 * x + y) / 275);
      });
    });
  }
});

describe('DICOM enhanced multi-frame functional groups', () => {
  it('shared rescale, per-frame window', async () => {
    const imgs = await decode('multiframe-enhanced.dcm');
    expect(imgs.map((i) => i.meta.window)).toEqual([
      { center: 0, width: 100 },
      { center: 150, width: 200 },
    ]);
    // stored v = 10 x + y (+ 100 in frame 2); modality 2 v - 100
    expectExact(imgs[0], { width: 8, height: 6, channels: 1 }, (x, y) => linearWindow(2 * (10 * x + y) - 100, 0, 100));
    expectExact(imgs[1], { width: 8, height: 6, channels: 1 }, (x, y) => linearWindow(2 * (10 * x + y + 100) - 100, 150, 200));
  });
});

describe('DICOM files that cannot be used', () => {
  it('no pixel data: not an image', async () => {
    const e = await failure('no-pixels.dcm');
    expect([e.code, e.reason]).toEqual(['not-image', 'not an image: DICOM file without pixel data']);
  });
  it('huge header: too large, refused before reading pixels', async () => {
    const e = await failure('huge.dcm');
    expect(e.code).toBe('too-large');
    expect(e.reason).toMatch(/^too large to decode: 40000 x 40000/);
  });
  it('the pattern helper notices a wrong image (the comparisons can fail)', async () => {
    const img = await one('ts-explicit-le.dcm');
    expect(maxError(img, (x, y) => linearWindow(hash12(y % W, x % H), 2048, 4096)).worst).toBeGreaterThan(0.1);
  });

  it('decodes a Node Buffer view inside a larger buffer as it decodes the same bytes alone, and leaves the input alone', async () => {
    // Buffer.slice() is a view, not a copy: 16-bit samples read through its .buffer from offset 0 were garbage
    for (const name of ['ct-rescale-window.dcm', 'ts-explicit-le.dcm', 'multiframe.dcm']) {
      const bytes = fixture('dicom', name);
      const pool = Buffer.alloc(bytes.length + 4099, 0x5a);
      pool.set(bytes, 4099);
      const view = pool.subarray(4099);
      const before = Buffer.from(view);
      const fromView = await decodeImage(view, name);
      const plain = await decodeImage(new Uint8Array(bytes), name);
      expect(fromView.length).toBe(plain.length);
      for (let f = 0; f < plain.length; f++) expect(Array.from(fromView[f].data)).toEqual(Array.from(plain[f].data));
      expect(view.equals(before)).toBe(true);
    }
  });
});

/**
 * The fixture patterns, written again from scripts/make-image-fixtures.py's description (not imported
 * from it), and helpers that compare a DecodedImage with them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { DecodedImage } from '../../../src/imaging/types.ts';

export const FIXTURES = join(import.meta.dirname, '../../fixtures/images');

export function fixture(...parts: string[]): Uint8Array {
  const b = readFileSync(join(FIXTURES, ...parts));
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export const W = 16;
export const H = 12;

export const hash8 = (x: number, y: number, c: number) => (x * 16 + y * 21 + c * 85) % 256;
export const hash16 = (x: number, y: number, c: number) => (x * 4099 + y * 5281 + c * 21845) % 65536;
export const smooth8 = (x: number, y: number, c: number) => {
  const base = 30 + 10 * x + 6 * y;
  return [base, 255 - base, 60 + (base >> 1)][c];
};
export const hash12 = (x: number, y: number) => (x * 173 + y * 301) % 4096;
export const smooth12 = (x: number, y: number) => 500 + 150 * x + 100 * y;
export const palette16 = (i: number) => [i * 16, 255 - i * 16, (i * 37) % 256];
export const palIndex = (x: number, y: number) => (x + y * 3) % 16;

/** Largest |decoded - expected| and where it is. */
export function maxError(img: DecodedImage, expected: (x: number, y: number, c: number) => number) {
  let worst = 0;
  let at = '';
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      for (let c = 0; c < img.channels; c++) {
        const got = img.data[(y * img.width + x) * img.channels + c];
        const d = Math.abs(got - expected(x, y, c));
        if (!(d <= worst)) {
          worst = d;
          at = `(${x},${y},${c}) got ${got} expected ${expected(x, y, c)}`;
        }
      }
    }
  }
  return { worst, at };
}

/** Exact comparison: decoded float32 must equal Math.fround(expected). */
export function expectExact(
  img: DecodedImage,
  shape: { width: number; height: number; channels: 1 | 3 },
  expected: (x: number, y: number, c: number) => number,
) {
  expect({ width: img.width, height: img.height, channels: img.channels }).toEqual(shape);
  expect(img.data.length).toBe(shape.width * shape.height * shape.channels);
  const { worst, at } = maxError(img, (x, y, c) => Math.fround(expected(x, y, c)));
  expect(worst, at).toBe(0);
}

export function expectClose(
  img: DecodedImage,
  shape: { width: number; height: number; channels: 1 | 3 },
  expected: (x: number, y: number, c: number) => number,
  tol: number,
) {
  expect({ width: img.width, height: img.height, channels: img.channels }).toEqual(shape);
  const { worst, at } = maxError(img, expected);
  expect(worst, at).toBeLessThanOrEqual(tol + 1e-6); // + float32 rounding
  return worst;
}

interface LossyRef {
  decoder: string;
  shape: number[];
  data?: number[];
  stored?: number[];
}
/** Lossy fixtures decoded by libjpeg-turbo / libwebp (PIL) and gdcm (pydicom), see the generator. */
export const LOSSY_REF: Record<string, LossyRef> = JSON.parse(readFileSync(join(FIXTURES, 'lossy-reference.json'), 'utf8'));

/** Reference sample (x, y, c) of a lossy fixture (HWC, channels from its shape). */
export function lossyRef(key: string): (x: number, y: number, c: number) => number {
  const r = LOSSY_REF[key];
  const vals = (r.data ?? r.stored)!;
  const w = r.shape[1];
  const ch = r.shape.length === 3 ? r.shape[2] : 1;
  return (x, y, c) => vals[(y * w + x) * ch + c];
}

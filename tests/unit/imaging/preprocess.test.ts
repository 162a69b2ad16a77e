import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PREPROCESS_VERSION, preprocess, resize, thumbnail, toGray8, type PreprocessOptions } from '../../../src/imaging/preprocess.ts';
import type { DecodedImage } from '../../../src/imaging/types.ts';
import { FIXTURES } from './patterns.ts';

interface Reference {
  inputs: Record<string, { width: number; height: number; channels: 1 | 3; data: number[] }>;
  preprocess: (PreprocessOptions & { input: string; output: number[] })[];
  gray8: { input: string; size: number; output: number[] }[];
  thumbnail: { input: string; maxSide: number; width: number; height: number; channels: number; output: number[] }[];
}
// numpy / scipy / PIL references from scripts/make-image-fixtures.py
const REF: Reference = JSON.parse(readFileSync(join(FIXTURES, 'preprocess-reference.json'), 'utf8'));

function img(width: number, height: number, channels: 1 | 3, values: ArrayLike<number>): DecodedImage {
  return { width, height, channels, data: Float32Array.from(values), meta: { format: 'test', bitDepth: 32 } };
}
const input = (name: string) => {
  const r = REF.inputs[name];
  return img(r.width, r.height, r.channels, r.data);
};

describe('preprocess against the numpy / scipy reference', () => {
  it('covers bilinear and area, 1 and 3 channels, stretch and pad, down- and upscaling', () => {
    expect(REF.preprocess.length).toBe(96);
    let worst = 0;
    for (const c of REF.preprocess) {
      const out = preprocess(input(c.input), c);
      expect(out.length, `${c.input} ${c.size}`).toBe(c.size * c.size * c.channels);
      for (let i = 0; i < out.length; i++) worst = Math.max(worst, Math.abs(out[i] - c.output[i]));
    }
    expect(worst).toBeLessThan(1e-6); // float32 output, float64 reference
  });

  it('toGray8 equals the reference bytes', () => {
    for (const g of REF.gray8) expect(Array.from(toGray8(input(g.input), g.size)), `${g.input} ${g.size}`).toEqual(g.output);
  });

  it('thumbnail equals the reference bytes and keeps the aspect ratio', () => {
    for (const t of REF.thumbnail) {
      const th = thumbnail(input(t.input), t.maxSide);
      expect([th.width, th.height, th.channels]).toEqual([t.width, t.height, t.channels]);
      expect(Array.from(th.data)).toEqual(t.output);
    }
  });
});

describe('preprocess, hand-computed cases', () => {
  it('bilinear with half-pixel centres: [0, 1] -> 4 samples', () => {
    // source x = (o + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25, clamped at the edges
    expect(Array.from(resize([0, 1], 2, 1, 1, 4, 1, 'bilinear'))).toEqual([0, 0.25, 0.75, 1]);
  });
  it('bilinear halves a 4-wide row by averaging pairs (source x = 0.5, 2.5)', () => {
    expect(Array.from(resize([0, 1, 2, 3], 4, 1, 1, 2, 1, 'bilinear'))).toEqual([0.5, 2.5]);
  });
  it('area: 3 -> 2 weights overlaps of 1.5-wide footprints', () => {
    const [a, b, c] = [3, 6, 12];
    const out = resize([a, b, c], 3, 1, 1, 2, 1, 'area');
    expect(out[0]).toBeCloseTo((a + b * 0.5) / 1.5, 12);
    expect(out[1]).toBeCloseTo((b * 0.5 + c) / 1.5, 12);
  });
  it('area: 4 x 4 -> 2 x 2 is the mean of each 2 x 2 block', () => {
    const v = Array.from({ length: 16 }, (_, i) => i);
    expect(Array.from(resize(v, 4, 4, 1, 2, 2, 'area'))).toEqual([2.5, 4.5, 10.5, 12.5]);
  });
  it('RGB -> one channel uses BT.601 weights', () => {
    const rgbImg = img(1, 1, 3, [1, 0, 0]);
    expect(preprocess(rgbImg, { size: 1, channels: 1, aspect: 'stretch', filter: 'area' })[0]).toBe(Math.fround(0.299));
    const g = preprocess(img(1, 1, 3, [0.2, 0.4, 0.6]), { size: 1, channels: 1, aspect: 'stretch', filter: 'area' });
    expect(g[0]).toBeCloseTo(0.299 * 0.2 + 0.587 * 0.4 + 0.114 * 0.6, 7);
  });
  it('gray -> three channels replicates', () => {
    const out = preprocess(img(2, 1, 1, [0.25, 0.75]), { size: 2, channels: 3, aspect: 'stretch', filter: 'area' });
    expect(Array.from(out)).toEqual([0.25, 0.25, 0.25, 0.75, 0.75, 0.75, 0.25, 0.25, 0.25, 0.75, 0.75, 0.75]);
  });
  it('pad: a 4 x 2 image in a 4 x 4 square sits in rows 1-2 on black', () => {
    const v = [1, 2, 3, 4, 5, 6, 7, 8].map((x) => x / 8);
    const out = preprocess(img(4, 2, 1, v), { size: 4, channels: 1, aspect: 'pad', filter: 'area' });
    expect(Array.from(out)).toEqual([0, 0, 0, 0, ...v, 0, 0, 0, 0]);
  });
  it('pad: a 1 x 3 column in a 3 x 3 square sits in column 1', () => {
    const out = preprocess(img(1, 3, 1, [0.5, 0.5, 0.5]), { size: 3, channels: 1, aspect: 'pad', filter: 'bilinear' });
    expect(Array.from(out)).toEqual([0, 0.5, 0, 0, 0.5, 0, 0, 0.5, 0]);
  });
  it('toGray8 rounds half up', () => {
    expect(Array.from(toGray8(img(1, 1, 1, [0.5]), 1))).toEqual([128]); // 127.5 -> 128
    expect(Array.from(toGray8(img(1, 1, 1, [1]), 2))).toEqual([255, 255, 255, 255]);
  });
  it('thumbnail: 200 x 100 -> 96 x 48; small images are not enlarged', () => {
    const big = img(200, 100, 3, new Float32Array(200 * 100 * 3).fill(0.5));
    const t = thumbnail(big);
    expect([t.width, t.height, t.channels, t.data.length]).toEqual([96, 48, 3, 96 * 48 * 3]);
    expect(t.data.every((v) => v === 128)).toBe(true);
    const small = thumbnail(img(10, 5, 1, new Float32Array(50)));
    expect([small.width, small.height]).toEqual([10, 5]);
  });
  it('PREPROCESS_VERSION is a non-empty string', () => {
    expect(PREPROCESS_VERSION).toMatch(/^imaging-preprocess-\d+$/);
  });
});

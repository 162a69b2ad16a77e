import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { augmentImage, augmentationParams, CONTRAST_RANGE, MAX_ROTATION_DEG, SIMPLE_AUGMENTATIONS } from '../../../src/core/utility/augment.ts';

// Reference: scipy.ndimage.rotate(order=1, mode='nearest', reshape=False), fixtures/make_augment_reference.py
interface Case {
  name: string;
  width: number;
  height: number;
  channels: number;
  flip: boolean;
  angleDeg: number;
  contrast: number;
  input: number[];
  output: number[];
}
const ref = JSON.parse(readFileSync(new URL('./fixtures/augment_reference.json', import.meta.url), 'utf8')) as { cases: Case[] };

describe('simple augmentation (flip, rotate, contrast)', () => {
  it.each(ref.cases.map((c) => [c.name, c] as [string, Case]))('%s: matches scipy.ndimage.rotate + contrast', (_, c) => {
    const out = augmentImage({ width: c.width, height: c.height, channels: c.channels, data: Float32Array.from(c.input) }, c);
    expect(out.data.length).toBe(c.output.length);
    for (let i = 0; i < c.output.length; i++) expect(Math.abs(out.data[i] - c.output[i])).toBeLessThan(1e-5);
  });

  it('hand cases: flip mirrors each row; 0 degrees and contrast 1 change nothing; 90 degrees on a square turns it', () => {
    const img = { width: 3, height: 2, channels: 1, data: Float32Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]) };
    expect(Array.from(augmentImage(img, { flip: true, angleDeg: 0, contrast: 1 }).data)).toEqual(Array.from(Float32Array.from([0.3, 0.2, 0.1, 0.6, 0.5, 0.4])));
    expect(Array.from(augmentImage(img, { flip: false, angleDeg: 0, contrast: 1 }).data)).toEqual(Array.from(img.data));
    // contrast 0.5 around the mean 0.35
    const c = augmentImage(img, { flip: false, angleDeg: 0, contrast: 0.5 }).data;
    expect(c[0]).toBeCloseTo(0.35 + 0.5 * (0.1 - 0.35), 6);
    // 90 degrees counter-clockwise as displayed: the top row becomes the left column, read bottom-up
    const sq = { width: 2, height: 2, channels: 1, data: Float32Array.from([0.1, 0.2, 0.3, 0.4]) };
    expect(Array.from(augmentImage(sq, { flip: false, angleDeg: 90, contrast: 1 }).data).map((v) => +v.toFixed(6))).toEqual([0.2, 0.4, 0.1, 0.3]);
  });

  it('parameters are seeded per image, inside their ranges, and both flips occur', () => {
    const ps = Array.from({ length: 200 }, (_, i) => augmentationParams(5, i));
    expect(augmentationParams(5, 17)).toEqual(ps[17]);
    expect(augmentationParams(6, 17)).not.toEqual(ps[17]);
    for (const p of ps) {
      expect(Math.abs(p.angleDeg)).toBeLessThanOrEqual(MAX_ROTATION_DEG);
      expect(p.contrast).toBeGreaterThanOrEqual(CONTRAST_RANGE[0]);
      expect(p.contrast).toBeLessThanOrEqual(CONTRAST_RANGE[1]);
    }
    const flips = ps.filter((p) => p.flip).length;
    expect(flips).toBeGreaterThan(70);
    expect(flips).toBeLessThan(130);
    expect(SIMPLE_AUGMENTATIONS.length).toBe(3);
    expect(() => augmentationParams(1, -1)).toThrow(/index/);
    expect(() => augmentImage({ width: 2, height: 2, channels: 1, data: new Float32Array(3) }, ps[0])).toThrow(/expected 2 x 2 x 1/);
  });
});

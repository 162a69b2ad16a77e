import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { VarietyAccumulator, varietyScores } from '../../../src/core/metrics/variety.ts';
import { parseNpy } from '../../../src/core/features/npy.ts';
import { encodePngGray8 } from '../../../src/core/png/encode.ts';

const dir = join(__dirname, '../../fixtures/features');
const ref = JSON.parse(readFileSync(join(dir, 'variety_expected.json'), 'utf8')) as {
  labels: string[]; classes: Record<string, number>; classMeans: Record<string, number[]>; mean: number[]; meanUnlabelled: number[]; meanRounded: number[];
};
const arr = parseNpy(new Uint8Array(readFileSync(join(dir, 'variety_images.npy'))));
const [n, H, W] = arr.shape;
const image = (i: number) => Uint8Array.from(arr.values.subarray(i * H * W, (i + 1) * H * W));

describe('VarietyAccumulator against the numpy reference', () => {
  it('per-class means and the equal-weight mean are byte-identical to numpy', () => {
    const acc = new VarietyAccumulator(W, H);
    for (let i = 0; i < n; i++) acc.add(image(i), ref.labels[i]);
    const r = acc.result();
    expect(r.classes).toEqual(ref.classes);
    expect(r.count).toBe(n);
    for (const m of r.classMeans) expect(Array.from(m.image)).toEqual(ref.classMeans[m.label!]);
    expect(Array.from(r.meanImage)).toEqual(ref.mean);
    // the reference differs from rounding at many pixels, so the truncation is really tested
    expect(ref.mean).not.toEqual(ref.meanRounded);
    expect(r.pngBytes).toBe(r.png.length);
    expect(Buffer.from(r.png).equals(Buffer.from(encodePngGray8(r.meanImage, W, H)))).toBe(true);
    expect(Array.from(decode(r.png).data as Uint8Array)).toEqual(ref.mean);
  });
  it('unlabelled images: one class', () => {
    const acc = new VarietyAccumulator(W, H);
    for (let i = 0; i < n; i++) acc.add(image(i));
    const r = acc.result();
    expect(Array.from(r.meanImage)).toEqual(ref.meanUnlabelled);
    expect(r.classes).toEqual({ '': n });
  });
  it('the order of images does not matter', () => {
    const a = new VarietyAccumulator(W, H);
    const b = new VarietyAccumulator(W, H);
    for (let i = 0; i < n; i++) a.add(image(i), ref.labels[i]);
    for (let i = n - 1; i >= 0; i--) b.add(image(i), ref.labels[i]);
    expect(Buffer.from(a.result().png).equals(Buffer.from(b.result().png))).toBe(true);
  });
});

describe('VarietyAccumulator hand cases', () => {
  it('truncates the class means and the mean of class means (2 x 1 images)', () => {
    const acc = new VarietyAccumulator(2, 1);
    // class a: [1, 255], [1, 254], [0, 254] -> sums 2, 763 -> means 0.67, 254.33 -> 0, 254
    acc.add(Uint8Array.from([1, 255]), 'a');
    acc.add(Uint8Array.from([1, 254]), 'a');
    acc.add(Uint8Array.from([0, 254]), 'a');
    // class b: [3, 10] -> 3, 10 (one image weighs as much as class a's three)
    acc.add(Uint8Array.from([3, 10]), 'b');
    const r = acc.result();
    expect(r.classMeans.map((m) => [m.label, m.count, Array.from(m.image)])).toEqual([['a', 3, [0, 254]], ['b', 1, [3, 10]]]);
    // (0 + 3) / 2 = 1.5 -> 1 ; (254 + 10) / 2 = 132
    expect(Array.from(r.meanImage)).toEqual([1, 132]);
  });
  it('default size is 256 x 256; a constant set gives the constant image', () => {
    const acc = new VarietyAccumulator();
    acc.add(new Uint8Array(256 * 256).fill(77), 'x');
    acc.add(new Uint8Array(256 * 256).fill(77), 'y');
    const r = acc.result();
    expect([r.width, r.height]).toEqual([256, 256]);
    expect(r.meanImage.every((v) => v === 77)).toBe(true);
  });
  it('a more varied set gives a smaller PNG', () => {
    // Textured images (LCG noise): 20 copies of one image keep its texture in the mean; 20 different
    // images average it out into a smooth, more compressible mean.
    const size = 64;
    const textured = (seed: number) => {
      const img = new Uint8Array(size * size);
      let s = seed >>> 0;
      for (let i = 0; i < img.length; i++) {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        img[i] = 60 + (s >>> 25);
      }
      return img;
    };
    const same = new VarietyAccumulator(size, size);
    const varied = new VarietyAccumulator(size, size);
    for (let i = 0; i < 20; i++) {
      same.add(textured(1));
      varied.add(textured(1 + i));
    }
    expect(varied.result().pngBytes).toBeLessThan(same.result().pngBytes * 0.8);
  });
  it('errors: wrong size, mixed labelled/unlabelled, empty', () => {
    const acc = new VarietyAccumulator(2, 2);
    expect(() => acc.add(new Uint8Array(3), 'a')).toThrow(/expected 2 x 2/);
    expect(() => acc.result()).toThrow(/empty set/);
    acc.add(new Uint8Array(4), 'a');
    expect(() => acc.add(new Uint8Array(4))).toThrow(/all labelled or all unlabelled/);
    const b = new VarietyAccumulator(2, 2);
    b.add(new Uint8Array(4));
    expect(() => b.add(new Uint8Array(4), 'a')).toThrow(/all labelled or all unlabelled/);
  });
});

describe('varietyScores', () => {
  it('1 - (size - min) / (max - min)', () => {
    expect(varietyScores([100, 200, 150])).toEqual([1, 0, 0.5]);
    expect(varietyScores([3000, 1000, 1500, 2000])).toEqual([0, 1, 0.75, 0.5]);
  });
  it('equal sizes and a single group score 1; empty gives empty; bad sizes throw', () => {
    expect(varietyScores([42, 42])).toEqual([1, 1]);
    expect(varietyScores([42])).toEqual([1]);
    expect(varietyScores([])).toEqual([]);
    expect(() => varietyScores([1, NaN])).toThrow();
  });
});

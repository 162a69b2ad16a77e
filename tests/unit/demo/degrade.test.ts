/** Pixel operations of the demo sets, checked on hand-computed cases. */
import { describe, expect, it } from 'vitest';
import { addBlotches, addNoise, adjustContrast, boxBlur, shiftImage } from '../../../src/demo/degrade.ts';
import { hashGauss, mixSeed, permutation, createRng } from '../../../src/demo/rng.ts';

describe('demo pixel operations', () => {
  const img = Uint8Array.from([10, 20, 30, 40, 50, 60, 70, 80, 90]); // 3 x 3

  it('shifts by whole pixels, repeating the border', () => {
    expect([...shiftImage(img, 3, 1, 0)]).toEqual([10, 10, 20, 40, 40, 50, 70, 70, 80]);
    expect([...shiftImage(img, 3, 0, -1)]).toEqual([40, 50, 60, 70, 80, 90, 70, 80, 90]);
  });

  it('box-blurs with clamped borders (radius 1, one pass)', () => {
    // horizontal then vertical means of 3 with border repetition, then rounding
    const h = [
      [(10 + 10 + 20) / 3, (10 + 20 + 30) / 3, (20 + 30 + 30) / 3],
      [(40 + 40 + 50) / 3, (40 + 50 + 60) / 3, (50 + 60 + 60) / 3],
      [(70 + 70 + 80) / 3, (70 + 80 + 90) / 3, (80 + 90 + 90) / 3],
    ];
    const rows = [[0, 0, 1], [0, 1, 2], [1, 2, 2]];
    const want = rows.flatMap((r) => [0, 1, 2].map((c) => Math.round((h[r[0]][c] + h[r[1]][c] + h[r[2]][c]) / 3)));
    expect([...boxBlur(img, 3, 1)]).toEqual(want);
    expect([...boxBlur(img, 3, 0)]).toEqual([...img]);
  });

  it('adjusts contrast around 128 and clamps', () => {
    expect([...adjustContrast(Uint8Array.from([0, 128, 255]), 0.5, 10)]).toEqual([74, 138, 202]);
    expect([...adjustContrast(Uint8Array.from([0, 255]), 3, 0)]).toEqual([0, 255]);
  });

  it('adds zero-mean noise of the requested spread', () => {
    const flat = new Uint8Array(20000).fill(128);
    const noisy = addNoise(flat, 8, 42);
    let m = 0;
    for (const v of noisy) m += v;
    m /= noisy.length;
    let s = 0;
    for (const v of noisy) s += (v - m) ** 2;
    expect(Math.abs(m - 128)).toBeLessThan(0.2);
    expect(Math.sqrt(s / noisy.length)).toBeGreaterThan(7.7);
    expect(Math.sqrt(s / noisy.length)).toBeLessThan(8.3);
    expect([...addNoise(flat.subarray(0, 50), 8, 42)]).toEqual([...noisy.subarray(0, 50)]);
  });

  it('blotches are smooth between lattice points and exact on them', () => {
    const flat = new Uint8Array(17 * 17).fill(128);
    const b = addBlotches(flat, 17, 10, 8, 7);
    const g = 4; // lattice side for size 17, cell 8
    expect(b[0]).toBe(Math.round(128 + 10 * hashGauss(7, 0)));
    expect(b[8]).toBe(Math.round(128 + 10 * hashGauss(7, 1)));
    expect(b[8 * 17]).toBe(Math.round(128 + 10 * hashGauss(7, g)));
    expect(b[4]).toBe(Math.round(128 + 10 * (hashGauss(7, 0) + hashGauss(7, 1)) / 2));
  });

  it('seed helpers: hashGauss has unit variance, mixSeed separates its parts, permutations are permutations', () => {
    let m = 0;
    let s = 0;
    const n = 100000;
    for (let i = 0; i < n; i++) {
      const z = hashGauss(123, i);
      m += z;
      s += z * z;
    }
    expect(Math.abs(m / n)).toBeLessThan(0.02);
    expect(Math.abs(s / n - 1)).toBeLessThan(0.02);
    expect(mixSeed(1, 2, 3)).not.toBe(mixSeed(1, 3, 2));
    expect(mixSeed(1, 2, 3)).toBe(mixSeed(1, 2, 3));
    const p = permutation(createRng(5), 50);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});

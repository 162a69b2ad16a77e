import { describe, expect, it } from 'vitest';
import { complementIndices, stratifiedKFold, stratifiedSplit } from '../../../src/core/utility/split.ts';
import { createRng, shuffleInPlace } from '../../../src/core/utility/rng.ts';

const labels = [...Array(23).fill('a'), ...Array(10).fill('b'), ...Array(7).fill('c')] as string[];
// interleave so that class order in the input is not contiguous
const mixed = shuffleInPlace(Array.from({ length: labels.length }, (_, i) => i), createRng(5)).map((i) => labels[i]);
const count = (idx: ArrayLike<number>, lab: string) => Array.from(idx).filter((i) => mixed[i] === lab).length;

describe('seeded generator', () => {
  it('is deterministic per (seed, stream) and differs across seeds and streams', () => {
    const draw = (seed: number, stream = 0) => {
      const r = createRng(seed, stream);
      return Array.from({ length: 8 }, () => r.next());
    };
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
    expect(draw(1, 0)).not.toEqual(draw(1, 1));
    for (const v of draw(123456789)) expect(v >= 0 && v < 1).toBe(true);
  });
  it('int(n) is roughly uniform', () => {
    const r = createRng(9);
    const hist = new Array(6).fill(0);
    for (let i = 0; i < 60000; i++) hist[r.int(6)]++;
    for (const h of hist) expect(Math.abs(h - 10000)).toBeLessThan(400);
  });
});

describe('stratifiedSplit', () => {
  it('partitions the rows and keeps class proportions', () => {
    const { trainIdx, testIdx } = stratifiedSplit(mixed, 0.3, 42);
    const all = [...trainIdx, ...testIdx].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: mixed.length }, (_, i) => i));
    expect(count(testIdx, 'a')).toBe(7); // round(0.3 * 23)
    expect(count(testIdx, 'b')).toBe(3);
    expect(count(testIdx, 'c')).toBe(2); // round(2.1)
  });
  it('is deterministic for a seed and changes with the seed', () => {
    expect(stratifiedSplit(mixed, 0.3, 42)).toEqual(stratifiedSplit(mixed, 0.3, 42));
    expect(Array.from(stratifiedSplit(mixed, 0.3, 43).testIdx)).not.toEqual(Array.from(stratifiedSplit(mixed, 0.3, 42).testIdx));
  });
  it('keeps a row of each class on both sides when it can; a singleton stays in train', () => {
    const { trainIdx, testIdx } = stratifiedSplit(['x', 'x', 'y', 'z', 'z', 'z'], 0.01, 1);
    expect(Array.from(testIdx).map((i) => ['x', 'x', 'y', 'z', 'z', 'z'][i]).sort()).toEqual(['x', 'z']);
    expect(trainIdx.length).toBe(4);
    expect(() => stratifiedSplit(mixed, 1, 1)).toThrow();
  });
});

describe('stratifiedKFold', () => {
  it('folds partition the rows, each class spread evenly, fold sizes within one', () => {
    const folds = stratifiedKFold(mixed, 5, 7);
    expect(folds.length).toBe(5);
    const all = folds.flatMap((f) => Array.from(f)).sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: mixed.length }, (_, i) => i));
    for (const [lab, n] of [['a', 23], ['b', 10], ['c', 7]] as const) {
      for (const f of folds) {
        const c = count(f, lab);
        expect(c === Math.floor(n / 5) || c === Math.ceil(n / 5)).toBe(true);
      }
    }
    const sizes = folds.map((f) => f.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });
  it('is deterministic for a seed and changes with the seed', () => {
    expect(stratifiedKFold(mixed, 5, 7)).toEqual(stratifiedKFold(mixed, 5, 7));
    expect(stratifiedKFold(mixed, 5, 8)).not.toEqual(stratifiedKFold(mixed, 5, 7));
  });
  it('refuses a class with fewer rows than folds, naming it', () => {
    expect(() => stratifiedKFold(['a', 'a', 'a', 'a', 'a', 'b', 'b'], 5, 1)).toThrow(/class b has 2 rows/);
  });
  it('complementIndices', () => {
    expect(Array.from(complementIndices(6, [1, 4]))).toEqual([0, 2, 3, 5]);
  });
});

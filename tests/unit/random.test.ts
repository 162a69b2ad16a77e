import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRng, sampleWithoutReplacement } from '../../src/core/random.ts';

// Produced by the Python port in tests/fixtures/moments/make_reference.py.
const ref = JSON.parse(readFileSync(join(__dirname, '../fixtures/moments/rng.json'), 'utf8'));

describe('createRng (mulberry32)', () => {
  it('reproduces the Python port bit for bit', () => {
    for (const s of ref.streams) {
      const rng = createRng(s.seed);
      const got = Array.from({ length: s.values.length }, () => rng());
      expect(got).toEqual(s.values);
    }
  });
  it('treats seeds modulo 2^32 and rejects non-integers', () => {
    const a = createRng(-1), b = createRng(4294967295);
    for (let i = 0; i < 5; i++) expect(a()).toBe(b());
    expect(() => createRng(1.5)).toThrow();
  });
  it('gives multiples of 2^-32 in [0, 1) with a sane mean', () => {
    const rng = createRng(42);
    let sum = 0, bad = 0;
    for (let i = 0; i < 100000; i++) {
      const u = rng();
      if (!(u >= 0 && u < 1) || !Number.isInteger(u * 4294967296)) bad++;
      sum += u;
    }
    expect(bad).toBe(0);
    expect(Math.abs(sum / 100000 - 0.5)).toBeLessThan(0.005);
  });
  it('differs between seeds', () => {
    expect(createRng(1)()).not.toBe(createRng(2)());
  });
});

describe('sampleWithoutReplacement (partial Fisher-Yates)', () => {
  it('reproduces the Python port, two consecutive draws from one stream', () => {
    for (const s of ref.samples) {
      const rng = createRng(s.seed);
      expect(Array.from(sampleWithoutReplacement(rng, s.n, s.m))).toEqual(s.first);
      expect(Array.from(sampleWithoutReplacement(rng, s.n, s.m))).toEqual(s.second);
    }
  });
  it('draws distinct indices in range; m = n gives a permutation', () => {
    const rng = createRng(3);
    for (const [n, m] of [[10, 10], [50, 17], [1, 1], [1000, 999]]) {
      const idx = sampleWithoutReplacement(rng, n, m);
      expect(idx.length).toBe(m);
      expect(new Set(idx).size).toBe(m);
      for (const i of idx) expect(i >= 0 && i < n).toBe(true);
    }
  });
  it('is close to uniform over positions', () => {
    const rng = createRng(11);
    const counts: number[] = new Array(5).fill(0);
    for (let t = 0; t < 20000; t++) counts[sampleWithoutReplacement(rng, 5, 2)[0]]++;
    for (const c of counts) expect(Math.abs(c / 20000 - 0.2)).toBeLessThan(0.015);
  });
  it('rejects impossible requests', () => {
    const rng = createRng(0);
    expect(() => sampleWithoutReplacement(rng, 3, 4)).toThrow();
    expect(() => sampleWithoutReplacement(rng, -1, 0)).toThrow();
    expect(() => sampleWithoutReplacement(rng, 5, 1.5)).toThrow();
    expect(sampleWithoutReplacement(rng, 0, 0).length).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kid } from '../../../src/core/metrics/kid.ts';
import { createRng, sampleWithoutReplacement } from '../../../src/core/random.ts';
import { makeFeatureSet } from '../../../src/core/features/featureSet.ts';
import { features } from '../../fixtures/moments/inputs.ts';

// torch-fidelity's mmd2 on the same seeded subsets, from tests/fixtures/moments/make_reference.py
const ref = JSON.parse(readFileSync(join(__dirname, '../../fixtures/moments/kid.json'), 'utf8'));

function close(x: number, y: number, relTol: number, absTol = 0): boolean {
  return Math.abs(x - y) <= relTol * Math.abs(y) + absTol;
}

describe('kid against the Python reference (same subsets)', () => {
  for (const c of ref.cases) {
    it(c.name, () => {
      const a = features(c.a), b = features(c.b);
      // the draws the reference used: first subset's leading indices
      const rng = createRng(c.opts.seed ?? 2020);
      if (!(c.subsetSize === c.a.n && c.subsetSize === c.b.n)) {
        expect(Array.from(sampleWithoutReplacement(rng, c.a.n, c.subsetSize).subarray(0, 5))).toEqual(c.firstIndices.real);
        expect(Array.from(sampleWithoutReplacement(rng, c.b.n, c.subsetSize).subarray(0, 5))).toEqual(c.firstIndices.synth);
      }
      // the automatic choice and both engines (the union's kernel shared by all subsets,
      // and direct per-subset products), except on the m = 1000 case, where the direct
      // engine alone would dominate the suite's run time (auto is the shared one there)
      for (const engine of c.subsetSize >= 1000 ? [undefined] : [undefined, 'direct', 'shared'] as const) {
        const r = kid(a, b, { ...c.opts, engine });
        expect(r.subsetSize).toBe(c.subsetSize);
        expect(r.subsets).toBe(c.opts.subsets ?? 100);
        expect(close(r.mean, c.mean, 1e-9)).toBe(true);
        expect(close(r.std, c.std, 1e-9, 1e-12)).toBe(true);
        expect(r.warnings.some((w) => /discrete/.test(w))).toBe(c.a.levels !== undefined);
        expect(r.note !== undefined).toBe(c.subsetSize < (c.opts.subsetSize ?? 1000) || c.subsetSize === c.a.n && c.subsetSize === c.b.n);
      }
      // kernel rows in many small blocks (down to 4 rows at a time): the same values
      if (c.subsetSize < 1000) {
        for (const engine of ['direct', 'shared'] as const) {
          const r = kid(a, b, { ...c.opts, engine, blockValues: 1500 });
          expect(close(r.mean, c.mean, 1e-9)).toBe(true);
          expect(close(r.std, c.std, 1e-9, 1e-12)).toBe(true);
        }
      }
    });
  }
});

describe('kid by hand and edge cases', () => {
  it('d = 1, real {0, 1}, synthetic {0, 2}: (2 + 2) / 2 - 2 * 30 / 4 = -13', () => {
    // k(x, y) = (xy + 1)^3: Kxx off-diagonal 2 * k(0,1) = 2, Kyy 2 * k(0,2) = 2,
    // Kxy = k(0,0) + k(0,2) + k(1,0) + k(1,2) = 1 + 1 + 1 + 27 = 30
    const r = kid(makeFeatureSet(Float32Array.of(0, 1), 2, 1), makeFeatureSet(Float32Array.of(0, 2), 2, 1));
    expect(r.mean).toBe(-13);
    expect(r.std).toBe(0);
    expect(r.subsetSize).toBe(2);
    expect(r.note).toMatch(/same value/);
  });

  it('small sets are never refused: m = min(1000, N, M) with a note on the spread', () => {
    const a = features({ seed: 1, n: 30, d: 4, shift: 0, spread: 1, corr: 0 });
    const b = features({ seed: 2, n: 25, d: 4, shift: 0, spread: 1, corr: 0 });
    const r = kid(a, b);
    expect(r.subsetSize).toBe(25);
    expect(r.note).toMatch(/Subsets of 25 rows instead of 1000.*widen the spread/);
    expect(Number.isFinite(r.mean) && r.std > 0).toBe(true);
  });

  it('is deterministic for a seed and changes with it', () => {
    const a = features({ seed: 3, n: 60, d: 5, shift: 0, spread: 1, corr: 0.2 });
    const b = features({ seed: 4, n: 70, d: 5, shift: 0.2, spread: 1, corr: 0.2 });
    const opts = { subsetSize: 20, subsets: 15 };
    expect(kid(a, b, { ...opts, seed: 1 })).toEqual(kid(a, b, { ...opts, seed: 1 }));
    expect(kid(a, b, { ...opts, seed: 1 }).mean).not.toBe(kid(a, b, { ...opts, seed: 2 }).mean);
  });

  it('separates distributions: shifted synthetic set scores far above a same-distribution one', () => {
    const real = features({ seed: 5, n: 200, d: 8, shift: 0, spread: 1, corr: 0.3 });
    const same = features({ seed: 6, n: 200, d: 8, shift: 0, spread: 1, corr: 0.3 });
    const far = features({ seed: 7, n: 200, d: 8, shift: 1, spread: 1, corr: 0.3 });
    const opts = { subsetSize: 100, subsets: 10 };
    const k0 = kid(real, same, opts), k1 = kid(real, far, opts);
    expect(Math.abs(k0.mean)).toBeLessThan(3 * k0.std + 1e-3);
    expect(k1.mean).toBeGreaterThan(10 * Math.abs(k0.mean) + 5 * k1.std);
  });

  it('fewer than 2 rows gives NaN with a note; bad options throw', () => {
    const one = makeFeatureSet(Float32Array.of(1, 2), 1, 2);
    const two = makeFeatureSet(Float32Array.of(1, 2, 3, 4), 2, 2);
    const r = kid(one, two);
    expect(r.mean).toBeNaN();
    expect(r.note).toMatch(/at least 2 rows/);
    expect(() => kid(two, two, { subsets: 0 })).toThrow();
    expect(() => kid(two, makeFeatureSet(Float32Array.of(1, 2, 3), 1, 3))).toThrow();
  });
});

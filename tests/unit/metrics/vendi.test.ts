import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { vendi, vendiScore } from '../../../src/core/metrics/vendi.ts';
import { makeFeatureSet } from '../../../src/core/features/featureSet.ts';
import { features } from '../../fixtures/moments/inputs.ts';

// vendi_score.score_X (and score_dual) reimplemented in tests/fixtures/moments/make_reference.py
const ref = JSON.parse(readFileSync(join(__dirname, '../../fixtures/moments/vendi.json'), 'utf8'));

function rows(values: number[][]): ReturnType<typeof makeFeatureSet> {
  return makeFeatureSet(Float32Array.from(values.flat()), values.length, values[0].length);
}

describe('vendi against vendi_score', () => {
  for (const c of ref.cases) {
    it(c.name, () => {
      const fs = features(c.spec);
      for (const r of c.zeroRows) fs.data.fill(0, r * fs.dim, (r + 1) * fs.dim);
      const res = vendiScore(fs);
      expect(Math.abs(res.score - c.vendi) / c.vendi).toBeLessThan(1e-9);
      expect(res.warnings.some((w) => /discrete/.test(w))).toBe(c.spec.levels !== undefined);
      expect(res.warnings.some((w) => /all-zero/.test(w))).toBe(c.zeroRows.length > 0);
    });
  }
});

describe('vendi by hand', () => {
  it('n identical rows (any positive scale) give 1, through both the kernel and the dual route', () => {
    expect(vendi(rows([[1, 2, 3], [2, 4, 6], [0.5, 1, 1.5], [1, 2, 3], [3, 6, 9]]))).toBeCloseTo(1, 12); // n > d
    expect(vendi(rows([[1, 0, 2, 0, 1], [2, 0, 4, 0, 2]]))).toBeCloseTo(1, 12); // n <= d
  });
  it('n orthogonal rows give n', () => {
    expect(vendi(rows([[1, 0, 0, 0, 0, 0], [0, 3, 0, 0, 0, 0], [0, 0, 0, 0.5, 0, 0], [0, 0, 0, 0, 0, 2]]))).toBeCloseTo(4, 12);
    expect(vendi(rows([[1, 1, 0], [1, -1, 0], [0, 0, 7]]))).toBeCloseTo(3, 12);
  });
  it('two equal-sized orthogonal clusters give 2; unequal clusters give exp(entropy of the weights)', () => {
    expect(vendi(rows([[1, 0], [2, 0], [0, 1], [0, 5]]))).toBeCloseTo(2, 12); // n > d route
    // weights 3/4 and 1/4
    const h = -(0.75 * Math.log(0.75) + 0.25 * Math.log(0.25));
    expect(vendi(rows([[1, 0], [1, 0], [1, 0], [0, 1]]))).toBeCloseTo(Math.exp(h), 12);
  });
  it('one row gives 1; no rows throws', () => {
    expect(vendi(rows([[3, 4]]))).toBeCloseTo(1, 14);
    expect(() => vendi(makeFeatureSet(new Float32Array(0), 0, 3))).toThrow();
  });
});

import { describe, expect, it } from 'vitest';
import { makeFeatureSet } from '../../../src/core/features/featureSet.ts';
import { featureStd } from '../../../src/core/metrics/featureStd.ts';
import { fixtures, relClose } from '../neighbours/reference.ts';

describe('featureStd', () => {
  it('hand-computed: mean over dims of the population std (ddof = 0)', () => {
    // dim 0: 1, 3 -> std 1 ; dim 1: 2, 2 -> 0 ; dim 2: 0, 6 -> 3  => (1 + 0 + 3) / 3
    const fs = makeFeatureSet(Float32Array.from([1, 2, 0, 3, 2, 6]), 2, 3);
    expect(featureStd(fs)).toBe(4 / 3);
    expect(featureStd(makeFeatureSet(Int32Array.from([5, 5, 5]), 3, 1))).toBe(0);
    expect(Number.isNaN(featureStd(makeFeatureSet(new Float32Array(0), 0, 2)))).toBe(true);
  });
  it('matches numpy (np.mean(np.std(x.astype(float64), axis=0)))', () => {
    for (const f of fixtures) {
      expect(relClose(featureStd(f.S), f.expected.featureStd, 1e-12)).toBe(true);
      if (f.holdoutAsSynth) expect(relClose(featureStd(f.H!), f.holdoutAsSynth.featureStd, 1e-12)).toBe(true);
    }
  });
});

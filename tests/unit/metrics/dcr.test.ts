import { describe, expect, it } from 'vitest';
import { dcrFromDistances, medianSorted, memorizationRate, percentile, summary3 } from '../../../src/core/metrics/dcr.ts';
import { percentileCases, relClose } from '../neighbours/reference.ts';

describe('numpy percentile (linear) and median', () => {
  it('hand-computed', () => {
    // n = 5: 5th percentile index 0.2 -> 1 + 0.2 * (2 - 1)
    expect(percentile([3, 1, 2, 5, 4], 5)).toBeCloseTo(1.2, 15);
    expect(percentile([10], 5)).toBe(10);
    expect(medianSorted(Float64Array.from([1, 2, 3, 4]))).toBe(2.5);
    expect(summary3([4, 0, 2])).toEqual({ min: 0, p5: 0.2, median: 2 });
  });
  it('matches numpy on seeded arrays', () => {
    for (const c of percentileCases) {
      expect(relClose(percentile(c.values, 5), c.p5, 1e-15)).toBe(true);
      expect(relClose(percentile(c.values, 50), c.p50, 1e-15)).toBe(true);
      expect(relClose(percentile(c.values, 95), c.p95, 1e-15)).toBe(true);
      const s = summary3(c.values);
      expect(s.min).toBe(c.min);
      expect(relClose(s.median, c.median, 1e-15)).toBe(true);
    }
  });
});

describe('memorisation rate', () => {
  it('strictly below the 5th percentile of the holdout DCRs', () => {
    // holdout DCRs 1..21: 5th percentile = 1 + 0.05 * 20 = 2
    const h = Float64Array.from({ length: 21 }, (_, i) => i + 1);
    expect(memorizationRate([0.5, 1.99, 2, 3], h)).toBe(0.5);
    const r = dcrFromDistances(Float64Array.from([0.5, 1.99, 2, 3]), h);
    expect(r.memorizationRate).toBe(0.5);
    expect(r.holdoutDcr).toEqual({ min: 1, p5: 2, median: 11 });
    expect(r.dcr.min).toBe(0.5);
    const none = dcrFromDistances(Float64Array.from([1]), null);
    expect(none.holdoutDcr).toBeNull();
    expect(none.memorizationRate).toBeNull();
  });
});

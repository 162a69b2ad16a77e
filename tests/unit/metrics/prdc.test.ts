import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { makeFeatureSet } from '../../../src/core/features/featureSet.ts';
import { neighbourMetrics } from '../../../src/core/metrics/neighbourMetrics.ts';
import { prdcFromPass } from '../../../src/core/metrics/prdc.ts';
import { fixtures, relClose } from '../neighbours/reference.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const line = (xs: number[]) => makeFeatureSet(Float32Array.from(xs), xs.length, 1);

describe('PRDC (hand-computed, 1-D, k = 1)', () => {
  it('precision, recall, density, coverage with strict <', async () => {
    // R = 0, 2, 3, 10: rho1 = [2, 1, 1, 7]
    // S = 1, 2.5, 20, 21: sigma1 = [1.5, 1.5, 1, 1]
    // D(s, r):  s=1: 1 1 2 9 | s=2.5: 2.5 .5 .5 7.5 | s=20: 20 18 17 10 | s=21: 21 19 18 11
    // in-ball (D < rho1(i)): s=1: r0 (1<2) ; r1 1<1 no ; r2 2<1 no ; r3 9<7 no -> 1 pair
    //                        s=2.5: r1 (.5<1), r2 (.5<1) -> 2 pairs ; s=20, s=21: none
    // precision = 2/4 ; density = 3 / (1 * 4)
    // recall: r_i inside B(s_j, sigma1(j)): r0: D(1)=1 < 1.5 yes ; r1: D(1)=1<1.5 yes ; r2: D(2.5)=.5<1.5 yes ;
    //         r3: D(2.5) = 7.5, D(20) = 10 < 1? no -> 3/4
    // coverage: nearest synthetic of r0 = 1 (D 1 < 2) yes ; r1: .5 < 1 yes ; r2: .5 < 1 yes ; r3: 7.5 < 7 no -> 3/4
    const m = await neighbourMetrics(line([0, 2, 3, 10]), line([1, 2.5, 20, 21]), { k: 1, tau: 0.05 });
    expect(m.prdc).toEqual({ precision: 0.5, recall: 0.75, density: 0.75, coverage: 0.75 });
  });

  it('ties exactly at the radius do not count', async () => {
    // R = 0, 1, 2 (k=1: rho1 = 1, 1, 1); S = 1, 3 (sigma1 = 2, 2)
    // pairs D < 1: none (D(1, r0) = 1, D(1, r1) = 0 -> yes!, D(1, r2) = 1; D(3, r2) = 1) -> 1 pair
    const m = await neighbourMetrics(line([0, 1, 2]), line([1, 3]), { k: 1, tau: 0.05 });
    expect(m.prdc.precision).toBe(0.5);
    expect(m.prdc.density).toBe(0.5);
    // coverage: nearest synth of r0 is 1 at D = 1, not < 1; r1: 0 < 1; r2: 1 not < 1 -> 1/3
    expect(m.prdc.coverage).toBe(1 / 3);
    // recall: r0: D(1) = 1 < 2 ; r1: 0 < 2 ; r2: 1 < 2 -> 1
    expect(m.prdc.recall).toBe(1);
  });
});

describe('PRDC against the official prdc logic (re-implemented in make_reference.py)', () => {
  for (const f of fixtures) {
    it(f.name, async () => {
      const m = await neighbourMetrics(f.R, f.S, { k: f.k, tau: f.tau, tileSize: 5 });
      expect(m.prdc.precision).toBe(f.official.prdc.precision);
      expect(m.prdc.recall).toBe(f.official.prdc.recall);
      expect(m.prdc.coverage).toBe(f.official.prdc.coverage);
      expect(relClose(m.prdc.density, f.official.prdc.density, 1e-12)).toBe(true);
      // and the float64 reference exactly (count / (k N))
      expect(m.prdc.density).toBe(f.expected.prdc.density);
    });
  }
});

describe('prdcFromPass', () => {
  it('recall is NaN without sigma_k', () => {
    const r = prdcFromPass(
      { realistic: Uint8Array.from([1, 0]), recalled: null, densityCount: 3, nearestSynthDistance: Float64Array.from([0.5, 2]) },
      Float64Array.from([1, 1]),
      2,
    );
    expect(r.precision).toBe(0.5);
    expect(Number.isNaN(r.recall)).toBe(true);
    expect(r.density).toBe(0.75);
    expect(r.coverage).toBe(0.5);
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { makeFeatureSet } from '../../../src/core/features/featureSet.ts';
import { computeRealRadii, neighbourMetrics } from '../../../src/core/metrics/neighbourMetrics.ts';
import { copyRadii, fidelityPrivacyFromPass, modeCollapseRuleFires } from '../../../src/core/metrics/fidelityPrivacy.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const line = (xs: number[]) => makeFeatureSet(Float32Array.from(xs), xs.length, 1);

describe('fidelity / privacy (hand-computed, 1-D)', () => {
  // R = 0, 1, 10, 14, 20 with k = 2 (rows of |r_i - r_j| without the diagonal):
  // r0: 1 10 14 20 | r1: 1 9 13 19 | r2: 10 9 4 10 | r3: 14 13 4 6 | r4: 20 19 10 6
  // rho1 = [1, 1, 4, 4, 6], rho2 = [10, 9, 9, 6, 10]
  const R = line([0, 1, 10, 14, 20]);
  it('radii', async () => {
    const r = await computeRealRadii(R, 2);
    expect(Array.from(r.rho1)).toEqual([1, 1, 4, 4, 6]);
    expect(Array.from(r.rhoK)).toEqual([10, 9, 9, 6, 10]);
  });
  it('sets, nearest reals (ties to the lowest index), F, P, F^p', async () => {
    // s = 12:  D = 12 11 2 2 8      nearest r2 (tie with r3); 2 < 4 -> copy of r2
    // s = 5.5: D = 5.5 4.5 4.5 8.5 14.5  nearest r1 (tie with r2); no D < rho1; 5.5 < 10 -> real
    // s = 17:  D = 17 16 7 3 3      nearest r3 (tie with r4); 3 < 4 -> copy of r3
    // s = 30:  D = 30 29 20 16 10   nearest r4; 10 < 10 is false -> non-real
    // s = 24:  D = 24 23 14 10 4    nearest r4; 4 < 6 -> copy of r4
    // s = -9:  D = 9 10 19 23 29    nearest r0; 9 < 10 -> real
    // s = -10: D = 10 11 20 24 30   nearest r0; 10 < 10 false, 11 < 9 false -> non-real
    // s = 7:   D = 7 6 3 7 13       nearest r2; 3 < 4 -> copy of r2
    const S = line([12, 5.5, 17, 30, 24, -9, -10, 7]);
    const m = await neighbourMetrics(R, S, { k: 2, tau: 0.05, tileSize: 3 });
    const fp = m.fidelityPrivacy;
    expect(Array.from(fp.assignments.nearestReal)).toEqual([2, 1, 3, 4, 4, 0, 0, 2]);
    expect(Array.from(fp.assignments.distance)).toEqual([2, 4.5, 3, 10, 4, 9, 10, 3]);
    expect(Array.from(fp.assignments.rho1)).toEqual([4, 1, 4, 6, 6, 1, 1, 4]);
    expect(Array.from(fp.assignments.rhoK)).toEqual([9, 9, 6, 10, 10, 10, 10, 9]);
    expect(Array.from(fp.assignments.set)).toEqual([0, 1, 0, 2, 0, 1, 2, 0]);
    expect(Array.from(fp.assignments.copyOf!)).toEqual([2, -1, 3, -1, 4, -1, -1, 2]);
    expect(fp.fidelity).toBe(6 / 8);
    expect(fp.privacy).toBe(1 - 4 / 8);
    expect(fp.fidelityPrivacy).toBe(2 / 8);
    expect(fp.modeCollapseRuleApplied).toBe(false);
  });

  it('a copy of a non-nearest real counts (radii differ per real)', async () => {
    // R = 0, 0.5, 10, 20 ; k = 1: rho1 = [0.5, 0.5, 9.5, 10]
    // s = 4: D = 4 3.5 6 16: nearest r1 at 3.5 (not < 0.5), but 6 < 9.5 -> copy of r2
    const R2 = line([0, 0.5, 10, 20]);
    const m = await neighbourMetrics(R2, line([4]), { k: 1, tau: 0.05 });
    const a = m.fidelityPrivacy.assignments;
    expect(a.nearestReal[0]).toBe(1);
    expect(a.distance[0]).toBe(3.5);
    expect(a.rho1[0]).toBe(0.5);
    expect(a.set[0]).toBe(0);
    expect(a.copyOf![0]).toBe(2);
    expect(m.fidelityPrivacy.privacy).toBe(0);
  });

  it('mode-collapse rule fires at std <= tau and widens the copy radius by tau', async () => {
    // S = {5.5, 6.5}: population std exactly 0.5.
    // 5.5: D = 5.5 4.5 4.5 8.5 14.5 -> no D < rho1 (4.5 vs 4 for r2): real. 6.5: D(r2) = 3.5 < 4 -> copy.
    const S = line([5.5, 6.5]);
    const off = await neighbourMetrics(R, S, { k: 2, tau: 0.49 });
    expect(off.fidelityPrivacy.featureStd).toBe(0.5);
    expect(off.fidelityPrivacy.modeCollapseRuleApplied).toBe(false);
    expect(Array.from(off.fidelityPrivacy.assignments.set)).toEqual([1, 0]);
    // tau = 0.5: fires (0.5 <= 0.5); copy radius of r2 = 4.5, and 4.5 < 4.5 is false
    const atEquality = await neighbourMetrics(R, S, { k: 2, tau: 0.5 });
    expect(atEquality.fidelityPrivacy.modeCollapseRuleApplied).toBe(true);
    expect(Array.from(atEquality.fidelityPrivacy.assignments.set)).toEqual([1, 0]);
    // tau = 0.625: 4.5 < 4.625 -> copy
    const wider = await neighbourMetrics(R, S, { k: 2, tau: 0.625 });
    expect(wider.fidelityPrivacy.modeCollapseRuleApplied).toBe(true);
    expect(Array.from(wider.fidelityPrivacy.assignments.set)).toEqual([0, 0]);
    expect(Array.from(wider.fidelityPrivacy.assignments.rho1)).toEqual([1, 4]); // plain rho1 is reported
    expect(wider.fidelityPrivacy.privacy).toBe(0);
    expect(wider.fidelityPrivacy.tau).toBe(0.625);
  });

  it('an exact copy of a real that has a duplicate in R is not a copy (rho1 = 0, strict <)', async () => {
    // R = 0, 0, 5, 9 ; k = 1: rho1 = rhoK = [0, 0, 4, 4]
    const Rd = line([0, 0, 5, 9]);
    const m = await neighbourMetrics(Rd, line([0, 5]), { k: 1, tau: 0.05 });
    expect(Array.from(m.fidelityPrivacy.assignments.nearestReal)).toEqual([0, 2]);
    expect(Array.from(m.fidelityPrivacy.assignments.rho1)).toEqual([0, 4]);
    expect(Array.from(m.fidelityPrivacy.assignments.set)).toEqual([2, 0]);
  });
});

describe('pure helpers', () => {
  it('modeCollapseRuleFires uses <=', () => {
    expect(modeCollapseRuleFires(0.05, 0.05)).toBe(true);
    expect(modeCollapseRuleFires(0.0500001, 0.05)).toBe(false);
  });
  it('copyRadii adds tau only when the rule fired', () => {
    const rho1 = Float64Array.from([0, 1.5]);
    expect(copyRadii(rho1, 0.25, false)).toBe(rho1);
    expect(Array.from(copyRadii(rho1, 0.25, true))).toEqual([0.25, 1.75]);
  });
  it('fidelityPrivacyFromPass counts sets', () => {
    const r = fidelityPrivacyFromPass(
      {
        copy: Uint8Array.from([1, 1, 0, 0]),
        copyOf: Int32Array.from([0, 1, -1, -1]),
        realistic: Uint8Array.from([1, 0, 1, 0]),
        nearestReal: Int32Array.from([0, 1, 1, 0]),
        nearestRealDistance: Float64Array.from([0.1, 0.2, 0.3, 0.4]),
      },
      { k: 2, rho1: Float64Array.from([1, 2]), rhoK: Float64Array.from([3, 4]) },
      { tau: 0.05, featureStd: 1, modeCollapseRuleApplied: false },
    );
    expect(r.fidelity).toBe(0.5);
    expect(r.privacy).toBe(0.5);
    expect(r.fidelityPrivacy).toBe(0.25);
    expect(Array.from(r.assignments.set)).toEqual([0, 0, 1, 2]);
    expect(Array.from(r.assignments.rho1)).toEqual([1, 2, 2, 1]);
    expect(Array.from(r.assignments.rhoK)).toEqual([3, 4, 4, 3]);
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import {
  computeRealRadii,
  holdoutCalibration,
  neighbourMetrics,
  type NeighbourMetrics,
} from '../../../src/core/metrics/neighbourMetrics.ts';
import { makeFeatureSet } from '../../../src/core/features/featureSet.ts';
import { fixtures, firstMismatch, relClose, type Expected, type Fixture } from '../neighbours/reference.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

function checkAgainst(m: NeighbourMetrics, e: Expected, f: Fixture): void {
  const fp = m.fidelityPrivacy;
  // fractions: exact
  expect(fp.fidelity).toBe(e.fidelity);
  expect(fp.privacy).toBe(e.privacy);
  expect(fp.fidelityPrivacy).toBe(e.fidelityPrivacy);
  expect(fp.modeCollapseRuleApplied).toBe(e.modeCollapseRuleApplied);
  expect(fp.tau).toBe(f.tau);
  expect(relClose(fp.featureStd, e.featureStd, 1e-12)).toBe(true);
  const a = fp.assignments;
  expect(Array.from(a.nearestReal)).toEqual(e.assignments.nearestReal);
  expect(firstMismatch(a.distance, e.assignments.distance)).toBe(-1);
  expect(firstMismatch(a.rho1, e.assignments.rho1)).toBe(-1);
  expect(firstMismatch(a.rhoK, e.assignments.rhoK)).toBe(-1);
  expect(Array.from(a.set)).toEqual(e.assignments.set);
  expect(m.prdc.precision).toBe(e.prdc.precision);
  expect(m.prdc.recall).toBe(e.prdc.recall);
  expect(m.prdc.density).toBe(e.prdc.density);
  expect(m.prdc.coverage).toBe(e.prdc.coverage);
  expect(firstMismatch(m.dcr.distances, e.distances)).toBe(-1);
  for (const key of ['min', 'p5', 'median'] as const) expect(relClose(m.dcr.dcr[key], e.dcr[key])).toBe(true);
}

describe('neighbourMetrics against the float64 reference (make_reference.py)', () => {
  for (const f of fixtures) {
    it(`${f.name}`, async () => {
      const opts = { k: f.k, tau: f.tau, tileSize: 7 };
      let holdoutDcrs: Float64Array | null = null;
      if (f.H) {
        const cal = await holdoutCalibration(f.R, f.H, opts);
        const h = f.holdoutAsSynth!;
        checkAgainst(cal.metrics, h, f);
        expect(cal.holdoutPrivacy).toBe(h.privacy);
        expect(cal.holdoutFidelity).toBe(h.fidelity);
        expect(cal.holdoutFidelityPrivacy).toBe(h.fidelityPrivacy);
        holdoutDcrs = cal.holdoutDcrs;
      }
      const m = await neighbourMetrics(f.R, f.S, { ...opts, holdoutDcrs });
      checkAgainst(m, f.expected, f);
      if (f.H) {
        for (const key of ['min', 'p5', 'median'] as const) expect(relClose(m.dcr.holdoutDcr![key], f.expected.holdoutDcr![key])).toBe(true);
        expect(m.dcr.memorizationRate).toBe(f.expected.memorizationRate);
      } else {
        expect(m.dcr.holdoutDcr).toBeNull();
        expect(m.dcr.memorizationRate).toBeNull();
      }
      // the two reference tools, re-implemented in the script, agree
      expect(m.prdc.precision).toBe(f.official.prdc.precision);
      expect(m.prdc.recall).toBe(f.official.prdc.recall);
      expect(m.prdc.coverage).toBe(f.official.prdc.coverage);
      expect(relClose(m.prdc.density, f.official.prdc.density, 1e-12)).toBe(true);
      expect(m.fidelityPrivacy.fidelity).toBe(f.official.authors.precision);
      expect(m.fidelityPrivacy.fidelityPrivacy).toBe(f.official.authors.precision_privacy);
      expect(relClose(m.fidelityPrivacy.privacy, f.official.authors.privacy, 1e-15)).toBe(true);
    });
  }

  it('cached real radii give the same result with fewer blocks', async () => {
    const f = fixtures.find((x) => x.name === 'tiles')!;
    const blocks: number[] = [];
    const full = await neighbourMetrics(f.R, f.S, { k: f.k, tau: f.tau, tileSize: 16, onProgress: (_d, t) => blocks.push(t) });
    const radii = await computeRealRadii(f.R, f.k, { tileSize: 16 });
    const totals: number[] = [];
    const cached = await neighbourMetrics(f.R, f.S, { k: f.k, tau: f.tau, tileSize: 16, radii, onProgress: (_d, t) => totals.push(t) });
    expect(cached.fidelityPrivacy.privacy).toBe(full.fidelityPrivacy.privacy);
    expect(Array.from(cached.fidelityPrivacy.assignments.set)).toEqual(Array.from(full.fidelityPrivacy.assignments.set));
    expect(cached.prdc).toEqual(full.prdc);
    // 101 reals, 77 synthetic, tiles of 16: R x R 28 blocks, S x S 15, S x R 35
    expect(blocks[0]).toBe(28 + 15 + 35);
    expect(totals[0]).toBe(15 + 35);
    expect(totals.length).toBe(50);
    await expect(neighbourMetrics(f.R, f.S, { k: 3, tau: f.tau, radii })).rejects.toThrow(/k = 5/);
  });

  it('small synthetic sets: recall is NaN when N <= k, an empty set gives NaN fractions', async () => {
    const f = fixtures.find((x) => x.name === 'gauss_dups')!;
    const small = makeFeatureSet(f.S.data.slice(0, 3 * f.dim) as Float32Array, 3, f.dim);
    const m = await neighbourMetrics(f.R, small, { k: f.k, tau: f.tau });
    expect(Number.isNaN(m.prdc.recall)).toBe(true);
    expect(m.prdc.precision).toBeGreaterThanOrEqual(0);
    const empty = makeFeatureSet(new Float32Array(0), 0, f.dim);
    const e = await neighbourMetrics(f.R, empty, { k: f.k, tau: f.tau });
    expect(Number.isNaN(e.fidelityPrivacy.fidelity)).toBe(true);
    expect(e.fidelityPrivacy.modeCollapseRuleApplied).toBe(false);
    expect(e.dcr.distances.length).toBe(0);
  });
});

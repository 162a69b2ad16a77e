/**
 * evaluate(): report assembly (the metric values themselves are tested by each metric's own tests
 * and, end to end against numpy, in tests/unit/cli). Here: the variety scores, holdout absent,
 * unlabelled sets, discrete features, validation errors, per-class skipping, abort, progress.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { classRows, evaluate } from '../../../src/core/evaluate.ts';
import { makeFeatureSet, rowsOfClass, type FeatureSet } from '../../../src/core/features/featureSet.ts';
import { InputError } from '../../../src/core/features/csv.ts';
import { reportToJson } from '../../../src/core/report/json.ts';
import { metricsToCsv } from '../../../src/core/report/csv.ts';

beforeAll(async () => { await tf.setBackend('cpu'); });

/** Deterministic pseudo-random features (LCG), n x d, with optional labels. */
function feats(n: number, d: number, seed: number, shift = 0, labels?: string[]): FeatureSet {
  let s = seed >>> 0;
  const data = new Float32Array(n * d);
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 2 ** 32 + shift;
  }
  return makeFeatureSet(data, n, d, { labels: labels ?? null, ids: Array.from({ length: n }, (_, i) => `r${seed}_${i}`) });
}

describe('evaluate', () => {
  it('variety: scores over the real set and every set with a size; null and a note without sizes', async () => {
    const real = feats(20, 3, 1);
    const input = { real, synthetic: [{ name: 'a', features: feats(12, 3, 2) }, { name: 'b', features: feats(12, 3, 3) }], config: { backend: 'cpu', kidSubsets: 3 } };
    const withSizes = await evaluate({ ...input, varietyBytes: { real: 3000, sets: { a: 1000, b: 2000 } } });
    expect(withSizes.report.real.variety).toEqual({ pngBytes: 3000, score: 0 });
    expect(withSizes.report.sets.map((s) => s.metrics.variety)).toEqual([{ pngBytes: 1000, score: 1 }, { pngBytes: 2000, score: 0.5 }]);
    expect(withSizes.report.warnings.join(' ')).not.toMatch(/variety/);
    const without = await evaluate(input);
    expect(without.report.real.variety).toBeNull();
    expect(without.report.sets.every((s) => s.metrics.variety === null)).toBe(true);
    expect(without.report.warnings.join(' ')).toMatch(/variety .* is null: it needs the images/);
  });

  it('no holdout: holdout fields null; unlabelled: no per-class; the report serialises', async () => {
    const r = await evaluate({ real: feats(20, 3, 1), synthetic: [{ name: 's', features: feats(15, 3, 4) }], config: { backend: 'cpu', kidSubsets: 3, extractor: { id: 'pixels' }, preprocessing: { size: 8 } } });
    const m = r.report.sets[0].metrics;
    expect([m.holdoutPrivacy, m.holdoutFidelity, m.holdoutFidelityPrivacy, m.holdoutDcr, m.memorizationRate]).toEqual([null, null, null, null, null]);
    expect(r.report.holdout).toBeNull();
    expect(r.holdoutDcrDistances).toBeUndefined();
    expect(r.report.sets[0].perClass).toEqual({});
    expect(r.report.config).toMatchObject({ k: 5, tau: 0.05, seed: 2020, kidSubsetSize: 1000, kidSubsets: 3, featureKind: 'continuous', distance: 'euclidean', dim: 3, backend: 'cpu', extractor: { id: 'pixels' }, preprocessing: { size: 8 } });
    expect(r.syntheticDcrDistances.get('s')!.length).toBe(15);
    const a = r.assignments.get('s')!;
    expect(a.ids).toHaveLength(15);
    expect(a.realIds[a.nearestReal[0]]).toMatch(/^r1_/);
    expect(() => reportToJson(r.report)).not.toThrow();
    expect(metricsToCsv(r.report).trimEnd().split('\n')).toHaveLength(2);
  });

  it('per class: classes with fewer than k + 1 real rows, or no synthetic rows, are skipped with a warning', async () => {
    const realLabels = [...Array(10).fill('x'), ...Array(4).fill('y'), ...Array(8).fill('z')];
    const synthLabels = [...Array(6).fill('x'), ...Array(6).fill('y'), ...Array(3).fill('w')];
    const r = await evaluate({
      real: feats(22, 2, 5, 0, realLabels), synthetic: [{ name: 's', features: feats(15, 2, 6, 0, synthLabels) }],
      holdout: feats(9, 2, 7, 0, [...Array(5).fill('x'), ...Array(4).fill('z')]), config: { backend: 'cpu', kidSubsets: 2 },
    });
    const s = r.report.sets[0];
    expect(Object.keys(s.perClass)).toEqual(['x']);
    const w = s.warnings.join('\n');
    expect(w).toMatch(/class "w": no real rows; class skipped/);
    expect(w).toMatch(/class "y": 4 real rows, fewer than k \+ 1 = 6; class skipped/);
    expect(w).toMatch(/class "z": no synthetic rows; class skipped/);
    expect(s.perClass.x.holdoutPrivacy).not.toBeNull();
    expect(r.report.holdout!.perClass).toHaveProperty('x');
    expect(s.classes).toEqual({ w: 3, x: 6, y: 6 });
    // recall needs more than k synthetic rows: class x has 6 > 5, fine; pooled fine
    expect(s.perClass.x.recall).not.toBeNull();
  });

  it('classRows: the rows of one class (as rowsOfClass) on shared memory, so the engine threads need no second copy', () => {
    const labels = ['a', 'b', 'a', 'c', 'a', 'b'];
    const fs = feats(6, 3, 7, 0, labels);
    for (const label of ['a', 'b', 'c']) {
      const got = classRows(fs, label);
      const want = rowsOfClass(fs, label);
      expect(got.data.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(got.data).toBeInstanceOf(Float32Array);
      expect(Array.from(got.data)).toEqual(Array.from(want.data));
      expect([got.ids, got.labels, got.n, got.dim, got.kind]).toEqual([want.ids, want.labels, want.n, want.dim, want.kind]);
    }
    // rows 1 and 5 of class b, by hand
    expect(Array.from(classRows(fs, 'b').data)).toEqual([...fs.data.subarray(3, 6), ...fs.data.subarray(15, 18)]);
    const codes = makeFeatureSet(Int32Array.from([1, 2, 3, 4, 5, 6]), 3, 2, { labels: ['x', 'y', 'x'], kind: 'discrete' });
    const x = classRows(codes, 'x');
    expect(x.data).toBeInstanceOf(Int32Array);
    expect(Array.from(x.data)).toEqual([1, 2, 5, 6]);
    expect(() => classRows(feats(3, 2, 1), 'a')).toThrow(/no labels/);
  });

  it('recall is null with a warning when a set has k or fewer rows', async () => {
    const r = await evaluate({ real: feats(20, 3, 1), synthetic: [{ name: 'tiny', features: feats(4, 3, 9) }], config: { backend: 'cpu', kidSubsets: 2 } });
    expect(r.report.sets[0].metrics.recall).toBeNull();
    expect(r.report.sets[0].warnings.join(' ')).toMatch(/recall is null: it needs more than k = 5 synthetic rows, there are 4/);
  });

  it('a one-row set: FID and KID null with a note, the rest computed', async () => {
    const r = await evaluate({ real: feats(20, 3, 1), synthetic: [{ name: 'one', features: feats(1, 3, 9) }], config: { backend: 'cpu', kidSubsets: 2 } });
    const m = r.report.sets[0].metrics;
    expect([m.fid, m.kid]).toEqual([null, null]);
    expect(m.vendi).toBeCloseTo(1, 12);
    expect(r.report.sets[0].warnings.join(' ')).toMatch(/FID and KID are null: they need at least 2 synthetic rows, there is 1/);
  });

  it('discrete features: Hamming, FID and KID null with a note', async () => {
    const codes = (n: number, seed: number) => {
      let s = seed;
      const d = new Int32Array(n * 6);
      for (let i = 0; i < d.length; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; d[i] = s >>> 30; }
      return makeFeatureSet(d, n, 6, { kind: 'discrete' });
    };
    const r = await evaluate({ real: codes(20, 1), synthetic: [{ name: 'q', features: codes(10, 2) }], config: { backend: 'cpu' } });
    expect(r.report.config.distance).toBe('hamming');
    expect(r.report.sets[0].metrics.fid).toBeNull();
    expect(r.report.sets[0].metrics.kid).toBeNull();
    expect(r.report.warnings.join(' ')).toMatch(/discrete features: FID and KID are not computed/);
    // Hamming distances are multiples of 1/6
    for (const x of r.assignments.get('q')!.distance) expect(Math.abs(x * 6 - Math.round(x * 6))).toBeLessThan(1e-12);
  });

  it('validation: InputError for too few real rows, dimension and kind mismatch, duplicate names, empty sets', async () => {
    const cfg = { backend: 'cpu' };
    const real = feats(20, 3, 1);
    const bad: [Omit<Parameters<typeof evaluate>[0], "config">, RegExp][] = [
      [{ real: feats(5, 3, 1), synthetic: [{ name: 's', features: feats(5, 3, 2) }] }, /real set has 5 rows; k = 5 needs at least 6/],
      [{ real, synthetic: [{ name: 's', features: feats(5, 4, 2) }] }, /synthetic set "s" has 4 feature columns, the real set has 3/],
      [{ real, synthetic: [{ name: 's', features: feats(5, 3, 2) }, { name: 's', features: feats(5, 3, 3) }] }, /two synthetic sets are named "s"/],
      [{ real, synthetic: [{ name: 's', features: makeFeatureSet(new Float32Array(0), 0, 3) }] }, /synthetic set "s" is empty/],
      [{ real, synthetic: [] }, /no synthetic set/],
      [{ real, synthetic: [{ name: 's', features: feats(5, 3, 2) }], holdout: feats(4, 2, 3) }, /holdout set has 2 feature columns/],
    ];
    for (const [input, re] of bad) {
      const p = evaluate({ ...input, config: cfg });
      await expect(p).rejects.toBeInstanceOf(InputError);
      await expect(evaluate({ ...input, config: cfg })).rejects.toThrow(re);
    }
  });

  it('progress reports stages; an aborted signal stops the run', async () => {
    const stages = new Set<string>();
    await evaluate({ real: feats(20, 3, 1), synthetic: [{ name: 's', features: feats(10, 3, 2) }], config: { backend: 'cpu', kidSubsets: 2 }, onProgress: (p) => stages.add(p.stage) });
    expect([...stages]).toEqual(expect.arrayContaining(['realRadii', 'neighbours', 'fid', 'kid', 'vendi', 'sets']));
    const ac = new AbortController();
    ac.abort();
    await expect(evaluate({ real: feats(20, 3, 1), synthetic: [{ name: 's', features: feats(10, 3, 2) }], config: { backend: 'cpu' }, signal: ac.signal })).rejects.toThrow(/abort/i);
  });
});

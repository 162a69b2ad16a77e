import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeFeatureSet, type FeatureSet } from '../../../src/core/features/featureSet.ts';
import { runUtility, splitRealSet, type UtilityInput, type UtilityReport } from '../../../src/core/utility/runUtility.ts';
import { wilcoxon } from '../../../src/core/utility/wilcoxon.ts';
import type { ProbeConfig } from '../../../src/core/utility/probe.ts';
import { gaussianClusters } from './gaussianClusters.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const dim = 12;
const means = [[0.7, 0.7], [-0.7, -0.7]];
const labels = ['effusion', 'normal'];
const real = gaussianClusters({ seed: 1, perClass: [5, 5], dim, means, labels });
const test = gaussianClusters({ seed: 2, perClass: [120, 120], dim, means, labels });
const faithful = gaussianClusters({ seed: 3, perClass: [80, 80], dim, means, labels });
const flipped = gaussianClusters({ seed: 4, perClass: [80, 80], dim, means, labels: ['normal', 'effusion'] });
// "augmented copies": the real rows with small feature jitter, standing in for the image pipeline's output
const augmented = makeFeatureSet(Float32Array.from(real.data as Float32Array, (v, i) => v + 0.05 * Math.sin(7 * i)), real.n, dim, { labels: real.labels });
// a second task: classes separated along dimensions 0 and 1 in opposite directions
const crossTask = gaussianClusters({ seed: 5, perClass: [15, 15], dim, means: [[1, -1], [-1, 1]], labels: ['left', 'right'] });
const probe: ProbeConfig = { architecture: 'mlp', hiddenUnits: 8, steps: 30, batchSize: 32, learningRate: 1e-2 };
const crossTaskClassifier = { C: 0.5 };

const withoutWall = (r: UtilityReport) => ({ ...r, wallMs: 0 });
const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;

describe('runUtility', () => {
  let report: UtilityReport;
  const progress: number[] = [];
  beforeAll(async () => {
    report = await runUtility({
      realTrain: real,
      test,
      synthetic: [
        { name: 'faithful', features: faithful },
        { name: 'label-flipped', features: flipped },
      ],
      augmented,
      augmentations: ['horizontal flip', 'rotation +-10 deg', 'contrast +-10%'],
      crossTask,
      seeds: [1, 2, 3],
      probe,
      crossTaskClassifier,
      onProgress: (p) => {
        progress.push(p.done);
        expect(p.done).toBeLessThanOrEqual(p.total);
      },
    });
  });

  it('records the run settings', () => {
    expect(report.tier).toBe('probe');
    expect(report.settings).toMatchObject({
      architecture: 'mlp',
      hiddenUnits: 8,
      budget: { kind: 'gradient steps', steps: 30, batchSize: 32 },
      learningRate: 1e-2,
      seeds: [1, 2, 3],
      backend: 'cpu',
      augmentations: ['horizontal flip', 'rotation +-10 deg', 'contrast +-10%'],
      crossTask: { folds: 5, C: 0.5 },
      testSource: { kind: 'held-out' },
    });
    expect(report.classes).toEqual(['effusion', 'normal']);
    expect(report.counts.realTrain).toEqual({ effusion: 5, normal: 5 });
    expect(report.counts.test).toEqual({ effusion: 120, normal: 120 });
    expect(report.notes.join(' ')).toMatch(/at least 5/);
    // total = 3 seeds x (base + aug + 2 x (intra + tstr) + 5 folds x (1 + 2 sets))
    expect(progress).toEqual(Array.from({ length: 3 * (6 + 15) }, (_, i) => i + 1));
    expect(report.skipped).toEqual([]);
  });

  it('faithful synthetic data helps, label-flipped data hurts; TSTR agrees', () => {
    const [good, bad] = report.sets;
    expect(good.name).toBe('faithful');
    expect(good.rows).toBe(160);
    expect(good.classCounts).toEqual({ effusion: 80, normal: 80 });
    expect(good.intraTask!.trainRows).toBe(170);
    expect(good.intraTask!.gainPercent.mean!).toBeGreaterThan(3);
    expect(bad.intraTask!.gainPercent.mean!).toBeLessThan(-10);
    expect(good.tstr!.accuracy.mean).toBeGreaterThan(0.7);
    expect(bad.tstr!.accuracy.mean).toBeLessThan(0.3);
    expect(good.tstr!.trainRows).toBe(160);
  });

  it('gain, spread and p-value follow their definitions from the per-seed accuracies', () => {
    const base = report.baseline!.accuracy.perSeed;
    expect(report.baseline!.trainRows).toBe(10);
    expect(report.baseline!.accuracy.mean).toBeCloseTo(mean(base), 15);
    for (const r of [report.sets[0].intraTask!, report.sets[1].intraTask!, report.simpleAugmentation!]) {
      const withExtra = r.accuracy.perSeed;
      const gains = withExtra.map((a, i) => (100 * (a - base[i])) / base[i]);
      expect(r.gainPercent.perSeed).toEqual(gains);
      expect(r.gainPercent.mean).toBeCloseTo(mean(gains), 12);
      const m = mean(gains);
      expect(r.gainPercent.std).toBeCloseTo(Math.sqrt(gains.reduce((s, g) => s + (g - m) ** 2, 0) / 2), 12);
      if (withExtra.some((a, i) => a !== base[i])) expect(r.pValue).toBe(wilcoxon(withExtra, base).pValue);
      expect(r.accuracy.perSeed.length).toBe(3);
      expect(r.auc!.perSeed.length).toBe(3);
      for (const v of [...r.accuracy.perSeed, ...r.balancedAccuracy.perSeed, ...r.auc!.perSeed]) expect(v >= 0 && v <= 1).toBe(true);
    }
    // the simple-augmentation reference is the same object in every set's entry
    expect(report.sets[0].simpleAugmentation).toEqual(report.simpleAugmentation);
    expect(report.sets[1].baseline).toEqual(report.baseline);
    expect(report.simpleAugmentation!.trainRows).toBe(20);
  });

  it('cross-task utility compares CV accuracies on the two models’ embeddings with the same folds', () => {
    for (const s of report.sets) {
      const ct = s.crossTask!;
      expect(ct.folds).toBe(5);
      expect(ct.rows).toBe(30);
      expect(ct.classes).toEqual(['left', 'right']);
      const a = ct.withSyntheticCvAccuracy.perSeed;
      const b = ct.realOnlyCvAccuracy.perSeed;
      expect(b).toEqual(report.sets[0].crossTask!.realOnlyCvAccuracy.perSeed);
      // 5 folds of 6 rows: every CV accuracy is a multiple of 1/30
      for (const v of [...a, ...b]) expect(Math.abs(v * 30 - Math.round(v * 30))).toBeLessThan(1e-9);
      expect(ct.gainPercent.perSeed).toEqual(a.map((v, i) => (100 * (v - b[i])) / b[i]));
    }
  });

  it('is deterministic: the same seeds give the same report', async () => {
    const input: UtilityInput = {
      realTrain: real,
      test,
      synthetic: [{ name: 'faithful', features: faithful }],
      crossTask,
      seeds: [7, 8],
      probe: { ...probe, steps: 10 },
    };
    const a = await runUtility(input);
    const b = await runUtility(input);
    expect(withoutWall(b)).toEqual(withoutWall(a));
    const c = await runUtility({ ...input, seeds: [9, 8] });
    expect(c.baseline!.accuracy.perSeed[1]).toBe(a.baseline!.accuracy.perSeed[1]);
    expect(c.sets[0].crossTask!.withSyntheticCvAccuracy.perSeed[1]).toBe(a.sets[0].crossTask!.withSyntheticCvAccuracy.perSeed[1]);
  });

  it('cancellation rejects with an AbortError', async () => {
    const ctl = new AbortController();
    const run = runUtility({
      realTrain: real,
      test,
      synthetic: [{ name: 'faithful', features: faithful }],
      seeds: [1, 2, 3, 4, 5],
      probe: { ...probe, steps: 100_000 },
      signal: ctl.signal,
    });
    setTimeout(() => ctl.abort(), 100);
    const t = performance.now();
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(performance.now() - t).toBeLessThan(1500);
    await expect(runUtility({ realTrain: real, test, synthetic: [], seeds: [1], probe, signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });
});

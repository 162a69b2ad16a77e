import { beforeAll, describe, expect, it } from 'vitest';
import { makeFeatureSet, type FeatureSet } from '../../../src/core/features/featureSet.ts';
import { runUtility, splitRealSet, type UtilityInput, type UtilityReport } from '../../../src/core/utility/runUtility.ts';
import { wilcoxon } from '../../../src/core/utility/wilcoxon.ts';
import { trainProbe, type ProbeConfig } from '../../../src/core/utility/probe.ts';
import { fitProjection } from '../../../src/core/utility/projection.ts';
import { accuracy } from '../../../src/core/utility/classificationMetrics.ts';
import { gaussianClusters } from './gaussianClusters.ts';

const dim = 12;
const means = [[0.7, 0.7], [-0.7, -0.7]];
const labels = ['effusion', 'normal'];
const real = gaussianClusters({ seed: 1, perClass: [4, 4], dim, means, labels });
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
  const progress: { done: number; total: number; stage: string }[] = [];
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
      onProgress: (p) => progress.push(p),
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
      backend: 'plain TypeScript (float64)',
      projection: { kind: 'pca', requested: 64, inputDim: 12, maxFitRows: 256 },
      augmentations: ['horizontal flip', 'rotation +-10 deg', 'contrast +-10%'],
      crossTask: { folds: 5, C: 0.5 },
      testSource: { kind: 'held-out' },
    });
    expect(report.classes).toEqual(['effusion', 'normal']);
    expect(report.counts.realTrain).toEqual({ effusion: 4, normal: 4 });
    expect(report.counts.test).toEqual({ effusion: 120, normal: 120 });
    expect(report.notes.join(' ')).toMatch(/at least 5/);
    // each training set has its own projection: 8 real rows span 7 dimensions after centring
    expect(report.baseline).toMatchObject({ trainRows: 8, components: 7 });
    expect(report.baseline!.explainedVariance).toBeCloseTo(1, 9);
    expect(report.sets[0].intraTask).toMatchObject({ trainRows: 168, components: 12 });
    expect(report.sets[0].tstr).toMatchObject({ trainRows: 160, components: 12 });
    expect(report.simpleAugmentation!.trainRows).toBe(16);
    expect(report.simpleAugmentation!.components).toBeGreaterThan(7); // the jitter adds directions to R's 7
    // units: 6 projections (real, real + aug, 2 x (real + set, set)), 3 seeds x 6 probes, 3 seeds x 5 folds x (1 + 2 sets);
    // one event as each unit starts (done = units finished) and a last one when all are done
    const total = 6 + 3 * 6 + 3 * 15;
    expect(progress.every((p) => p.total === total)).toBe(true);
    expect(progress.map((p) => p.done)).toEqual(Array.from({ length: total + 1 }, (_, i) => i));
    expect(progress[0].stage).toBe('Reducing the features of the real training images to principal components');
    expect(progress.filter((p) => p.stage.startsWith('Reducing')).length).toBe(6);
    const models = progress.filter((p) => p.stage.startsWith('Model '));
    expect(models.length).toBe(18);
    expect(models[0].stage).toBe('Model 1 of 18: seed 1, trained on the real images only');
    expect(models[17].stage).toMatch(/^Model 18 of 18: seed 3, trained on "label-flipped" only/);
    expect(progress.filter((p) => p.stage.startsWith('Cross-task check')).length).toBe(45);
    expect(progress[progress.length - 1].stage).toBe('Finished');
    expect(report.skipped).toEqual([]);
  });

  it('faithful synthetic data helps, label-flipped data hurts; TSTR agrees', () => {
    const [good, bad] = report.sets;
    expect(good.name).toBe('faithful');
    expect(good.rows).toBe(160);
    expect(good.classCounts).toEqual({ effusion: 80, normal: 80 });
    expect(good.intraTask!.trainRows).toBe(168);
    expect(good.intraTask!.gainPercent.mean!).toBeGreaterThan(3);
    expect(bad.intraTask!.gainPercent.mean!).toBeLessThan(-10);
    expect(good.tstr!.accuracy.mean).toBeGreaterThan(0.7);
    expect(bad.tstr!.accuracy.mean).toBeLessThan(0.3);
    expect(good.tstr!.trainRows).toBe(160);
  });

  it('gain, spread and p-value follow their definitions from the per-seed accuracies', () => {
    const base = report.baseline!.accuracy.perSeed;
    expect(report.baseline!.trainRows).toBe(8);
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
    expect(report.simpleAugmentation!.trainRows).toBe(16);
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

  it('each probe is a pipeline fitted on its own training rows: the same accuracies as projection + probe fitted by hand', async () => {
    const y = (fs: FeatureSet) => Int32Array.from(fs.labels!, (l) => labels.indexOf(l));
    // a pipeline fitted on its own training rows: projection (unless components = 0), then the probe
    const fitAndScore = async (train: FeatureSet, components: number) => {
      const proj = components > 0 ? fitProjection(train.data as Float32Array, train.n, dim, components) : null;
      const x = (fs: FeatureSet) => (proj ? proj.apply(fs.data as Float32Array, fs.n) : (fs.data as Float32Array));
      const m = await trainProbe({ x: x(train), n: train.n, dim: proj ? proj.components : dim, y: y(train), classes: 2 }, { ...probe, seed: 4 }, { standardise: !proj });
      return accuracy(y(test), m.predict(x(test), test.n));
    };
    const both = makeFeatureSet(Float32Array.from([...(real.data as Float32Array), ...(faithful.data as Float32Array)]), real.n + faithful.n, dim, {
      labels: [...real.labels!, ...faithful.labels!],
    });
    const byHand = async (components: number) => [await fitAndScore(real, components), await fitAndScore(both, components), await fitAndScore(faithful, components)];
    for (const components of [64, 3, 0]) {
      const r = await runUtility({ realTrain: real, test, synthetic: [{ name: 'faithful', features: faithful }], seeds: [4], probe: { ...probe, components } });
      const [base, withSyn, synOnly] = await byHand(components);
      expect(r.baseline!.accuracy.perSeed).toEqual([base]);
      expect(r.sets[0].intraTask!.accuracy.perSeed).toEqual([withSyn]);
      expect(r.sets[0].tstr!.accuracy.perSeed).toEqual([synOnly]);
      expect(r.settings.projection).toMatchObject({ kind: components ? 'pca' : 'none', requested: components });
      expect(r.baseline!.components).toBe(components ? Math.min(components, 7) : null);
      expect(r.sets[0].intraTask!.components).toBe(components ? Math.min(components, 12) : null);
    }
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

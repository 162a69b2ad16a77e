import { describe, expect, it } from 'vitest';
import { makeFeatureSet, type FeatureSet } from '../../../src/core/features/featureSet.ts';
import { pairedTest, runUtility, splitRealSet, type UtilityInput, type UtilityReport } from '../../../src/core/utility/runUtility.ts';
import { gaussianClusters } from './gaussianClusters.ts';

const dim = 6;
const means3 = [[1, 0], [0, 1], [-1, -1]];
const abc = ['a', 'b', 'c'];
const real = gaussianClusters({ seed: 1, perClass: [6, 6, 6], dim, means: means3, labels: abc });
const test = gaussianClusters({ seed: 2, perClass: [10, 10, 10], dim, means: means3, labels: abc });
const syn = gaussianClusters({ seed: 3, perClass: [8, 8, 8], dim, means: means3, labels: abc });
const unlabelled = (fs: FeatureSet): FeatureSet => ({ ...fs, labels: null });
const base: UtilityInput = {
  realTrain: real,
  test,
  synthetic: [],
  seeds: [1],
  probe: { architecture: 'mlp', hiddenUnits: 4, steps: 3, batchSize: 16, learningRate: 1e-2 },
};
const reasons = (r: UtilityReport, protocol: string) => r.skipped.filter((s) => s.protocol === protocol).map((s) => s.reason);

describe('runUtility: inputs it cannot use are skipped with a reason, never a crash', () => {
  it.each([
    ['the real set has no labels', { realTrain: unlabelled(real) }, /real training set has no class labels/],
    ['the real set has one class', { realTrain: gaussianClusters({ seed: 1, perClass: [6], dim, means: [[0]], labels: ['a'] }) }, /single class \("a"\)/],
    ['no labels anywhere', { realTrain: unlabelled(real), test: unlabelled(test), synthetic: [{ name: 's', features: unlabelled(syn) }] }, /no class labels/],
    ['the test set has no labels', { test: unlabelled(test) }, /real test set has no class labels/],
    ['the test set has a class the real set lacks', { test: gaussianClusters({ seed: 2, perClass: [3, 3], dim, means: means3, labels: ['a', 'zebra'] }) }, /"zebra" that the real training set lacks/],
    ['the test set has another dimension', { test: gaussianClusters({ seed: 2, perClass: [3, 3], dim: 5, means: means3, labels: ['a', 'b'] }) }, /dimension 5, the real training set has 6/],
    ['no seeds', { seeds: [] }, /no seeds/],
    ['a repeated seed', { seeds: [1, 1] }, /repeats a seed/],
    ['an empty real set', { realTrain: makeFeatureSet(new Float32Array(0), 0, dim, { labels: [] }) }, /real training set is empty/],
    ['discrete codes', { realTrain: makeFeatureSet(new Int32Array(18 * dim), 18, dim, { labels: real.labels }) }, /discrete codes/],
    ['a NaN feature', { realTrain: { ...real, data: Float32Array.from(real.data as Float32Array, (v, i) => (i === 13 ? NaN : v)) } }, /non-finite feature value \(row 2/],
    ['bad probe settings', { probe: { ...base.probe, batchSize: 0 } }, /batchSize/],
  ] as [string, Partial<UtilityInput>, RegExp][])('%s: every protocol is skipped', async (_, patch, re) => {
    const r = await runUtility({ ...base, synthetic: [{ name: 's', features: syn }], ...patch });
    expect(reasons(r, 'all').join(' | ')).toMatch(re);
    expect(r.baseline).toBeNull();
    for (const s of r.sets) expect([s.intraTask, s.tstr, s.crossTask, s.simpleAugmentation]).toEqual([null, null, null, null]);
  });

  it('per-set problems skip only that set’s protocols; the rest still run', async () => {
    const missingC = gaussianClusters({ seed: 4, perClass: [8, 8], dim, means: means3, labels: ['a', 'b'] });
    const extra = gaussianClusters({ seed: 5, perClass: [8, 8], dim, means: means3, labels: ['a', 'ghost'] });
    const wrongDim = gaussianClusters({ seed: 6, perClass: [4, 4, 4], dim: 3, means: means3, labels: abc });
    const smallCt = gaussianClusters({ seed: 7, perClass: [10, 3], dim, means: [[1], [-1]], labels: ['left', 'right'] });
    const r = await runUtility({
      ...base,
      synthetic: [
        { name: 'ok', features: syn },
        { name: 'no labels', features: unlabelled(syn) },
        { name: 'only a and b', features: missingC },
        { name: 'with ghost', features: extra },
        { name: 'other extractor', features: wrongDim },
      ],
      crossTask: smallCt,
    });
    expect(r.baseline).not.toBeNull();
    const [ok, noLabels, onlyAB, ghost, dimBad] = r.sets;
    expect(ok.intraTask).not.toBeNull();
    expect(ok.tstr).not.toBeNull();
    expect(ok.skipped).toEqual([]);
    expect(noLabels.intraTask).toBeNull();
    expect(noLabels.tstr).toBeNull();
    expect(noLabels.skipped.map((s) => s.protocol)).toEqual(['intraTask', 'tstr']);
    expect(noLabels.skipped[0].reason).toMatch(/synthetic set "no labels" has no class labels/);
    // a set that augments only some classes is a legitimate intra-task augmentation; TSTR cannot learn class c
    expect(onlyAB.intraTask).not.toBeNull();
    expect(onlyAB.tstr).toBeNull();
    expect(onlyAB.skipped).toEqual([{ protocol: 'tstr', set: 'only a and b', reason: expect.stringMatching(/lacks class\(es\) "c"/) }]);
    expect(ghost.intraTask).toBeNull();
    expect(ghost.skipped[0].reason).toMatch(/"ghost" that match no real class/);
    expect(dimBad.skipped[0].reason).toMatch(/dimension 3, the real training set has 6/);
    // global skips: cross-task (small class) and simple augmentation (not supplied)
    expect(reasons(r, 'crossTask').join()).toMatch(/"right" \(3 images\).*fewer images than the 5 cross-validation folds/);
    expect(reasons(r, 'simpleAugmentation').join()).toMatch(/no augmented copies of the real training images were made/);
    for (const s of r.sets) expect(s.crossTask).toBeNull();
    // the report-level list holds every skip, the set ones tagged with the set name
    expect(r.skipped.filter((s) => s.set === 'no labels').length).toBe(2);
  });

  it('cross-task and augmentation inputs that cannot be used', async () => {
    const ct1 = await runUtility({ ...base, crossTask: gaussianClusters({ seed: 7, perClass: [10], dim, means: [[0]], labels: ['only'] }) });
    expect(reasons(ct1, 'crossTask').join()).toMatch(/cross-task set has a single class/);
    const ct2 = await runUtility({ ...base, crossTask: unlabelled(test) });
    expect(reasons(ct2, 'crossTask').join()).toMatch(/cross-task set has no class labels/);
    const ct3 = await runUtility(base);
    expect(reasons(ct3, 'crossTask').join()).toMatch(/no second labelled real image set \(a different task\) was supplied/);
    const ct4 = await runUtility({ ...base, probe: { ...base.probe, architecture: 'logistic' }, crossTask: test });
    expect(reasons(ct4, 'crossTask').join()).toMatch(/no hidden layer/);
    const aug = await runUtility({ ...base, augmented: extraClassAug() });
    expect(reasons(aug, 'simpleAugmentation').join()).toMatch(/augmented set has class\(es\) "d"/);
    expect(aug.simpleAugmentation).toBeNull();
    expect(aug.baseline).not.toBeNull();
  });

  it('rows without any variance cannot be projected: that training set is skipped with the reason, progress still ends at its total', async () => {
    // every row of this synthetic set is the same vector (a fully collapsed generator)
    const same = makeFeatureSet(Float32Array.from({ length: 12 * dim }, (_, i) => (i % dim) * 0.1), 12, dim, { labels: abc.flatMap((l) => [l, l, l, l]) });
    const events: { done: number; total: number }[] = [];
    const r = await runUtility({ ...base, seeds: [1, 2], synthetic: [{ name: 'constant', features: same }, { name: 'ok', features: syn }], onProgress: (p) => events.push(p) });
    const [constant, ok] = r.sets;
    expect(constant.tstr).toBeNull();
    expect(constant.skipped).toEqual([{ protocol: 'tstr', set: 'constant', reason: expect.stringMatching(/"constant" only cannot be reduced to principal components: .*no variance/) }]);
    expect(constant.intraTask).not.toBeNull(); // R + S still varies
    expect(ok.tstr).not.toBeNull();
    const last = events[events.length - 1];
    expect(last.done).toBe(last.total);
    for (let i = 1; i < events.length; i++) expect(events[i].done).toBeGreaterThanOrEqual(events[i - 1].done);
    // a real set without variance: nothing can run
    const flat = makeFeatureSet(new Float32Array(18 * dim).fill(0.5), 18, dim, { labels: real.labels });
    const r2 = await runUtility({ ...base, realTrain: flat, test: { ...test, dim } });
    expect(reasons(r2, 'all').join()).toMatch(/real training images cannot be reduced to principal components: .*no variance/);
    expect(r2.baseline).toBeNull();
    // without the projection the same set trains (each probe standardises its rows; constant features are divided by 1)
    const r3 = await runUtility({ ...base, probe: { ...base.probe, components: 0 }, synthetic: [{ name: 'constant', features: same }] });
    expect(r3.sets[0].tstr).not.toBeNull();
  });

  it('a test set without some class: AUC is skipped, accuracy is still reported', async () => {
    const testAB = gaussianClusters({ seed: 8, perClass: [10, 10], dim, means: means3, labels: ['a', 'b'] });
    const r = await runUtility({ ...base, test: testAB, synthetic: [{ name: 'ok', features: syn }] });
    expect(reasons(r, 'auc').join()).toMatch(/lacks class\(es\) "c"; ROC AUC needs every class/);
    expect(r.baseline!.auc).toBeNull();
    expect(r.baseline!.accuracy.perSeed.length).toBe(1);
    expect(r.sets[0].intraTask!.auc).toBeNull();
    expect(r.sets[0].intraTask!.balancedAccuracy.mean).toBeGreaterThanOrEqual(0);
  });

  it('with one seed the spread is null and the report says so', async () => {
    const r = await runUtility({ ...base, synthetic: [{ name: 'ok', features: syn }] });
    expect(r.baseline!.accuracy.std).toBeNull();
    expect(r.sets[0].intraTask!.gainPercent.std).toBeNull();
    expect(r.notes.join(' ')).toMatch(/only 1 seed/);
    expect(r.notes.join(' ')).toMatch(/smallest attainable two-sided Wilcoxon p-value is 1/);
  });

  it('pairedTest: identical scores on every seed give no p-value; a zero baseline gives no gain', () => {
    const same = pairedTest([0.8, 0.7, 0.9], [0.8, 0.7, 0.9]);
    expect(same.pValue).toBeNull();
    expect(same.wilcoxon).toBeNull();
    expect(same.note).toMatch(/Wilcoxon test is undefined/);
    expect(same.gainPercent).toEqual({ perSeed: [0, 0, 0], mean: 0, std: 0 });
    const zero = pairedTest([0.5, 0.6, 0.9], [0, 0.5, 0.6]);
    expect(zero.gainPercent.perSeed[0]).toBeNull();
    expect(zero.gainPercent.perSeed[1]).toBeCloseTo(20, 12);
    expect(zero.gainPercent.perSeed[2]).toBeCloseTo(50, 12);
    expect(zero.gainPercent.mean).toBeCloseTo(35, 12);
    expect(zero.gainPercent.std).toBeCloseTo(Math.sqrt(2 * 15 ** 2), 12);
    expect(zero.note).toMatch(/real-only score was 0/);
    // hand case: 5 seeds all better -> exact p = 2 / 2^5
    expect(pairedTest([0.9, 0.91, 0.92, 0.93, 0.94], [0.8, 0.8, 0.8, 0.8, 0.8]).pValue).toBe(0.0625);
  });

  it('splitRealSet: a stratified, seeded split recorded as the test source', async () => {
    const big = gaussianClusters({ seed: 9, perClass: [20, 10, 10], dim, means: means3, labels: abc });
    const { train, test: held } = splitRealSet(big, 0.25, 3);
    expect(train.n + held.n).toBe(40);
    expect(held.labels!.filter((l) => l === 'a').length).toBe(5);
    expect(new Set([...train.ids, ...held.ids]).size).toBe(40);
    const r = await runUtility({ ...base, realTrain: train, test: held, testSource: { kind: 'split', testFraction: 0.25, seed: 3 } });
    expect(r.settings.testSource).toEqual({ kind: 'split', testFraction: 0.25, seed: 3 });
    expect(r.notes.join(' ')).toMatch(/excluded from every other metric/);
    expect(() => splitRealSet(unlabelled(big), 0.25, 3)).toThrow(/no labels/);
  });
});

function extraClassAug(): FeatureSet {
  return gaussianClusters({ seed: 10, perClass: [3, 3], dim, means: means3, labels: ['a', 'd'] });
}

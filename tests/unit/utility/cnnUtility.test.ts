/**
 * The cnn tier through the shared protocol runner (runCnnUtility, src/core/utility/cnnUtility.ts) on the
 * TF.js wasm backend:
 * - on the demo phantoms (src/demo) area-resized to 32 x 32 (what the pixels extractor at size 32
 *   gives), a network trained on a tiny real subset plus the faithful synthetic set beats one trained
 *   on the tiny subset alone on every seed (fails if training does nothing or both models see the
 *   same rows);
 * - the report records tier, layers, budget, epochs, learning rate, augmentations, seeds and backend,
 *   every protocol runs (simple augmentation, TSTR, cross-task) and the runs are reproducible;
 * - bad input gives the same plain skips as the probe tier; too many images are refused with the
 *   memory figures; progress reports each step with a time-left estimate; an abort frees every tensor.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from '../../../src/cli/tfBackend.ts';
import { makeFeatureSet, type FeatureSet } from '../../../src/core/features/featureSet.ts';
import { cnnMemoryIssue, CNN_MAX_INPUT_BYTES, runCnnUtility } from '../../../src/core/utility/cnnUtility.ts';
import type { CnnConfig } from '../../../src/core/utility/cnn.ts';
import type { UtilityProgress } from '../../../src/core/utility/types.ts';
import { generateDemoSet, type DemoSetName } from '../../../src/demo/phantoms.ts';
import { preprocess } from '../../../src/imaging/preprocess.ts';

function phantoms(name: DemoSetName, count: number, size: number): FeatureSet {
  const set = generateDemoSet(name, { counts: { [name]: count } });
  const dim = size * size;
  const data = new Float32Array(set.images.length * dim);
  set.images.forEach((im, i) => {
    const img = { width: set.width, height: set.height, channels: 1 as const, data: Float32Array.from(im.pixels, (v) => v / 255), meta: { format: 'png', bitDepth: 8 } };
    data.set(preprocess(img, { size, channels: 1, aspect: 'stretch', filter: 'area' }), i * dim);
  });
  return makeFeatureSet(data, set.images.length, dim, { labels: set.images.map((im) => im.label), ids: set.images.map((im) => `${name}/${im.id}`) });
}

/** Same images, other labels (a "second task"). */
const relabel = (fs: FeatureSet, f: (i: number) => string): FeatureSet => ({ ...fs, labels: fs.ids.map((_, i) => f(i)) });

const TINY: Partial<CnnConfig> = { inputSize: 16, stemSize: 2, widths: [3, 6], embeddingUnits: 6, steps: 6, batchSize: 8, learningRate: 3e-3 };

beforeAll(async () => {
  expect(await initNodeBackend('wasm')).toBe('wasm');
});

describe('cnn tier on the demo phantoms (32 x 32)', () => {
  it('tiny real subset + faithful synthetic beats the tiny real subset alone on every seed', async () => {
    const r = await runCnnUtility({
      realTrain: phantoms('real', 8, 32), // 4 normal + 4 effusion
      test: phantoms('holdout', 60, 32),
      synthetic: [{ name: 'faithful', features: phantoms('faithful', 60, 32) }],
      seeds: [1, 2, 3],
      cnn: { inputSize: 32, stemSize: 2, widths: [4, 8], steps: 40, batchSize: 16, learningRate: 5e-3 },
    });
    const base = r.baseline!.accuracy.perSeed;
    const withSyn = r.sets[0].intraTask!.accuracy.perSeed;
    // every seed: at least 3 more of the 60 held-out phantoms right (measured: 0.51 -> 0.69 on average)
    for (let s = 0; s < 3; s++) expect(withSyn[s]).toBeGreaterThanOrEqual(base[s] + 0.05);
    expect(r.sets[0].intraTask!.gainPercent.mean!).toBeGreaterThan(10);
    expect(r.sets[0].intraTask!.accuracy.mean).toBeGreaterThan(0.62);
    expect(r.sets[0].tstr!.accuracy.mean).toBeGreaterThan(0.55);
  });
});

describe('runCnnUtility', () => {
  const real = phantoms('real', 12, 16);
  const test = phantoms('holdout', 10, 16);
  const faithful = phantoms('faithful', 8, 16);
  const augmented = phantoms('copies', 12, 16);
  const cross = relabel(phantoms('shifted', 10, 16), (i) => (i < 5 ? 'left' : 'right'));

  it('runs every protocol and records the tier, network, budget, epochs, augmentations, seeds and backend; reproducible', async () => {
    const before = tf.memory().numTensors;
    const progress: UtilityProgress[] = [];
    const input = {
      realTrain: real,
      test,
      synthetic: [{ name: 'faithful', features: faithful }],
      augmented,
      augmentations: ['horizontal flip (test list)'],
      crossTask: cross,
      seeds: [1, 2],
      cnn: TINY,
    };
    const r = await runCnnUtility({ ...input, onProgress: (p) => progress.push(p) });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.tier).toBe('cnn');
    expect(r.skipped).toEqual([]);
    expect(r.settings).toMatchObject({
      tier: 'cnn',
      architecture: 'cnn',
      hiddenUnits: null,
      budget: { kind: 'gradient steps', steps: 6, batchSize: 8 },
      learningRate: 3e-3,
      optimizer: 'Adam(beta1 0.9, beta2 0.999, epsilon 1e-7)',
      loss: 'mean softmax cross-entropy',
      projection: null,
      seeds: [1, 2],
      backend: 'TF.js wasm',
      augmentations: ['horizontal flip (test list)'],
      testSource: { kind: 'held-out' },
    });
    const c = r.settings.cnn!;
    expect(c.inputSize).toBe(16);
    expect(c.layers[1]).toBe('conv 2 x 2, stride 2, 3 filters, ReLU -> 8 x 8 x 3');
    expect(c.layers.at(-1)).toBe('dense 2, softmax');
    expect(c.gradients).toMatch(/own TypeScript kernel/);
    expect(c.bytesPerImage).toBe(4 * 16 * 16);
    expect(c.images).toBe(12 + 10 + 8 + 12 + 10);
    // epochs = steps x batch / rows: 6 x 8 / 12 for R, 6 x 8 / 20 for R + S, 6 x 8 / 8 for S alone
    expect(r.baseline!.epochs).toBe(4);
    expect(r.sets[0].intraTask!.epochs).toBeCloseTo(2.4, 12);
    expect(r.sets[0].tstr!.epochs).toBe(6);
    expect(r.baseline!.components).toBeNull();
    expect(r.simpleAugmentation!.trainRows).toBe(24);
    expect(r.sets[0].crossTask!.realOnlyCvAccuracy.perSeed).toHaveLength(2);
    expect(r.sets[0].crossTask!.classes).toEqual(['left', 'right']);
    // progress: one unit per model (2 seeds x 4 training sets) and per cross-task fold (2 x 5 x 2)
    const units = progress.filter((p) => !p.training);
    expect(units[0]).toMatchObject({ done: 0, total: 8 + 20, stage: 'Model 1 of 8: seed 1, trained on the real images only' });
    expect(units.at(-1)).toMatchObject({ done: 28, stage: 'Finished' });
    const steps = progress.filter((p) => p.training);
    expect(steps).toHaveLength(8 * 6);
    expect(steps[0].training).toMatchObject({ model: 1, models: 8, seed: 1, step: 1, steps: 6, epoch: 1 });
    expect(steps.at(-1)!.training!.etaSec).toBe(0);
    expect(steps[0].training!.etaSec!).toBeGreaterThan(0);
    const again = await runCnnUtility(input);
    expect(again.baseline).toEqual(r.baseline);
    expect(again.sets).toEqual(r.sets);
  });

  it('bad input: the same plain skips as the probe tier', async () => {
    const single = await runCnnUtility({ realTrain: relabel(real, () => 'normal'), test, synthetic: [], seeds: [1], cnn: TINY });
    expect(single.skipped).toEqual([{ protocol: 'all', reason: 'the real training set has a single class ("normal"); a classifier needs at least two' }]);
    const effusionOnly = phantoms('faithful', 8, 16);
    const onlyOne = { ...effusionOnly, labels: effusionOnly.labels!.map(() => 'effusion') };
    const extra = relabel(faithful, (i) => (i % 2 ? 'effusion' : 'nodule'));
    const r = await runCnnUtility({
      realTrain: real,
      test,
      synthetic: [
        { name: 'one class', features: onlyOne },
        { name: 'extra class', features: extra },
      ],
      seeds: [1],
      cnn: TINY,
    });
    expect(r.sets[0].intraTask).not.toBeNull();
    expect(r.sets[0].skipped).toEqual([{ protocol: 'tstr', set: 'one class', reason: 'synthetic set "one class" lacks class(es) "normal"; a classifier trained on it alone can never predict them' }]);
    expect(r.sets[1].skipped.map((s) => s.protocol)).toEqual(['intraTask', 'tstr']);
    expect(r.sets[1].skipped[0].reason).toMatch(/has class\(es\) "nodule" that match no real class/);
    expect(r.skipped.map((s) => s.protocol)).toEqual(['simpleAugmentation', 'crossTask', 'tstr', 'intraTask', 'tstr']);
    expect(r.skipped[0].reason).toMatch(/no augmented copies .* prepared like the other images/);

    const wrongSize = await runCnnUtility({ realTrain: phantoms('real', 6, 8), test, synthetic: [], seeds: [1], cnn: TINY });
    expect(wrongSize.skipped[0].reason).toBe('the real training images have 64 values each; the cnn tier at 16 px needs 16 x 16 = 256 (grayscale images resized to 16 x 16)');
    const otherTest = await runCnnUtility({ realTrain: real, test: phantoms('holdout', 4, 8), synthetic: [], seeds: [1], cnn: TINY });
    expect(otherTest.skipped[0].reason).toBe('the real test set has 64 values per image, the real training set has 256 (images of another size?)');
    const badCfg = await runCnnUtility({ realTrain: real, test, synthetic: [], seeds: [1], cnn: { ...TINY, inputSize: 18 } });
    expect(badCfg.skipped[0].reason).toMatch(/^invalid classifier settings: cnn inputSize 18 must be a multiple of 4/);
  });

  it('refuses more images than the memory limit, saying how much they would take', () => {
    expect(CNN_MAX_INPUT_BYTES).toBe(512 * 1024 * 1024);
    expect(cnnMemoryIssue(8192, 128)).toBeNull(); // 8192 x 64 KiB = 512 MiB exactly
    expect(cnnMemoryIssue(8193, 128)).toBe(
      'the cnn tier would hold 8193 images of 128 x 128 pixels (512 MiB as float32, 64 KiB each); it takes at most 512 MiB (8192 images at this size): use a smaller input size, fewer images, or the probe tier',
    );
    expect(cnnMemoryIssue(40000, 64)).toMatch(/40000 images of 64 x 64 pixels \(625 MiB as float32, 16 KiB each\).*\(32768 images at this size\)/);
  });

  it('an abort stops training and frees every tensor', async () => {
    const before = tf.memory().numTensors;
    const ac = new AbortController();
    let stepsSeen = 0;
    const p = runCnnUtility({
      realTrain: real,
      test,
      synthetic: [{ name: 'faithful', features: faithful }],
      seeds: [1, 2, 3],
      cnn: { ...TINY, steps: 500 },
      signal: ac.signal,
      onProgress: (e) => {
        if (!e.training) return;
        stepsSeen++;
        if (e.training.model === 1 && e.training.step === 3) ac.abort();
      },
    });
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(stepsSeen).toBe(3);
    expect(tf.memory().numTensors).toBe(before);
  });
});

/**
 * The cnn tier's network (src/core/utility/cnn.ts) on the TF.js wasm backend, tiny inputs (16 px):
 * determinism per seed, no tensor left behind (tf.memory().numTensors before and after), prompt
 * cancellation that frees everything, progress per step, input checks, and the layer list, parameter
 * count and multiply-add count against hand-computed values.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from '../../../src/cli/tfBackend.ts';
import {
  cnnForwardMacs,
  cnnLayers,
  cnnParameterCount,
  DEFAULT_CNN_CONFIG,
  initialCnnParameters,
  trainCnn,
  validateCnnConfig,
  type CnnConfig,
  type CnnImages,
  type CnnStep,
} from '../../../src/core/utility/cnn.ts';
import { createRng } from '../../../src/core/utility/rng.ts';

const CFG: CnnConfig = { ...DEFAULT_CNN_CONFIG, inputSize: 16, stemSize: 2, widths: [3, 6], embeddingUnits: 5, steps: 12, batchSize: 4, learningRate: 1e-2 };

/** Two classes told apart by brightness of the top half, plus noise. */
function images(n: number, seed: number): CnnImages {
  const rng = createRng(seed, 3);
  const data = new Float32Array(n * 256);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 2;
    for (let p = 0; p < 256; p++) data[i * 256 + p] = Math.min(1, Math.max(0, (p < 128 && y[i] ? 0.7 : 0.3) + 0.2 * (rng.next() - 0.5)));
  }
  return { parts: [{ data: data.subarray(0, 6 * 256), n: 6 }, { data: data.subarray(6 * 256), n: n - 6 }], y, classes: 2 };
}

beforeAll(async () => {
  expect(await initNodeBackend('wasm')).toBe('wasm');
});

describe('trainCnn', () => {
  const data = images(14, 1);
  const all = new Float32Array(14 * 256);
  all.set(data.parts[0].data, 0);
  all.set(data.parts[1].data, 6 * 256);

  it('is deterministic for a seed; another seed gives other weights and predictions', async () => {
    const run = async (seed: number) => {
      const m = await trainCnn(data, { ...CFG, seed });
      const out = { w: m.weights(), p: await m.predictProba(all, 14), e: await m.embed(all, 14), loss: m.finalLoss };
      m.dispose();
      return out;
    };
    const a = await run(1);
    const b = await run(1);
    const c = await run(2);
    expect(a.w).toEqual(b.w);
    expect(a.p).toEqual(b.p);
    expect(a.e).toEqual(b.e);
    expect(a.loss).toBe(b.loss);
    expect(c.w[0]).not.toEqual(a.w[0]);
    expect(c.p).not.toEqual(a.p);
    // probabilities are a softmax; embeddings are post-ReLU, embeddingUnits wide
    for (let i = 0; i < 14; i++) expect(a.p[2 * i] + a.p[2 * i + 1]).toBeCloseTo(1, 5);
    expect(a.e.length).toBe(14 * 5);
    expect(Math.min(...a.e)).toBeGreaterThanOrEqual(0);
  });

  it('starts from the seeded He / Glorot-uniform weights (zero biases) and leaves no tensor behind', async () => {
    const before = tf.memory().numTensors;
    const init = initialCnnParameters(CFG, 2, 5);
    expect(init.map((p) => p.name)).toEqual([
      'stage0.down.w', 'stage0.down.b', 'stage0.conv.w', 'stage0.conv.b',
      'stage1.down.w', 'stage1.down.b', 'stage1.conv.w', 'stage1.conv.b',
      'embed.w', 'embed.b', 'out.w', 'out.b',
    ]);
    const limit = (w: { values: Float32Array }, l: number) => {
      expect(Math.max(...w.values.map(Math.abs))).toBeLessThanOrEqual(l);
      expect(Math.max(...w.values.map(Math.abs))).toBeGreaterThan(0.8 * l);
    };
    limit(init[0], Math.sqrt(6 / 4)); // stem 2 x 2 x 1
    limit(init[2], Math.sqrt(6 / 27)); // 3 x 3 x 3
    limit(init[8], Math.sqrt(6 / (4 * 4 * 6))); // flatten 4 x 4 x 6
    limit(init[10], Math.sqrt(6 / (5 + 2))); // Glorot
    expect([...init[1].values, ...init[11].values].every((v) => v === 0)).toBe(true);
    const m = await trainCnn(data, { ...CFG, steps: 3, seed: 5 });
    expect(tf.memory().numTensors).toBe(before + 12); // the model's 12 variables, nothing else
    await m.predictProba(all, 14);
    await m.embed(all, 14);
    expect(tf.memory().numTensors).toBe(before + 12);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
    await expect(m.predictProba(all, 14)).rejects.toThrow(/disposed/);
  });

  it('reports every step (epoch, loss) and makes exactly `steps` steps, batches cut per epoch', async () => {
    const steps: CnnStep[] = [];
    const m = await trainCnn(data, { ...CFG, steps: 9, batchSize: 5, seed: 3 }, { onStep: (s) => steps.push(s) });
    m.dispose();
    // 14 rows in batches of 5: 3 batches per epoch (5, 5, 4); 9 steps = 3 epochs
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(steps.map((s) => s.epoch)).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3]);
    expect(steps.every((s) => s.steps === 9 && s.epochs === Math.ceil((9 * 5) / 14))).toBe(true);
    expect(steps.every((s) => Number.isFinite(s.loss) && s.loss > 0)).toBe(true);
    expect(m.steps).toBe(9);
    expect(m.epochs).toBe(3);
  });

  it('learns the toy task (training loss falls, training images mostly right)', async () => {
    const steps: CnnStep[] = [];
    const m = await trainCnn(data, { ...CFG, steps: 40, seed: 4 }, { onStep: (s) => steps.push(s) });
    const p = await m.predictProba(all, 14);
    m.dispose();
    const first = steps.slice(0, 4).reduce((a, s) => a + s.loss, 0) / 4;
    const last = steps.slice(-4).reduce((a, s) => a + s.loss, 0) / 4;
    expect(last).toBeLessThan(0.5 * first);
    let right = 0;
    for (let i = 0; i < 14; i++) right += (p[2 * i + 1] > p[2 * i] ? 1 : 0) === data.y[i] ? 1 : 0;
    expect(right).toBeGreaterThanOrEqual(12);
  });

  it('stops within one step when aborted, frees every tensor and rejects with an AbortError', async () => {
    const before = tf.memory().numTensors;
    const ac = new AbortController();
    let seen = 0;
    const p = trainCnn(data, { ...CFG, steps: 1000, seed: 1 }, {
      signal: ac.signal,
      onStep: (s) => {
        seen = s.step;
        if (s.step === 3) ac.abort();
      },
    });
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toBe(3);
    expect(tf.memory().numTensors).toBe(before);
    const already = new AbortController();
    already.abort();
    await expect(trainCnn(data, { ...CFG, seed: 1 }, { signal: already.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses bad settings and inputs with a clear message', async () => {
    expect(() => validateCnnConfig({ ...CFG, inputSize: 18 })).toThrow(/multiple of 4/);
    expect(() => validateCnnConfig({ ...CFG, widths: [] })).toThrow(/at least one stage/);
    expect(() => validateCnnConfig({ ...CFG, learningRate: 0 })).toThrow(/learningRate/);
    await expect(trainCnn({ ...data, classes: 1, y: new Int32Array(14) }, { ...CFG, seed: 1 })).rejects.toThrow(/at least 2 classes/);
    await expect(trainCnn({ parts: [{ data: new Float32Array(10), n: 1 }], y: new Int32Array(1), classes: 2 }, { ...CFG, seed: 1 })).rejects.toThrow(/expected 1 x 16 x 16/);
  });
});

describe('the network description', () => {
  it('lists the default layers (128 px) and counts parameters and multiply-adds by hand', () => {
    const d = DEFAULT_CNN_CONFIG;
    expect(cnnLayers(d, 2)).toEqual([
      "input 128 x 128 x 1 (grayscale, standardised with the training images' pixel mean and std)",
      'conv 4 x 4, stride 4, 4 filters, ReLU -> 32 x 32 x 4',
      'conv 3 x 3, stride 1, same padding, 4 filters, ReLU -> 32 x 32 x 4',
      'conv 2 x 2, stride 2, 8 filters, ReLU -> 16 x 16 x 8',
      'conv 3 x 3, stride 1, same padding, 8 filters, ReLU -> 16 x 16 x 8',
      'conv 2 x 2, stride 2, 16 filters, ReLU -> 8 x 8 x 16',
      'conv 3 x 3, stride 1, same padding, 16 filters, ReLU -> 8 x 8 x 16',
      'conv 2 x 2, stride 2, 32 filters, ReLU -> 4 x 4 x 32',
      'conv 3 x 3, stride 1, same padding, 32 filters, ReLU -> 4 x 4 x 32',
      'flatten -> 512',
      'dense 32, ReLU (penultimate layer: the cross-task embedding)',
      'dense 2, softmax',
    ]);
    // weights + biases per layer
    const params =
      (16 * 4 + 4) + (9 * 4 * 4 + 4) +
      (4 * 4 * 8 + 8) + (9 * 8 * 8 + 8) +
      (4 * 8 * 16 + 16) + (9 * 16 * 16 + 16) +
      (4 * 16 * 32 + 32) + (9 * 32 * 32 + 32) +
      (512 * 32 + 32) + (32 * 2 + 2);
    expect(cnnParameterCount(d, 2)).toBe(params);
    const macs =
      32 * 32 * (16 * 4 + 9 * 4 * 4) +
      16 * 16 * (4 * 4 * 8 + 9 * 8 * 8) +
      8 * 8 * (4 * 8 * 16 + 9 * 16 * 16) +
      4 * 4 * (4 * 16 * 32 + 9 * 32 * 32) +
      512 * 32 + 32 * 2;
    expect(cnnForwardMacs(d, 2)).toBe(macs);
    expect(cnnLayers({ ...d, head: 'average' })).toContain('global average pool -> 32');
  });
});

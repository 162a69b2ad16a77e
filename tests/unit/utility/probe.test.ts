import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { columnStats, trainProbe, type ProbeConfig, type ProbeData } from '../../../src/core/utility/probe.ts';
import type { FeatureSet } from '../../../src/core/features/featureSet.ts';
import { gaussianClusters } from './gaussianClusters.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const dim = 16;
const means = [[0.6, 0.6], [-0.6, -0.6]];
const toData = (fs: FeatureSet): ProbeData => ({
  x: fs.data as Float32Array,
  n: fs.n,
  dim: fs.dim,
  y: Int32Array.from(fs.labels!, (l) => (l === 'class1' ? 1 : 0)),
  classes: 2,
});
const concat = (a: FeatureSet, b: FeatureSet): ProbeData =>
  toData({ ...a, n: a.n + b.n, data: Float32Array.from([...(a.data as Float32Array), ...(b.data as Float32Array)]), labels: [...a.labels!, ...b.labels!] });
const test = toData(gaussianClusters({ seed: 2, perClass: [200, 200], dim, means }));
const tiny = gaussianClusters({ seed: 3, perClass: [4, 4], dim, means });
const faithful = gaussianClusters({ seed: 4, perClass: [100, 100], dim, means });
const mlp: ProbeConfig = { architecture: 'mlp', hiddenUnits: 16, steps: 60, batchSize: 32, learningRate: 1e-2 };
const acc = (pred: Int32Array, y: Int32Array) => pred.reduce((a, p, i) => a + (p === y[i] ? 1 : 0), 0) / y.length;

describe('trainProbe', () => {
  it('learns: real + faithful synthetic beats a tiny real set alone (a no-op trainer fails this)', async () => {
    const accs: { tiny: number; both: number }[] = [];
    for (const seed of [1, 2]) {
      const a = await trainProbe(toData(tiny), { ...mlp, steps: 40, seed });
      const b = await trainProbe(concat(tiny, faithful), { ...mlp, steps: 40, seed });
      accs.push({ tiny: acc(a.predict(test.x, test.n), test.y), both: acc(b.predict(test.x, test.n), test.y) });
    }
    // Bayes accuracy of this problem is Phi(0.6 * sqrt 2) = 0.80
    for (const r of accs) expect(r.both).toBeGreaterThan(r.tiny + 0.05);
    expect(accs.reduce((s, r) => s + r.both, 0) / accs.length).toBeGreaterThan(0.72);
  });

  it('is deterministic for a seed (bit-identical weights and outputs) and uses no Math.random', async () => {
    const spy = vi.spyOn(Math, 'random');
    const cfg = { ...mlp, steps: 20, seed: 11 };
    const a = await trainProbe(concat(tiny, faithful), cfg);
    const b = await trainProbe(concat(tiny, faithful), cfg);
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
    expect(b.weights).toEqual(a.weights);
    expect(b.finalLoss).toBe(a.finalLoss);
    expect(b.predictProba(test.x, test.n)).toEqual(a.predictProba(test.x, test.n));
    const c = await trainProbe(concat(tiny, faithful), { ...cfg, seed: 12 });
    expect(c.weights.w1).not.toEqual(a.weights.w1);
  });

  it('spends exactly `steps` gradient steps, reports each pass, and frees every tensor', async () => {
    const before = tf.memory().numTensors;
    const epochs: [number, number][] = [];
    // 10 rows, batch 4 -> 3 batches per pass; 7 steps = passes of 3, 3, 1
    const small = gaussianClusters({ seed: 9, perClass: [5, 5], dim: 4, means: [[2], [-2]] });
    const p = await trainProbe(toData(small), { architecture: 'logistic', hiddenUnits: 1, steps: 7, batchSize: 4, learningRate: 0.05, seed: 1 }, {
      onEpoch: (e, l) => epochs.push([e, l]),
    });
    expect(p.steps).toBe(7);
    expect(p.epochs).toBe(3);
    expect(epochs.map((e) => e[0])).toEqual([1, 2, 3]);
    expect(p.finalLoss).toBe(epochs[2][1]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the loss falls during training', async () => {
    const losses: number[] = [];
    await trainProbe(concat(tiny, faithful), { ...mlp, steps: 56, seed: 5 }, { onEpoch: (_, l) => losses.push(l) });
    expect(losses.length).toBe(8); // 208 rows / 32 -> 7 batches per pass
    expect(losses[7]).toBeLessThan(0.8 * losses[0]);
  });

  it('predictProba matches a TF.js forward pass on the same weights; embed is the post-ReLU hidden layer', async () => {
    const p = await trainProbe(concat(tiny, faithful), { ...mlp, steps: 10, seed: 3 });
    const n = 50;
    const x = test.x.subarray(0, n * dim);
    const [probaTf, hiddenTf] = tf.tidy(() => {
      const z = tf.div(tf.sub(tf.tensor2d(x, [n, dim]), tf.tensor1d(Float32Array.from(p.mean))), tf.tensor1d(Float32Array.from(p.std)));
      const h = tf.relu(tf.add(tf.matMul(z, tf.tensor2d(p.weights.w1!, [dim, 16])), tf.tensor1d(p.weights.b1!)));
      const logits = tf.add(tf.matMul(h, tf.tensor2d(p.weights.w2, [16, 2])), tf.tensor1d(p.weights.b2));
      return [tf.softmax(logits).dataSync(), h.dataSync()];
    });
    const proba = p.predictProba(x, n);
    const emb = p.embed(x, n);
    expect(emb.length).toBe(n * 16);
    for (let i = 0; i < proba.length; i++) expect(Math.abs(proba[i] - probaTf[i])).toBeLessThan(1e-5);
    for (let i = 0; i < emb.length; i++) expect(Math.abs(emb[i] - hiddenTf[i])).toBeLessThan(1e-4);
    for (let i = 0; i < n; i++) expect(Math.abs(proba[2 * i] + proba[2 * i + 1] - 1)).toBeLessThan(1e-6);
    const pred = p.predict(x, n);
    for (let i = 0; i < n; i++) expect(pred[i]).toBe(proba[2 * i + 1] > proba[2 * i] ? 1 : 0);
  });

  it("standardises with the training rows' mean and std (ddof 0), also at prediction time", async () => {
    // feature 0: 1, 2, 3, 6 -> mean 3, std sqrt(3.5); feature 1 constant -> divided by 1
    const x = Float32Array.from([1, 5, 2, 5, 3, 5, 6, 5]);
    const st = columnStats(x, 4, 2);
    expect(Array.from(st.mean)).toEqual([3, 5]);
    expect(st.std[0]).toBeCloseTo(Math.sqrt(3.5), 14);
    expect(st.std[1]).toBe(1);
    const p = await trainProbe({ x, n: 4, dim: 2, y: Int32Array.from([0, 0, 1, 1]), classes: 2 }, { architecture: 'logistic', hiddenUnits: 1, steps: 1, batchSize: 4, learningRate: 0.1, seed: 1 });
    // the logistic probe's penultimate layer is its standardised input
    const e = p.embed(Float32Array.from([10, 7]), 1);
    expect(e[0]).toBeCloseTo(7 / Math.sqrt(3.5), 6);
    expect(e[1]).toBeCloseTo(2, 6);
  });

  it('cancellation: an abort stops training promptly with an AbortError and frees every tensor', async () => {
    const before = tf.memory().numTensors;
    const ctl = new AbortController();
    let abortedAt = 0;
    setTimeout(() => {
      abortedAt = performance.now();
      ctl.abort();
    }, 150);
    const err = await trainProbe(concat(tiny, faithful), { ...mlp, steps: 1_000_000, seed: 1 }, { signal: ctl.signal }).catch((e: unknown) => e);
    const latency = performance.now() - abortedAt;
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe('AbortError');
    expect(abortedAt).toBeGreaterThan(0);
    expect(latency).toBeLessThan(1000); // one gradient step plus timer delay; generous for a loaded CI machine
    expect(tf.memory().numTensors).toBe(before);
    await expect(trainProbe(toData(tiny), { ...mlp, seed: 1 }, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('trains the same on the wasm backend as on cpu (guards against backend-specific kernels)', async () => {
    const cfg = { ...mlp, steps: 30, seed: 4 };
    const onCpu = await trainProbe(concat(tiny, faithful), cfg);
    try {
      await tf.setBackend('wasm');
      expect(tf.getBackend()).toBe('wasm');
      const onWasm = await trainProbe(concat(tiny, faithful), cfg);
      expect(Math.abs(onWasm.finalLoss - onCpu.finalLoss)).toBeLessThan(1e-4);
      for (let i = 0; i < onCpu.weights.w2.length; i++) expect(Math.abs(onWasm.weights.w2[i] - onCpu.weights.w2[i])).toBeLessThan(1e-3);
    } finally {
      await tf.setBackend('cpu');
    }
  });

  it('rejects bad inputs with a reason', async () => {
    const d = toData(tiny);
    await expect(trainProbe({ ...d, classes: 1, y: new Int32Array(d.n) }, { ...mlp, seed: 1 })).rejects.toThrow(/at least 2 classes/);
    await expect(trainProbe({ ...d, y: Int32Array.from(d.y, () => 3) }, { ...mlp, seed: 1 })).rejects.toThrow(/outside/);
    await expect(trainProbe(d, { ...mlp, steps: 0, seed: 1 })).rejects.toThrow(/steps/);
    const bad = Float32Array.from(d.x);
    bad[5] = NaN;
    await expect(trainProbe({ ...d, x: bad }, { ...mlp, seed: 1 })).rejects.toThrow(/non-finite/);
  });
});

afterAll(() => {
  vi.restoreAllMocks();
});

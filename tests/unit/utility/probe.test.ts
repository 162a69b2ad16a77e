import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  adamState,
  adamStep,
  columnStats,
  initialParameters,
  lossAndGradient,
  parameterCount,
  parameterViews,
  trainProbe,
  type ProbeConfig,
  type ProbeData,
  type ProbeShape,
} from '../../../src/core/utility/probe.ts';
import { createRng, shuffleInPlace } from '../../../src/core/utility/rng.ts';
import type { FeatureSet } from '../../../src/core/features/featureSet.ts';
import { gaussianClusters } from './gaussianClusters.ts';

// TF.js (cpu backend) is the independent reference for the forward pass, the gradients and Adam.
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
const f32 = (a: Float64Array) => Float32Array.from(a);

/** The probe's definition written with TF.js ops: standardised input -> [Dense ReLU] -> Dense -> softmax. */
function tfLogits(x: tf.Tensor2D, w: { w1: tf.Tensor | null; b1: tf.Tensor | null; w2: tf.Tensor; b2: tf.Tensor }): tf.Tensor2D {
  const h = w.w1 && w.b1 ? tf.relu(tf.add(tf.matMul(x, w.w1 as tf.Tensor2D), w.b1)) : x;
  return tf.add(tf.matMul(h as tf.Tensor2D, w.w2 as tf.Tensor2D), w.b2) as tf.Tensor2D;
}

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

  it('spends exactly `steps` gradient steps and reports each pass', async () => {
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
      const z = tf.div(tf.sub(tf.tensor2d(x, [n, dim]), tf.tensor1d(f32(p.mean))), tf.tensor1d(f32(p.std))) as tf.Tensor2D;
      const h = tf.relu(tf.add(tf.matMul(z, tf.tensor2d(f32(p.weights.w1!), [dim, 16])), tf.tensor1d(f32(p.weights.b1!))));
      const logits = tf.add(tf.matMul(h, tf.tensor2d(f32(p.weights.w2), [16, 2])), tf.tensor1d(f32(p.weights.b2)));
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

  it("standardises with the training rows' mean and std (ddof 0), also at prediction time; standardise: false leaves inputs as they are", async () => {
    // feature 0: 1, 2, 3, 6 -> mean 3, std sqrt(3.5); feature 1 constant -> divided by 1
    const x = Float32Array.from([1, 5, 2, 5, 3, 5, 6, 5]);
    const st = columnStats(x, 4, 2);
    expect(Array.from(st.mean)).toEqual([3, 5]);
    expect(st.std[0]).toBeCloseTo(Math.sqrt(3.5), 14);
    expect(st.std[1]).toBe(1);
    const data = { x, n: 4, dim: 2, y: Int32Array.from([0, 0, 1, 1]), classes: 2 };
    const cfg = { architecture: 'logistic', hiddenUnits: 1, steps: 1, batchSize: 4, learningRate: 0.1, seed: 1 } as const;
    const p = await trainProbe(data, cfg);
    // the logistic probe's penultimate layer is its standardised input
    const e = p.embed(Float32Array.from([10, 7]), 1);
    expect(e[0]).toBeCloseTo(7 / Math.sqrt(3.5), 6);
    expect(e[1]).toBeCloseTo(2, 6);
    const raw = await trainProbe(data, cfg, { standardise: false });
    expect(Array.from(raw.embed(Float32Array.from([10, 7]), 1))).toEqual([10, 7]);
    expect(Array.from(raw.std)).toEqual([1, 1]);
  });

  it('cancellation: an abort stops training promptly with an AbortError', async () => {
    const ctl = new AbortController();
    let abortedAt = 0;
    setTimeout(() => {
      abortedAt = performance.now();
      ctl.abort();
    }, 150);
    const err = await trainProbe(concat(tiny, faithful), { ...mlp, steps: 100_000_000, seed: 1 }, { signal: ctl.signal }).catch((e: unknown) => e);
    const latency = performance.now() - abortedAt;
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe('AbortError');
    expect(abortedAt).toBeGreaterThan(0);
    expect(latency).toBeLessThan(1000); // YIELD_MS of work plus timer delay; generous for a loaded CI machine
    await expect(trainProbe(toData(tiny), { ...mlp, seed: 1 }, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('rejects bad inputs with a reason', async () => {
    const d = toData(tiny);
    await expect(trainProbe({ ...d, classes: 1, y: new Int32Array(d.n) }, { ...mlp, seed: 1 })).rejects.toThrow(/at least 2 classes/);
    await expect(trainProbe({ ...d, y: Int32Array.from(d.y, () => 3) }, { ...mlp, seed: 1 })).rejects.toThrow(/outside/);
    await expect(trainProbe(d, { ...mlp, steps: 0, seed: 1 })).rejects.toThrow(/steps/);
    await expect(trainProbe(d, { ...mlp, components: -1, seed: 1 })).rejects.toThrow(/components/);
    const bad = Float32Array.from(d.x);
    bad[5] = NaN;
    await expect(trainProbe({ ...d, x: bad }, { ...mlp, seed: 1 })).rejects.toThrow(/non-finite/);
  });
});

describe('plain-TypeScript training against TF.js', () => {
  // 3 classes, 5 inputs, 4 hidden units, a batch of 6 rows out of 9
  const shape: ProbeShape = { dim: 5, hidden: 4, classes: 3 };
  const rng = createRng(42, 9);
  const z = Float64Array.from({ length: 9 * 5 }, () => Math.fround(2 * rng.next() - 1));
  const y = Int32Array.from([0, 1, 2, 2, 1, 0, 1, 2, 0]);
  const rows = Int32Array.from([7, 0, 3, 5, 1, 8]);
  const batchOf = (idx: Int32Array) => ({
    x: tf.tensor2d(Float32Array.from(Array.from(idx).flatMap((r) => Array.from(z.subarray(r * 5, r * 5 + 5)))), [idx.length, 5]),
    y: tf.oneHot(tf.tensor1d(Array.from(idx, (r) => y[r]), 'int32'), 3).toFloat(),
  });

  it.each([
    ['mlp', shape],
    ['logistic', { ...shape, hidden: 0 }],
  ] as [string, ProbeShape][])('%s: loss and gradient equal tf.grads of tf.losses.softmaxCrossEntropy, and central differences', (_, s) => {
    const theta = initialParameters(s, 3);
    // move the biases off zero so their gradients are exercised in general position
    const v = parameterViews(theta, s);
    v.b2.set([0.1, -0.2, 0.05]);
    if (s.hidden) v.b1.set([0.3, -0.1, 0.2, -0.4]);
    const grad = new Float64Array(parameterCount(s));
    const loss = lossAndGradient(theta, grad, s, z, y, rows);
    const g = parameterViews(grad, s);

    const { x, y: yb } = batchOf(rows);
    const w1: tf.Tensor | null = s.hidden ? tf.tensor2d(f32(v.w1), [5, 4]) : null;
    const b1: tf.Tensor | null = s.hidden ? tf.tensor1d(f32(v.b1)) : null;
    const w2 = tf.tensor2d(f32(v.w2), [s.hidden || 5, 3]);
    const b2 = tf.tensor1d(f32(v.b2));
    const params = [w1, b1, w2, b2].filter((t): t is tf.Tensor => t !== null);
    const f = (...ps: tf.Tensor[]) => {
      const [pw1, pb1, pw2, pb2] = s.hidden ? ps : [null, null, ...ps];
      return tf.losses.softmaxCrossEntropy(yb, tfLogits(x, { w1: pw1, b1: pb1, w2: pw2!, b2: pb2! }));
    };
    const lossTf = (f(...params) as tf.Scalar).dataSync()[0];
    const grads = tf.grads(f)(params).map((t) => t.dataSync());
    expect(Math.abs(loss - lossTf)).toBeLessThan(1e-6);
    const mine = s.hidden ? [g.w1, g.b1, g.w2, g.b2] : [g.w2, g.b2];
    mine.forEach((gm, k) => {
      expect(gm.length).toBe(grads[k].length);
      for (let i = 0; i < gm.length; i++) expect(Math.abs(gm[i] - grads[k][i])).toBeLessThan(1e-6);
    });

    // central differences in float64 (no TF involved)
    const h = 1e-6;
    const scratch = new Float64Array(grad.length);
    for (let i = 0; i < theta.length; i++) {
      const t = theta[i];
      theta[i] = t + h;
      const up = lossAndGradient(theta, scratch, s, z, y, rows);
      theta[i] = t - h;
      const down = lossAndGradient(theta, scratch, s, z, y, rows);
      theta[i] = t;
      expect(Math.abs((up - down) / (2 * h) - grad[i])).toBeLessThan(1e-7);
    }
  });

  it('adamStep equals tf.train.adam(lr, 0.9, 0.999, 1e-7) over several steps', () => {
    const theta = Float64Array.from([0.5, -1.25, 2, 0.001]);
    const grads = [
      [0.1, -0.2, 0.3, 1e-4],
      [-0.05, 0.4, 0.1, -2e-4],
      [0.2, 0.1, -0.3, 5e-4],
    ];
    const st = adamState(4);
    const varTf = tf.variable(tf.tensor1d(f32(theta)));
    const opt = tf.train.adam(0.01, 0.9, 0.999, 1e-7);
    for (const g of grads) {
      adamStep(theta, Float64Array.from(g), st, 0.01);
      opt.applyGradients([{ name: varTf.name, tensor: tf.tensor1d(g) }]);
    }
    const ref = varTf.dataSync();
    for (let i = 0; i < 4; i++) expect(Math.abs(theta[i] - ref[i])).toBeLessThan(1e-6);
    expect(st.t).toBe(3);
    opt.dispose();
    varTf.dispose();
  });

  it('a whole training run follows the TF.js optimiser.minimize trajectory from the same start and batch order', async () => {
    const s: ProbeShape = { dim, hidden: 8, classes: 2 };
    const data = concat(tiny, faithful);
    const cfg = { architecture: 'mlp' as const, hiddenUnits: 8, steps: 15, batchSize: 32, learningRate: 1e-2, seed: 6 };
    const p = await trainProbe(data, cfg);

    // reference: the same recipe in TF.js (standardise, Glorot init from stream 1, per-epoch shuffles from stream 2)
    const { mean, std } = columnStats(data.x, data.n, dim);
    const zs = Float32Array.from(data.x, (v, i) => (v - mean[i % dim]) / std[i % dim]);
    const init = parameterViews(initialParameters(s, cfg.seed), s);
    const w1 = tf.variable(tf.tensor2d(f32(init.w1), [dim, 8]));
    const b1 = tf.variable(tf.zeros([8]));
    const w2 = tf.variable(tf.tensor2d(f32(init.w2), [8, 2]));
    const b2 = tf.variable(tf.zeros([2]));
    const xs = tf.tensor2d(zs, [data.n, dim]);
    const ys = tf.oneHot(tf.tensor1d(data.y, 'int32'), 2).toFloat();
    const opt = tf.train.adam(cfg.learningRate, 0.9, 0.999, 1e-7);
    const shuffle = createRng(cfg.seed, 2);
    const perm = new Int32Array(data.n);
    let step = 0;
    while (step < cfg.steps) {
      for (let i = 0; i < data.n; i++) perm[i] = i;
      shuffleInPlace(perm, shuffle);
      for (let start = 0; start < data.n && step < cfg.steps; start += cfg.batchSize, step++) {
        const idx = tf.tensor1d(perm.slice(start, start + cfg.batchSize), 'int32');
        opt.minimize(() => tf.losses.softmaxCrossEntropy(tf.gather(ys, idx), tfLogits(tf.gather(xs, idx) as tf.Tensor2D, { w1, b1, w2, b2 })) as tf.Scalar, false, [w1, b1, w2, b2]);
      }
    }
    const pairs: [Float64Array, Float32Array | Int32Array | Uint8Array][] = [
      [p.weights.w1!, w1.dataSync()],
      [p.weights.b1!, b1.dataSync()],
      [p.weights.w2, w2.dataSync()],
      [p.weights.b2, b2.dataSync()],
    ];
    for (const [mine, ref] of pairs) for (let i = 0; i < mine.length; i++) expect(Math.abs(mine[i] - ref[i])).toBeLessThan(1e-4);
    // and the model moved: the trajectory is not the initial point
    expect(Math.max(...Array.from(p.weights.b2, Math.abs))).toBeGreaterThan(1e-3);
  });
});

afterAll(() => {
  vi.restoreAllMocks();
});

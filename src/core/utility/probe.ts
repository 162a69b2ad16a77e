/**
 * The `probe` tier of the utility evaluator: a small classifier head trained on cached
 * feature vectors (no image is touched), see METRICS.md, Utility.
 *
 * Reference: the protocol of Xing et al., MICCAI 2023 (the downstream classifier is
 * trained on R and on R + S "with the same budget"); here the classifier is a linear
 * softmax head (multinomial logistic regression) or a one-hidden-layer MLP
 * (Dense(hiddenUnits, ReLU) -> Dense(classes, softmax)) on standardised features.
 *
 * Training, exactly:
 * - Standardise every feature with the TRAINING rows' mean and standard deviation
 *   (float64, ddof = 0); a feature whose std is below 1e-12 is divided by 1 instead.
 *   The same mean/std are applied at prediction time.
 * - Weights: Glorot-uniform (limit sqrt(6 / (fan_in + fan_out))), biases zero, drawn
 *   from the seeded generator in ./rng.ts (stream 1). No dropout, no weight decay.
 * - Loss: mean softmax cross-entropy over the batch (tf.losses.softmaxCrossEntropy).
 * - Optimiser: Adam(learningRate, beta1 0.9, beta2 0.999, epsilon 1e-7).
 * - Budget: a fixed number of GRADIENT STEPS (`steps`), not epochs. Real-only and
 *   real + synthetic training therefore get the same number of updates of the same
 *   batch size; with more rows an epoch is longer, so fixing epochs would hand the
 *   bigger training set more updates and confound "more data" with "more training".
 * - Batches: each epoch is a fresh seeded permutation of the rows (stream 2) cut into
 *   consecutive batches of `batchSize` (the last one of an epoch may be smaller);
 *   training stops after exactly `steps` batches, possibly inside an epoch.
 *   A training set smaller than batchSize is one batch per step.
 * - Determinism: for a given seed, data and backend the result is bit-identical; no
 *   Math.random is used. Different backends (cpu, wasm, webgl, webgpu) may differ in the
 *   last float32 bits.
 * - Prediction (predictProba, embed) runs in plain TypeScript (float64 accumulation) on
 *   the trained weights, so it is synchronous, backend-independent and holds no tensors.
 *
 * The caller registers and selects the TF.js backend; this file only uses the current one.
 */

// @tensorflow/tfjs (not bare tfjs-core): its entry registers the gradient functions that
// training needs, and its Node build loads without deep imports into tfjs-core's dist.
import * as tf from '@tensorflow/tfjs';
import { createRng, shuffleInPlace, type Rng } from './rng.ts';

export type ProbeArchitecture = 'logistic' | 'mlp';

export interface ProbeConfig {
  architecture: ProbeArchitecture;
  /** Width of the hidden ReLU layer (mlp only). */
  hiddenUnits: number;
  /** Number of gradient steps: the training budget, equal for every training set. */
  steps: number;
  batchSize: number;
  learningRate: number;
}

export const DEFAULT_PROBE_CONFIG: Readonly<ProbeConfig> = Object.freeze({
  architecture: 'mlp',
  hiddenUnits: 128,
  steps: 1000,
  batchSize: 64,
  learningRate: 1e-3,
});

export const ADAM = Object.freeze({ beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });

export interface ProbeData {
  /** Row-major n x dim features. */
  x: Float32Array;
  n: number;
  dim: number;
  /** Class index per row, 0..classes-1. */
  y: Int32Array;
  classes: number;
}

export interface TrainOptions {
  signal?: AbortSignal;
  /** Called after each pass over the data (1-based) with the mean batch loss of that pass. */
  onEpoch?(epoch: number, loss: number): void;
}

export interface ProbeWeights {
  /** mlp: dim x hiddenUnits; logistic: absent. */
  w1: Float32Array | null;
  b1: Float32Array | null;
  /** mlp: hiddenUnits x classes; logistic: dim x classes. */
  w2: Float32Array;
  b2: Float32Array;
}

export interface TrainedProbe {
  config: ProbeConfig & { seed: number };
  dim: number;
  classes: number;
  /** Width of embed() rows: hiddenUnits (mlp) or dim (logistic: the standardised input). */
  embedDim: number;
  /** Training mean and std used for standardisation. */
  mean: Float64Array;
  std: Float64Array;
  weights: ProbeWeights;
  /** Passes over the data started (the last may be partial). */
  epochs: number;
  steps: number;
  /** Mean batch loss of the last pass. */
  finalLoss: number;
  /** Class probabilities, row-major n x classes. */
  predictProba(x: Float32Array, n: number): Float32Array;
  /** Arg-max class per row. */
  predict(x: Float32Array, n: number): Int32Array;
  /** Penultimate-layer activations, row-major n x embedDim (mlp: post-ReLU hidden layer). */
  embed(x: Float32Array, n: number): Float32Array;
}

export function abortError(): DOMException {
  return new DOMException('utility training was cancelled', 'AbortError');
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortError();
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

export function validateProbeConfig(cfg: ProbeConfig): void {
  const posInt = (v: number, name: string) => {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`probe ${name} must be a positive integer, got ${v}`);
  };
  if (cfg.architecture !== 'logistic' && cfg.architecture !== 'mlp') throw new RangeError(`unknown probe architecture ${String(cfg.architecture)}`);
  if (cfg.architecture === 'mlp') posInt(cfg.hiddenUnits, 'hiddenUnits');
  posInt(cfg.steps, 'steps');
  posInt(cfg.batchSize, 'batchSize');
  if (!(cfg.learningRate > 0 && Number.isFinite(cfg.learningRate))) throw new RangeError(`probe learningRate must be > 0, got ${cfg.learningRate}`);
}

function validateData(d: ProbeData): void {
  if (!Number.isInteger(d.n) || d.n < 1) throw new RangeError(`training set needs at least one row, got ${d.n}`);
  if (!Number.isInteger(d.dim) || d.dim < 1) throw new RangeError(`feature dimension must be >= 1, got ${d.dim}`);
  if (d.x.length !== d.n * d.dim) throw new RangeError(`features have ${d.x.length} values, expected ${d.n} x ${d.dim}`);
  if (d.y.length !== d.n) throw new RangeError(`${d.y.length} labels for ${d.n} rows`);
  if (!Number.isInteger(d.classes) || d.classes < 2) throw new RangeError(`a classifier needs at least 2 classes, got ${d.classes}`);
  for (let i = 0; i < d.n; i++) {
    if (d.y[i] < 0 || d.y[i] >= d.classes) throw new RangeError(`label ${d.y[i]} at row ${i} outside 0..${d.classes - 1}`);
  }
  for (let i = 0; i < d.x.length; i++) {
    if (!Number.isFinite(d.x[i])) throw new RangeError(`non-finite feature value at row ${Math.floor(i / d.dim)}`);
  }
}

/** Column mean and standard deviation (ddof = 0, float64); std below 1e-12 is replaced by 1. */
export function columnStats(x: Float32Array, n: number, dim: number): { mean: Float64Array; std: Float64Array } {
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    const o = i * dim;
    for (let j = 0; j < dim; j++) mean[j] += x[o + j];
  }
  for (let j = 0; j < dim; j++) mean[j] /= n;
  const v = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    const o = i * dim;
    for (let j = 0; j < dim; j++) {
      const t = x[o + j] - mean[j];
      v[j] += t * t;
    }
  }
  const std = new Float64Array(dim);
  for (let j = 0; j < dim; j++) {
    const s = Math.sqrt(v[j] / n);
    std[j] = s < 1e-12 ? 1 : s;
  }
  return { mean, std };
}

function standardise(x: Float32Array, n: number, dim: number, mean: Float64Array, std: Float64Array): Float32Array {
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const o = i * dim;
    for (let j = 0; j < dim; j++) out[o + j] = (x[o + j] - mean[j]) / std[j];
  }
  return out;
}

function glorotUniform(fanIn: number, fanOut: number, rng: Rng): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const w = new Float32Array(fanIn * fanOut);
  for (let i = 0; i < w.length; i++) w[i] = (2 * rng.next() - 1) * limit;
  return w;
}

export async function trainProbe(
  train: ProbeData,
  cfg: ProbeConfig & { seed: number },
  opts: TrainOptions = {},
): Promise<TrainedProbe> {
  validateProbeConfig(cfg);
  validateData(train);
  throwIfAborted(opts.signal);
  const { n, dim, classes } = train;
  const mlp = cfg.architecture === 'mlp';
  const hidden = mlp ? cfg.hiddenUnits : 0;
  const { mean, std } = columnStats(train.x, n, dim);
  const z = standardise(train.x, n, dim, mean, std);

  const initRng = createRng(cfg.seed, 1);
  const shuffleRng = createRng(cfg.seed, 2);
  const w1Init = mlp ? glorotUniform(dim, hidden, initRng) : null;
  const w2Init = mlp ? glorotUniform(hidden, classes, initRng) : glorotUniform(dim, classes, initRng);

  const tensors: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => {
    tensors.push(t);
    return t;
  };
  const optimizer = tf.train.adam(cfg.learningRate, ADAM.beta1, ADAM.beta2, ADAM.epsilon);
  try {
    const xs = keep(tf.tensor2d(z, [n, dim], 'float32'));
    // one-hot targets built here: tf.oneHot(..., 'float32') on the wasm backend (4.22) writes
    // int32 bit patterns into a float32 tensor (1 reads as 1.4e-45), which silently stops learning
    const oneHot = new Float32Array(n * classes);
    for (let i = 0; i < n; i++) oneHot[i * classes + train.y[i]] = 1;
    const ys = keep(tf.tensor2d(oneHot, [n, classes], 'float32'));
    const variable = (init: tf.Tensor): tf.Variable => {
      const v = keep(tf.variable(init, true, undefined, 'float32'));
      init.dispose(); // the variable holds its own reference to the data
      return v;
    };
    const w1 = w1Init ? variable(tf.tensor2d(w1Init, [dim, hidden])) : null;
    const b1 = mlp ? variable(tf.zeros([hidden])) : null;
    const w2 = variable(tf.tensor2d(w2Init, [mlp ? hidden : dim, classes]));
    const b2 = variable(tf.zeros([classes]));
    const vars = [w1, b1, w2, b2].filter((v): v is tf.Variable => v !== null);

    const perm = new Int32Array(n);
    const bs = Math.min(cfg.batchSize, n);
    let step = 0;
    let epoch = 0;
    let finalLoss = NaN;
    let lastYield = Date.now();
    while (step < cfg.steps) {
      for (let i = 0; i < n; i++) perm[i] = i;
      shuffleInPlace(perm, shuffleRng);
      let lossSum: tf.Tensor = tf.scalar(0);
      let batches = 0;
      try {
        for (let start = 0; start < n && step < cfg.steps; start += bs) {
          throwIfAborted(opts.signal);
          const idx = perm.slice(start, Math.min(n, start + bs));
          const loss = optimizer.minimize(
            () =>
              tf.tidy(() => {
                const it = tf.tensor1d(idx, 'int32');
                const xb = tf.gather(xs, it);
                const yb = tf.gather(ys, it);
                const h = w1 && b1 ? tf.relu(tf.add(tf.matMul(xb, w1), b1)) : xb;
                const logits = tf.add(tf.matMul(h, w2), b2);
                return tf.losses.softmaxCrossEntropy(yb, logits) as tf.Scalar;
              }),
            true,
            vars,
          )!;
          const sum = tf.add(lossSum, loss);
          lossSum.dispose();
          loss.dispose();
          lossSum = sum;
          step++;
          batches++;
          if (Date.now() - lastYield > 20) {
            await yieldToEventLoop();
            lastYield = Date.now();
          }
        }
        throwIfAborted(opts.signal);
        finalLoss = (await lossSum.data())[0] / batches;
      } finally {
        lossSum.dispose();
      }
      epoch++;
      opts.onEpoch?.(epoch, finalLoss);
    }
    const read = async (v: tf.Variable | null): Promise<Float32Array | null> =>
      v ? Float32Array.from((await v.data()) as Float32Array) : null;
    const weights: ProbeWeights = {
      w1: await read(w1),
      b1: await read(b1),
      w2: (await read(w2))!,
      b2: (await read(b2))!,
    };
    return makeTrainedProbe({ ...cfg }, dim, classes, mean, std, weights, epoch, step, finalLoss);
  } finally {
    optimizer.dispose();
    for (const t of tensors) t.dispose();
  }
}

function makeTrainedProbe(
  config: ProbeConfig & { seed: number },
  dim: number,
  classes: number,
  mean: Float64Array,
  std: Float64Array,
  weights: ProbeWeights,
  epochs: number,
  steps: number,
  finalLoss: number,
): TrainedProbe {
  const mlp = weights.w1 !== null;
  const hidden = mlp ? weights.b1!.length : 0;
  const embedDim = mlp ? hidden : dim;
  const check = (x: Float32Array, n: number) => {
    if (!Number.isInteger(n) || n < 0 || x.length !== n * dim) throw new RangeError(`expected ${n} x ${dim} features, got ${x.length} values`);
  };
  const zRow = new Float64Array(dim);
  const hRow = new Float64Array(embedDim);
  /** Standardise row i into zRow and compute the penultimate activations into hRow. */
  const penultimate = (x: Float32Array, i: number): void => {
    const o = i * dim;
    for (let j = 0; j < dim; j++) zRow[j] = (x[o + j] - mean[j]) / std[j];
    if (!mlp) {
      hRow.set(zRow);
      return;
    }
    const w1 = weights.w1!;
    const b1 = weights.b1!;
    for (let k = 0; k < hidden; k++) hRow[k] = b1[k];
    for (let j = 0; j < dim; j++) {
      const v = zRow[j];
      if (v === 0) continue;
      const wo = j * hidden;
      for (let k = 0; k < hidden; k++) hRow[k] += v * w1[wo + k];
    }
    for (let k = 0; k < hidden; k++) if (hRow[k] < 0) hRow[k] = 0;
  };
  const logits = new Float64Array(classes);
  const predictProba = (x: Float32Array, n: number): Float32Array => {
    check(x, n);
    const out = new Float32Array(n * classes);
    const { w2, b2 } = weights;
    for (let i = 0; i < n; i++) {
      penultimate(x, i);
      for (let c = 0; c < classes; c++) logits[c] = b2[c];
      for (let k = 0; k < embedDim; k++) {
        const v = hRow[k];
        if (v === 0) continue;
        const wo = k * classes;
        for (let c = 0; c < classes; c++) logits[c] += v * w2[wo + c];
      }
      let max = -Infinity;
      for (let c = 0; c < classes; c++) if (logits[c] > max) max = logits[c];
      let sum = 0;
      for (let c = 0; c < classes; c++) {
        logits[c] = Math.exp(logits[c] - max);
        sum += logits[c];
      }
      for (let c = 0; c < classes; c++) out[i * classes + c] = logits[c] / sum;
    }
    return out;
  };
  const predict = (x: Float32Array, n: number): Int32Array => {
    const p = predictProba(x, n);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let c = 1; c < classes; c++) if (p[i * classes + c] > p[i * classes + best]) best = c;
      out[i] = best;
    }
    return out;
  };
  const embed = (x: Float32Array, n: number): Float32Array => {
    check(x, n);
    const out = new Float32Array(n * embedDim);
    for (let i = 0; i < n; i++) {
      penultimate(x, i);
      for (let k = 0; k < embedDim; k++) out[i * embedDim + k] = hRow[k];
    }
    return out;
  };
  return { config, dim, classes, embedDim, mean, std, weights, epochs, steps, finalLoss, predictProba, predict, embed };
}

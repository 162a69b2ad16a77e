/**
 * The `cnn` tier of the utility evaluator: a compact convolutional network trained end to end on the
 * grayscale images themselves (S x S, values in [0, 1]; S = 128 by default), with TensorFlow.js ops on
 * whatever backend is active (webgpu / webgl / wasm in the browser, wasm or cpu in Node). See
 * METRICS.md, Utility, and docs/utility.md.
 *
 * References: the protocol of Xing et al., MICCAI 2023 (the downstream classifier is trained on R and
 * on R + S "with the same budget"); a patchify stem (kernel = stride, as in Liu et al., "A ConvNet for
 * the 2020s", CVPR 2022), 3 x 3 convolutions and learned stride-2 downsampling in place of pooling
 * (Springenberg et al., "Striving for simplicity: the all convolutional net", ICLR 2015 workshop),
 * global average pooling (Lin et al., "Network in network", ICLR 2014), He-uniform initialisation
 * (He et al., ICCV 2015), Adam (Kingma & Ba, ICLR 2015, the form tf.train.adam implements).
 *
 * The network (defaults in DEFAULT_CNN_CONFIG, ./cnnConfig.ts; `cnnLayers` lists it for the report):
 *   input S x S x 1, standardised with the training images' pixel mean and std (one scalar each)
 *   stage 0: conv p x p, stride p (the "stem": non-overlapping p x p patches) -> S/p, widths[0], ReLU;
 *            conv 3 x 3, stride 1, same padding, ReLU
 *   stage i >= 1: conv 2 x 2, stride 2 -> half the side, widths[i], ReLU; conv 3 x 3, same, ReLU
 *   head 'flatten' (default): every position and channel of the last stage (the demo's effusions sit
 *   at the lung bases, where a position-free average pool learned far less on 120 images);
 *   head 'average': global average pool
 *   dense embeddingUnits, ReLU      <- the penultimate layer: the cross-task embedding
 *   dense classes, softmax
 * Weights: He-uniform (limit sqrt(6 / fan_in)) for every ReLU layer, Glorot-uniform for the output
 * layer, biases zero, drawn in float32 from the seeded generator in ./rng.ts (stream 1) in layer
 * order, so the initial weights are the same on every backend. No dropout, batch norm or weight decay.
 *
 * Training, exactly (the same rules as the probe tier, ./probe.ts):
 * - Loss: mean softmax cross-entropy over the batch (log-softmax computed stably).
 * - Optimiser: tf.train.adam(learningRate, beta1 0.9, beta2 0.999, epsilon 1e-7).
 * - Budget: a fixed number of GRADIENT STEPS of batchSize images, the same for every training set
 *   (so adding images changes the data, not the amount of training); each pass over the data is a
 *   fresh seeded permutation (stream 2) cut into consecutive batches (the last batch of a pass may
 *   be smaller); training stops after exactly `steps` batches.
 * - Gradients: TF.js autodiff, with two changes. The wasm backend of TF.js 4.22 has no
 *   Conv2DBackpropFilter kernel: ./convFilterGrad.ts registers one (im2col in TypeScript, the
 *   product on the backend's matMul). Its Conv2DBackpropInput is a plain loop, several times slower
 *   than its convolution, so the 3 x 3 convolutions carry their own input gradient (conv3x3: a
 *   convolution of dy with the kernel flipped in space and its input / output channels swapped, exact
 *   for stride 1 and "same" padding). The stem's input gradient is never computed (the input is no
 *   variable). tests/unit/utility/cnnGradients.test.ts checks both against the cpu backend.
 * - Determinism: for a given seed, data and backend the weights are identical run to run (no
 *   Math.random; the wasm backend is single-threaded; GPU backends may differ in the last bits from
 *   one device or driver to another).
 * - Cancellation: the AbortSignal is checked before every step and training yields to the event loop
 *   between steps when more than YIELD_MS passed, so an abort message can arrive; on abort every
 *   tensor of the model and of the optimiser is disposed before the AbortError is thrown.
 */

import * as tf from '@tensorflow/tfjs-core';
import { createRng, shuffleInPlace } from './rng.ts';
import { abortError, maybeYield } from './probe.ts';
import { ensureWasmConvFilterGradient } from './convFilterGrad.ts';
import { CNN_ADAM, initialCnnParameters, validateCnnConfig, type CnnConfig } from './cnnConfig.ts';

export * from './cnnConfig.ts';

// ---- convolutions --------------------------------------------------------------------------------------

/** Filter gradient through the backend's Conv2DBackpropFilter kernel (on wasm: ./convFilterGrad.ts). */
function filterGradient(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: [number, number, number, number], stride: number, pad: 'same' | 'valid'): tf.Tensor4D {
  return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: stride, pad, dataFormat: 'NHWC', filterShape }) as tf.Tensor4D;
}

/**
 * 3 x 3, stride 1, "same" convolution whose input gradient is itself a forward convolution (dy with
 * the kernel flipped in space and its input / output channels swapped), which every backend runs with
 * its fast convolution (the wasm backend's Conv2DBackpropInput is a plain loop, several times slower).
 */
export function conv3x3(x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  const f = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xi, wi, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([xi, wi]);
    return {
      value: tf.conv2d(xi as tf.Tensor4D, wi as tf.Tensor4D, 1, 'same'),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as tf.Tensor4D[];
        const flipped = tf.transpose(tf.reverse(ws, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
        return [tf.conv2d(dy as tf.Tensor4D, flipped, 1, 'same'), filterGradient(xs, dy as tf.Tensor4D, ws.shape, 1, 'same')];
      },
    };
  }) as Parameters<typeof tf.customGrad>[0]);
  return f(x, w) as tf.Tensor4D;
}

// ---- the model ---------------------------------------------------------------------------------------

/** Network parameters as TF.js variables, in parameterShapes order. */
interface CnnParams {
  vars: tf.Variable[];
}

function forwardLogits(cfg: CnnConfig, p: CnnParams, x: tf.Tensor4D): { logits: tf.Tensor2D; embedding: tf.Tensor2D } {
  let h: tf.Tensor4D = x;
  let v = 0;
  cfg.widths.forEach((_, i) => {
    const k = i === 0 ? cfg.stemSize : 2;
    h = tf.relu(tf.add(tf.conv2d(h, p.vars[v] as unknown as tf.Tensor4D, k, 'valid'), p.vars[v + 1])) as tf.Tensor4D;
    h = tf.relu(tf.add(conv3x3(h, p.vars[v + 2] as unknown as tf.Tensor4D), p.vars[v + 3])) as tf.Tensor4D;
    v += 4;
  });
  const pooled = (cfg.head === 'flatten' ? tf.reshape(h, [h.shape[0], -1]) : tf.mean(h, [1, 2])) as tf.Tensor2D;
  const embedding = tf.relu(tf.add(tf.matMul(pooled, p.vars[v] as unknown as tf.Tensor2D), p.vars[v + 1])) as tf.Tensor2D;
  const logits = tf.add(tf.matMul(embedding, p.vars[v + 2] as unknown as tf.Tensor2D), p.vars[v + 3]) as tf.Tensor2D;
  return { logits, embedding };
}

/** Training images: one or more parts (row-major n x S*S float32 in [0, 1]) with a class index per row. */
export interface CnnImages {
  parts: { data: Float32Array; n: number }[];
  /** Class index of every row, parts in order. */
  y: Int32Array;
  classes: number;
}

export interface CnnStep {
  /** 1-based gradient step just finished. */
  step: number;
  steps: number;
  /** 1-based pass over the training images that this step belongs to. */
  epoch: number;
  /** Passes over the data the whole budget makes (steps x batch / rows, rounded up). */
  epochs: number;
  /** Mean cross-entropy of this step's batch. */
  loss: number;
}

export interface CnnTrainOptions {
  signal?: AbortSignal;
  onStep?(s: CnnStep): void;
}

export interface TrainedCnn {
  config: CnnConfig & { seed: number };
  classes: number;
  embedDim: number;
  /** Pixel mean and std of the training images (the input standardisation). */
  inputMean: number;
  inputStd: number;
  steps: number;
  /** Passes over the training images started (the last may be partial). */
  epochs: number;
  /** Mean batch loss of the last pass. */
  finalLoss: number;
  /** Class probabilities, row-major n x classes. */
  predictProba(x: Float32Array, n: number): Promise<Float32Array>;
  /** Penultimate-layer activations (post-ReLU), row-major n x embeddingUnits. */
  embed(x: Float32Array, n: number): Promise<Float32Array>;
  /** Current parameter values (copies), in layer order. */
  weights(): Float32Array[];
  /** Frees the model's tensors; the model cannot be used afterwards. */
  dispose(): void;
}

/** Rows per forward pass at prediction time. */
const PREDICT_BATCH = 64;

function rowCount(d: CnnImages): number {
  return d.parts.reduce((a, p) => a + p.n, 0);
}

/** Pixel mean and population std over every training image (float64); std below 1e-6 becomes 1. */
function pixelStats(d: CnnImages): { mean: number; std: number } {
  let sum = 0;
  let count = 0;
  for (const p of d.parts) {
    for (let i = 0; i < p.data.length; i++) sum += p.data[i];
    count += p.data.length;
  }
  const mean = sum / count;
  let ss = 0;
  for (const p of d.parts) {
    for (let i = 0; i < p.data.length; i++) {
      const t = p.data[i] - mean;
      ss += t * t;
    }
  }
  const std = Math.sqrt(ss / count);
  return { mean, std: std < 1e-6 ? 1 : std };
}

function validateImages(d: CnnImages, size: number): void {
  const px = size * size;
  const n = rowCount(d);
  if (n < 1) throw new RangeError('training set needs at least one image');
  for (const p of d.parts) {
    if (p.data.length !== p.n * px) throw new RangeError(`images have ${p.data.length} values, expected ${p.n} x ${size} x ${size}`);
  }
  if (d.y.length !== n) throw new RangeError(`${d.y.length} labels for ${n} images`);
  if (!Number.isInteger(d.classes) || d.classes < 2) throw new RangeError(`a classifier needs at least 2 classes, got ${d.classes}`);
  for (let i = 0; i < n; i++) if (d.y[i] < 0 || d.y[i] >= d.classes) throw new RangeError(`label ${d.y[i]} at row ${i} outside 0..${d.classes - 1}`);
}

/** Copies the chosen rows, standardised, into one [rows, S, S, 1] tensor. */
function batchTensor(d: CnnImages, rows: ArrayLike<number>, size: number, mean: number, std: number, buf: Float32Array): tf.Tensor4D {
  const px = size * size;
  const out = buf.length === rows.length * px ? buf : new Float32Array(rows.length * px);
  for (let r = 0; r < rows.length; r++) {
    let row = rows[r];
    let part = 0;
    while (row >= d.parts[part].n) row -= d.parts[part++].n;
    const src = d.parts[part].data;
    const o = row * px;
    const t = r * px;
    for (let i = 0; i < px; i++) out[t + i] = (src[o + i] - mean) / std;
  }
  return tf.tensor4d(out, [rows.length, size, size, 1]);
}

/** Trains one network; see the file header for every rule. Rejects with an AbortError when cancelled. */
export async function trainCnn(data: CnnImages, cfg: CnnConfig & { seed: number }, opts: CnnTrainOptions = {}): Promise<TrainedCnn> {
  validateCnnConfig(cfg);
  const S = cfg.inputSize;
  validateImages(data, S);
  if (opts.signal?.aborted) throw abortError();
  const n = rowCount(data);
  const classes = data.classes;
  const { mean, std } = pixelStats(data);
  const init = initialCnnParameters(cfg, classes, cfg.seed);
  ensureWasmConvFilterGradient();
  const params: CnnParams = { vars: init.map((p) => tf.tidy(() => tf.variable(tf.tensor(p.values, p.shape, 'float32'), true, undefined, 'float32'))) };
  const optimizer = tf.train.adam(cfg.learningRate, CNN_ADAM.beta1, CNN_ADAM.beta2, CNN_ADAM.epsilon);
  const shuffleRng = createRng(cfg.seed, 2);
  const bs = Math.min(cfg.batchSize, n);
  const perm = new Int32Array(n);
  const buf = new Float32Array(bs * S * S);
  const epochsTotal = Math.ceil((cfg.steps * bs) / n);
  const disposeAll = () => {
    optimizer.dispose();
    for (const v of params.vars) v.dispose();
  };
  let step = 0;
  let epoch = 0;
  let finalLoss = NaN;
  try {
    while (step < cfg.steps) {
      for (let i = 0; i < n; i++) perm[i] = i;
      shuffleInPlace(perm, shuffleRng);
      epoch++;
      let lossSum = 0;
      let batches = 0;
      for (let start = 0; start < n && step < cfg.steps; start += bs) {
        if (opts.signal?.aborted) throw abortError();
        const rows = perm.subarray(start, Math.min(n, start + bs));
        const x = batchTensor(data, rows, S, mean, std, buf);
        const labels = tf.tensor1d(Int32Array.from(rows, (r) => data.y[r]), 'int32');
        const cost = optimizer.minimize(
          () =>
            tf.tidy(() => {
              const { logits } = forwardLogits(cfg, params, x);
              const onehot = tf.oneHot(labels, classes);
              return tf.neg(tf.mean(tf.sum(tf.mul(onehot, tf.logSoftmax(logits)), 1))) as tf.Scalar;
            }),
          true,
          params.vars,
        );
        x.dispose();
        labels.dispose();
        const loss = (await cost!.data())[0];
        cost!.dispose();
        step++;
        batches++;
        lossSum += loss;
        opts.onStep?.({ step, steps: cfg.steps, epoch, epochs: epochsTotal, loss });
        await maybeYield();
      }
      finalLoss = lossSum / batches;
    }
    if (opts.signal?.aborted) throw abortError();
  } catch (e) {
    disposeAll();
    throw e;
  }
  optimizer.dispose();
  return makeTrainedCnn({ ...cfg, widths: cfg.widths.slice() }, classes, params, mean, std, step, epoch, finalLoss);
}

function makeTrainedCnn(
  config: CnnConfig & { seed: number },
  classes: number,
  params: CnnParams,
  inputMean: number,
  inputStd: number,
  steps: number,
  epochs: number,
  finalLoss: number,
): TrainedCnn {
  const S = config.inputSize;
  const px = S * S;
  let disposed = false;
  const run = async (x: Float32Array, n: number, what: 'proba' | 'embed'): Promise<Float32Array> => {
    if (disposed) throw new Error('the network was disposed');
    if (!Number.isInteger(n) || n < 0 || x.length !== n * px) throw new RangeError(`expected ${n} x ${S} x ${S} images, got ${x.length} values`);
    const width = what === 'proba' ? classes : config.embeddingUnits;
    const out = new Float32Array(n * width);
    const src: CnnImages = { parts: [{ data: x, n }], y: new Int32Array(n), classes };
    for (let start = 0; start < n; start += PREDICT_BATCH) {
      const rows = Array.from({ length: Math.min(PREDICT_BATCH, n - start) }, (_, i) => start + i);
      const xb = batchTensor(src, rows, S, inputMean, inputStd, new Float32Array(0));
      const r = tf.tidy(() => {
        const { logits, embedding } = forwardLogits(config, params, xb);
        return what === 'proba' ? tf.softmax(logits) : embedding;
      });
      xb.dispose();
      out.set((await r.data()) as Float32Array, start * width);
      r.dispose();
      await maybeYield();
    }
    return out;
  };
  return {
    config,
    classes,
    embedDim: config.embeddingUnits,
    inputMean,
    inputStd,
    steps,
    epochs,
    finalLoss,
    predictProba: (x, n) => run(x, n, 'proba'),
    embed: (x, n) => run(x, n, 'embed'),
    weights: () => params.vars.map((v) => v.dataSync() as Float32Array).map((a) => a.slice()),
    dispose: () => {
      if (disposed) return;
      disposed = true;
      for (const v of params.vars) v.dispose();
    },
  };
}

/**
 * The `probe` tier of the utility evaluator: a small classifier head trained on cached
 * feature vectors (no image is touched), see METRICS.md, Utility, and docs/utility.md.
 *
 * Reference: the protocol of Xing et al., MICCAI 2023 (the downstream classifier is
 * trained on R and on R + S "with the same budget"); here the classifier is a linear
 * softmax head (multinomial logistic regression) or a one-hidden-layer MLP
 * (Dense(hiddenUnits, ReLU) -> Dense(classes, softmax)) on standardised features,
 * trained by mini-batch Adam (Kingma & Ba, "Adam: a method for stochastic
 * optimization", ICLR 2015, algorithm 1, the form tf.train.adam implements). The tests
 * check the forward pass and one Adam step against TF.js, and the gradients against
 * central finite differences.
 *
 * Everything runs in plain TypeScript on Float64Arrays: a probe this small is dominated
 * by per-operation overhead in a tensor framework (about 30 ms a step on TF.js wasm,
 * against well under a millisecond here), and plain float64 arithmetic makes the result
 * independent of any TF.js backend.
 *
 * Training, exactly:
 * - Standardise every feature with the TRAINING rows' mean and standard deviation
 *   (float64, ddof = 0); a feature whose std is below 1e-12 is divided by 1 instead.
 *   The same mean/std are applied at prediction time. (Skipped with
 *   `standardise: false`, for inputs already on a common scale: runUtility's
 *   projection, see ./projection.ts.)
 * - Weights: Glorot-uniform (limit sqrt(6 / (fan_in + fan_out))), first layer first,
 *   biases zero, drawn from the seeded generator in ./rng.ts (stream 1). No dropout,
 *   no weight decay.
 * - Loss: mean softmax cross-entropy over the batch, log-sum-exp computed stably.
 * - Optimiser: Adam(learningRate, beta1 0.9, beta2 0.999, epsilon 1e-7):
 *   m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 *   w -= lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps), t = 1, 2, ...
 * - ReLU derivative: 1 where the pre-activation is > 0, else 0 (as TF).
 * - Budget: a fixed number of GRADIENT STEPS (`steps`), not epochs. Real-only and
 *   real + synthetic training therefore get the same number of updates of the same
 *   batch size; with more rows an epoch is longer, so fixing epochs would hand the
 *   bigger training set more updates and confound "more data" with "more training".
 * - Batches: each epoch is a fresh seeded permutation of the rows (stream 2) cut into
 *   consecutive batches of `batchSize` (the last one of an epoch may be smaller);
 *   training stops after exactly `steps` batches, possibly inside an epoch.
 *   A training set smaller than batchSize is one batch per step.
 * - Determinism: for a given seed and data the result is bit-identical on a given
 *   JavaScript engine; no Math.random is used (Math.exp / Math.log may differ in the
 *   last bit between engines).
 * - Cancellation: the AbortSignal is checked before every step, and training yields to
 *   the event loop every YIELD_MS of work so that an abort message can arrive.
 */

import { gemmNT } from '../linalg/gemm.ts';
import { createRng, shuffleInPlace, type Rng } from './rng.ts';
import { yieldTask } from '../yieldTask.ts';

export type ProbeArchitecture = 'logistic' | 'mlp';

export interface ProbeConfig {
  architecture: ProbeArchitecture;
  /** Width of the hidden ReLU layer (mlp only). */
  hiddenUnits: number;
  /** Number of gradient steps: the training budget, equal for every training set. */
  steps: number;
  batchSize: number;
  learningRate: number;
  /**
   * runUtility only (trainProbe ignores it): the features of every set are first reduced
   * to at most this many principal components of the real training rows (./projection.ts);
   * 0 trains on the raw features. Default DEFAULT_PROBE_CONFIG.components.
   */
  components?: number;
}

/**
 * Defaults, tuned so that the built-in demo's utility run (160 real, 80 test, five sets of
 * 80, 5 seeds, MobileNetV2 1280-d features: 55 probes) takes a few seconds on 2 cores;
 * see docs/utility.md for the measurements.
 */
export const DEFAULT_PROBE_CONFIG: Readonly<Required<ProbeConfig>> = Object.freeze({
  architecture: 'mlp',
  hiddenUnits: 32,
  steps: 200,
  batchSize: 32,
  learningRate: 3e-3,
  components: 64,
});

export const ADAM = Object.freeze({ beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });

/** Work between two yields to the event loop during training (milliseconds). */
export const YIELD_MS = 25;

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
  /**
   * Standardise each feature with the training rows' mean and std (default true). false:
   * the inputs are already on a common scale (runUtility's projection), so they are used
   * as they are (the recorded mean is 0 and std 1).
   */
  standardise?: boolean;
  signal?: AbortSignal;
  /** Called after each pass over the data (1-based) with the mean batch loss of that pass. */
  onEpoch?(epoch: number, loss: number): void;
}

export interface ProbeWeights {
  /** mlp: dim x hiddenUnits, row-major; logistic: absent. */
  w1: Float64Array | null;
  b1: Float64Array | null;
  /** mlp: hiddenUnits x classes; logistic: dim x classes. */
  w2: Float64Array;
  b2: Float64Array;
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

let lastYield = 0;
/** Yield to the event loop when more than YIELD_MS passed since the last yield (shared by every probe). */
export async function maybeYield(): Promise<void> {
  const now = Date.now();
  if (now - lastYield < YIELD_MS) return;
  await yieldTask();
  lastYield = Date.now();
}

export function validateProbeConfig(cfg: ProbeConfig): void {
  const posInt = (v: number, name: string) => {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`probe ${name} must be a positive integer, got ${v}`);
  };
  if (cfg.architecture !== 'logistic' && cfg.architecture !== 'mlp') throw new RangeError(`unknown probe architecture ${String(cfg.architecture)}`);
  if (cfg.architecture === 'mlp') posInt(cfg.hiddenUnits, 'hiddenUnits');
  posInt(cfg.steps, 'steps');
  posInt(cfg.batchSize, 'batchSize');
  if (!(cfg.learningRate > 0 && Number.isFinite(cfg.learningRate))) throw new RangeError(`probe learningRate must be > 0, got ${cfg.learningRate}`);
  if (cfg.components !== undefined && !(Number.isInteger(cfg.components) && cfg.components >= 0)) {
    throw new RangeError(`probe components must be a non-negative integer (0 = no projection), got ${cfg.components}`);
  }
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

/**
 * The training rows as a batch reads them: a standardised float64 matrix z (n x dim), or the float32 rows x with
 * their column mean and std, standardised as each batch gathers them ((x - mean) / std in float64: the values a
 * standardised copy would hold, without the n x dim x 8 bytes of the copy: 780 MiB at 100,000 x 1,280).
 */
export type ProbeRows = Float64Array | { x: Float32Array; mean: Float64Array; std: Float64Array };

function glorotUniform(fanIn: number, fanOut: number, rng: Rng): Float64Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const w = new Float64Array(fanIn * fanOut);
  // the float32 rounding keeps the initial weights identical to the former TF.js probe's
  for (let i = 0; i < w.length; i++) w[i] = Math.fround((2 * rng.next() - 1) * limit);
  return w;
}

/** Shape of a probe: input width, hidden width (0 = logistic), classes. */
export interface ProbeShape {
  dim: number;
  hidden: number;
  classes: number;
}

/** Parameter views into one flat vector, in the order w1, b1, w2, b2 (w1, b1 empty for logistic). */
export function parameterViews(theta: Float64Array, s: ProbeShape): { w1: Float64Array; b1: Float64Array; w2: Float64Array; b2: Float64Array } {
  const k = s.hidden > 0 ? s.hidden : s.dim;
  const n1 = s.hidden > 0 ? s.dim * s.hidden : 0;
  const nb1 = s.hidden;
  const n2 = k * s.classes;
  let o = 0;
  const take = (len: number) => theta.subarray(o, (o += len));
  return { w1: take(n1), b1: take(nb1), w2: take(n2), b2: take(s.classes) };
}

export function parameterCount(s: ProbeShape): number {
  const k = s.hidden > 0 ? s.hidden : s.dim;
  return (s.hidden > 0 ? s.dim * s.hidden + s.hidden : 0) + k * s.classes + s.classes;
}

/** Reusable buffers for lossAndGradient (sized for batches of up to `batch` rows). */
export interface ProbeWork {
  batch: number;
  /** The batch's rows (b x dim) and their transpose (dim x batch). */
  xb: Float64Array;
  xbT: Float64Array;
  /** w1 transposed (hidden x dim). */
  w1T: Float64Array;
  /** Hidden pre-activations and activations (b x hidden); the hidden layer's gradient, transposed (hidden x batch). */
  hPre: Float64Array;
  h: Float64Array;
  dhT: Float64Array;
  /** Logits, then their gradient (b x classes). */
  logits: Float64Array;
}

export function probeWork(s: ProbeShape, batch = 1): ProbeWork {
  const k = s.hidden;
  return {
    batch,
    xb: new Float64Array(batch * s.dim),
    xbT: new Float64Array(s.dim * batch),
    w1T: new Float64Array(k * s.dim),
    hPre: new Float64Array(batch * k),
    h: new Float64Array(batch * k),
    dhT: new Float64Array(k * batch),
    logits: new Float64Array(batch * s.classes),
  };
}

type Views = ReturnType<typeof parameterViews>;

/**
 * Mean softmax cross-entropy of the rows `rows` of the standardised matrix `z` (n x dim, or
 * float32 rows standardised on the fly: ProbeRows) with labels `y`, and its gradient with
 * respect to every parameter, written into `grad` (same layout as `theta`, overwritten).
 * Returns the loss.
 */
export function lossAndGradient(
  theta: Float64Array,
  grad: Float64Array,
  s: ProbeShape,
  z: ProbeRows,
  y: Int32Array,
  rows: Int32Array,
  work: ProbeWork = probeWork(s, rows.length),
): number {
  return batchLossAndGradient(parameterViews(theta, s), grad, parameterViews(grad, s), s, z, y, rows, work);
}

/**
 * Forward and backward pass over one batch. The two large products of the MLP (hidden
 * pre-activations X W1 and the first-layer gradient X^T dH) go through the cache-blocked
 * kernel of ../linalg/gemm.ts; the rest is small (classes columns) and written out.
 */
function batchLossAndGradient(W: Views, grad: Float64Array, G: Views, s: ProbeShape, z: ProbeRows, y: Int32Array, rows: Int32Array, work: ProbeWork): number {
  const { dim, hidden, classes } = s;
  const b = rows.length;
  if (b > work.batch) throw new RangeError(`batch of ${b} rows, work buffers for ${work.batch}`);
  const mlp = hidden > 0;
  const { w1, b1, w2, b2 } = W;
  const { xb, xbT, w1T, hPre, h, dhT, logits } = work;
  const B = work.batch; // leading dimension of the transposed buffers
  grad.fill(0);
  if (z instanceof Float64Array) {
    for (let r = 0; r < b; r++) {
      const xo = rows[r] * dim;
      for (let j = 0; j < dim; j++) {
        const v = z[xo + j];
        xb[r * dim + j] = v;
        xbT[j * B + r] = v;
      }
    }
  } else {
    const { x, mean, std } = z;
    for (let r = 0; r < b; r++) {
      const xo = rows[r] * dim;
      for (let j = 0; j < dim; j++) {
        const v = (x[xo + j] - mean[j]) / std[j];
        xb[r * dim + j] = v;
        xbT[j * B + r] = v;
      }
    }
  }
  // penultimate layer: feat (b x k), k = hidden (mlp) or dim (logistic: the input itself)
  let feat = xb;
  const k = mlp ? hidden : dim;
  if (mlp) {
    for (let j = 0; j < dim; j++) for (let u = 0; u < hidden; u++) w1T[u * dim + j] = w1[j * hidden + u];
    for (let r = 0; r < b; r++) hPre.set(b1, r * hidden);
    gemmNT(b, hidden, dim, xb, 0, dim, w1T, 0, dim, hPre, 0, hidden);
    for (let i = 0; i < b * hidden; i++) h[i] = hPre[i] > 0 ? hPre[i] : 0;
    feat = h;
  }
  const inv = 1 / b;
  let loss = 0;
  for (let r = 0; r < b; r++) {
    const fo = r * k;
    const lo = r * classes;
    for (let c = 0; c < classes; c++) logits[lo + c] = b2[c];
    for (let u = 0; u < k; u++) {
      const v = feat[fo + u];
      if (v === 0) continue;
      const wo = u * classes;
      for (let c = 0; c < classes; c++) logits[lo + c] += v * w2[wo + c];
    }
    let max = -Infinity;
    for (let c = 0; c < classes; c++) if (logits[lo + c] > max) max = logits[lo + c];
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[lo + c] - max);
    const lse = max + Math.log(sum);
    const label = y[rows[r]];
    loss += lse - logits[lo + label];
    // d loss / d logits = (softmax - onehot) / b
    for (let c = 0; c < classes; c++) logits[lo + c] = (Math.exp(logits[lo + c] - lse) - (c === label ? 1 : 0)) * inv;
    for (let c = 0; c < classes; c++) G.b2[c] += logits[lo + c];
    for (let u = 0; u < k; u++) {
      const v = feat[fo + u];
      if (v === 0) continue;
      const wo = u * classes;
      for (let c = 0; c < classes; c++) G.w2[wo + c] += v * logits[lo + c];
    }
    if (mlp) {
      for (let u = 0; u < hidden; u++) {
        let d = 0;
        if (hPre[fo + u] > 0) {
          const wo = u * classes;
          for (let c = 0; c < classes; c++) d += logits[lo + c] * w2[wo + c];
        }
        dhT[u * B + r] = d;
        G.b1[u] += d;
      }
    }
  }
  // dW1 (dim x hidden) = X^T dH
  if (mlp) gemmNT(dim, hidden, b, xbT, 0, B, dhT, 0, B, G.w1, 0, hidden);
  return loss * inv;
}

/** Adam state for a flat parameter vector. */
export interface AdamState {
  m: Float64Array;
  v: Float64Array;
  /** Steps taken so far. */
  t: number;
}

export function adamState(size: number): AdamState {
  return { m: new Float64Array(size), v: new Float64Array(size), t: 0 };
}

/** One Adam update of `theta` in place with gradient `grad` (see the file header for the formula). */
export function adamStep(theta: Float64Array, grad: Float64Array, st: AdamState, lr: number): void {
  const { beta1, beta2, epsilon } = ADAM;
  st.t++;
  const c1 = 1 - beta1 ** st.t;
  const c2 = 1 - beta2 ** st.t;
  const { m, v } = st;
  for (let i = 0; i < theta.length; i++) {
    const g = grad[i];
    m[i] = beta1 * m[i] + (1 - beta1) * g;
    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
    theta[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + epsilon);
  }
}

/** The seeded initial parameters (Glorot-uniform weights, zero biases) as one flat vector. */
export function initialParameters(s: ProbeShape, seed: number): Float64Array {
  const theta = new Float64Array(parameterCount(s));
  const W = parameterViews(theta, s);
  const rng = createRng(seed, 1);
  if (s.hidden > 0) {
    W.w1.set(glorotUniform(s.dim, s.hidden, rng));
    W.w2.set(glorotUniform(s.hidden, s.classes, rng));
  } else {
    W.w2.set(glorotUniform(s.dim, s.classes, rng));
  }
  return theta;
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
  const shape: ProbeShape = { dim, hidden: cfg.architecture === 'mlp' ? cfg.hiddenUnits : 0, classes };
  const { mean, std } = opts.standardise === false ? { mean: new Float64Array(dim), std: new Float64Array(dim).fill(1) } : columnStats(train.x, n, dim);
  const z: ProbeRows = { x: train.x, mean, std };
  const theta = initialParameters(shape, cfg.seed);
  const grad = new Float64Array(theta.length);
  const adam = adamState(theta.length);
  const work = probeWork(shape, Math.min(cfg.batchSize, n));
  const shuffleRng = createRng(cfg.seed, 2);
  const W = parameterViews(theta, shape);
  const G = parameterViews(grad, shape);

  const perm = new Int32Array(n);
  const bs = Math.min(cfg.batchSize, n);
  let step = 0;
  let epoch = 0;
  let finalLoss = NaN;
  while (step < cfg.steps) {
    for (let i = 0; i < n; i++) perm[i] = i;
    shuffleInPlace(perm, shuffleRng);
    let lossSum = 0;
    let batches = 0;
    for (let start = 0; start < n && step < cfg.steps; start += bs) {
      throwIfAborted(opts.signal);
      const rows = perm.subarray(start, Math.min(n, start + bs));
      lossSum += batchLossAndGradient(W, grad, G, shape, z, train.y, rows, work);
      adamStep(theta, grad, adam, cfg.learningRate);
      step++;
      batches++;
      await maybeYield();
    }
    throwIfAborted(opts.signal);
    finalLoss = lossSum / batches;
    epoch++;
    opts.onEpoch?.(epoch, finalLoss);
  }
  const weights: ProbeWeights = {
    w1: shape.hidden > 0 ? W.w1.slice() : null,
    b1: shape.hidden > 0 ? W.b1.slice() : null,
    w2: W.w2.slice(),
    b2: W.b2.slice(),
  };
  return makeTrainedProbe({ ...cfg }, dim, classes, mean, std, weights, epoch, step, finalLoss);
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

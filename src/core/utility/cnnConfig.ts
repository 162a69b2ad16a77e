/**
 * The cnn tier's settings and the facts about its network that need no TensorFlow.js (the page imports
 * these to offer the choice; the network itself, ./cnn.ts, loads only in workers and in Node): the
 * config and its defaults, checks, the layer list, parameter and multiply-add counts, the seeded
 * initial weights, and the memory the input images take. See ./cnn.ts for the network.
 */
import { createRng, type Rng } from './rng.ts';

export interface CnnConfig {
  /** Side S of the square grayscale input images in pixels. */
  inputSize: number;
  /** Side p of the stem's non-overlapping patches (kernel = stride = p). */
  stemSize: number;
  /** Channels per stage; each stage after the first halves the side. */
  widths: number[];
  /**
   * How the last stage's feature map reaches the dense layers: 'average' = global average pool (one
   * value per channel, position-free); 'flatten' = every position and channel (position-aware).
   */
  head: 'average' | 'flatten';
  /** Width of the penultimate dense ReLU layer (the cross-task embedding). */
  embeddingUnits: number;
  /** Number of gradient steps: the training budget, equal for every training set. */
  steps: number;
  batchSize: number;
  learningRate: number;
}

/**
 * Defaults, chosen so that the app's built-in demo (120 real, 60 held-out, five synthetic sets of 60,
 * 5 seeds: 60 networks) trains in a few minutes on two CPU cores with the wasm backend; see
 * docs/utility.md for the measurements.
 */
export const DEFAULT_CNN_CONFIG: Readonly<CnnConfig> = Object.freeze({
  inputSize: 128,
  stemSize: 4,
  widths: Object.freeze([4, 8, 16, 32]) as unknown as number[],
  head: 'flatten',
  embeddingUnits: 32,
  steps: 100,
  batchSize: 16,
  learningRate: 3e-3,
});

export const CNN_ADAM = Object.freeze({ beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });

/** Bytes one S x S input image takes in memory (float32). */
export function cnnInputBytes(inputSize: number): number {
  return 4 * inputSize * inputSize;
}

export function validateCnnConfig(cfg: CnnConfig): void {
  const posInt = (v: number, name: string) => {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`cnn ${name} must be a positive integer, got ${v}`);
  };
  posInt(cfg.inputSize, 'inputSize');
  posInt(cfg.stemSize, 'stemSize');
  posInt(cfg.embeddingUnits, 'embeddingUnits');
  posInt(cfg.steps, 'steps');
  posInt(cfg.batchSize, 'batchSize');
  if (!Array.isArray(cfg.widths) || cfg.widths.length < 1) throw new RangeError('cnn widths needs at least one stage');
  cfg.widths.forEach((w, i) => posInt(w, `widths[${i}]`));
  if (!(cfg.learningRate > 0 && Number.isFinite(cfg.learningRate))) throw new RangeError(`cnn learningRate must be > 0, got ${cfg.learningRate}`);
  const factor = cfg.stemSize * 2 ** (cfg.widths.length - 1);
  if (cfg.inputSize % factor !== 0) {
    throw new RangeError(
      `cnn inputSize ${cfg.inputSize} must be a multiple of ${factor} (stem ${cfg.stemSize} x 2^${cfg.widths.length - 1} for ${cfg.widths.length} stages)`,
    );
  }
}

/** One line per layer with its output shape, for the report. */
export function cnnLayers(cfg: CnnConfig, classes: number | null = null): string[] {
  const out: string[] = [`input ${cfg.inputSize} x ${cfg.inputSize} x 1 (grayscale, standardised with the training images' pixel mean and std)`];
  let side = cfg.inputSize / cfg.stemSize;
  cfg.widths.forEach((w, i) => {
    if (i === 0) out.push(`conv ${cfg.stemSize} x ${cfg.stemSize}, stride ${cfg.stemSize}, ${w} filters, ReLU -> ${side} x ${side} x ${w}`);
    else {
      side /= 2;
      out.push(`conv 2 x 2, stride 2, ${w} filters, ReLU -> ${side} x ${side} x ${w}`);
    }
    out.push(`conv 3 x 3, stride 1, same padding, ${w} filters, ReLU -> ${side} x ${side} x ${w}`);
  });
  const last = cfg.widths[cfg.widths.length - 1];
  out.push(cfg.head === 'flatten' ? `flatten -> ${side * side * last}` : `global average pool -> ${last}`);
  out.push(`dense ${cfg.embeddingUnits}, ReLU (penultimate layer: the cross-task embedding)`);
  out.push(`dense ${classes ?? 'classes'}, softmax`);
  return out;
}

interface LayerShape {
  name: string;
  shape: number[];
  fanIn: number;
  fanOut: number;
  init: 'he' | 'glorot' | 'zero';
}

function parameterShapes(cfg: CnnConfig, classes: number): LayerShape[] {
  const s: LayerShape[] = [];
  let cin = 1;
  cfg.widths.forEach((w, i) => {
    const k = i === 0 ? cfg.stemSize : 2;
    s.push({ name: `stage${i}.down.w`, shape: [k, k, cin, w], fanIn: k * k * cin, fanOut: k * k * w, init: 'he' });
    s.push({ name: `stage${i}.down.b`, shape: [w], fanIn: 0, fanOut: 0, init: 'zero' });
    s.push({ name: `stage${i}.conv.w`, shape: [3, 3, w, w], fanIn: 9 * w, fanOut: 9 * w, init: 'he' });
    s.push({ name: `stage${i}.conv.b`, shape: [w], fanIn: 0, fanOut: 0, init: 'zero' });
    cin = w;
  });
  const side = cfg.inputSize / cfg.stemSize / 2 ** (cfg.widths.length - 1);
  const feat = cfg.head === 'flatten' ? side * side * cin : cin;
  s.push({ name: 'embed.w', shape: [feat, cfg.embeddingUnits], fanIn: feat, fanOut: cfg.embeddingUnits, init: 'he' });
  s.push({ name: 'embed.b', shape: [cfg.embeddingUnits], fanIn: 0, fanOut: 0, init: 'zero' });
  s.push({ name: 'out.w', shape: [cfg.embeddingUnits, classes], fanIn: cfg.embeddingUnits, fanOut: classes, init: 'glorot' });
  s.push({ name: 'out.b', shape: [classes], fanIn: 0, fanOut: 0, init: 'zero' });
  return s;
}

/** Number of trainable parameters. */
export function cnnParameterCount(cfg: CnnConfig, classes: number): number {
  return parameterShapes(cfg, classes).reduce((a, l) => a + l.shape.reduce((x, y) => x * y, 1), 0);
}

/** Multiply-adds of one forward pass of one image (convolutions and dense layers). */
export function cnnForwardMacs(cfg: CnnConfig, classes: number): number {
  let side = cfg.inputSize / cfg.stemSize;
  let cin = 1;
  let macs = 0;
  cfg.widths.forEach((w, i) => {
    if (i > 0) side /= 2;
    const k = i === 0 ? cfg.stemSize : 2;
    macs += side * side * k * k * cin * w + side * side * 9 * w * w;
    cin = w;
  });
  return macs + (cfg.head === 'flatten' ? side * side : 1) * cin * cfg.embeddingUnits + cfg.embeddingUnits * classes;
}

/** The seeded initial parameters, in the order of the layers, as float32 arrays. */
export function initialCnnParameters(cfg: CnnConfig, classes: number, seed: number): { name: string; shape: number[]; values: Float32Array }[] {
  const rng: Rng = createRng(seed, 1);
  return parameterShapes(cfg, classes).map((l) => {
    const size = l.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    if (l.init !== 'zero') {
      const limit = l.init === 'he' ? Math.sqrt(6 / l.fanIn) : Math.sqrt(6 / (l.fanIn + l.fanOut));
      for (let i = 0; i < size; i++) values[i] = (2 * rng.next() - 1) * limit;
    }
    return { name: l.name, shape: l.shape, values };
  });
}

/** Most memory the cnn tier's input images may take in all (float32): 512 MiB, 8192 images at 128 px. */
export const CNN_MAX_INPUT_BYTES = 512 * 1024 * 1024;

const MIB = 1024 * 1024;

/** Why `images` inputs of side `inputSize` are too many for the cnn tier, or null. */
export function cnnMemoryIssue(images: number, inputSize: number): string | null {
  const bytes = images * cnnInputBytes(inputSize);
  if (bytes <= CNN_MAX_INPUT_BYTES) return null;
  const most = Math.floor(CNN_MAX_INPUT_BYTES / cnnInputBytes(inputSize));
  return (
    `the cnn tier would hold ${images} images of ${inputSize} x ${inputSize} pixels (${(bytes / MIB).toFixed(0)} MiB as float32, ` +
    `${cnnInputBytes(inputSize) / 1024} KiB each); it takes at most ${(CNN_MAX_INPUT_BYTES / MIB).toFixed(0)} MiB (${most} images at this size): ` +
    'use a smaller input size, fewer images, or the probe tier'
  );
}

/** The config the cnn tier uses: DEFAULT_CNN_CONFIG with the given fields replaced. */
export function cnnConfigOf(partial: Partial<CnnConfig> | undefined): CnnConfig {
  const cfg = { ...DEFAULT_CNN_CONFIG, ...partial };
  return { ...cfg, widths: cfg.widths.slice() };
}

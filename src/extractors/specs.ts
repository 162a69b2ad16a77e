/**
 * The extractor registry's descriptions (specs), without TensorFlow.js: the page imports these to offer the
 * choices, while the models themselves load only inside workers (./registry.ts).
 */
export type Normalise = 'zero-one' | 'minus-one-one' | 'imagenet';
/** How the settings and the Reopen card name each input normalisation. */
export const NORMALISE_LABELS: Record<Normalise, string> = { 'zero-one': '[0, 1]', 'minus-one-one': '[-1, 1]', imagenet: 'ImageNet mean/std' };

export interface ExtractorSpec {
  id: string;
  label: string;
  inputSize: number;
  channels: 1 | 3;
  dim: number;
  description: string;
  /** SHA-256 hex of the weight shards concatenated in manifest order, or 'none'. */
  weightsHash: string;
  /** Layer (layers model) or node (graph model) whose output is the feature; null when the model's own output is used. */
  layer?: string | null;
  /** Input normalisation applied inside embed() to the [0,1] input. */
  normalise?: Normalise;
  /** Model file format, or 'none' for the pixels extractor. */
  format?: 'layers-model' | 'graph-model' | 'none';
}

export interface Extractor extends ExtractorSpec {
  /** batch: n x H x W x C row-major, values in [0,1]; returns n x dim row-major. */
  embed(batch: Float32Array, n: number): Promise<Float32Array>;
  dispose(): void;
}

export type ModelSource =
  | { kind: 'url'; baseUrl: string }
  | { kind: 'files'; files: Map<string, Uint8Array> };

export type ExtractorId = 'mobilenet-v2' | 'inception-v3' | 'pixels' | 'custom';

export interface CustomExtractorOptions {
  /** Layers model: layer name. Graph model: node name (e.g. 'StatefulPartitionedCall:0'). Default: the model's output. */
  outputLayer?: string;
  inputSize: number;
  channels: 1 | 3;
  normalise: Normalise;
}

export interface LoadOptions {
  /** Images per forward pass (default: 16 for MobileNetV2 and custom, 4 for InceptionV3). */
  batchSize?: number;
  /** fetch used for 'url' sources (default: globalThis.fetch). */
  fetchImpl?: typeof fetch;
}

export const DEFAULT_EXTRACTOR_ID = 'mobilenet-v2';

export type BuiltinModelId = 'mobilenet-v2' | 'inception-v3';

const NSFWJS_NOTE =
  'Weights from nsfwjs@4.4.0: ImageNet-initialised then fine-tuned for content (NSFW) classification, ' +
  'uint8-quantised (not plain ImageNet weights). Features are the global average pool of the backbone; ' +
  'input RGB scaled to [0,1].';

/** Hashes written by scripts/convert-nsfwjs-models.mjs into models/index.json (a test keeps them equal). */
export const BUILTIN_MODELS: Record<BuiltinModelId, ExtractorSpec & { batchSize: number }> = {
  'mobilenet-v2': {
    id: 'mobilenet-v2',
    label: 'MobileNetV2 (224 px, 1280-d)',
    inputSize: 224,
    channels: 3,
    dim: 1280,
    description: `MobileNetV2, layer flatten_1 (global average pool of out_relu), 1280-d. ${NSFWJS_NOTE}`,
    weightsHash: '2a3cfee991941d16b6a83f4d4d80186ef7f4dcb11e2a7c310b43fbefe376c1ab',
    layer: 'flatten_1',
    normalise: 'zero-one',
    format: 'layers-model',
    batchSize: 16,
  },
  'inception-v3': {
    id: 'inception-v3',
    label: 'InceptionV3 (299 px, 2048-d)',
    inputSize: 299,
    channels: 3,
    dim: 2048,
    description: `InceptionV3, layer flatten_1 (global average pool of mixed10), 2048-d. ${NSFWJS_NOTE} ` +
      'Not the FID Inception network: FID values are comparable only with values computed with these weights.',
    weightsHash: '6f5e0d248410ce26b66db5fbe0abab119bb97c829f115f3825f10b3f3e783e9f',
    layer: 'flatten_1',
    normalise: 'zero-one',
    format: 'layers-model',
    batchSize: 4,
  },
};

export const PIXELS_SPEC: ExtractorSpec = {
  id: 'pixels',
  label: 'Pixels (64 x 64 grayscale, 4096-d)',
  inputSize: 64,
  channels: 1,
  dim: 64 * 64,
  description: 'The grayscale image resized to 64 x 64 and flattened row by row; values in [0,1]. No model, exact.',
  weightsHash: 'none',
  layer: null,
  normalise: 'zero-one',
  format: 'none',
};

/**
 * Image sides the app offers for the pixels extractor (d = side²). Smaller sides make the neighbour passes
 * cheaper (their cost grows with d): at 8 x 8 (d = 64) a 100,000 x 100,000 run is feasible on a laptop.
 */
export const PIXELS_SIDES = [8, 16, 32, 64] as const;

/**
 * The `pixels` extractor at another side: the grayscale image resized to size x size, flattened (the cnn
 * utility tier's input, src/core/utility/cnn.ts). Size 64 is PIXELS_SPEC itself; other sizes get the id
 * `pixels-<size>`, so their cached features never mix with another size's.
 */
export function pixelsSpec(size: number): ExtractorSpec {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`pixels: size must be a positive integer, got ${size}`);
  if (size === PIXELS_SPEC.inputSize) return PIXELS_SPEC;
  return {
    ...PIXELS_SPEC,
    id: `pixels-${size}`,
    label: `Pixels (${size} x ${size} grayscale, ${size * size}-d)`,
    inputSize: size,
    dim: size * size,
    description: `The grayscale image resized to ${size} x ${size} and flattened row by row; values in [0,1]. No model, exact.`,
  };
}

/** The pixels extractor at `size` (no TF.js): embed() returns the preprocessed images themselves. */
export function pixelsExtractor(size: number = PIXELS_SPEC.inputSize): Extractor {
  const spec = pixelsSpec(size);
  return {
    ...spec,
    async embed(batch: Float32Array, n: number): Promise<Float32Array> {
      if (!Number.isInteger(n) || n < 0) throw new Error(`bad image count ${n}`);
      if (batch.length !== n * spec.dim) {
        throw new Error(`pixels: batch has ${batch.length} values, expected ${n} x ${size} x ${size} x 1 = ${n * spec.dim}`);
      }
      return batch.slice();
    },
    dispose(): void {},
  };
}

export function publicSpec(s: ExtractorSpec): ExtractorSpec {
  const { id, label, inputSize, channels, dim, description, weightsHash, layer, normalise, format } = s;
  return { id, label, inputSize, channels, dim, description, weightsHash, layer, normalise, format };
}

/** The report's config.extractor: everything needed to compute the same features again (the app and the CLI write the same). */
export type ExtractorRecord = {
  id: string;
  weightsSha256: string;
  label: string;
  dim: number;
  inputSize: number;
  channels: 1 | 3;
  normalise: Normalise;
  layer: string | null;
  format: NonNullable<ExtractorSpec['format']> | null;
  description: string;
};

export function extractorRecord(s: ExtractorSpec): ExtractorRecord {
  return {
    id: s.id, weightsSha256: s.weightsHash, label: s.label, dim: s.dim, inputSize: s.inputSize, channels: s.channels,
    normalise: s.normalise ?? 'zero-one', layer: s.layer ?? null, format: s.format ?? null, description: s.description,
  };
}

/** The built-in extractors (custom models are described by the extractor loadExtractor returns). */
export function listExtractors(): ExtractorSpec[] {
  return [publicSpec(BUILTIN_MODELS['mobilenet-v2']), publicSpec(BUILTIN_MODELS['inception-v3']), publicSpec(PIXELS_SPEC)];
}

export function getExtractorSpec(id: string): ExtractorSpec | undefined {
  return listExtractors().find((s) => s.id === id);
}


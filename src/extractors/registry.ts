/**
 * Feature-extractor registry: one name, one implementation.
 *
 *  - `mobilenet-v2` (default): MobileNetV2, 224 px, 1280-d global-average-pool features.
 *  - `inception-v3`: InceptionV3, 299 px, 2048-d global-average-pool features.
 *    Both from models/ (converted from nsfwjs@4.4.0 by scripts/convert-nsfwjs-models.mjs):
 *    ImageNet-initialised then fine-tuned for content (NSFW) classification and
 *    uint8-quantised -- not plain ImageNet weights; see models/<id>/MODEL_CARD.md.
 *  - `pixels`: the 64 x 64 grayscale image itself, flattened (4096-d, values in [0,1]). No TF.
 *  - `custom`: a user-supplied TF.js layers or graph model, output layer and input size chosen by the user.
 *
 * embed() receives images already resized and channel-converted by
 * src/imaging/preprocess.ts (n x H x W x C, row-major, values in [0,1]); it only
 * applies the model's own input normalisation, runs the model in batches and
 * returns n x dim row-major float32 features.
 *
 * Runs in page, worker and Node: model bytes come in as a ModelSource (a URL
 * fetched here, or files already in memory); nothing here touches fs.
 */
import * as tf from '@tensorflow/tfjs';
import { fetchModelFiles, memoryHandler, readModelFiles, type LoadedModelFiles, type ModelFiles } from './modelFiles.ts';

export {
  BUILTIN_MODELS, DEFAULT_EXTRACTOR_ID, PIXELS_SPEC, getExtractorSpec, listExtractors, pixelsExtractor, pixelsSpec, publicSpec,
  type BuiltinModelId, type CustomExtractorOptions, type Extractor, type ExtractorId, type ExtractorSpec, type LoadOptions,
  type ModelSource, type Normalise,
} from './specs.ts';
import {
  BUILTIN_MODELS, PIXELS_SPEC, pixelsExtractor, publicSpec,
  type BuiltinModelId, type CustomExtractorOptions, type Extractor, type ExtractorId, type ExtractorSpec, type LoadOptions,
  type ModelSource, type Normalise,
} from './specs.ts';

/**
 * Default URL of a shipped model folder: `<Vite BASE_URL>models/<id>/`.
 * The app build must serve the repository's models/ folder at that path.
 */
export function defaultModelBaseUrl(id: BuiltinModelId): string {
  const base = (import.meta as { env?: { BASE_URL?: string } }).env?.BASE_URL ?? '/';
  return `${base.endsWith('/') ? base : `${base}/`}models/${id}/`;
}

async function readSource(source: ModelSource, fetchImpl?: typeof fetch): Promise<LoadedModelFiles> {
  let files: ModelFiles;
  if (source.kind === 'files') files = source.files;
  else files = await fetchModelFiles(source.baseUrl, fetchImpl ?? globalThis.fetch.bind(globalThis));
  return readModelFiles(files);
}

// ImageNet mean / std per RGB channel on [0,1] inputs (torchvision convention).
const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];

function normaliseTensor(x: tf.Tensor4D, mode: Normalise): tf.Tensor4D {
  switch (mode) {
    case 'zero-one':
      return x;
    case 'minus-one-one':
      return tf.sub(tf.mul(x, 2), 1) as tf.Tensor4D;
    case 'imagenet':
      return tf.div(tf.sub(x, tf.tensor1d(IMAGENET_MEAN)), tf.tensor1d(IMAGENET_STD)) as tf.Tensor4D;
  }
}

type Forward = { sync: (x: tf.Tensor4D) => tf.Tensor } | { async: (x: tf.Tensor4D) => Promise<tf.Tensor> };

type TfSpec = ExtractorSpec & { layer: string | null; normalise: Normalise; format: 'layers-model' | 'graph-model' };

/** Runs m images (a [m, H, W, C] tensor in [0,1]) through normalisation and the model; returns [m, values]. */
function makeRunner(forward: Forward, normalise: Normalise): (x: tf.Tensor4D) => Promise<tf.Tensor2D> {
  return async (x) => {
    const m = x.shape[0];
    if ('sync' in forward) {
      const f = forward.sync;
      return tf.tidy(() => f(normaliseTensor(x, normalise)).reshape([m, -1]) as tf.Tensor2D);
    }
    const xn = tf.tidy(() => normaliseTensor(x, normalise).clone());
    try {
      const y = await forward.async(xn);
      const flat = tf.tidy(() => y.reshape([m, -1]) as tf.Tensor2D);
      y.dispose();
      return flat;
    } finally {
      xn.dispose();
    }
  };
}

/**
 * A TF.js extractor as a plain object: its own enumerable properties are the
 * spec fields plus embed/dispose (so `{ embed, dispose, ...spec } = ex` and
 * structured cloning of the spec are safe); the model lives in the closure.
 */
function makeTfExtractor(
  spec: TfSpec,
  run: (x: tf.Tensor4D) => Promise<tf.Tensor2D>,
  owned: { dispose(): void }[],
  batchSize: number,
): Extractor {
  let disposed = false;
  const ex: Extractor = {
    ...spec,
    async embed(batch: Float32Array, n: number): Promise<Float32Array> {
      if (disposed) throw new Error(`extractor ${ex.id} has been disposed`);
      const { inputSize: s, channels: c, dim } = ex;
      const per = s * s * c;
      if (!Number.isInteger(n) || n < 0) throw new Error(`bad image count ${n}`);
      if (batch.length !== n * per) {
        throw new Error(`${ex.id}: batch has ${batch.length} values, expected ${n} x ${s} x ${s} x ${c} = ${n * per}`);
      }
      const out = new Float32Array(n * dim);
      for (let start = 0; start < n; start += batchSize) {
        const m = Math.min(batchSize, n - start);
        const x = tf.tensor4d(batch.subarray(start * per, (start + m) * per), [m, s, s, c], 'float32');
        let y: tf.Tensor2D;
        try {
          y = await run(x);
        } finally {
          x.dispose();
        }
        try {
          if (y.shape[1] !== dim) throw new Error(`${ex.id}: model produced ${y.shape[1]} values per image, expected ${dim}`);
          out.set(await y.data<'float32'>(), start * dim);
        } finally {
          y.dispose();
        }
      }
      return out;
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      for (const o of owned) o.dispose();
    },
  };
  return ex;
}

/** The spec fields of an extractor, without its functions (safe to store, clone or send to another thread). */
export function specOf(ex: ExtractorSpec): ExtractorSpec {
  return publicSpec(ex);
}

function checkInputShape(shape: (number | null)[] | undefined, size: number, channels: number, what: string): void {
  if (!shape || shape.length !== 4) return; // unknown rank: let the first forward pass decide
  const [, h, w, c] = shape;
  if ((h != null && h > 0 && h !== size) || (w != null && w > 0 && w !== size)) {
    throw new Error(`${what} expects ${h} x ${w} input, but input size ${size} was chosen`);
  }
  if (c != null && c > 0 && c !== channels) {
    throw new Error(`${what} expects ${c} input channels, but ${channels} were chosen`);
  }
}

/** Output width per image, found by a forward pass on zeros (this also warms the backend up). */
async function probeDim(run: (x: tf.Tensor4D) => Promise<tf.Tensor2D>, size: number, channels: number): Promise<number> {
  const x = tf.zeros([1, size, size, channels]) as tf.Tensor4D;
  try {
    const y = await run(x);
    try {
      await y.data();
      return y.shape[1];
    } finally {
      y.dispose();
    }
  } finally {
    x.dispose();
  }
}

async function buildLayersForward(
  loaded: LoadedModelFiles,
  outputLayer: string | undefined,
): Promise<{ forward: Forward; owned: { dispose(): void }[]; inputShape?: (number | null)[]; layer: string | null }> {
  const model = await tf.loadLayersModel(memoryHandler(loaded.artifacts));
  if (model.inputs.length !== 1) {
    model.dispose();
    throw new Error(`the model has ${model.inputs.length} inputs; one image input is required`);
  }
  let net: tf.LayersModel = model;
  let layer: string | null = null;
  if (outputLayer) {
    let l: tf.layers.Layer;
    try {
      l = model.getLayer(outputLayer);
    } catch {
      const names = model.layers.map((x) => x.name);
      model.dispose();
      throw new Error(`no layer named "${outputLayer}" (layers: ${names.slice(-12).join(', ')}${names.length > 12 ? ', ...' : ''})`);
    }
    const out = l.output;
    if (Array.isArray(out)) {
      model.dispose();
      throw new Error(`layer "${outputLayer}" has several outputs; choose a layer with one`);
    }
    net = tf.model({ inputs: model.inputs, outputs: out });
    layer = outputLayer;
  } else if (model.outputs.length !== 1) {
    model.dispose();
    throw new Error(`the model has ${model.outputs.length} outputs; choose an output layer`);
  }
  const predictor = net;
  return {
    forward: { sync: (x) => predictor.predict(x) as tf.Tensor },
    owned: [model], // the truncated view shares the weights of `model`
    inputShape: model.inputs[0].shape,
    layer,
  };
}

async function buildGraphForward(
  loaded: LoadedModelFiles,
  outputNode: string | undefined,
): Promise<{ forward: Forward; owned: { dispose(): void }[]; inputShape?: (number | null)[]; layer: string | null }> {
  const model = await tf.loadGraphModel(memoryHandler(loaded.artifacts));
  if (model.inputs.length !== 1) {
    model.dispose();
    throw new Error(`the graph model has ${model.inputs.length} inputs; one image input is required`);
  }
  const inputName = model.inputs[0].name;
  const outputs = outputNode ? outputNode : model.outputs.length === 1 ? undefined : null;
  if (outputs === null) {
    model.dispose();
    throw new Error(`the graph model has ${model.outputs.length} outputs; choose an output node`);
  }
  const single = (r: tf.Tensor | tf.Tensor[]): tf.Tensor => {
    if (Array.isArray(r)) {
      if (r.length !== 1) throw new Error('the chosen node has several outputs');
      return r[0];
    }
    return r;
  };
  // execute() cannot run graphs with control flow; executeAsync() can, so try the former once.
  let useAsync = false;
  const forward: Forward = {
    async: async (x) => {
      if (!useAsync) {
        try {
          return single(tf.tidy(() => model.execute({ [inputName]: x }, outputs)));
        } catch (e) {
          if (!/executeAsync|dynamic/i.test((e as Error).message)) throw e;
          useAsync = true;
        }
      }
      return single(await model.executeAsync({ [inputName]: x }, outputs));
    },
  };
  const shape = model.inputs[0].shape;
  return { forward, owned: [model], inputShape: shape ? shape.map((d) => (d < 0 ? null : d)) : undefined, layer: outputNode ?? null };
}

/**
 * Loads an extractor. `source` is required for 'custom'; for the shipped models
 * it defaults to defaultModelBaseUrl(id) (Node callers pass the files, see
 * src/cli/tfBackend.ts). The TF.js backend must already be set.
 */
export async function loadExtractor(
  id: ExtractorId,
  source?: ModelSource,
  custom?: CustomExtractorOptions,
  options: LoadOptions = {},
): Promise<Extractor> {
  // pixels: 64 x 64 by default; custom.inputSize asks for another side (the cnn utility tier's images)
  if (id === 'pixels') return pixelsExtractor(custom?.inputSize ?? PIXELS_SPEC.inputSize);

  if (id === 'mobilenet-v2' || id === 'inception-v3') {
    const spec = BUILTIN_MODELS[id];
    const loaded = await readSource(source ?? { kind: 'url', baseUrl: defaultModelBaseUrl(id) }, options.fetchImpl);
    if (loaded.weightsHash !== spec.weightsHash) {
      throw new Error(`${id}: weights hash ${loaded.weightsHash} is not the shipped ${spec.weightsHash}; the model files are not the ones in models/${id}/`);
    }
    if (loaded.format !== 'layers-model') throw new Error(`${id}: expected a layers model`);
    const built = await buildLayersForward(loaded, undefined);
    const run = makeRunner(built.forward, 'zero-one');
    try {
      checkInputShape(built.inputShape, spec.inputSize, spec.channels, id);
      const dim = await probeDim(run, spec.inputSize, spec.channels);
      if (dim !== spec.dim) throw new Error(`${id}: model outputs ${dim} values, expected ${spec.dim}`);
    } catch (e) {
      for (const o of built.owned) o.dispose();
      throw e;
    }
    return makeTfExtractor(
      { ...publicSpec(spec), layer: spec.layer ?? null, normalise: 'zero-one', format: 'layers-model' },
      run, built.owned, options.batchSize ?? spec.batchSize,
    );
  }

  if (id === 'custom') {
    if (!source) throw new Error('custom extractor: a model source (URL or files) is required');
    if (!custom) throw new Error('custom extractor: input size, channels and normalisation are required');
    const { inputSize, channels, normalise, outputLayer } = custom;
    if (!Number.isInteger(inputSize) || inputSize < 1) throw new Error(`custom extractor: bad input size ${inputSize}`);
    if (channels !== 1 && channels !== 3) throw new Error(`custom extractor: channels must be 1 or 3`);
    if (normalise === 'imagenet' && channels !== 3) throw new Error(`custom extractor: 'imagenet' normalisation needs 3 channels`);
    if (!['zero-one', 'minus-one-one', 'imagenet'].includes(normalise)) throw new Error(`custom extractor: unknown normalisation ${normalise}`);
    const loaded = await readSource(source, options.fetchImpl);
    const built = loaded.format === 'layers-model'
      ? await buildLayersForward(loaded, outputLayer || undefined)
      : await buildGraphForward(loaded, outputLayer || undefined);
    const run = makeRunner(built.forward, normalise);
    let dim: number;
    try {
      checkInputShape(built.inputShape, inputSize, channels, 'the custom model');
      try {
        dim = await probeDim(run, inputSize, channels);
      } catch (e) {
        throw new Error(`custom extractor: a test forward pass failed: ${(e as Error).message}`);
      }
    } catch (e) {
      for (const o of built.owned) o.dispose();
      throw e;
    }
    const kind = loaded.format === 'layers-model' ? 'layers' : 'graph';
    const at = built.layer ? `${kind === 'layers' ? 'layer' : 'node'} ${built.layer}` : 'model output';
    const spec: TfSpec = {
      id: 'custom',
      label: `Custom ${kind} model (${at}, ${inputSize} px, ${dim}-d)`,
      inputSize,
      channels,
      dim,
      description: `User-supplied TF.js ${kind} model; features from the ${at}, flattened to ${dim} values; ` +
        `input ${inputSize} x ${inputSize} x ${channels}, normalisation ${normalise}; ` +
        `${loaded.weightBytes} weight bytes in ${loaded.weightPaths.length} file(s).`,
      weightsHash: loaded.weightsHash,
      layer: built.layer,
      normalise,
      format: loaded.format,
    };
    return makeTfExtractor(spec, run, built.owned, options.batchSize ?? 16);
  }

  throw new Error(`unknown extractor "${id as string}"`);
}

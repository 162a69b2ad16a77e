#!/usr/bin/env node
/**
 * Converts the two Keras layers models bundled in the npm package nsfwjs@4.4.0
 * (MobileNetV2 at 224 px, InceptionV3 at 299 px) into plain TF.js files under
 * models/<id>/ and truncates them at the backbone's global average pool.
 *
 * Usage: node scripts/convert-nsfwjs-models.mjs            (writes models/)
 *        node scripts/convert-nsfwjs-models.mjs --check    (exit 1 if models/ differs)
 *
 * What it does, per model:
 *  1. Reads nsfwjs's dist/models/<name>/model.min.js and group1-shard*.min.js.
 *     These are browserify UMD bundles whose module.exports is the model.json
 *     object and the base64 text of each weight shard; they are loaded with
 *     require(), exactly as nsfwjs itself imports them.
 *  2. Rewrites the topology so that the model output is `flatten_1`, the
 *     Flatten after the AveragePooling2D whose pool size equals the final
 *     feature map (7x7 for MobileNetV2 at 224, 8x8 for InceptionV3 at 299),
 *     i.e. a global average pool: 1280-d and 2048-d. The classification head
 *     (dense_1..dense_3 and their dropouts) and its weights are removed, and
 *     the Keras training_config (SGD, categorical cross-entropy of the head) is
 *     dropped. The kept weight bytes are copied unchanged, uint8-quantised
 *     with their original quantization {min, scale}; TF.js dequantises them
 *     on load.
 *  3. Writes model.json + group1-shard<i>of<n>.bin (4 MiB shards, the TF.js
 *     converter's default), MODEL_CARD.md, and models/index.json.
 *
 * Deterministic: same input package, same bytes out (no timestamps, keys in
 * source order, model.json written compactly on one line).
 */
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const require = createRequire(join(root, 'package.json'));
// nsfwjs's "exports" hides package.json; resolve its main entry (dist/cjs/index.js) and go up two levels.
const nsfwRoot = resolve(dirname(require.resolve('nsfwjs')), '..', '..');
const nsfwPkg = JSON.parse(readFileSync(join(nsfwRoot, 'package.json'), 'utf8'));
const EXPECTED_NSFWJS = '4.4.0';
if (nsfwPkg.version !== EXPECTED_NSFWJS) {
  throw new Error(`nsfwjs ${nsfwPkg.version} found; this script and the model cards are written for ${EXPECTED_NSFWJS}`);
}

const SHARD_BYTES = 4 * 1024 * 1024;
const FEATURE_LAYER = 'flatten_1';
const HEAD_LAYERS = new Set(['dense_1', 'dropout_2', 'dense_2', 'dropout_3', 'dense_3']);

const MODELS = [
  {
    id: 'mobilenet-v2',
    nsfwName: 'mobilenet_v2',
    label: 'MobileNetV2 (224 px, 1280-d)',
    arch: 'MobileNetV2 (alpha 1.0)',
    inputSize: 224,
    dim: 1280,
    poolLayer: 'average_pooling2d_1',
    poolSize: 7,
    backboneOut: 'out_relu',
  },
  {
    id: 'inception-v3',
    nsfwName: 'inception_v3',
    label: 'InceptionV3 (299 px, 2048-d)',
    arch: 'InceptionV3',
    inputSize: 299,
    dim: 2048,
    poolLayer: 'average_pooling2d_10',
    poolSize: 8,
    backboneOut: 'mixed10',
  },
];

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const prod = (shape) => shape.reduce((a, b) => a * b, 1);
const BYTES = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2, bool: 1 };
function byteLength(w) {
  const dtype = w.quantization ? w.quantization.dtype : w.dtype;
  const b = BYTES[dtype];
  if (!b) throw new Error(`unsupported dtype ${dtype} for ${w.name}`);
  return prod(w.shape) * b;
}

function convert(spec) {
  const srcDir = join(nsfwRoot, 'dist', 'models', spec.nsfwName);
  const src = require(join(srcDir, 'model.min.js'));
  const topo = src.modelTopology;
  const cfg = topo.model_config.config;
  const layers = cfg.layers;

  // --- sanity checks on the source topology (fail loudly if nsfwjs changes) ---
  const byName = new Map(layers.map((l) => [l.name, l]));
  const input = layers[0];
  const shape = input.config.batch_input_shape;
  if (input.class_name !== 'InputLayer' || shape[1] !== spec.inputSize || shape[2] !== spec.inputSize || shape[3] !== 3) {
    throw new Error(`${spec.id}: unexpected input ${JSON.stringify(shape)}`);
  }
  const pool = byName.get(spec.poolLayer);
  if (!pool || pool.class_name !== 'AveragePooling2D' || pool.config.pool_size[0] !== spec.poolSize ||
      pool.config.pool_size[1] !== spec.poolSize || pool.config.padding !== 'valid' ||
      pool.inbound_nodes[0][0][0] !== spec.backboneOut) {
    throw new Error(`${spec.id}: ${spec.poolLayer} is not the expected ${spec.poolSize}x${spec.poolSize} pool over ${spec.backboneOut}`);
  }
  const flat = byName.get(FEATURE_LAYER);
  if (!flat || flat.class_name !== 'Flatten' || flat.inbound_nodes[0][0][0] !== spec.poolLayer) {
    throw new Error(`${spec.id}: ${FEATURE_LAYER} does not flatten ${spec.poolLayer}`);
  }
  const tail = layers.slice(layers.indexOf(flat) + 1).map((l) => l.name);
  if (tail.length !== HEAD_LAYERS.size || !tail.every((n) => HEAD_LAYERS.has(n))) {
    throw new Error(`${spec.id}: unexpected layers after ${FEATURE_LAYER}: ${tail.join(', ')}`);
  }

  // --- weights: decode shards, locate each tensor, drop the head ---
  if (src.weightsManifest.length !== 1) throw new Error(`${spec.id}: expected one weight group`);
  const group = src.weightsManifest[0];
  const shards = group.paths.map((p) => Buffer.from(require(join(srcDir, `${p}.min.js`)), 'base64'));
  const all = Buffer.concat(shards);
  let offset = 0;
  const kept = [];
  const keptBytes = [];
  for (const w of group.weights) {
    const n = byteLength(w);
    const layerName = w.name.split('/')[0];
    if (!HEAD_LAYERS.has(layerName)) {
      kept.push(w);
      keptBytes.push(all.subarray(offset, offset + n));
    }
    offset += n;
  }
  if (offset !== all.length) throw new Error(`${spec.id}: manifest describes ${offset} bytes, shards hold ${all.length}`);
  const weightData = Buffer.concat(keptBytes);

  // --- topology: keep layers up to flatten_1, output flatten_1 ---
  const newLayers = layers.filter((l) => !HEAD_LAYERS.has(l.name));
  const modelTopology = {
    keras_version: topo.keras_version,
    backend: topo.backend,
    model_config: {
      class_name: topo.model_config.class_name,
      config: {
        name: `${spec.id}-features`,
        layers: newLayers,
        input_layers: cfg.input_layers,
        output_layers: [[FEATURE_LAYER, 0, 0]],
      },
    },
  };

  // --- shards ---
  const nShards = Math.max(1, Math.ceil(weightData.length / SHARD_BYTES));
  const shardNames = [];
  const shardBufs = [];
  for (let i = 0; i < nShards; i++) {
    shardNames.push(`group1-shard${i + 1}of${nShards}.bin`);
    shardBufs.push(weightData.subarray(i * SHARD_BYTES, Math.min(weightData.length, (i + 1) * SHARD_BYTES)));
  }
  const modelJson = {
    format: 'layers-model',
    generatedBy: `keras v${topo.keras_version} (weights from nsfwjs@${nsfwPkg.version})`,
    convertedBy: 'SynthLens scripts/convert-nsfwjs-models.mjs',
    modelTopology,
    weightsManifest: [{ paths: shardNames, weights: kept }],
    userDefinedMetadata: {
      source: `npm:nsfwjs@${nsfwPkg.version} dist/models/${spec.nsfwName}`,
      featureLayer: FEATURE_LAYER,
      inputSize: spec.inputSize,
      inputRange: '[0,1] (RGB / 255)',
      dim: spec.dim,
    },
  };
  const modelJsonText = JSON.stringify(modelJson);
  return {
    spec,
    files: [
      ['model.json', Buffer.from(modelJsonText, 'utf8')],
      ...shardNames.map((n, i) => [n, shardBufs[i]]),
    ],
    weightsSha256: sha256(weightData),
    removedWeights: group.weights.length - kept.length,
    keptWeights: kept.length,
    weightBytes: weightData.length,
    sourceShardSha256: group.paths.map((p, i) => [`${p}.min.js (decoded)`, sha256(shards[i])]),
  };
}

function modelCard(r) {
  const { spec } = r;
  const fileRows = r.files.map(([name, buf]) => `| \`${name}\` | ${buf.length} | \`${sha256(buf)}\` |`).join('\n');
  const srcRows = r.sourceShardSha256.map(([n, h]) => `| \`${n}\` | \`${h}\` |`).join('\n');
  return `# ${spec.label} feature extractor

Generated by \`scripts/convert-nsfwjs-models.mjs\` (rerun it to reproduce these
files byte for byte; \`--check\` verifies them).

## What the weights are

**The weights are ImageNet-initialised then fine-tuned for content (NSFW)
classification, and uint8-quantised.** They are not plain ImageNet weights.
The ${spec.arch} backbone was created with \`keras.applications\` using
\`weights='imagenet'\`, a new head (AveragePooling2D, Flatten, Dense 256, Dense
128, Dense 5 softmax over Drawing / Hentai / Neutral / Porn / Sexy) was added,
and the network was fine-tuned on about 60 GB of web images
(GantMan/nsfw_model). nsfwjs then converted it to TF.js with uint8
weight quantisation. Features from this model are therefore not
interchangeable with features from an ImageNet-only ${spec.arch}${spec.id === 'inception-v3'
    ? ', and in particular not with the pool3 features of the TensorFlow FID Inception network'
    : ''}: FID and similar numbers computed with it are comparable only with
numbers computed with these exact weights (see the hash below).

## Source and licence

- Package: npm \`nsfwjs@${nsfwPkg.version}\`, files \`dist/models/${spec.nsfwName}/model.min.js\`
  and \`group1-shard*.min.js\` (browserify bundles of model.json and base64 weight
  shards). Licence of the package: MIT, "Copyright (c) 2019 Infinite Red, Inc."
  (\`node_modules/nsfwjs/LICENSE\`, \`package.json\` \`"license": "MIT"\`).
- Upstream model: github.com/GantMan/nsfw_model, MIT licence, "Copyright (c)
  2020 The nsfw_model Developers". Training scripts:
  \`training/${spec.id === 'mobilenet-v2' ? 'mobilenetv2' : 'inceptionv3'}_transfer/train_initialization.py\`.
- The ImageNet initialisation came from the Keras applications weights; the
  ImageNet images themselves are under the ImageNet terms of access. Anyone
  redistributing these weights commercially should review those terms.

## What was changed

- Output moved from \`dense_3\` (5 class probabilities) to \`${FEATURE_LAYER}\`:
  the Flatten after \`${spec.poolLayer}\` (AveragePooling2D, pool ${spec.poolSize}x${spec.poolSize},
  valid padding) over \`${spec.backboneOut}\`, whose feature map is exactly
  ${spec.poolSize}x${spec.poolSize} at ${spec.inputSize} px, so it is the global
  average pool of the backbone.
- The head layers \`dense_1\`, \`dropout_2\`, \`dense_2\`, \`dropout_3\`, \`dense_3\` and
  their ${r.removedWeights} weight tensors were removed; the Keras \`training_config\`
  (of the head's loss) was dropped. The ${r.keptWeights} remaining weight tensors are
  byte-for-byte the nsfwjs bytes (uint8 with the original quantisation min/scale),
  repacked into 4 MiB shards.
- Chosen over selecting the layer at load time so that the shipped file is the
  extractor itself (no head bytes to download, no layer name to know).

## Use

| | |
|---|---|
| Input | \`[n, ${spec.inputSize}, ${spec.inputSize}, 3]\` float32, RGB |
| Normalisation | pixel / 255, i.e. values in [0, 1] (nsfwjs \`NSFWJS.infer\` divides by 255; the training generator used \`rescale=1./255\`). No mean/std, no [-1, 1] |
| Resize (nsfwjs) | bilinear with \`alignCorners = true\` when the image is not ${spec.inputSize} px; SynthLens does its own resize in \`src/imaging/preprocess.ts\` |
| Layer | \`${FEATURE_LAYER}\` (global average pool of \`${spec.backboneOut}\`) |
| Output | \`[n, ${spec.dim}]\` float32, non-negative |

Registry id: \`${spec.id}\` (\`src/extractors/registry.ts\`).

## Hashes (SHA-256)

Weights hash used in reports (\`weightsSha256\` in \`models/index.json\`, the
extractor's \`weightsHash\`): SHA-256 of the concatenated weight shards in
manifest order = \`${r.weightsSha256}\` (${r.weightBytes} bytes).

| File | Bytes | SHA-256 |
|---|---|---|
${fileRows}

Source shards in nsfwjs@${nsfwPkg.version} (base64-decoded, including the head):

| File | SHA-256 |
|---|---|
${srcRows}
`;
}

const check = process.argv.includes('--check');
const results = MODELS.map(convert);
const outputs = new Map(); // relative path -> Buffer
for (const r of results) {
  for (const [name, buf] of r.files) outputs.set(`${r.spec.id}/${name}`, buf);
  outputs.set(`${r.spec.id}/MODEL_CARD.md`, Buffer.from(modelCard(r), 'utf8'));
}
const index = {
  source: `npm:nsfwjs@${nsfwPkg.version}`,
  note: 'ImageNet-initialised then fine-tuned for content (NSFW) classification, uint8-quantised; truncated at the global average pool. weightsSha256 = SHA-256 of the weight shards concatenated in manifest order.',
  models: results.map((r) => ({
    id: r.spec.id,
    path: `${r.spec.id}/`,
    inputSize: r.spec.inputSize,
    dim: r.spec.dim,
    weightsSha256: r.weightsSha256,
    modelJsonSha256: sha256(r.files[0][1]),
    files: r.files.map(([n]) => n),
  })),
};
outputs.set('index.json', Buffer.from(JSON.stringify(index, null, 2) + '\n', 'utf8'));

const modelsDir = join(root, 'models');
let differ = 0;
for (const [rel, buf] of outputs) {
  const p = join(modelsDir, rel);
  if (check) {
    if (!existsSync(p) || !readFileSync(p).equals(buf)) {
      console.error(`differs: models/${rel}`);
      differ++;
    }
  } else {
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, buf);
  }
}
if (!check) {
  // remove stale shards from an earlier run with a different shard count
  for (const r of results) {
    const dir = join(modelsDir, r.spec.id);
    for (const f of readdirSync(dir)) {
      if (!outputs.has(`${r.spec.id}/${f}`)) rmSync(join(dir, f));
    }
  }
}
for (const r of results) {
  console.log(`${r.spec.id}: ${r.keptWeights} tensors kept, ${r.removedWeights} head tensors removed, ` +
    `${r.weightBytes} weight bytes in ${r.files.length - 1} shard(s), weightsSha256 ${r.weightsSha256}`);
}
if (check) {
  if (differ) { console.error(`${differ} file(s) differ; run node scripts/convert-nsfwjs-models.mjs`); process.exit(1); }
  console.log('models/ is up to date');
}

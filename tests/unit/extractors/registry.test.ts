import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend, modelsDir, readModelDir } from '../../../src/cli/tfBackend.ts';
import { fetchModelFiles, readModelFiles } from '../../../src/extractors/modelFiles.ts';
import { DEFAULT_EXTRACTOR_ID, getExtractorSpec, listExtractors, loadExtractor, specOf, type ModelSource } from '../../../src/extractors/registry.ts';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  expect(['wasm', 'cpu']).toContain(await initNodeBackend('wasm'));
});

describe('registry', () => {
  it('lists the built-in extractors with their shapes', () => {
    const specs = listExtractors();
    expect(specs.map((s) => [s.id, s.inputSize, s.channels, s.dim])).toEqual([
      ['mobilenet-v2', 224, 3, 1280],
      ['inception-v3', 299, 3, 2048],
      ['pixels', 64, 1, 4096],
    ]);
    expect(DEFAULT_EXTRACTOR_ID).toBe('mobilenet-v2');
    expect(getExtractorSpec('pixels')!.weightsHash).toBe('none');
    expect(getExtractorSpec('nope')).toBeUndefined();
    for (const s of specs.slice(0, 2)) expect(s.description).toMatch(/ImageNet-initialised then fine-tuned for content \(NSFW\) classification/);
    // specs are copies: mutating one does not change the registry
    specs[0].dim = 1;
    expect(listExtractors()[0].dim).toBe(1280);
  });

  it('weight hashes in the registry = models/index.json = SHA-256 of the shard files (node:crypto)', () => {
    const index = JSON.parse(readFileSync(join(modelsDir(), 'index.json'), 'utf8'));
    for (const m of index.models) {
      const dir = join(modelsDir(), m.path);
      const json = readFileSync(join(dir, 'model.json'));
      const paths: string[] = JSON.parse(json.toString()).weightsManifest.flatMap((g: { paths: string[] }) => g.paths);
      const shards = paths.map((p) => readFileSync(join(dir, p)));
      const concat = createHash('sha256');
      for (const s of shards) concat.update(s);
      const weightsHash = concat.digest('hex');
      expect(getExtractorSpec(m.id)!.weightsHash).toBe(weightsHash);
      expect(m.weightsSha256).toBe(weightsHash);
      expect(m.modelJsonSha256).toBe(sha(json));
      expect([m.inputSize, m.dim]).toEqual([getExtractorSpec(m.id)!.inputSize, getExtractorSpec(m.id)!.dim]);
      // the model card states the hash of every file and the provenance sentence
      const card = readFileSync(join(dir, 'MODEL_CARD.md'), 'utf8');
      expect(card).toContain(weightsHash);
      expect(card).toContain(sha(json));
      for (const s of shards) expect(card).toContain(sha(s));
      expect(card).toContain('ImageNet-initialised then fine-tuned for content (NSFW)\nclassification, and uint8-quantised');
    }
  });

  it('readModelFiles hashes the shards in manifest order and rejects altered or missing files', async () => {
    const src = await readModelDir(join(modelsDir(), 'mobilenet-v2'));
    const loaded = await readModelFiles(src.files);
    expect(loaded.format).toBe('layers-model');
    expect(loaded.weightsHash).toBe(getExtractorSpec('mobilenet-v2')!.weightsHash);

    const altered = new Map(src.files);
    const shard = altered.get('group1-shard1of1.bin')!.slice();
    shard[12345] ^= 1;
    altered.set('group1-shard1of1.bin', shard);
    await expect(loadExtractor('mobilenet-v2', { kind: 'files', files: altered })).rejects.toThrow(/weights hash/);

    const missing = new Map(src.files);
    missing.delete('group1-shard1of1.bin');
    await expect(readModelFiles(missing)).rejects.toThrow(/missing/);

    const short = new Map(src.files);
    short.set('group1-shard1of1.bin', shard.subarray(1));
    await expect(readModelFiles(short)).rejects.toThrow(/weight bytes/);
  });

  it('fetchModelFiles reads model.json and the shards it names from a URL', async () => {
    const src = await readModelDir(join(modelsDir(), 'mobilenet-v2'));
    const asked: string[] = [];
    const fakeFetch = (async (url: string) => {
      asked.push(url);
      const name = url.slice(url.lastIndexOf('/') + 1);
      const b = src.files.get(name);
      return new Response(b ? (b as Uint8Array<ArrayBuffer>) : null, { status: b ? 200 : 404 });
    }) as unknown as typeof fetch;
    const files = await fetchModelFiles('https://example.invalid/app/models/mobilenet-v2', fakeFetch);
    expect(asked).toEqual([
      'https://example.invalid/app/models/mobilenet-v2/model.json',
      'https://example.invalid/app/models/mobilenet-v2/group1-shard1of1.bin',
    ]);
    expect((await readModelFiles(files)).weightsHash).toBe(getExtractorSpec('mobilenet-v2')!.weightsHash);
    await expect(fetchModelFiles('https://example.invalid/none/', (async () => new Response(null, { status: 404 })) as unknown as typeof fetch))
      .rejects.toThrow(/404/);
  });
});

describe('pixels extractor', () => {
  it('returns the 64 x 64 grayscale values unchanged, row-major per image', async () => {
    const ex = await loadExtractor('pixels');
    expect([ex.id, ex.inputSize, ex.channels, ex.dim, ex.weightsHash]).toEqual(['pixels', 64, 1, 4096, 'none']);
    const n = 3;
    const batch = new Float32Array(n * 4096);
    for (let k = 0; k < n; k++) for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) batch[k * 4096 + y * 64 + x] = ((x + 2 * y + 5 * k) % 64) / 63;
    const f = await ex.embed(batch, n);
    expect(f).not.toBe(batch);
    expect(f.length).toBe(n * 4096);
    // image 1, row 2, column 3 -> (3 + 4 + 5) / 63
    expect(f[1 * 4096 + 2 * 64 + 3]).toBe(Math.fround(12 / 63));
    expect(Array.from(f)).toEqual(Array.from(batch));
    await expect(ex.embed(batch, 2)).rejects.toThrow(/expected 2 x 64 x 64 x 1/);
    expect((await ex.embed(new Float32Array(0), 0)).length).toBe(0);
    ex.dispose();
  });
});

/** model.json + one weight file from artifacts saved to memory by tf.io.withSaveHandler. */
async function saveToFiles(model: tf.LayersModel, prefix = ''): Promise<{ files: Map<string, Uint8Array>; weights: Uint8Array }> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    saved = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const weights = new Uint8Array(saved!.weightData as ArrayBuffer);
  const json = {
    format: 'layers-model',
    generatedBy: 'test',
    convertedBy: null,
    modelTopology: saved!.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: saved!.weightSpecs }],
  };
  return {
    files: new Map([[`${prefix}model.json`, new TextEncoder().encode(JSON.stringify(json))], [`${prefix}weights.bin`, weights]]),
    weights,
  };
}

describe('custom extractor: layers model', () => {
  // 4x4x1 input -> flatten -> dense "feat" (3 units, linear) -> dense "head" (2 units, softmax)
  const W = Array.from({ length: 16 * 3 }, (_, i) => ((i * 7) % 11) / 10 - 0.5);
  const B = [0.1, -0.2, 0.3];
  let src: ModelSource;
  let weightsSha = '';

  beforeAll(async () => {
    const m = tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape: [4, 4, 1], name: 'flat' }),
        tf.layers.dense({ units: 3, name: 'feat' }),
        tf.layers.dense({ units: 2, name: 'head', activation: 'softmax' }),
      ],
    });
    m.getLayer('feat').setWeights([tf.tensor2d(W, [16, 3]), tf.tensor1d(B)]);
    const { files, weights } = await saveToFiles(m, 'dropped-folder/');
    m.dispose();
    src = { kind: 'files', files };
    weightsSha = sha(weights);
  });

  const images = (n: number) => Float32Array.from({ length: n * 16 }, (_, i) => ((i * 5) % 17) / 16);

  it('selects a layer by name and applies the chosen normalisation (hand-computed)', async () => {
    const ex = await loadExtractor('custom', src, { outputLayer: 'feat', inputSize: 4, channels: 1, normalise: 'minus-one-one' }, { batchSize: 2 });
    expect([ex.id, ex.inputSize, ex.channels, ex.dim, ex.weightsHash, ex.layer, ex.normalise, ex.format])
      .toEqual(['custom', 4, 1, 3, weightsSha, 'feat', 'minus-one-one', 'layers-model']);
    expect(ex.label).toContain('feat');
    // the extractor's own properties are the spec plus embed/dispose, so spreading or cloning it is safe
    const { embed: _e, dispose: _d, ...rest } = ex;
    expect(Object.keys(rest).sort()).toEqual(['channels', 'description', 'dim', 'format', 'id', 'inputSize', 'label', 'layer', 'normalise', 'weightsHash']);
    expect(structuredClone(specOf(ex))).toEqual(JSON.parse(JSON.stringify(rest)));
    const n = 5; // 3 forward passes of 2, 2, 1
    const x = images(n);
    const before = tf.memory().numTensors;
    const f = await ex.embed(x, n);
    expect(tf.memory().numTensors).toBe(before); // no tensor leaks per call
    for (let k = 0; k < n; k++) {
      for (let j = 0; j < 3; j++) {
        let v = B[j];
        for (let i = 0; i < 16; i++) v += (2 * x[k * 16 + i] - 1) * Math.fround(W[i * 3 + j]);
        expect(f[k * 3 + j]).toBeCloseTo(v, 5);
      }
    }
    ex.dispose();
    await expect(ex.embed(x, n)).rejects.toThrow(/disposed/);
  });

  it("uses the model's own output when no layer is named", async () => {
    const ex = await loadExtractor('custom', src, { inputSize: 4, channels: 1, normalise: 'zero-one' });
    expect(ex.dim).toBe(2);
    expect(ex.layer).toBeNull();
    const f = await ex.embed(images(2), 2);
    expect(f[0] + f[1]).toBeCloseTo(1, 6);
    expect(f[2] + f[3]).toBeCloseTo(1, 6);
    ex.dispose();
  });

  it('rejects an unknown layer, a wrong input size or channel count, and a wrong batch length', async () => {
    await expect(loadExtractor('custom', src, { outputLayer: 'nope', inputSize: 4, channels: 1, normalise: 'zero-one' })).rejects.toThrow(/no layer named "nope"/);
    await expect(loadExtractor('custom', src, { inputSize: 5, channels: 1, normalise: 'zero-one' })).rejects.toThrow(/expects 4 x 4 input/);
    await expect(loadExtractor('custom', src, { inputSize: 4, channels: 3, normalise: 'zero-one' })).rejects.toThrow(/channels/);
    await expect(loadExtractor('custom', src, { inputSize: 4, channels: 1, normalise: 'imagenet' })).rejects.toThrow(/3 channels/);
    await expect(loadExtractor('custom', undefined, { inputSize: 4, channels: 1, normalise: 'zero-one' })).rejects.toThrow(/source/);
    const ex = await loadExtractor('custom', src, { inputSize: 4, channels: 1, normalise: 'zero-one' });
    await expect(ex.embed(new Float32Array(15), 1)).rejects.toThrow(/expected 1 x 4 x 4 x 1/);
    ex.dispose();
  });

  it('imagenet and minus-one-one normalisation on RGB input through an identity layer', async () => {
    const m = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [2, 2, 3] }), tf.layers.dense({ units: 12, useBias: false, name: 'id' })] });
    m.getLayer('id').setWeights([tf.eye(12)]);
    const { files } = await saveToFiles(m);
    m.dispose();
    const x = Float32Array.from({ length: 12 }, (_, i) => i / 11);
    const mean = [0.485, 0.456, 0.406];
    const std = [0.229, 0.224, 0.225];
    const inet = await loadExtractor('custom', { kind: 'files', files }, { inputSize: 2, channels: 3, normalise: 'imagenet' });
    const f = await inet.embed(x, 1);
    for (let i = 0; i < 12; i++) expect(f[i]).toBeCloseTo((x[i] - mean[i % 3]) / std[i % 3], 5);
    inet.dispose();
    const pm = await loadExtractor('custom', { kind: 'files', files }, { inputSize: 2, channels: 3, normalise: 'minus-one-one' });
    const g = await pm.embed(x, 1);
    for (let i = 0; i < 12; i++) expect(g[i]).toBeCloseTo(2 * x[i] - 1, 6);
    pm.dispose();
  });
});

describe('custom extractor: graph model', () => {
  // Hand-written GraphDef: x[-1,2,2,1] -> Reshape [-1,4] -> MatMul w[4,2] ("mm") -> Relu ("out")
  const w = [1, -1, 2, 0.5, -3, 1, 0.25, -2];
  const dimList = (d: number[]) => ({ dim: d.map((s) => ({ size: String(s) })) });
  const json = {
    format: 'graph-model',
    generatedBy: 'hand-written test graph',
    convertedBy: null,
    modelTopology: {
      node: [
        { name: 'x', op: 'Placeholder', attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: dimList([-1, 2, 2, 1]) } } },
        { name: 'shape', op: 'Const', attr: { dtype: { type: 'DT_INT32' }, value: { tensor: { dtype: 'DT_INT32', tensorShape: dimList([2]) } } } },
        { name: 'w', op: 'Const', attr: { dtype: { type: 'DT_FLOAT' }, value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dimList([4, 2]) } } } },
        { name: 'flat', op: 'Reshape', input: ['x', 'shape'], attr: { T: { type: 'DT_FLOAT' }, Tshape: { type: 'DT_INT32' } } },
        { name: 'mm', op: 'MatMul', input: ['flat', 'w'], attr: { T: { type: 'DT_FLOAT' }, transpose_a: { b: false }, transpose_b: { b: false } } },
        { name: 'out', op: 'Relu', input: ['mm'], attr: { T: { type: 'DT_FLOAT' } } },
      ],
      library: {},
      versions: { producer: 1 },
    },
    weightsManifest: [{
      paths: ['graph.bin'],
      weights: [{ name: 'shape', shape: [2], dtype: 'int32' }, { name: 'w', shape: [4, 2], dtype: 'float32' }],
    }],
  };
  const bin = new Uint8Array(8 + 32);
  new Int32Array(bin.buffer, 0, 2).set([-1, 4]);
  new Float32Array(bin.buffer, 8, 8).set(w);
  const src: ModelSource = { kind: 'files', files: new Map([['model.json', new TextEncoder().encode(JSON.stringify(json))], ['graph.bin', bin]]) };
  const x = Float32Array.from([0.1, 0.2, 0.3, 0.4, 0.9, 0.8, 0.7, 0.6, 0, 1, 0, 1]);
  const mm = (k: number) => [0, 1].map((j) => [0, 1, 2, 3].reduce((a, i) => a + x[k * 4 + i] * w[i * 2 + j], 0));

  it('runs to a named node and to the default output, with the weights hash of graph.bin', async () => {
    const atNode = await loadExtractor('custom', src, { outputLayer: 'mm', inputSize: 2, channels: 1, normalise: 'zero-one' });
    expect([atNode.dim, atNode.layer, atNode.format, atNode.weightsHash]).toEqual([2, 'mm', 'graph-model', sha(bin)]);
    const f = await atNode.embed(x, 3);
    const out = await loadExtractor('custom', src, { inputSize: 2, channels: 1, normalise: 'zero-one' }, { batchSize: 2 });
    const before = tf.memory().numTensors;
    const g = await out.embed(x, 3);
    expect(tf.memory().numTensors).toBe(before);
    for (let k = 0; k < 3; k++) {
      const want = mm(k);
      expect(want.some((v) => v < 0)).toBe(true); // so Relu changes the default output
      for (let j = 0; j < 2; j++) {
        expect(f[k * 2 + j]).toBeCloseTo(want[j], 5);
        expect(g[k * 2 + j]).toBeCloseTo(Math.max(0, want[j]), 5);
      }
    }
    const held = tf.memory().numTensors;
    atNode.dispose();
    out.dispose();
    expect(tf.memory().numTensors).toBeLessThan(held); // the weights are released
    await expect(loadExtractor('custom', src, { inputSize: 3, channels: 1, normalise: 'zero-one' })).rejects.toThrow(/expects 2 x 2 input/);
  });
});

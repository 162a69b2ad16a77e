/**
 * The shipped models in models/ against nsfwjs@4.4.0 itself.
 *
 * Reference: fixtures/nsfwjs-reference.json, written by
 * fixtures/make-nsfwjs-reference.mts with nsfwjs's own loader and model
 * bundles (full classification model, normalisation pixels / 255):
 *  - `feature` = NSFWJS.infer(img, 'flatten_1'),
 *  - `probs`   = NSFWJS.classify(img) probabilities in class order.
 * Independent check of the conversion: our 1280-d / 2048-d features, pushed
 * through nsfwjs's dense head (dense_1 relu, dense_2 relu, dense_3 softmax)
 * decoded here in float64 straight from nsfwjs's base64 shards, must give
 * nsfwjs's classify() probabilities within 1e-4.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend, shippedModelSource } from '../../../src/cli/tfBackend.ts';
import { loadExtractor } from '../../../src/extractors/registry.ts';
import { syntheticBatch } from './synthetic.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..', '..');
const REF = JSON.parse(readFileSync(join(here, 'fixtures', 'nsfwjs-reference.json'), 'utf8'));

type Row = { feature: number[]; probs: number[] };

/** nsfwjs's dense head, dequantised (q * scale + min, rounded to float32 as TF.js does) from its package files. */
function nsfwjsHead(name: 'mobilenet_v2' | 'inception_v3') {
  const require = createRequire(import.meta.url);
  const dir = resolve(dirname(require.resolve('nsfwjs')), '..', 'models', name);
  const json = require(join(dir, 'model.min.js'));
  const group = json.weightsManifest[0];
  const bytes = Buffer.concat(group.paths.map((p: string) => Buffer.from(require(join(dir, `${p}.min.js`)), 'base64')));
  const w = new Map<string, { shape: number[]; v: Float64Array }>();
  let off = 0;
  for (const spec of group.weights) {
    const n = spec.shape.reduce((a: number, b: number) => a * b, 1);
    expect(spec.quantization.dtype).toBe('uint8');
    if (spec.name.startsWith('dense_')) {
      const v = new Float64Array(n);
      for (let i = 0; i < n; i++) v[i] = Math.fround(bytes[off + i] * spec.quantization.scale + spec.quantization.min);
      w.set(spec.name, { shape: spec.shape, v });
    }
    off += n;
  }
  expect(off).toBe(bytes.length);
  const dense = (x: Float64Array, layer: string, relu: boolean) => {
    const k = w.get(`${layer}/kernel`)!;
    const b = w.get(`${layer}/bias`)!;
    const [nin, nout] = k.shape;
    expect(x.length).toBe(nin);
    const y = new Float64Array(nout);
    for (let j = 0; j < nout; j++) {
      let s = b.v[j];
      for (let i = 0; i < nin; i++) s += x[i] * k.v[i * nout + j];
      y[j] = relu ? Math.max(0, s) : s;
    }
    return y;
  };
  return (feature: ArrayLike<number>) => {
    const logits = dense(dense(dense(Float64Array.from(feature), 'dense_1', true), 'dense_2', true), 'dense_3', false);
    const mx = Math.max(...logits);
    const e = logits.map((l) => Math.exp(l - mx));
    const z = e.reduce((a, b) => a + b, 0);
    return { probs: Array.from(e, (v) => v / z), logits: Array.from(logits) };
  };
}

function expectFeatureClose(got: Float32Array, want: number[]) {
  expect(got.length).toBe(want.length);
  const scale = Math.max(...want.map(Math.abs));
  let maxDiff = 0;
  for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i] - want[i]));
  expect(scale).toBeGreaterThan(0.1);
  expect(maxDiff).toBeLessThanOrEqual(1e-4 * scale);
}

function expectHeadMatches(head: ReturnType<typeof nsfwjsHead>, feature: Float32Array, want: number[]) {
  const { probs, logits } = head(feature);
  for (let c = 0; c < 5; c++) expect(Math.abs(probs[c] - want[c])).toBeLessThanOrEqual(1e-4);
  // log-probability ratios are logit differences: a sharper test than probabilities near 0 or 1
  for (let c = 0; c < 5; c++) {
    expect(Math.abs(Math.log(want[c] / want[2]) - (logits[c] - logits[2]))).toBeLessThanOrEqual(2e-3);
  }
}

let backend = '';
beforeAll(async () => {
  backend = await initNodeBackend('wasm');
});

describe('shipped models', () => {
  it('models/ is exactly what scripts/convert-nsfwjs-models.mjs produces from nsfwjs@4.4.0', () => {
    const out = execFileSync(process.execPath, [join(repo, 'scripts', 'convert-nsfwjs-models.mjs'), '--check'], { encoding: 'utf8' });
    expect(out).toContain('models/ is up to date');
  });

  it('mobilenet-v2: 1280-d features match nsfwjs, reproduce its classify() through its head, and are deterministic', async () => {
    expect(backend).toBe('wasm');
    const ex = await loadExtractor('mobilenet-v2', await shippedModelSource('mobilenet-v2'), undefined, { batchSize: 1 });
    expect([ex.dim, ex.inputSize, ex.channels]).toEqual([1280, 224, 3]);
    const ref = REF.models['mobilenet-v2'];
    expect(ref.dim).toBe(1280);
    const x = syntheticBatch(224, 2);
    const f = await ex.embed(x, 2); // two forward passes (batchSize 1)
    const head = nsfwjsHead('mobilenet_v2');
    ref.rows.forEach((row: Row, k: number) => {
      const fk = f.subarray(k * 1280, (k + 1) * 1280);
      expectFeatureClose(fk, row.feature);
      expectHeadMatches(head, fk, row.probs);
    });
    // the two images differ, and a rerun gives identical values
    expect(f.subarray(0, 1280)).not.toEqual(f.subarray(1280));
    expect(await ex.embed(x, 2)).toEqual(f);
    // wrong normalisation would be caught: features of the [0,255] or [-1,1] image are far from the reference
    const wrong = await ex.embed(x.map((v) => 2 * v - 1), 2);
    expect(() => expectFeatureClose(wrong.subarray(0, 1280), ref.rows[0].feature)).toThrow();
    ex.dispose();
  });

  it('inception-v3: 2048-d features of one image match nsfwjs and reproduce its classify()', async () => {
    const ex = await loadExtractor('inception-v3', await shippedModelSource('inception-v3'));
    expect([ex.dim, ex.inputSize, ex.channels]).toEqual([2048, 299, 3]);
    const row: Row = REF.models['inception-v3'].rows[0];
    const f = await ex.embed(syntheticBatch(299, 1), 1);
    expectFeatureClose(f, row.feature);
    expectHeadMatches(nsfwjsHead('inception_v3'), f, row.probs);
    ex.dispose();
  });
});

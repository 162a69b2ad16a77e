/**
 * Dev tool (not a test): embeds the built-in demo phantoms (src/demo/phantoms.ts, default counts) with the
 * shipped MobileNetV2 in Node (wasm backend) and writes the features to a binary file, so that the utility
 * defaults can be tuned and timed on the demo's real features without the browser.
 *
 *   npx tsx tests/unit/utility/bench/extractDemoFeatures.ts /tmp/demo-mobilenet.bin
 *
 * Output: a JSON header line (sets: name, n, dim, labels) followed by the float32 rows of every set in order.
 */
import { writeFileSync } from 'node:fs';
import { initNodeBackend, shippedModelSource } from '../../../../src/cli/tfBackend.ts';
import { loadExtractor } from '../../../../src/extractors/registry.ts';
import { preprocess } from '../../../../src/imaging/preprocess.ts';
import { generateDemo, demoSets } from '../../../../src/demo/phantoms.ts';

const out = process.argv[2] ?? '/tmp/demo-mobilenet.bin';
const backend = await initNodeBackend('wasm');
const ex = await loadExtractor('mobilenet-v2', await shippedModelSource('mobilenet-v2'));
const t0 = performance.now();
const header: { name: string; n: number; dim: number; labels: string[] }[] = [];
const chunks: Float32Array[] = [];
for (const set of demoSets(generateDemo())) {
  const size = ex.inputSize * ex.inputSize * ex.channels;
  const feats = new Float32Array(set.images.length * ex.dim);
  for (let b = 0; b < set.images.length; b += 16) {
    const imgs = set.images.slice(b, b + 16);
    const batch = new Float32Array(imgs.length * size);
    imgs.forEach((im, i) => {
      const data = Float32Array.from(im.pixels, (v) => v / 255);
      batch.set(preprocess({ width: set.width, height: set.height, channels: 1, data, meta: { format: 'png', bitDepth: 8 } }, { size: ex.inputSize, channels: ex.channels, aspect: 'stretch', filter: set.width > ex.inputSize ? 'area' : 'bilinear' }), i * size);
    });
    feats.set(await ex.embed(batch, imgs.length), b * ex.dim);
  }
  header.push({ name: set.name, n: set.images.length, dim: ex.dim, labels: set.images.map((i) => i.label) });
  chunks.push(feats);
  console.error(`${set.name}: ${set.images.length} images, ${((performance.now() - t0) / 1000).toFixed(1)} s (${backend})`);
}
const head = Buffer.from(JSON.stringify(header) + '\n');
writeFileSync(out, Buffer.concat([head, ...chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength))]));
console.error(`wrote ${out}`);

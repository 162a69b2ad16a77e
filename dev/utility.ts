/**
 * Dev harness for the utility section (not part of the production build). The RunResult comes from
 * the results views' demo builder (src/ui/results/demoResult.ts, real core, utility off); the utility
 * report is either the demo's MobileNetV2 report (dev/utility-mobilenet.json, written by
 * tests/unit/utility/bench/makeDevFixture.ts) or computed here with runUtility on 16 x 16 pooled
 * pixels of the demo phantoms, with image-level simple augmentation (src/imaging/augment.ts) and a
 * cross-task set (standard vs shifted population). When done, <body data-ready="true">.
 * Query: ?variant=mobilenet|complete|skips|none
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { mount } from 'svelte';
import { UtilitySection } from '../src/ui/utility/index.ts';
import { buildDemoResult } from '../src/ui/results/demoResult.ts';
import type { RunResult } from '../src/app/types.ts';
import type { UtilityReport } from '../src/core/utility/types.ts';
import { makeFeatureSet, type FeatureSet } from '../src/core/features/featureSet.ts';
import { DEFAULT_PROBE_CONFIG, runUtility } from '../src/core/utility/index.ts';
import { augmentImage, augmentationSeed, describeAugmentationRun } from '../src/imaging/augment.ts';
import { generateDemoSet, type DemoSet, type DemoSetName } from '../src/demo/phantoms.ts';
import mobilenetReport from './utility-mobilenet.json';
import '../src/ui/global.css';

const params = new URLSearchParams(location.search);
const variant = params.get('variant') ?? 'mobilenet';
const status = document.getElementById('status')!;
const target = document.getElementById('app')!;

const POOL = 8;
function pooled(images: { pixels: Float32Array; label: string }[], size: number): FeatureSet {
  const side = size / POOL;
  const dim = side * side;
  const data = new Float32Array(images.length * dim);
  images.forEach((img, r) => {
    for (let by = 0; by < side; by++)
      for (let bx = 0; bx < side; bx++) {
        let s = 0;
        for (let y = 0; y < POOL; y++) for (let x = 0; x < POOL; x++) s += img.pixels[(by * POOL + y) * size + bx * POOL + x];
        data[r * dim + by * side + bx] = s / (POOL * POOL);
      }
  });
  return makeFeatureSet(data, images.length, dim, { labels: images.map((i) => i.label) });
}
const asFloat = (s: DemoSet) => s.images.map((im) => ({ pixels: Float32Array.from(im.pixels, (v) => v / 255), label: im.label as string }));
const set = (name: DemoSetName, n: number) => generateDemoSet(name, { counts: { [name]: n } });

async function computed(kind: 'complete' | 'skips'): Promise<UtilityReport> {
  const real = set('real', 120);
  const realImgs = asFloat(real);
  const holdout = pooled(asFloat(set('holdout', 60)), real.width);
  const synth = (['faithful', 'copies', 'collapsed', 'low-fidelity', 'shifted'] as const).map((n) => ({ name: n, features: pooled(asFloat(set(n, 60)), real.width) }));
  if (kind === 'skips') {
    const onlyNormal = synth[0].features;
    const keep = onlyNormal.labels!.map((l, i) => (l === 'normal' ? i : -1)).filter((i) => i >= 0);
    const normals = makeFeatureSet(Float32Array.from(keep.flatMap((i) => Array.from(onlyNormal.data.subarray(i * onlyNormal.dim, (i + 1) * onlyNormal.dim)))), keep.length, onlyNormal.dim, { labels: keep.map(() => 'normal') });
    return runUtility({ realTrain: pooled(realImgs, real.width), test: holdout, synthetic: [{ name: 'normal only', features: normals }, synth[1]], seeds: [1], probe: { ...DEFAULT_PROBE_CONFIG } });
  }
  const augmented = pooled(
    realImgs.map((im, i) => ({ label: im.label, pixels: augmentImage({ width: real.width, height: real.height, channels: 1, data: Float32Array.from(im.pixels), meta: { format: 'demo', bitDepth: 8 } }, augmentationSeed(i.toString(16).padStart(8, '0'), 2020)).data })),
    real.width,
  );
  // a second task: which population a real-looking phantom comes from (standard vs shifted)
  const ct = [...asFloat(set('holdout', 40)).map((i) => ({ ...i, label: 'standard' })), ...asFloat(set('shifted', 40)).map((i) => ({ ...i, label: 'shifted' }))];
  return runUtility({
    realTrain: pooled(realImgs, real.width),
    test: holdout,
    synthetic: synth,
    augmented,
    augmentations: describeAugmentationRun(realImgs.length, 2020),
    crossTask: pooled(ct, real.width),
    seeds: [1, 2, 3, 4, 5],
    probe: { ...DEFAULT_PROBE_CONFIG },
  });
}

async function main() {
  await tf.setBackend('cpu');
  const t0 = performance.now();
  const base = await buildDemoResult('full', { utility: false, onStage: (s) => (status.textContent = `${s}…`) });
  let result: RunResult;
  if (variant === 'none') {
    result = { ...base, utility: null, report: { ...base.report, warnings: [...base.report.warnings, 'Utility was not run: it needs class subfolders (labels) in the real set.'] } };
  } else if (variant === 'complete' || variant === 'skips') {
    status.textContent = 'training utility classifiers…';
    result = { ...base, utility: await computed(variant) };
  } else {
    result = { ...base, utility: mobilenetReport as unknown as UtilityReport };
  }
  mount(UtilitySection, { target, props: { result } });
  status.textContent = `Variant ${variant}: ready in ${((performance.now() - t0) / 1000).toFixed(1)} s.`;
  document.body.dataset.ready = 'true';
}

main().catch((e: unknown) => {
  status.textContent = `Failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
  document.body.dataset.ready = 'error';
});

/**
 * Dev harness for the privacy audit and the export panel (not part of the production build).
 * ?variant=demo (default): the demo chest-radiograph phantoms (src/demo) with 16 x 16 average-pooled
 * pixels as features, evaluated by the real core (evaluate()) in this tab, with thumbnails (the
 * 'shifted' set's thumbnails are RGB, tinted, to exercise the colour path). &minimal=1: no holdout
 * and no class labels. &results=1 also mounts
 * the results views (to check the printout). ?variant=large: the demo report with 5 synthetic sets
 * of 100,000 images and random assignments (to check that filters and "show more" stay quick).
 * When done, <body data-ready="true">; window.__timings holds the measured times in ms.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import { mount } from 'svelte';
import type { RunResult, SetAssignments, SetSummary, Thumb } from '../src/app/types.ts';
import { evaluate } from '../src/core/evaluate.ts';
import { makeFeatureSet, type FeatureSet } from '../src/core/features/featureSet.ts';
import { createRng } from '../src/core/random.ts';
import { generateDemo, type DemoSet } from '../src/demo/phantoms.ts';
import PrivacyAudit from '../src/ui/audit/PrivacyAudit.svelte';
import ExportPanel from '../src/ui/export/ExportPanel.svelte';
import '../src/ui/global.css';
import '../src/ui/print.css';

const params = new URLSearchParams(location.search);
const variant = params.get('variant') === 'large' ? 'large' : 'demo';
const status = document.getElementById('status')!;
const target = document.getElementById('app')!;
const timings: Record<string, number> = {};
(window as unknown as { __timings: typeof timings }).__timings = timings;

const POOL = 8;
const THUMB = 96;

const minimal = params.get('minimal') === '1';

function features(set: DemoSet): FeatureSet {
  const side = set.width / POOL;
  const dim = side * side;
  const data = new Float32Array(set.images.length * dim);
  set.images.forEach((img, r) => {
    for (let by = 0; by < side; by++) {
      for (let bx = 0; bx < side; bx++) {
        let s = 0;
        for (let y = 0; y < POOL; y++) for (let x = 0; x < POOL; x++) s += img.pixels[(by * POOL + y) * set.width + bx * POOL + x];
        data[r * dim + by * side + bx] = s / (POOL * POOL * 255);
      }
    }
  });
  return makeFeatureSet(data, set.images.length, dim, { ids: set.images.map((i) => i.id), labels: minimal ? null : set.images.map((i) => i.label) });
}

/** Nearest-neighbour resize of an 8-bit gray image to THUMB x THUMB; RGB (tinted) when `rgb`. */
function thumbOf(pixels: Uint8Array, size: number, rgb: boolean): Thumb {
  const channels = rgb ? 3 : 1;
  const data = new Uint8Array(THUMB * THUMB * channels);
  for (let y = 0; y < THUMB; y++) {
    for (let x = 0; x < THUMB; x++) {
      const v = pixels[Math.floor((y * size) / THUMB) * size + Math.floor((x * size) / THUMB)];
      const o = (y * THUMB + x) * channels;
      if (rgb) {
        data[o] = v;
        data[o + 1] = Math.round(v * 0.92);
        data[o + 2] = Math.round(v * 0.8);
      } else data[o] = v;
    }
  }
  return { width: THUMB, height: THUMB, channels, data };
}

function summary(s: DemoSet, role: SetSummary['role']): SetSummary {
  const classes: Record<string, number> = {};
  if (!minimal) for (const i of s.images) classes[i.label] = (classes[i.label] ?? 0) + 1;
  return { name: s.name, role, count: s.images.length, classes, skipped: [], cached: 0, embedded: s.images.length, meanImage: null };
}

async function demoResult(): Promise<RunResult> {
  const demo = generateDemo({ counts: { real: 120, holdout: 60, faithful: 60, copies: 60, collapsed: 60, 'low-fidelity': 60, shifted: 60 } });
  const ev = await evaluate({
    real: features(demo.real),
    holdout: minimal ? null : features(demo.holdout),
    synthetic: demo.synthetic.map((s) => ({ name: s.name as string, features: features(s) })),
    config: { backend: tf.getBackend(), extractor: { id: 'demo: 16 × 16 average-pooled pixels' } },
  });
  const thumbs = new Map<string, Map<string, Thumb>>();
  for (const s of [demo.real, demo.holdout, ...demo.synthetic]) {
    thumbs.set(s.name, new Map(s.images.map((i) => [i.id, thumbOf(i.pixels, demo.size, s.name === 'shifted')])));
  }
  return {
    report: ev.report,
    sets: [summary(demo.real, 'real'), ...(minimal ? [] : [summary(demo.holdout, 'holdout')]), ...demo.synthetic.map((s) => summary(s, 'synthetic'))],
    assignments: Object.fromEntries(ev.assignments),
    dcr: { sets: Object.fromEntries(ev.syntheticDcrDistances), holdout: ev.holdoutDcrDistances ?? null },
    thumb: (set, id) => thumbs.get(set)?.get(id),
    utility: null,
  };
}

/** The demo result with 100,000 random assignments per synthetic set and procedural thumbnails. */
function largeResult(base: RunResult): RunResult {
  const N = 100_000;
  const M = 100_000;
  const rand = createRng(5);
  const realIds = Array.from({ length: M }, (_, i) => `real/img_${i}.png`);
  const realLabels = realIds.map((_, i) => (i % 2 ? 'effusion' : 'normal'));
  const assignments: Record<string, SetAssignments> = {};
  for (const s of base.report.sets) {
    const set = new Uint8Array(N);
    const nearestReal = new Int32Array(N);
    const copyOf = new Int32Array(N);
    const distance = new Float64Array(N);
    const rho1 = new Float64Array(N);
    const rhoK = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      const u = rand();
      set[i] = u < 0.02 ? 0 : u < 0.7 ? 1 : 2;
      nearestReal[i] = Math.floor(rand() * M);
      copyOf[i] = set[i] === 0 ? (rand() < 0.2 ? Math.floor(rand() * M) : nearestReal[i]) : -1;
      distance[i] = 0.2 + rand();
      rho1[i] = 0.3 + rand() * 0.2;
      rhoK[i] = rho1[i] + 0.5;
    }
    const ids = Array.from({ length: N }, (_, i) => `${s.name}/img_${i}.png`);
    assignments[s.name] = { set, nearestReal, copyOf, distance, rho1, rhoK, ids, labels: ids.map((_, i) => (i % 2 ? 'effusion' : 'normal')), realIds, realLabels };
  }
  const cache = new Map<string, Thumb>();
  const thumb = (set: string, id: string): Thumb => {
    const key = `${set}\u0000${id}`;
    let t = cache.get(key);
    if (!t) {
      let h = 2166136261;
      for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
      const data = new Uint8Array(64 * 64);
      for (let y = 0; y < 64; y++) for (let x = 0; x < 64; x++) data[y * 64 + x] = (((x * (h & 7)) + y * ((h >>> 3) & 7) + (h >>> 8)) & 255);
      t = { width: 64, height: 64, channels: 1, data };
      cache.set(key, t);
    }
    return t;
  };
  return { ...base, assignments, thumb, sets: base.sets.map((s) => ({ ...s, count: s.role === 'synthetic' ? N : s.role === 'real' ? M : s.count })) };
}

async function main() {
  await tf.setBackend('cpu');
  const t0 = performance.now();
  status.textContent = 'evaluating the demo sets…';
  let result = await demoResult();
  if (variant === 'large') result = largeResult(result);
  const t1 = performance.now();
  timings.compute = t1 - t0;
  (window as unknown as { __result: RunResult }).__result = result;
  mount(ExportPanel, { target, props: { result } });
  if (params.get('results') === '1') {
    const { ResultsView } = await import('../src/ui/results/index.ts');
    const host = document.createElement('div');
    target.appendChild(host);
    mount(ResultsView, { target: host, props: { result, showDefinitions: true } });
  }
  const host = document.createElement('div');
  target.appendChild(host);
  const t2 = performance.now();
  mount(PrivacyAudit, { target: host, props: { result } });
  await new Promise((r) => requestAnimationFrame(() => r(null)));
  timings.renderAudit = performance.now() - t2;
  status.textContent = `Variant ${variant}: computed in ${(timings.compute / 1000).toFixed(1)} s; audit rendered in ${timings.renderAudit.toFixed(0)} ms.`;
  document.body.dataset.ready = 'true';
}

main().catch((e: unknown) => {
  status.textContent = `Failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
  document.body.dataset.ready = 'error';
});

/**
 * A realistic RunResult for the results views (dev harness dev/results.ts, end-to-end tests), built
 * with the real core; not imported by the app. The caller registers a TF.js backend first: the demo
 * chest-radiograph phantoms (src/demo) give the images; 16 x 16 average-pooled pixels stand in for
 * an extractor's features; evaluate() computes every metric; VarietyAccumulator gives the mean
 * images and PNG sizes; runUtility() with a small logistic probe gives the utility report.
 * Variants: 'full' (holdout, labels, utility), 'minimal' (features only: no holdout, no labels,
 * no mean images, no utility).
 */
import * as tf from '@tensorflow/tfjs';
import type { RunResult, SetAssignments, SetSummary } from '../../app/types.ts';
import { evaluate } from '../../core/evaluate.ts';
import { makeFeatureSet, type FeatureSet } from '../../core/features/featureSet.ts';
import { VarietyAccumulator } from '../../core/metrics/variety.ts';
import { DEFAULT_PROBE_CONFIG, runUtility } from '../../core/utility/index.ts';
import { generateDemo, type DemoSet } from '../../demo/phantoms.ts';

export type Variant = 'full' | 'minimal';

const POOL = 8;

function features(set: DemoSet, labelled: boolean): FeatureSet {
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
  return makeFeatureSet(data, set.images.length, dim, {
    ids: set.images.map((i) => i.id),
    labels: labelled ? set.images.map((i) => i.label) : null,
  });
}

function mean(set: DemoSet, labelled: boolean) {
  const acc = new VarietyAccumulator(set.width, set.height);
  for (const img of set.images) acc.add(img.pixels, labelled ? img.label : null);
  return acc.result();
}

export interface DemoResultOptions {
  /** Run the utility evaluator (full variant only; the slowest part). Default true. */
  utility?: boolean;
  onStage?: (stage: string) => void;
}

/** Images per set: smaller than the demo's defaults so the harness computes in seconds. */
const COUNTS = { real: 120, holdout: 60, faithful: 60, copies: 60, collapsed: 60, 'low-fidelity': 60, shifted: 60 };

export async function buildDemoResult(variant: Variant, opts: DemoResultOptions = {}): Promise<RunResult> {
  const full = variant === 'full';
  const onStage = opts.onStage ?? (() => {});
  onStage('rendering phantoms');
  const demo = generateDemo({ counts: COUNTS });
  const real = features(demo.real, full);
  const holdout = full ? features(demo.holdout, true) : null;
  const synthetic = demo.synthetic.map((s) => ({ name: s.name as string, features: features(s, full) }));
  const means = full ? new Map([demo.real, demo.holdout, ...demo.synthetic].map((s) => [s.name as string, mean(s, true)])) : null;

  onStage('evaluating');
  const ev = await evaluate({
    real,
    synthetic,
    holdout,
    config: {
      backend: tf.getBackend(),
      extractor: { id: 'demo: 16 × 16 average-pooled pixels' },
      preprocessing: { size: demo.size, channels: 'grayscale' },
    },
    varietyBytes: means
      ? { real: means.get('real')!.pngBytes, sets: Object.fromEntries(demo.synthetic.map((s) => [s.name, means.get(s.name)!.pngBytes])) }
      : null,
  });

  let utility: RunResult['utility'] = null;
  if (full && (opts.utility ?? true)) {
    onStage('utility');
    utility = await runUtility({
      realTrain: real,
      test: holdout!,
      synthetic,
      seeds: [1, 2, 3, 4, 5],
      probe: { ...DEFAULT_PROBE_CONFIG, architecture: 'logistic', steps: 40, batchSize: 32, learningRate: 1e-2 },
    });
  }

  const summary = (s: DemoSet, role: SetSummary['role']): SetSummary => {
    const classes: Record<string, number> = {};
    if (full) for (const i of s.images) classes[i.label] = (classes[i.label] ?? 0) + 1;
    const m = means?.get(s.name);
    return {
      name: s.name,
      role,
      count: s.images.length,
      classes,
      skipped: [],
      cached: 0,
      embedded: s.images.length,
      meanImage: m ? { width: m.width, height: m.height, data: m.meanImage } : null,
    };
  };

  const assignments: Record<string, SetAssignments> = Object.fromEntries(ev.assignments);

  return {
    report: ev.report,
    sets: [summary(demo.real, 'real'), ...(full ? [summary(demo.holdout, 'holdout')] : []), ...demo.synthetic.map((s) => summary(s, 'synthetic'))],
    assignments,
    dcr: { sets: Object.fromEntries(ev.syntheticDcrDistances), holdout: ev.holdoutDcrDistances ?? null },
    thumb: () => undefined,
    utility,
  };
}

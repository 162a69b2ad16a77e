/**
 * The utility benchmark's input file, read by its Node child and by the chromium page alike (no Node or DOM
 * modules here), and the summary of a run that both return so their results can be compared.
 *
 * File: 4-byte little-endian header length H, H bytes of UTF-8 JSON { extractor, augmentations, sets: [{ name,
 * role, n, dim, ids, labels }] }, zero padding to a multiple of 4, then every set's n x dim float32 rows
 * (little-endian), in order.
 */
import { makeFeatureSet, type FeatureSet } from '../../src/core/features/featureSet.ts';
import { DEFAULT_PROBE_CONFIG } from '../../src/core/utility/probe.ts';
import type { CnnUtilityInput, UtilityInput, UtilityReport } from '../../src/core/utility/types.ts';

/** real: training rows; holdout: test rows; augmented: augmented copies of the real training images. */
export type BenchSetRole = 'real' | 'holdout' | 'augmented' | 'synthetic';

export interface UtilityBenchInput {
  extractor: string;
  /** What made the augmented set (describeAugmentationRun), or null without one. */
  augmentations: string[] | null;
  sets: { name: string; role: BenchSetRole; features: FeatureSet }[];
}

/** runUtility's input as the app builds it for the demo: held-out test set, DEFAULT_PROBE_CONFIG, no cross-task set. */
export function runUtilityInput(input: UtilityBenchInput, seeds: number[]): UtilityInput {
  const one = (role: BenchSetRole) => input.sets.find((s) => s.role === role)?.features;
  const realTrain = one('real');
  const test = one('holdout');
  if (!realTrain || !test) throw new Error('utility bench input lacks the real or the held-out set');
  const augmented = one('augmented');
  return {
    realTrain,
    test,
    synthetic: input.sets.filter((s) => s.role === 'synthetic').map((s) => ({ name: s.name, features: s.features })),
    ...(augmented ? { augmented, augmentations: input.augmentations ?? undefined } : {}),
    seeds,
    probe: { ...DEFAULT_PROBE_CONFIG },
    testSource: { kind: 'held-out' },
  };
}

/** runCnnUtility's input as the app builds it for the demo: the same sets as S x S images, DEFAULT_CNN_CONFIG. */
export function runCnnInput(input: UtilityBenchInput, seeds: number[]): CnnUtilityInput {
  const { probe: _probe, ...rest } = runUtilityInput(input, seeds);
  return { ...rest, cnn: { inputSize: Math.round(Math.sqrt(rest.realTrain.dim)) } };
}

export function encodeUtilityInput(input: UtilityBenchInput): Uint8Array {
  const header = new TextEncoder().encode(
    JSON.stringify({
      extractor: input.extractor,
      augmentations: input.augmentations,
      sets: input.sets.map((s) => ({ name: s.name, role: s.role, n: s.features.n, dim: s.features.dim, ids: s.features.ids, labels: s.features.labels })),
    }),
  );
  const start = 4 + Math.ceil(header.length / 4) * 4;
  const total = start + input.sets.reduce((a, s) => a + s.features.n * s.features.dim * 4, 0);
  const out = new Uint8Array(total);
  new DataView(out.buffer).setUint32(0, header.length, true);
  out.set(header, 4);
  let at = start;
  for (const s of input.sets) {
    const d = s.features.data;
    if (!(d instanceof Float32Array)) throw new Error(`${s.name}: features are not float32`);
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    at += d.byteLength;
  }
  return out;
}

export function decodeUtilityInput(bytes: Uint8Array): UtilityBenchInput {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const h = view.getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + h))) as {
    extractor: string;
    augmentations: string[] | null;
    sets: { name: string; role: BenchSetRole; n: number; dim: number; ids: string[]; labels: string[] | null }[];
  };
  let at = 4 + Math.ceil(h / 4) * 4;
  const sets = header.sets.map((s) => {
    const len = s.n * s.dim * 4;
    const data = new Float32Array(bytes.slice(at, at + len).buffer);
    at += len;
    return { name: s.name, role: s.role, features: makeFeatureSet(data, s.n, s.dim, { ids: s.ids, labels: s.labels }) };
  });
  if (at !== bytes.length) throw new Error(`utility bench input: ${bytes.length - at} bytes left over`);
  return { extractor: header.extractor, augmentations: header.augmentations, sets };
}

export interface UtilitySummary {
  /** Models trained: training sets with a result, times seeds. */
  probes: number;
  baselineAccuracy: number | null;
  /** Every per-seed accuracy of the report in a fixed order (baseline, then per set intra-task and TSTR). */
  accuracies: number[];
  /** Mean intra-task gain (%) per synthetic set. */
  gains: Record<string, number | null>;
  /** Mean gain (%) of the simple-augmentation reference R + A, or null when it did not run. */
  augmentationGain: number | null;
  skipped: string[];
  settings: string;
}

export function summariseUtility(r: UtilityReport): UtilitySummary {
  const acc: number[] = [];
  let models = 0;
  const add = (s: { accuracy: { perSeed: number[] } } | null) => {
    if (!s) return;
    models++;
    acc.push(...s.accuracy.perSeed);
  };
  add(r.baseline);
  add(r.simpleAugmentation);
  for (const s of r.sets) {
    add(s.intraTask);
    add(s.tstr);
  }
  const st = r.settings;
  return {
    probes: models * st.seeds.length,
    baselineAccuracy: r.baseline?.accuracy.mean ?? null,
    accuracies: acc,
    gains: Object.fromEntries(r.sets.map((s) => [s.name, s.intraTask?.gainPercent.mean ?? null])),
    augmentationGain: r.simpleAugmentation?.gainPercent.mean ?? null,
    skipped: r.skipped.map((k) => `${k.protocol}${k.set ? ` (${k.set})` : ''}: ${k.reason}`),
    settings:
      st.tier === 'cnn' && st.cnn
        ? `cnn ${st.cnn.inputSize} px (${st.cnn.config.widths.join('-')} channels, ${st.cnn.config.head} head, ${st.cnn.parameters} parameters, ` +
          `${(st.cnn.forwardMacs / 1e6).toFixed(2)} M multiply-adds an image), ${st.budget.steps} steps x ${st.budget.batchSize}, lr ${st.learningRate}, ${st.seeds.length} seeds, ${st.backend}`
        : `${st.architecture}${st.hiddenUnits ? ` ${st.hiddenUnits} hidden` : ''}, ${st.budget.steps} steps x ${st.budget.batchSize}, lr ${st.learningRate}, ` +
          `${st.projection?.kind === 'pca' ? `PCA to at most ${st.projection.requested} components` : 'no projection'}, ${st.seeds.length} seeds, ${st.backend}`,
  };
}

/**
 * Utility evaluator, protocol runner (probe tier): does adding a synthetic set help a
 * classifier? See METRICS.md, Utility.
 *
 * Reference: Xing et al., "You Don't Have to Be Perfect to Be Amazing: Unveil the
 * Utility of Synthetic Images", MICCAI 2023 (arXiv 2305.18337), section 2.3 and
 * table 2: intra-task augmentation utility, cross-task utility, simple augmentation
 * as the free alternative; plus train-on-synthetic-test-on-real (TSTR).
 *
 * The classifier ("probe") is a pipeline fitted on its own training rows, like a
 * scikit-learn Pipeline: with `probe.components` P > 0 (the default, see ./probe.ts) the
 * features are standardised with the training rows' mean and std and reduced to at most
 * P of the training rows' principal components (./projection.ts), then a small MLP is
 * trained on those scores (./probe.ts, standardise: false); with P = 0 the MLP trains on
 * the features standardised with the training rows' statistics. The test set and the
 * cross-task set pass through the pipeline of the model that scores or embeds them. The
 * projection depends only on the training rows (not on the seed), so it is fitted once
 * per training set (R, R + A, R + S, S) and shared by that set's seeds. "Same budget"
 * thus means: same architecture, same requested P, same gradient steps and batch size.
 *
 * Per seed s (the same seed for every model of that seed, so results are paired):
 * - baseline: probe trained on R, scored on the real test set H (accuracy, balanced
 *   accuracy, ROC AUC).
 * - intraTask: probe trained on R + S with the SAME budget (gradient steps x batch
 *   size, see ./probe.ts); utility_s = 100 (acc(R+S) - acc(R)) / acc(R); reported as
 *   per-seed values, mean and sample std (ddof = 1); p-value of the paired two-sided
 *   Wilcoxon signed-rank test (./wilcoxon.ts) on the per-seed accuracies (R+S vs R).
 * - simpleAugmentation: the same with R + A, A = features of augmented copies of R's
 *   images. Augmentations act on images, not features, so the image pipeline supplies
 *   A (src/imaging/augment.ts: flip, rotation, contrast, one seeded copy per image; the
 *   caller passes describeAugmentationRun(...) as `augmentations`); without it the protocol is skipped
 *   with that reason.
 *
 * Progress (onProgress): one unit per projection fitted, per probe trained and per
 * cross-task fold; an event as each unit starts (done = units finished, stage = what
 * runs now), and a last one ('Finished', done = total).
 * - tstr: probe trained on S alone, scored on H.
 * - crossTask: each trained probe (R-only and R+S, same seed) embeds a second labelled
 *   real set T with its penultimate layer (mlp hidden layer); an L2 logistic regression
 *   (./logisticRegression.ts, sklearn LogisticRegression defaults, C = 1) on the
 *   embeddings standardised with the training fold's mean and std (ddof 0, like
 *   StandardScaler) is scored by stratified 5-fold cross-validation (./split.ts, seeded
 *   by s, the same folds for both embeddings); utility_s = 100 (cv(R+S) - cv(R)) / cv(R),
 *   cv = mean accuracy over the folds.
 *
 * Labels are strings; the classes are the real training set's labels (sorted) and
 * every other set is mapped onto them by name. Whatever cannot run is listed in
 * `skipped` with the protocol and the reason; the other protocols still run.
 */

import { subsetRows } from '../features/featureSet.ts';
import { accuracy, balancedAccuracy, rocAuc } from './classificationMetrics.ts';
import {
  ADAM,
  abortError,
  columnStats,
  DEFAULT_PROBE_CONFIG,
  maybeYield,
  type ProbeConfig,
  type ProbeData,
  type TrainedProbe,
  trainProbe,
  validateProbeConfig,
} from './probe.ts';
import { fitLogisticRegression } from './logisticRegression.ts';
import { fitProjection, PCA_MAX_ROWS, type FeatureProjection } from './projection.ts';
import { complementIndices, stratifiedKFold, stratifiedSplit } from './split.ts';
import type {
  CrossTaskClassifierConfig,
  EvalStats,
  GainResult,
  GainStats,
  LabelledFeatures,
  PairedTest,
  SeedStats,
  SyntheticUtility,
  UtilityInput,
  UtilityProtocol,
  UtilityReport,
  UtilitySettings,
  UtilitySkip,
} from './types.ts';
import { wilcoxon, type WilcoxonResult } from './wilcoxon.ts';

export type * from './types.ts';

export const CROSS_TASK_FOLDS = 5;

/** What trains the probes (recorded as settings.backend): no TF.js, so no backend dependence. */
export const PROBE_BACKEND = 'plain TypeScript (float64)';

/**
 * Stratified split of the real set into training and test rows (seeded), for when no
 * held-out real set exists. The test rows must then be excluded from every other
 * metric; pass `testSource: { kind: 'split', testFraction, seed }` so the report says so.
 */
export function splitRealSet(real: LabelledFeatures, testFraction: number, seed: number): { train: LabelledFeatures; test: LabelledFeatures } {
  if (!real.labels) throw new RangeError('the real set has no labels; a stratified split needs them');
  const { trainIdx, testIdx } = stratifiedSplit(real.labels, testFraction, seed);
  return { train: subsetRows(real, trainIdx), test: subsetRows(real, testIdx) };
}

// ---------------------------------------------------------------------------------

function countLabels(labels: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const l of [...labels].sort()) out[l] = (out[l] ?? 0) + 1;
  return out;
}

function seedStats(values: number[]): SeedStats {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  let ss = 0;
  for (const v of values) ss += (v - mean) * (v - mean);
  return { perSeed: values.slice(), mean, std: n > 1 ? Math.sqrt(ss / (n - 1)) : null };
}

/** Percent gains 100 (a_s - b_s) / b_s per seed, their mean and sample std. */
export function gainStats(withExtra: number[], base: number[]): GainStats {
  const perSeed = withExtra.map((a, i) => (base[i] === 0 ? null : (100 * (a - base[i])) / base[i]));
  const defined = perSeed.filter((v): v is number => v !== null);
  if (defined.length === 0) return { perSeed, mean: null, std: null };
  const s = seedStats(defined);
  return { perSeed, mean: s.mean, std: s.std };
}

/** Percent gain and paired Wilcoxon test of per-seed scores `withExtra` against `base`. */
export function pairedTest(withExtra: number[], base: number[]): PairedTest {
  const gainPercent = gainStats(withExtra, base);
  const notes: string[] = [];
  if (gainPercent.perSeed.some((v) => v === null)) notes.push('the real-only score was 0 on some seed; its percent gain is undefined and left out of mean and std');
  let w: WilcoxonResult | null = null;
  if (withExtra.every((a, i) => a === base[i])) {
    notes.push('every seed gave exactly the same score with and without the extra rows; the Wilcoxon test is undefined (no evidence of any difference)');
  } else {
    w = wilcoxon(withExtra, base);
  }
  return { gainPercent, pValue: w ? w.pValue : null, wilcoxon: w, ...(notes.length ? { note: notes.join('; ') } : {}) };
}

/** Why a feature set cannot be used, or null. */
function featureIssue(fs: LabelledFeatures | undefined, role: string, dim: number | null): string | null {
  if (!fs) return `no ${role} was supplied`;
  if (!fs.labels) return `the ${role} has no class labels (no class subfolders or label column)`;
  if (fs.n === 0) return `the ${role} is empty`;
  if (fs.kind !== 'continuous' || !(fs.data instanceof Float32Array)) return `the ${role} holds discrete codes; the probe tier needs continuous features`;
  if (dim !== null && fs.dim !== dim) return `the ${role} has feature dimension ${fs.dim}, the real training set has ${dim} (features from different extractors?)`;
  const x = fs.data;
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return `the ${role} has a non-finite feature value (row ${Math.floor(i / fs.dim)}, id ${fs.ids[Math.floor(i / fs.dim)]})`;
  return null;
}

const list = (a: string[]) => a.map((s) => JSON.stringify(s)).join(', ');

function toProbeData(parts: LabelledFeatures[], classIndex: Map<string, number>): ProbeData {
  const dim = parts[0].dim;
  const n = parts.reduce((a, p) => a + p.n, 0);
  const x = new Float32Array(n * dim);
  const y = new Int32Array(n);
  let r = 0;
  for (const p of parts) {
    x.set(p.data as Float32Array, r * dim);
    for (let i = 0; i < p.n; i++) y[r + i] = classIndex.get(p.labels![i])!;
    r += p.n;
  }
  return { x, n, dim, y, classes: classIndex.size };
}

interface SeedScores {
  accuracy: number;
  balancedAccuracy: number;
  auc: number | null;
}

function evalStats(pl: { data: { n: number }; components: number | null; explained: number | null }, scores: SeedScores[]): EvalStats {
  return {
    trainRows: pl.data.n,
    components: pl.components,
    explainedVariance: pl.explained,
    accuracy: seedStats(scores.map((s) => s.accuracy)),
    balancedAccuracy: seedStats(scores.map((s) => s.balancedAccuracy)),
    auc: scores.every((s) => s.auc !== null) ? seedStats(scores.map((s) => s.auc!)) : null,
  };
}

function emptyReport(input: UtilityInput, settings: UtilitySettings, skipped: UtilitySkip[], notes: string[], t0: number): UtilityReport {
  const labelsOf = (fs?: LabelledFeatures) => (fs?.labels ? countLabels(fs.labels) : null);
  return {
    tier: 'probe',
    settings,
    classes: input.realTrain?.labels ? [...new Set(input.realTrain.labels)].sort() : [],
    counts: {
      realTrain: labelsOf(input.realTrain) ?? {},
      test: labelsOf(input.test) ?? {},
      augmented: labelsOf(input.augmented),
      crossTask: labelsOf(input.crossTask),
    },
    baseline: null,
    simpleAugmentation: null,
    sets: input.synthetic.map((s) => ({
      name: s.name,
      rows: s.features.n,
      classCounts: labelsOf(s.features) ?? {},
      baseline: null,
      intraTask: null,
      simpleAugmentation: null,
      tstr: null,
      crossTask: null,
      skipped: [],
    })),
    skipped,
    notes,
    wallMs: Date.now() - t0,
  };
}

/** Run every utility protocol that the inputs allow; see the file header. Rejects with an AbortError when cancelled. */
export async function runUtility(input: UtilityInput): Promise<UtilityReport> {
  const t0 = Date.now();
  const { signal } = input;
  if (signal?.aborted) throw abortError();
  const probe: Required<ProbeConfig> = { ...DEFAULT_PROBE_CONFIG, ...input.probe } as Required<ProbeConfig>;
  if (probe.components === undefined) probe.components = DEFAULT_PROBE_CONFIG.components;
  const ctCfg: CrossTaskClassifierConfig = { C: 1, ...input.crossTaskClassifier };
  const seeds = input.seeds.slice();
  const settings: UtilitySettings = {
    tier: 'probe',
    architecture: probe.architecture,
    hiddenUnits: probe.architecture === 'mlp' ? probe.hiddenUnits : null,
    budget: { kind: 'gradient steps', steps: probe.steps, batchSize: probe.batchSize },
    learningRate: probe.learningRate,
    optimizer: `Adam(beta1 ${ADAM.beta1}, beta2 ${ADAM.beta2}, epsilon ${ADAM.epsilon})`,
    loss: 'mean softmax cross-entropy',
    standardisation: "each feature standardised with the training rows' mean and std (ddof 0)",
    projection: {
      kind: probe.components > 0 ? 'pca' : 'none',
      requested: probe.components,
      inputDim: input.realTrain?.dim ?? 0,
      maxFitRows: PCA_MAX_ROWS,
      description:
        probe.components > 0
          ? `each probe's training rows are standardised (their mean and std, ddof 0) and projected onto their top principal components: at most ${probe.components}, and at most rows - 1 (axes fitted on at most ${PCA_MAX_ROWS} rows, a seeded sample when there are more); scores divided by one common factor, not whitened`
          : "none: each probe trains on its training rows' standardised features",
    },
    seeds,
    backend: PROBE_BACKEND,
    augmentations: input.augmented ? (input.augmentations ?? null) : null,
    crossTask: {
      folds: CROSS_TASK_FOLDS,
      classifier:
        "L2 logistic regression (sklearn LogisticRegression defaults, lbfgs) on the penultimate-layer embeddings, standardised with the training fold's mean and std",
      C: ctCfg.C,
    },
    testSource: input.testSource ?? { kind: 'held-out' },
    statistics:
      'percent gain 100 (a - b) / b per seed; mean and sample std (ddof 1) over seeds; paired two-sided Wilcoxon signed-rank test (scipy 1.10 defaults) on per-seed scores',
  };
  const skipped: UtilitySkip[] = [];
  const notes: string[] = [];
  const skipAll = (reason: string) => {
    skipped.push({ protocol: 'all', reason });
    return emptyReport(input, settings, skipped, notes, t0);
  };

  // ---- global checks: without these nothing can run --------------------------------
  if (seeds.length === 0) return skipAll('no seeds were given; the utility protocols need at least one (METRICS.md asks for 5 or more)');
  if (seeds.some((s) => !Number.isInteger(s))) return skipAll(`seeds must be integers, got ${seeds.join(', ')}`);
  if (new Set(seeds).size !== seeds.length) return skipAll(`the seed list ${seeds.join(', ')} repeats a seed; paired runs need distinct seeds`);
  try {
    validateProbeConfig(probe);
    if (!(ctCfg.C > 0 && Number.isFinite(ctCfg.C))) throw new RangeError(`cross-task C must be > 0, got ${ctCfg.C}`);
  } catch (e) {
    return skipAll(`invalid classifier settings: ${(e as Error).message}`);
  }
  const realIssue = featureIssue(input.realTrain, 'real training set', null);
  if (realIssue) return skipAll(realIssue);
  const real = input.realTrain;
  const classes = [...new Set(real.labels!)].sort();
  if (classes.length < 2) return skipAll(`the real training set has a single class (${list(classes)}); a classifier needs at least two`);
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  const testIssue = featureIssue(input.test, 'real test set', real.dim);
  if (testIssue) return skipAll(testIssue);
  const test = input.test;
  const testClasses = [...new Set(test.labels!)].sort();
  const unknownTest = testClasses.filter((c) => !classIndex.has(c));
  if (unknownTest.length) return skipAll(`the real test set has class(es) ${list(unknownTest)} that the real training set lacks (classes ${list(classes)}); no classifier trained on it can predict them`);
  const yTest = Int32Array.from(test.labels!, (l) => classIndex.get(l)!);
  const missingInTest = classes.filter((c) => !testClasses.includes(c));
  const aucOk = missingInTest.length === 0;
  if (!aucOk) skipped.push({ protocol: 'auc', reason: `the real test set lacks class(es) ${list(missingInTest)}; ROC AUC needs every class in the test set (accuracy and balanced accuracy are still reported)` });

  if (seeds.length < 5) notes.push(`only ${seeds.length} seed(s); METRICS.md asks for at least 5`);
  if (seeds.length <= 50) notes.push(`with ${seeds.length} seed(s) the smallest attainable two-sided Wilcoxon p-value is ${2 / 2 ** seeds.length}`);
  const names = input.synthetic.map((x) => x.name);
  const dup = names.filter((nm, i) => names.indexOf(nm) !== i);
  if (dup.length) notes.push(`synthetic set name(s) ${list([...new Set(dup)])} occur more than once; their entries are told apart only by position`);
  if (settings.testSource.kind === 'split') notes.push(`the test set is a stratified ${settings.testSource.testFraction} split of the real set (seed ${settings.testSource.seed}); those rows must be excluded from every other metric`);

  // ---- simple augmentation ---------------------------------------------------------
  let augOk = false;
  if (!input.augmented) {
    skipped.push({
      protocol: 'simpleAugmentation',
      reason: 'no augmented copies of the real training images were made in this run (flipped, rotated and contrast-changed copies, embedded like the other images), so the free alternative could not be measured',
    });
  } else {
    const issue = featureIssue(input.augmented, 'augmented set', real.dim);
    const extra = issue ? [] : [...new Set(input.augmented.labels!)].filter((c) => !classIndex.has(c)).sort();
    if (issue) skipped.push({ protocol: 'simpleAugmentation', reason: issue });
    else if (extra.length) skipped.push({ protocol: 'simpleAugmentation', reason: `the augmented set has class(es) ${list(extra)} that the real training set lacks` });
    else augOk = true;
  }

  // ---- cross-task ------------------------------------------------------------------
  let ctOk = false;
  let ctClasses: string[] = [];
  if (probe.architecture !== 'mlp') {
    skipped.push({ protocol: 'crossTask', reason: "the 'logistic' probe has no hidden layer, so its penultimate layer is the input features themselves and cross-task utility is undefined; use the 'mlp' probe" });
  } else {
    const issue = input.crossTask ? featureIssue(input.crossTask, 'cross-task set', real.dim) : 'no second labelled real image set (a different task) was supplied';
    if (issue) skipped.push({ protocol: 'crossTask', reason: issue });
    else {
      const counts = countLabels(input.crossTask!.labels!);
      ctClasses = Object.keys(counts).sort();
      const small = ctClasses.filter((c) => counts[c] < CROSS_TASK_FOLDS);
      if (ctClasses.length < 2) skipped.push({ protocol: 'crossTask', reason: `the cross-task set has a single class (${list(ctClasses)}); a classifier needs at least two` });
      else if (small.length) {
        skipped.push({
          protocol: 'crossTask',
          reason: `class(es) ${small.map((c) => `${JSON.stringify(c)} (${counts[c]} images)`).join(', ')} of the cross-task set have fewer images than the ${CROSS_TASK_FOLDS} cross-validation folds`,
        });
      } else ctOk = true;
    }
  }
  const ct = ctOk ? input.crossTask! : null;
  const ctIndex = new Map(ctClasses.map((c, i) => [c, i]));
  const ctY = ct ? Int32Array.from(ct.labels!, (l) => ctIndex.get(l)!) : null;

  // ---- per synthetic set checks ----------------------------------------------------
  interface SetPlan {
    entry: SyntheticUtility;
    fs: LabelledFeatures;
    intra: boolean;
    tstr: boolean;
    cross: boolean;
  }
  const plans: SetPlan[] = input.synthetic.map(({ name, features: fs }) => {
    const entry: SyntheticUtility = {
      name,
      rows: fs.n,
      classCounts: fs.labels ? countLabels(fs.labels) : {},
      baseline: null,
      intraTask: null,
      simpleAugmentation: null,
      tstr: null,
      crossTask: null,
      skipped: [],
    };
    const skip = (protocol: UtilityProtocol, reason: string) => entry.skipped.push({ protocol, set: name, reason });
    const issue = featureIssue(fs, `synthetic set "${name}"`, real.dim);
    let extra: string[] = [];
    let missing: string[] = [];
    if (!issue) {
      const sc = Object.keys(entry.classCounts);
      extra = sc.filter((c) => !classIndex.has(c));
      missing = classes.filter((c) => !(c in entry.classCounts));
    }
    const mapIssue = issue ?? (extra.length ? `synthetic set "${name}" has class(es) ${list(extra)} that match no real class (real classes: ${list(classes)}); labels are matched by name` : null);
    const plan: SetPlan = { entry, fs, intra: false, tstr: false, cross: false };
    if (mapIssue) {
      skip('intraTask', mapIssue);
      skip('tstr', mapIssue);
      if (probe.architecture === 'mlp' && ctOk) skip('crossTask', mapIssue);
      return plan;
    }
    plan.intra = true;
    plan.cross = ctOk;
    if (missing.length) skip('tstr', `synthetic set "${name}" lacks class(es) ${list(missing)}; a classifier trained on it alone can never predict them`);
    else plan.tstr = true;
    return plan;
  });

  // ---- progress accounting: one unit per pipeline fitted, per probe trained, per cross-task fold --
  const trainingSets = 1 + (augOk ? 1 : 0) + plans.reduce((a, p) => a + (p.intra ? 1 : 0) + (p.tstr ? 1 : 0), 0);
  const fits = probe.components > 0 ? trainingSets : 0;
  const models = seeds.length * trainingSets;
  const cvPerSeed = ctOk ? CROSS_TASK_FOLDS * (1 + plans.filter((p) => p.cross).length) : 0;
  const total = fits + models + seeds.length * cvPerSeed;
  let done = 0;
  let modelNo = 0;
  /** Announce the unit about to run (done = units finished so far). */
  const begin = (stage: string) => input.onProgress?.({ done, total, stage });
  const finish = (units = 1) => {
    done += units;
  };

  // ---- one pipeline per training set: standardise + project (fitted on its rows), then the probes --
  interface Pipeline {
    data: ProbeData;
    /** The test rows and the cross-task rows as this pipeline's probes see them. */
    testX: Float32Array;
    ctX: Float32Array | null;
    components: number | null;
    explained: number | null;
  }
  const prepare = async (parts: LabelledFeatures[], what: string): Promise<Pipeline> => {
    const raw = toProbeData(parts, classIndex);
    if (probe.components === 0) {
      return { data: raw, testX: test.data as Float32Array, ctX: ct ? (ct.data as Float32Array) : null, components: null, explained: null };
    }
    begin(`Reducing the features of ${what} to principal components`);
    await maybeYield();
    if (signal?.aborted) throw abortError();
    const proj = fitProjection(raw.x, raw.n, raw.dim, probe.components); // throws a RangeError when the rows do not vary
    finish();
    return {
      data: { ...raw, x: proj.apply(raw.x, raw.n), dim: proj.components },
      testX: proj.apply(test.data as Float32Array, test.n),
      ctX: ct ? proj.apply(ct.data as Float32Array, ct.n) : null,
      components: proj.components,
      explained: proj.explained,
    };
  };
  /**
   * A pipeline, or the reason it cannot be fitted (rows without any variance); then the
   * units of the probes (and cross-task folds) it would have trained count as done.
   */
  const tryPrepare = async (parts: LabelledFeatures[], what: string, foldsPerSeed: number): Promise<Pipeline | string> => {
    try {
      return await prepare(parts, what);
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      finish(1 + seeds.length * (1 + foldsPerSeed));
      modelNo += seeds.length;
      return `the features of ${what} cannot be reduced to principal components: ${e.message}`;
    }
  };

  const train = async (pl: Pipeline, seed: number, what: string): Promise<TrainedProbe> => {
    modelNo++;
    begin(`Model ${modelNo} of ${models}: seed ${seed}, trained on ${what}`);
    const m = await trainProbe(pl.data, { ...probe, seed }, { signal, standardise: probe.components === 0 });
    finish();
    return m;
  };
  const score = (model: TrainedProbe, pl: Pipeline): SeedScores => {
    const proba = model.predictProba(pl.testX, test.n);
    const pred = model.predict(pl.testX, test.n);
    return {
      accuracy: accuracy(yTest, pred),
      balancedAccuracy: balancedAccuracy(yTest, pred),
      auc: aucOk ? rocAuc(yTest, proba, classes.length) : null,
    };
  };
  const crossValidate = async (model: TrainedProbe, pl: Pipeline, seed: number, what: string): Promise<number> => {
    const emb = model.embed(pl.ctX!, ct!.n);
    const d = model.embedDim;
    const folds = stratifiedKFold(ctY!, CROSS_TASK_FOLDS, seed);
    let sum = 0;
    for (let f = 0; f < folds.length; f++) {
      begin(`Cross-task check, fold ${f + 1} of ${folds.length}: seed ${seed}, embeddings of the model trained on ${what}`);
      await maybeYield(); // let an abort arrive between folds
      if (signal?.aborted) throw abortError();
      const testIdx = folds[f];
      const trainIdx = complementIndices(ct!.n, testIdx);
      const pick = (idx: Int32Array) => {
        const x = new Float32Array(idx.length * d);
        const y = new Int32Array(idx.length);
        for (let r = 0; r < idx.length; r++) {
          x.set(emb.subarray(idx[r] * d, (idx[r] + 1) * d), r * d);
          y[r] = ctY![idx[r]];
        }
        return { x, y };
      };
      const tr = pick(trainIdx);
      const te = pick(testIdx);
      const { mean, std } = columnStats(tr.x, trainIdx.length, d);
      const scale = (x: Float32Array) => Float64Array.from(x, (v, i) => (v - mean[i % d]) / std[i % d]);
      const lr = fitLogisticRegression(scale(tr.x), trainIdx.length, d, tr.y, ctClasses.length, { C: ctCfg.C });
      sum += accuracy(te.y, lr.predict(scale(te.x), testIdx.length));
      finish();
    }
    return sum / folds.length;
  };

  // ---- training ---------------------------------------------------------------------
  const baseScores: SeedScores[] = [];
  const baseCv: number[] = [];
  const augScores: SeedScores[] = [];
  const setScores = plans.map(() => ({ intra: [] as SeedScores[], tstr: [] as SeedScores[], cv: [] as number[] }));
  const anyCross = plans.some((p) => p.cross);

  const realPipe = await tryPrepare([real], 'the real training images', anyCross ? CROSS_TASK_FOLDS : 0);
  if (typeof realPipe === 'string') return skipAll(realPipe);
  let augPipe: Pipeline | null = null;
  if (augOk) {
    const a = await tryPrepare([real, input.augmented!], 'real + simple augmentation', 0);
    if (typeof a === 'string') skipped.push({ protocol: 'simpleAugmentation', reason: a });
    else augPipe = a;
  }
  // real-only baseline and simple augmentation, per seed
  for (const seed of seeds) {
    const base = await train(realPipe, seed, 'the real images only');
    baseScores.push(score(base, realPipe));
    if (anyCross) baseCv.push(await crossValidate(base, realPipe, seed, 'the real images only'));
    if (augPipe) augScores.push(score(await train(augPipe, seed, 'real + simple augmentation'), augPipe));
  }
  // each synthetic set: its pipelines are fitted once, then trained per seed
  const setPipes: { withSyn: Pipeline | null; synOnly: Pipeline | null }[] = [];
  for (let k = 0; k < plans.length; k++) {
    const p = plans[k];
    const name = p.entry.name;
    const skip = (protocol: UtilityProtocol, reason: string) => p.entry.skipped.push({ protocol, set: name, reason });
    let withSyn: Pipeline | null = null;
    if (p.intra) {
      const r = await tryPrepare([real, p.fs], `real + "${name}"`, p.cross ? CROSS_TASK_FOLDS : 0);
      if (typeof r === 'string') {
        skip('intraTask', r);
        if (p.cross) skip('crossTask', r);
      } else withSyn = r;
    }
    let synOnly: Pipeline | null = null;
    if (p.tstr) {
      const r = await tryPrepare([p.fs], `"${name}" only`, 0);
      if (typeof r === 'string') skip('tstr', r);
      else synOnly = r;
    }
    setPipes.push({ withSyn, synOnly });
    for (const seed of seeds) {
      if (withSyn) {
        const m = await train(withSyn, seed, `real + "${name}"`);
        setScores[k].intra.push(score(m, withSyn));
        if (p.cross) setScores[k].cv.push(await crossValidate(m, withSyn, seed, `real + "${name}"`));
      }
      if (synOnly) setScores[k].tstr.push(score(await train(synOnly, seed, `"${name}" only (train on synthetic, test on real)`), synOnly));
    }
  }
  input.onProgress?.({ done, total, stage: 'Finished' });

  // ---- assemble ---------------------------------------------------------------------
  const baseline = evalStats(realPipe, baseScores);
  const baseAcc = baseScores.map((s) => s.accuracy);
  const gain = (pl: Pipeline, scores: SeedScores[]): GainResult => ({
    ...evalStats(pl, scores),
    ...pairedTest(scores.map((s) => s.accuracy), baseAcc),
  });
  const simpleAugmentation = augPipe ? gain(augPipe, augScores) : null;
  const ctBaseline = anyCross ? seedStats(baseCv) : null;
  for (let k = 0; k < plans.length; k++) {
    const p = plans[k];
    const e = p.entry;
    const { withSyn, synOnly } = setPipes[k];
    e.baseline = baseline;
    e.simpleAugmentation = simpleAugmentation;
    if (withSyn) e.intraTask = gain(withSyn, setScores[k].intra);
    if (synOnly) e.tstr = evalStats(synOnly, setScores[k].tstr);
    if (withSyn && p.cross) {
      e.crossTask = {
        folds: CROSS_TASK_FOLDS,
        rows: ct!.n,
        classes: ctClasses,
        realOnlyCvAccuracy: ctBaseline!,
        withSyntheticCvAccuracy: seedStats(setScores[k].cv),
        ...pairedTest(setScores[k].cv, baseCv),
      };
    }
    skipped.push(...e.skipped);
  }
  return {
    tier: 'probe',
    settings,
    classes,
    counts: {
      realTrain: countLabels(real.labels!),
      test: countLabels(test.labels!),
      augmented: input.augmented?.labels ? countLabels(input.augmented.labels) : null,
      crossTask: input.crossTask?.labels ? countLabels(input.crossTask.labels) : null,
    },
    baseline,
    simpleAugmentation,
    sets: plans.map((p) => p.entry),
    skipped,
    notes,
    wallMs: Date.now() - t0,
  };
}

/**
 * Utility evaluator, protocol runner: does adding a synthetic set help a classifier? See
 * METRICS.md, Utility. The protocols are the same for every model tier; a UtilityTrainer
 * (./trainer.ts) supplies the models: runUtility runs them with the `probe` tier
 * (./probeTrainer.ts: per-training-set standardise + PCA + small MLP on extracted features),
 * runCnnUtility (./cnnUtility.ts) with the `cnn` tier (a convolutional network on the images).
 *
 * Reference: Xing et al., "You Don't Have to Be Perfect to Be Amazing: Unveil the
 * Utility of Synthetic Images", MICCAI 2023 (arXiv 2305.18337), section 2.3 and
 * table 2: intra-task augmentation utility, cross-task utility, simple augmentation
 * as the free alternative; plus train-on-synthetic-test-on-real (TSTR).
 *
 * Each training set (R, R + A, R + S, S) is prepared once (the probe tier fits its
 * projection there) and then trained once per seed. "Same budget" means: same
 * architecture, same gradient steps and batch size (and, for the probe, the same
 * requested number of components).
 *
 * Per seed s (the same seed for every model of that seed, so results are paired):
 * - baseline: model trained on R, scored on the real test set H (accuracy, balanced
 *   accuracy, ROC AUC).
 * - intraTask: model trained on R + S with the SAME budget (gradient steps x batch
 *   size); utility_s = 100 (acc(R+S) - acc(R)) / acc(R); reported as per-seed values,
 *   mean and sample std (ddof = 1); p-value of the paired two-sided Wilcoxon
 *   signed-rank test (./wilcoxon.ts) on the per-seed accuracies (R+S vs R).
 * - simpleAugmentation: the same with R + A, A = augmented copies of R's images
 *   (features of them for the probe, the images for the cnn). Augmentations act on
 *   images, so the image pipeline supplies A (src/imaging/augment.ts: flip, rotation,
 *   contrast, one seeded copy per image; the caller passes describeAugmentationRun(...)
 *   as `augmentations`); without it the protocol is skipped with that reason.
 * - tstr: model trained on S alone, scored on H.
 * - crossTask: each trained model (R-only and R+S, same seed) embeds a second labelled
 *   real set T with its penultimate layer (probe: the mlp hidden layer; cnn: the dense
 *   layer before the softmax); an L2 logistic regression (./logisticRegression.ts,
 *   sklearn LogisticRegression defaults, C = 1) on the embeddings standardised with the
 *   training fold's mean and std (ddof 0, like StandardScaler) is scored by stratified
 *   5-fold cross-validation (./split.ts, seeded by s, the same folds for both
 *   embeddings); utility_s = 100 (cv(R+S) - cv(R)) / cv(R), cv = mean accuracy over the
 *   folds.
 *
 * Progress (onProgress): one unit per training set prepared (when the tier fits
 * something there: the probe's projection), per model trained and per cross-task fold;
 * an event as each unit starts (done = units finished, stage = what runs now), and a
 * last one ('Finished', done = total). Tiers that train step by step (cnn) add an event
 * per gradient step with `training` (step, epoch, loss, time left for all models).
 *
 * Labels are strings; the classes are the real training set's labels (sorted) and
 * every other set is mapped onto them by name. Whatever cannot run is listed in
 * `skipped` with the protocol and the reason; the other protocols still run. Every
 * trained model is disposed once scored, also when an error or an abort stops the run.
 */

import { subsetRows } from '../features/featureSet.ts';
import { accuracy, balancedAccuracy, rocAuc } from './classificationMetrics.ts';
import { abortError, columnStats, DEFAULT_PROBE_CONFIG, maybeYield, type ProbeConfig } from './probe.ts';
import { fitLogisticRegression } from './logisticRegression.ts';
import { probeSettings, probeTrainer, PROBE_BACKEND } from './probeTrainer.ts';
import { complementIndices, stratifiedKFold, stratifiedSplit } from './split.ts';
import type { PreparedTrainingSet, TrainedUtilityModel, TrainerContext, UtilityTrainer } from './trainer.ts';
import type {
  CrossTaskClassifierConfig,
  EvalStats,
  GainResult,
  GainStats,
  LabelledFeatures,
  PairedTest,
  SeedStats,
  SyntheticUtility,
  UtilityDataInput,
  UtilityInput,
  UtilityProtocol,
  UtilityReport,
  UtilitySettings,
  UtilitySkip,
} from './types.ts';
import { wilcoxon, type WilcoxonResult } from './wilcoxon.ts';

export type * from './types.ts';

export const CROSS_TASK_FOLDS = 5;

export { PROBE_BACKEND };

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
/** Why a feature (or image) set cannot be used, or null. */
function featureIssue(fs: LabelledFeatures | undefined, role: string, dim: number | null, trainer: UtilityTrainer): string | null {
  if (!fs) return `no ${role} was supplied`;
  if (!fs.labels) return `the ${role} has no class labels (no class subfolders or label column)`;
  if (fs.n === 0) return `the ${role} is empty`;
  if (fs.kind !== 'continuous' || !(fs.data instanceof Float32Array)) return `the ${role} holds discrete codes; the ${trainer.tier} tier needs continuous ${trainer.rowsAre}`;
  if (dim !== null && fs.dim !== dim) {
    return trainer.rowsAre === 'images'
      ? `the ${role} has ${fs.dim} values per image, the real training set has ${dim} (images of another size?)`
      : `the ${role} has feature dimension ${fs.dim}, the real training set has ${dim} (features from different extractors?)`;
  }
  const x = fs.data;
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return `the ${role} has a non-finite ${trainer.rowsAre === 'images' ? 'pixel' : 'feature'} value (row ${Math.floor(i / fs.dim)}, id ${fs.ids[Math.floor(i / fs.dim)]})`;
  return null;
}

const list = (a: string[]) => a.map((s) => JSON.stringify(s)).join(', ');

interface SeedScores {
  accuracy: number;
  balancedAccuracy: number;
  auc: number | null;
}

function evalStats(pl: PreparedTrainingSet, budget: UtilitySettings['budget'], scores: SeedScores[]): EvalStats {
  return {
    trainRows: pl.rows,
    epochs: (budget.steps * Math.min(budget.batchSize, pl.rows)) / pl.rows,
    components: pl.components,
    explainedVariance: pl.explained,
    accuracy: seedStats(scores.map((s) => s.accuracy)),
    balancedAccuracy: seedStats(scores.map((s) => s.balancedAccuracy)),
    auc: scores.every((s) => s.auc !== null) ? seedStats(scores.map((s) => s.auc!)) : null,
  };
}

function emptyReport(input: UtilityDataInput, settings: UtilitySettings, skipped: UtilitySkip[], notes: string[], t0: number): UtilityReport {
  const labelsOf = (fs?: LabelledFeatures) => (fs?.labels ? countLabels(fs.labels) : null);
  return {
    tier: settings.tier,
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

/** The tier's part of the settings; runProtocols adds seeds, augmentations, cross-task, test source, statistics. */
export type TierSettings = Pick<
  UtilitySettings,
  'tier' | 'architecture' | 'hiddenUnits' | 'budget' | 'learningRate' | 'optimizer' | 'loss' | 'standardisation' | 'projection' | 'cnn' | 'backend'
>;

/** Run every utility protocol that the inputs allow with the probe tier; see the file header. Rejects with an AbortError when cancelled. */
export async function runUtility(input: UtilityInput): Promise<UtilityReport> {
  const probe: Required<ProbeConfig> = { ...DEFAULT_PROBE_CONFIG, ...input.probe } as Required<ProbeConfig>;
  if (probe.components === undefined) probe.components = DEFAULT_PROBE_CONFIG.components;
  return runProtocols(input, probeTrainer(probe), probeSettings(probe, input.realTrain?.dim ?? 0));
}

/**
 * The protocols, shared by every tier: `trainer` fits and trains the models, `tierSettings` describes
 * them in the report. Rejects with an AbortError when cancelled.
 */
export async function runProtocols(input: UtilityDataInput, trainer: UtilityTrainer, tierSettings: TierSettings): Promise<UtilityReport> {
  const t0 = Date.now();
  const { signal } = input;
  if (signal?.aborted) throw abortError();
  const ctCfg: CrossTaskClassifierConfig = { C: 1, ...input.crossTaskClassifier };
  const seeds = input.seeds.slice();
  const settings: UtilitySettings = {
    ...tierSettings,
    seeds,
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
    trainer.validate();
    if (!(ctCfg.C > 0 && Number.isFinite(ctCfg.C))) throw new RangeError(`cross-task C must be > 0, got ${ctCfg.C}`);
  } catch (e) {
    return skipAll(`invalid classifier settings: ${(e as Error).message}`);
  }
  const realIssue = featureIssue(input.realTrain, 'real training set', null, trainer) ?? trainer.inputIssue(input.realTrain);
  if (realIssue) return skipAll(realIssue);
  const real = input.realTrain;
  const classes = [...new Set(real.labels!)].sort();
  if (classes.length < 2) return skipAll(`the real training set has a single class (${list(classes)}); a classifier needs at least two`);
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  const testIssue = featureIssue(input.test, 'real test set', real.dim, trainer);
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
      reason: `no augmented copies of the real training images were made in this run (flipped, rotated and contrast-changed copies, ${trainer.rowsAre === 'images' ? 'prepared' : 'embedded'} like the other images), so the free alternative could not be measured`,
    });
  } else {
    const issue = featureIssue(input.augmented, 'augmented set', real.dim, trainer);
    const extra = issue ? [] : [...new Set(input.augmented.labels!)].filter((c) => !classIndex.has(c)).sort();
    if (issue) skipped.push({ protocol: 'simpleAugmentation', reason: issue });
    else if (extra.length) skipped.push({ protocol: 'simpleAugmentation', reason: `the augmented set has class(es) ${list(extra)} that the real training set lacks` });
    else augOk = true;
  }

  // ---- cross-task ------------------------------------------------------------------
  let ctOk = false;
  let ctClasses: string[] = [];
  if (trainer.crossTaskIssue) {
    skipped.push({ protocol: 'crossTask', reason: trainer.crossTaskIssue });
  } else {
    const issue = input.crossTask ? featureIssue(input.crossTask, 'cross-task set', real.dim, trainer) : 'no second labelled real image set (a different task) was supplied';
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
    const issue = featureIssue(fs, `synthetic set "${name}"`, real.dim, trainer);
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
      if (!trainer.crossTaskIssue && ctOk) skip('crossTask', mapIssue);
      return plan;
    }
    plan.intra = true;
    plan.cross = ctOk;
    if (missing.length) skip('tstr', `synthetic set "${name}" lacks class(es) ${list(missing)}; a classifier trained on it alone can never predict them`);
    else plan.tstr = true;
    return plan;
  });

  // ---- progress accounting: one unit per training set prepared (when that fits something), per model
  // trained, per cross-task fold --
  const trainingSets = 1 + (augOk ? 1 : 0) + plans.reduce((a, p) => a + (p.intra ? 1 : 0) + (p.tstr ? 1 : 0), 0);
  const fits = trainer.prepareUnits * trainingSets;
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
  // time-left estimate from the gradient steps timed so far (tiers that report steps)
  let timedSteps = 0;
  let timedMs = 0;
  const ctx: TrainerContext = { classIndex, test, crossTask: ct, signal };

  /** A prepared training set, or the reason it cannot be used; then the units it would have run count as done. */
  const tryPrepare = async (parts: LabelledFeatures[], what: string, foldsPerSeed: number): Promise<PreparedTrainingSet | string> => {
    if (trainer.prepareUnits > 0) begin(trainer.prepareStage(what));
    try {
      const pl = await trainer.prepare(parts, what, ctx);
      finish(trainer.prepareUnits);
      return pl;
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      finish(trainer.prepareUnits + seeds.length * (1 + foldsPerSeed));
      modelNo += seeds.length;
      return e.message;
    }
  };

  const train = async (pl: PreparedTrainingSet, seed: number, what: string): Promise<TrainedUtilityModel> => {
    modelNo++;
    const stage = `Model ${modelNo} of ${models}: seed ${seed}, trained on ${what}`;
    begin(stage);
    const thisModel = modelNo;
    let last = performance.now();
    const m = await pl.train(
      seed,
      input.onProgress
        ? (s) => {
            const now = performance.now();
            timedMs += now - last;
            last = now;
            timedSteps++;
            const perStep = timedMs / timedSteps;
            const left = (s.steps - s.step) + (models - thisModel) * (trainer.stepsPerModel ?? s.steps);
            input.onProgress!({
              done,
              total,
              stage,
              training: { model: thisModel, models, seed, step: s.step, steps: s.steps, epoch: s.epoch, epochs: s.epochs, loss: s.loss, etaSec: (left * perStep) / 1000 },
            });
          }
        : undefined,
    );
    finish();
    return m;
  };
  const score = async (model: TrainedUtilityModel): Promise<SeedScores> => {
    const k = classes.length;
    const proba = await model.testProba();
    const pred = new Int32Array(test.n);
    for (let i = 0; i < test.n; i++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (proba[i * k + c] > proba[i * k + best]) best = c;
      pred[i] = best;
    }
    return {
      accuracy: accuracy(yTest, pred),
      balancedAccuracy: balancedAccuracy(yTest, pred),
      auc: aucOk ? rocAuc(yTest, proba, k) : null,
    };
  };
  const crossValidate = async (model: TrainedUtilityModel, seed: number, what: string): Promise<number> => {
    const { data: emb, dim: d } = await model.embedCrossTask();
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
  /** Trains one model, scores it (and cross-validates its embeddings), and always frees it. */
  const trainAndScore = async (pl: PreparedTrainingSet, seed: number, what: string, cross: boolean): Promise<{ scores: SeedScores; cv: number | null }> => {
    const m = await train(pl, seed, what);
    try {
      const scores = await score(m);
      const cv = cross ? await crossValidate(m, seed, what) : null;
      return { scores, cv };
    } finally {
      m.dispose();
    }
  };

  // ---- training ---------------------------------------------------------------------
  const baseScores: SeedScores[] = [];
  const baseCv: number[] = [];
  const augScores: SeedScores[] = [];
  const setScores = plans.map(() => ({ intra: [] as SeedScores[], tstr: [] as SeedScores[], cv: [] as number[] }));
  const anyCross = plans.some((p) => p.cross);

  const realPipe = await tryPrepare([real], 'the real training images', anyCross ? CROSS_TASK_FOLDS : 0);
  if (typeof realPipe === 'string') return skipAll(realPipe);
  let augPipe: PreparedTrainingSet | null = null;
  if (augOk) {
    const a = await tryPrepare([real, input.augmented!], 'real + simple augmentation', 0);
    if (typeof a === 'string') skipped.push({ protocol: 'simpleAugmentation', reason: a });
    else augPipe = a;
  }
  // real-only baseline and simple augmentation, per seed
  for (const seed of seeds) {
    const base = await trainAndScore(realPipe, seed, 'the real images only', anyCross);
    baseScores.push(base.scores);
    if (anyCross) baseCv.push(base.cv!);
    if (augPipe) augScores.push((await trainAndScore(augPipe, seed, 'real + simple augmentation', false)).scores);
  }
  // each synthetic set: its training sets are prepared once, then trained per seed
  const setPipes: { withSyn: PreparedTrainingSet | null; synOnly: PreparedTrainingSet | null }[] = [];
  for (let k = 0; k < plans.length; k++) {
    const p = plans[k];
    const name = p.entry.name;
    const skip = (protocol: UtilityProtocol, reason: string) => p.entry.skipped.push({ protocol, set: name, reason });
    let withSyn: PreparedTrainingSet | null = null;
    if (p.intra) {
      const r = await tryPrepare([real, p.fs], `real + "${name}"`, p.cross ? CROSS_TASK_FOLDS : 0);
      if (typeof r === 'string') {
        skip('intraTask', r);
        if (p.cross) skip('crossTask', r);
      } else withSyn = r;
    }
    let synOnly: PreparedTrainingSet | null = null;
    if (p.tstr) {
      const r = await tryPrepare([p.fs], `"${name}" only`, 0);
      if (typeof r === 'string') skip('tstr', r);
      else synOnly = r;
    }
    setPipes.push({ withSyn, synOnly });
    for (const seed of seeds) {
      if (withSyn) {
        const r = await trainAndScore(withSyn, seed, `real + "${name}"`, p.cross);
        setScores[k].intra.push(r.scores);
        if (p.cross) setScores[k].cv.push(r.cv!);
      }
      if (synOnly) setScores[k].tstr.push((await trainAndScore(synOnly, seed, `"${name}" only (train on synthetic, test on real)`, false)).scores);
    }
  }
  input.onProgress?.({ done, total, stage: 'Finished' });

  // ---- assemble ---------------------------------------------------------------------
  const budget = settings.budget;
  const baseline = evalStats(realPipe, budget, baseScores);
  const baseAcc = baseScores.map((s) => s.accuracy);
  const gain = (pl: PreparedTrainingSet, scores: SeedScores[]): GainResult => ({
    ...evalStats(pl, budget, scores),
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
    if (synOnly) e.tstr = evalStats(synOnly, budget, setScores[k].tstr);
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
    tier: settings.tier,
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

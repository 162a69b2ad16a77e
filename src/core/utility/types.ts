/**
 * Types of the utility evaluator: the protocol runner's input and its report
 * (see ./runUtility.ts for what every number means, METRICS.md, Utility, for the contract).
 */

import type { FeatureSet } from '../features/featureSet.ts';
import type { ProbeConfig } from './probe.ts';
import type { WilcoxonResult } from './wilcoxon.ts';

/** A labelled feature set (continuous features, string labels per row). */
export type LabelledFeatures = FeatureSet;

export type UtilityProtocol = 'all' | 'auc' | 'intraTask' | 'simpleAugmentation' | 'tstr' | 'crossTask';

export interface UtilitySkip {
  protocol: UtilityProtocol;
  /** Name of the synthetic set, when the skip concerns one set only. */
  set?: string;
  reason: string;
}

export interface SeedStats {
  perSeed: number[];
  mean: number;
  /** Sample standard deviation over seeds (ddof = 1); null with a single seed. */
  std: number | null;
}

export interface EvalStats {
  /** Rows the probe was trained on. */
  trainRows: number;
  /** Principal components of these training rows that the probe's input was reduced to; null without the projection. */
  components: number | null;
  /** Share of the training rows' standardised variance those components hold; null without the projection. */
  explainedVariance: number | null;
  accuracy: SeedStats;
  balancedAccuracy: SeedStats;
  /** ROC AUC (binary, or one-vs-rest macro); null when the test set lacks a class. */
  auc: SeedStats | null;
}

export interface GainStats {
  /** 100 (a_s - b_s) / b_s per seed; null where b_s = 0. */
  perSeed: (number | null)[];
  mean: number | null;
  std: number | null;
}

export interface PairedTest {
  gainPercent: GainStats;
  /** Two-sided paired Wilcoxon p-value over seeds; null when undefined (see note). */
  pValue: number | null;
  wilcoxon: WilcoxonResult | null;
  note?: string;
}

/** A model trained with extra rows (R + S or R + A) against the real-only baseline. */
export interface GainResult extends EvalStats, PairedTest {}

export interface CrossTaskResult extends PairedTest {
  folds: number;
  rows: number;
  classes: string[];
  /** Mean CV accuracy on the R-only probe's embeddings, per seed. */
  realOnlyCvAccuracy: SeedStats;
  /** Mean CV accuracy on the R+S probe's embeddings, per seed. */
  withSyntheticCvAccuracy: SeedStats;
}

export interface SyntheticUtility {
  name: string;
  rows: number;
  classCounts: Record<string, number>;
  /** The real-only baseline (the same for every set). */
  baseline: EvalStats | null;
  intraTask: GainResult | null;
  /** Simple augmentation R + A (the same for every set, repeated for comparison). */
  simpleAugmentation: GainResult | null;
  tstr: EvalStats | null;
  crossTask: CrossTaskResult | null;
  /** Skips that concern this set only. */
  skipped: UtilitySkip[];
}

export interface CrossTaskClassifierConfig {
  /** Inverse L2 regularisation strength of the cross-task logistic regression (sklearn's C). */
  C: number;
}

export type TestSource = { kind: 'held-out' } | { kind: 'split'; testFraction: number; seed: number };

/** The reduction in front of every probe (see ./projection.ts); what each probe got is in its EvalStats. */
export interface ProjectionSettings {
  /** 'pca': each probe's training rows are standardised and projected onto their top principal components; 'none': standardised features. */
  kind: 'pca' | 'none';
  /** Most components asked for (ProbeConfig.components; 0 = none). Each probe keeps min(requested, training rows - 1, dim), fewer when its rows are rank-deficient. */
  requested: number;
  /** Feature dimension before the projection. */
  inputDim: number;
  /** The axes are fitted on at most this many training rows (a seeded sample when there are more). */
  maxFitRows: number;
  description: string;
}

export interface UtilitySettings {
  tier: 'probe';
  architecture: ProbeConfig['architecture'];
  hiddenUnits: number | null;
  budget: { kind: 'gradient steps'; steps: number; batchSize: number };
  learningRate: number;
  optimizer: string;
  loss: string;
  standardisation: string;
  projection: ProjectionSettings;
  seeds: number[];
  /** What trained the probes: plain TypeScript in float64 (no TF.js backend is involved). */
  backend: string;
  augmentations: string[] | null;
  crossTask: { folds: number; classifier: string; C: number };
  testSource: TestSource;
  statistics: string;
}

export interface UtilityReport {
  tier: 'probe';
  settings: UtilitySettings;
  /** Class names (the real training set's labels, sorted); class index = position. */
  classes: string[];
  counts: {
    realTrain: Record<string, number>;
    test: Record<string, number>;
    augmented: Record<string, number> | null;
    crossTask: Record<string, number> | null;
  };
  baseline: EvalStats | null;
  simpleAugmentation: GainResult | null;
  sets: SyntheticUtility[];
  /** Every protocol that could not run, with the reason (global ones have no `set`). */
  skipped: UtilitySkip[];
  notes: string[];
  wallMs: number;
}

export interface UtilityProgress {
  done: number;
  total: number;
  stage: string;
}

export interface UtilityInput {
  realTrain: LabelledFeatures;
  /** Real test set, never trained on: the held-out set H or a split of R (see splitRealSet). */
  test: LabelledFeatures;
  synthetic: { name: string; features: LabelledFeatures }[];
  /** Features of augmented copies of the real training images (simple-augmentation reference). */
  augmented?: LabelledFeatures;
  /** Human-readable list of the augmentations that produced `augmented`. */
  augmentations?: string[];
  /** Second labelled real set for cross-task utility. */
  crossTask?: LabelledFeatures;
  seeds: number[];
  probe: ProbeConfig;
  /** Cross-task logistic regression settings; default C = 1 (sklearn's default). */
  crossTaskClassifier?: CrossTaskClassifierConfig;
  /** Where `test` came from, recorded in the report (default held-out). */
  testSource?: TestSource;
  signal?: AbortSignal;
  onProgress?(p: UtilityProgress): void;
}

/**
 * Types of the utility evaluator: the protocol runner's input and its report
 * (see ./runUtility.ts for what every number means, METRICS.md, Utility, for the contract).
 */

import type { FeatureSet } from '../features/featureSet.ts';
import type { CnnConfig } from './cnnConfig.ts';
import type { ProbeArchitecture, ProbeConfig } from './probe.ts';
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
  /** Rows (images) the model was trained on. */
  trainRows: number;
  /** Passes over those rows that the budget of gradient steps amounts to: steps x min(batch, rows) / rows. */
  epochs: number;
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

export type UtilityTier = 'probe' | 'cnn';

/** The cnn tier's network and inputs (see ./cnn.ts). */
export interface CnnSettings {
  /** Side of the square grayscale input images in pixels. */
  inputSize: number;
  /** One line per layer with its output shape. */
  layers: string[];
  config: CnnConfig;
  parameters: number;
  /** Multiply-adds of one forward pass of one image. */
  forwardMacs: number;
  initialisation: string;
  /** How the gradients are computed on this backend. */
  gradients: string;
  /** Memory one input image takes (float32), and the images this run held. */
  bytesPerImage: number;
  images: number;
}

export interface UtilitySettings {
  tier: UtilityTier;
  /** Probe: 'logistic' or 'mlp'; cnn: 'cnn' (layers in `cnn.layers`). */
  architecture: ProbeArchitecture | 'cnn';
  /** Probe mlp: hidden units; otherwise null. */
  hiddenUnits: number | null;
  budget: { kind: 'gradient steps'; steps: number; batchSize: number };
  learningRate: number;
  optimizer: string;
  loss: string;
  standardisation: string;
  /** Probe tier: the reduction in front of every probe; null for the cnn tier. */
  projection: ProjectionSettings | null;
  /** Cnn tier: the network; null for the probe tier. */
  cnn: CnnSettings | null;
  seeds: number[];
  /** What trained the models: plain TypeScript in float64 (probe), the TF.js backend name (cnn). */
  backend: string;
  augmentations: string[] | null;
  crossTask: { folds: number; classifier: string; C: number };
  testSource: TestSource;
  statistics: string;
}

export interface UtilityReport {
  tier: UtilityTier;
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
  /**
   * While a model trains step by step (cnn tier): which model, its step, pass over the data and batch
   * loss, and the estimated time left for every model still to train (null until a step was timed).
   */
  training?: {
    model: number;
    models: number;
    seed: number;
    step: number;
    steps: number;
    epoch: number;
    epochs: number;
    loss: number;
    etaSec: number | null;
  };
}

/** The data and protocol settings every tier takes. */
export interface UtilityDataInput {
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
  /** Cross-task logistic regression settings; default C = 1 (sklearn's default). */
  crossTaskClassifier?: CrossTaskClassifierConfig;
  /** Where `test` came from, recorded in the report (default held-out). */
  testSource?: TestSource;
  signal?: AbortSignal;
  onProgress?(p: UtilityProgress): void;
}

/** Probe tier: the rows are feature vectors. */
export interface UtilityInput extends UtilityDataInput {
  probe: ProbeConfig;
}

/** Cnn tier: the rows are S x S grayscale images (dim S * S, values in [0, 1]); unset fields take DEFAULT_CNN_CONFIG. */
export interface CnnUtilityInput extends UtilityDataInput {
  cnn?: Partial<CnnConfig>;
}

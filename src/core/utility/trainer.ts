/**
 * What the utility protocol runner (./runUtility.ts, runProtocols) needs from a model tier: fit
 * whatever depends on a training set only, train one model per seed, score the real test rows and
 * embed the cross-task rows. The `probe` tier (./probeTrainer.ts: projection + small MLP on features)
 * and the `cnn` tier (./cnnUtility.ts: a convolutional network on the images) implement it, so both
 * run exactly the same protocols, skips and statistics.
 */
import type { LabelledFeatures } from './types.ts';

/** One gradient step finished inside a model's training (the cnn tier reports these). */
export interface TrainingStep {
  /** 1-based step and the model's budget of steps. */
  step: number;
  steps: number;
  /** 1-based pass over the training rows this step belongs to, and the passes the budget makes. */
  epoch: number;
  epochs: number;
  /** Mean cross-entropy of the step's batch. */
  loss: number;
}

export interface TrainedUtilityModel {
  /** Class probabilities of the real test rows, row-major n_test x classes. */
  testProba(): Promise<Float32Array>;
  /** Penultimate-layer activations of the cross-task rows, row-major, and their width. */
  embedCrossTask(): Promise<{ data: Float32Array; dim: number }>;
  /** Frees what the model holds (TF.js tensors); called once its scores are taken, also on errors. */
  dispose(): void;
}

/** A training set made ready for training (e.g. its projection fitted); trains one model per seed. */
export interface PreparedTrainingSet {
  rows: number;
  /** Principal components the inputs were reduced to (probe tier with a projection), else null. */
  components: number | null;
  explained: number | null;
  train(seed: number, onStep?: (s: TrainingStep) => void): Promise<TrainedUtilityModel>;
}

/** What the runner knows once its checks passed; handed to prepare(). */
export interface TrainerContext {
  /** Class name -> index (the real training set's classes, sorted). */
  classIndex: Map<string, number>;
  test: LabelledFeatures;
  /** The cross-task set when that protocol runs, else null. */
  crossTask: LabelledFeatures | null;
  signal?: AbortSignal;
}

export interface UtilityTrainer {
  /** Tier name used in messages ('probe', 'cnn'). */
  tier: string;
  /** Throws a RangeError when the tier's settings are invalid. */
  validate(): void;
  /**
   * A reason why the real training set cannot be this tier's input (checked before anything else; the
   * other sets must then have the same dimension), or null.
   */
  inputIssue(real: LabelledFeatures): string | null;
  /** What a row is, in messages: 'features' or 'images'. */
  rowsAre: string;
  /** Why the cross-task protocol cannot run with this tier's model (no penultimate layer), or null. */
  crossTaskIssue: string | null;
  /** Progress units one prepare() counts (1 when it fits something, 0 when preparing is free). */
  prepareUnits: number;
  /** The progress stage announced while prepare() fits (used when prepareUnits > 0). */
  prepareStage(what: string): string;
  /** Gradient steps of one model (for the time-left estimate), or null when steps are not reported. */
  stepsPerModel: number | null;
  /**
   * Makes a training set ready. Throws a RangeError whose message is the full reason when the rows
   * cannot be used (the protocols needing them are then skipped with that reason).
   */
  prepare(parts: LabelledFeatures[], what: string, ctx: TrainerContext): Promise<PreparedTrainingSet>;
}

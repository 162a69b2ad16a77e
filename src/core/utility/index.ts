/** Utility evaluator (METRICS.md, Utility): statistics, the probe and cnn tiers and the protocol runner. */
export { wilcoxon, rankAverage, normalSf, erfc, wilcoxonNullPmf, type WilcoxonResult } from './wilcoxon.ts';
export { accuracy, balancedAccuracy, rocAuc, rocAucBinary } from './classificationMetrics.ts';
export { stratifiedSplit, stratifiedKFold, complementIndices } from './split.ts';
export { createRng, shuffleInPlace, type Rng } from './rng.ts';
export {
  trainProbe,
  columnStats,
  validateProbeConfig,
  abortError,
  DEFAULT_PROBE_CONFIG,
  ADAM,
  YIELD_MS,
  lossAndGradient,
  adamStep,
  adamState,
  initialParameters,
  parameterViews,
  parameterCount,
  probeWork,
  type ProbeShape,
  type ProbeWork,
  type AdamState,
  type ProbeArchitecture,
  type ProbeConfig,
  type ProbeData,
  type ProbeWeights,
  type TrainOptions,
  type TrainedProbe,
} from './probe.ts';
export { runUtility, runProtocols, splitRealSet, pairedTest, gainStats, CROSS_TASK_FOLDS, PROBE_BACKEND, type TierSettings } from './runUtility.ts';
export { probeTrainer, probeSettings } from './probeTrainer.ts';
export type { UtilityTrainer, PreparedTrainingSet, TrainedUtilityModel, TrainerContext, TrainingStep } from './trainer.ts';
export {
  trainCnn,
  conv3x3,
  cnnLayers,
  cnnParameterCount,
  cnnForwardMacs,
  cnnInputBytes,
  initialCnnParameters,
  validateCnnConfig,
  DEFAULT_CNN_CONFIG,
  CNN_ADAM,
  type CnnConfig,
  type CnnImages,
  type CnnStep,
  type CnnTrainOptions,
  type TrainedCnn,
} from './cnn.ts';
export { runCnnUtility, cnnTrainer, cnnSettings, cnnConfigOf, cnnMemoryIssue, CNN_MAX_INPUT_BYTES } from './cnnUtility.ts';
export { ensureWasmConvFilterGradient, filterGradientSource, im2colTransposed } from './convFilterGrad.ts';
export { fitProjection, sampleRows, PCA_MAX_ROWS, PCA_RELATIVE_TOLERANCE, type FeatureProjection } from './projection.ts';
export { fitLogisticRegression, type LogisticRegressionModel, type LogisticRegressionOptions } from './logisticRegression.ts';
export type * from './types.ts';

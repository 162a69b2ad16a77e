/** Utility evaluator (METRICS.md, Utility): statistics, the probe tier and the protocol runner. */
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
export { runUtility, splitRealSet, pairedTest, gainStats, CROSS_TASK_FOLDS, PROBE_BACKEND } from './runUtility.ts';
export { fitProjection, sampleRows, PCA_MAX_ROWS, PCA_RELATIVE_TOLERANCE, type FeatureProjection } from './projection.ts';
export { fitLogisticRegression, type LogisticRegressionModel, type LogisticRegressionOptions } from './logisticRegression.ts';
export type * from './types.ts';

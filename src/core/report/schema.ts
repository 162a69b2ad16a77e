/**
 * The SynthLens report: a versioned, JSON-serialisable record of one evaluation run.
 *
 * Compatibility rule: fields may be added in later versions, never renamed or removed; a change
 * that breaks a reader bumps REPORT_VERSION. The documented shape is in docs/cli.md. Metric
 * definitions: shared/design/METRICS.md (copied into docs/).
 * Every number is finite; a value that cannot be computed is null and a warning says why.
 */
import type { FeatureKind } from '../features/featureSet.ts';
import type { SyntheticUtility, UtilityReport } from '../utility/types.ts';

export const REPORT_VERSION = 1;

/** Defaults of the evaluation parameters (METRICS.md): k, tau, KID seed, KID subset size cap and count. */
export const DEFAULT_CONFIG = Object.freeze({ k: 5, tau: 0.05, seed: 2020, kidSubsetSize: 1000, kidSubsets: 100 });
export const APP_NAME = 'synthlens';
/** Must equal package.json's version (a unit test checks it). */
export const APP_VERSION = '0.1.0';

export interface Summary3 {
  min: number;
  p5: number;
  median: number;
}

export interface KidSummary {
  mean: number;
  std: number;
  subsetSize: number;
  subsets: number;
  note?: string;
  /**
   * The kernel's inner products: 'float64' computed for KID, or 'float32' taken from the neighbour
   * passes' products of centred rows (large sets; src/core/metrics/kidSums.ts).
   */
  products?: 'float64' | 'float32';
}

export interface VarietyValue {
  /** Byte length of the deterministic PNG of the mean image (smaller = more varied). */
  pngBytes: number;
  /** 1 - (size - min) / (max - min) over the real set and every synthetic set with a size. */
  score: number;
}

/** The metrics of one synthetic set (pooled, or within one class). */
export interface SetMetrics {
  fidelity: number;
  privacy: number;
  fidelityPrivacy: number;
  modeCollapseRuleApplied: boolean;
  /** Mean over dimensions of the population std (ddof = 0) of the set's features. */
  featureStd: number;
  precision: number;
  /** null when the set has k or fewer rows (the synthetic k-NN radius does not exist). */
  recall: number | null;
  density: number;
  coverage: number;
  /** null for discrete features (FID of integer codes has no meaning) or when it could not be computed. */
  fid: number | null;
  kid: KidSummary | null;
  dcr: Summary3;
  holdoutDcr: Summary3 | null;
  memorizationRate: number | null;
  vendi: number | null;
  /** P, F and F^p of the held-out real set against the reference set (calibration; null without holdout). */
  holdoutPrivacy: number | null;
  holdoutFidelity: number | null;
  holdoutFidelityPrivacy: number | null;
  /** File-size variety; null when the run had features only (the measure needs the images). */
  variety: VarietyValue | null;
}

export interface ReportSet {
  name: string;
  count: number;
  /** Rows per class label ({} when the set has no labels). */
  classes: Record<string, number>;
  metrics: SetMetrics;
  /** Per class label, when labels exist on both sides; classes that could not be evaluated are absent (see warnings). */
  perClass: Record<string, SetMetrics>;
  warnings: string[];
  /**
   * How the neighbour engine computed the pooled distances (method, backend, tile size, exact recomputations);
   * workers: threads that ran the S x R pass (1: one thread; absent in reports written before it was recorded).
   */
  engine?: { method: string; backend: string | null; tileSize: number; pairs: number; exactPairs: number; workers?: number; screening?: 'device' | 'host' };
  /** This set's utility (baseline, intraTask, simpleAugmentation, tstr, crossTask) when the run trained classifiers. */
  utility?: SyntheticUtility | null;
}

export interface HoldoutCalibration {
  fidelity: number;
  privacy: number;
  fidelityPrivacy: number;
  modeCollapseRuleApplied: boolean;
  featureStd: number;
  /** DCR of each held-out image to the reference set. */
  dcr: Summary3;
}

export interface ReportConfig {
  k: number;
  tau: number;
  seed: number;
  featureKind: FeatureKind;
  /** 'euclidean' for continuous features, 'hamming' (fraction of differing positions) for discrete. */
  distance: 'euclidean' | 'hamming';
  /** Largest KID subset size (the subset size used is min(this, N, M)). */
  kidSubsetSize: number;
  kidSubsets: number;
  dim: number;
  extractor?: { id: string; weightsSha256?: string; [key: string]: unknown } | null;
  preprocessing?: Record<string, unknown> | null;
  backend: string;
  [key: string]: unknown;
}

export interface Report {
  version: number;
  config: ReportConfig;
  real: { count: number; classes: Record<string, number>; variety: VarietyValue | null };
  holdout: (HoldoutCalibration & { count: number; classes: Record<string, number>; perClass: Record<string, HoldoutCalibration> }) | null;
  sets: ReportSet[];
  skipped: { path: string; reason: string }[];
  /** Wall time per stage in milliseconds. */
  timings: Record<string, number>;
  app: { name: string; version: string };
  /** Run-level notes and warnings (per-set ones are in sets[].warnings). */
  warnings: string[];
  createdAt: string;
  /** The utility evaluator's report (src/core/utility/types.ts) when the run trained classifiers. */
  utility?: UtilityReport | null;
}

/** Names of the SetMetrics scalar columns, in the order the CSV exporter and the CLI table use. */
export const METRIC_KEYS = [
  'fidelity', 'privacy', 'fidelityPrivacy', 'modeCollapseRuleApplied', 'featureStd',
  'precision', 'recall', 'density', 'coverage', 'fid', 'kid', 'dcr', 'holdoutDcr', 'memorizationRate',
  'vendi', 'holdoutPrivacy', 'holdoutFidelity', 'holdoutFidelityPrivacy', 'variety',
] as const satisfies readonly (keyof SetMetrics)[];

/** Rows per label ({} when unlabelled), keys in sorted order. */
export function classCounts(labels: string[] | null): Record<string, number> {
  const out: Record<string, number> = {};
  if (!labels) return out;
  for (const l of [...labels].sort()) out[l] = (out[l] ?? 0) + 1;
  return out;
}

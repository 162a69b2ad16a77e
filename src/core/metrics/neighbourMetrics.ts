/**
 * All neighbour-based metrics of one synthetic set against one real set, from one S x R
 * pass of the neighbour engine (plus the S x S pass for PRDC recall and, unless cached,
 * the R x R pass for the real radii).
 *
 * References per family (see each file): fidelityPrivacy.ts (Xing et al. MICCAI 2023,
 * ayanglab/MedSynAnalyzer), prdc.ts (Naeem et al. 2020, clovaai/generative-evaluation-prdc),
 * dcr.ts (METRICS.md), featureStd.ts. Contract: shared/design/METRICS.md.
 *
 * Calibration (METRICS.md): run `neighbourMetrics(real, holdout, ...)` with the holdout H
 * in place of S; its privacy / fidelity are holdoutPrivacy / holdoutFidelity, and its
 * dcr.distances are the holdoutDcrs to pass for every synthetic set. holdoutCalibration()
 * does exactly that.
 */
import type { FeatureSet } from '../features/featureSet.ts';
import {
  computeRealRadii,
  crossPass,
  crossPassBlocks,
  knnRadiiWithStats,
  Progress,
  selfPassBlocks,
  resolveTileSize,
  type EngineOptions,
  type EngineStats,
  type RealRadii,
} from '../neighbours/engine.ts';
import { validateFeatureSet, validatePair } from '../neighbours/exact.ts';
import { dcrFromDistances, type DcrResult } from './dcr.ts';
import { featureStd } from './featureStd.ts';
import { copyRadii, fidelityPrivacyFromPass, modeCollapseRuleFires, type FidelityPrivacyResult } from './fidelityPrivacy.ts';
import { prdcFromPass, type PrdcResult } from './prdc.ts';
import type { Membership } from './kidSums.ts';

export type { Assignments, FidelityPrivacyResult } from './fidelityPrivacy.ts';
export type { PrdcResult } from './prdc.ts';
export type { Summary3, DcrResult } from './dcr.ts';
export type { RealRadii } from '../neighbours/engine.ts';
export { computeRealRadii };

export interface NeighbourMetrics {
  fidelityPrivacy: FidelityPrivacyResult;
  prdc: PrdcResult;
  dcr: DcrResult;
  /** How the distances were computed (added field): method, backend, tiles, exact recomputations. */
  engine?: EngineStats;
  /**
   * With opts.kid: KID's kernel sums over S x S (half the off-diagonal sum: each pair once) and
   * S x R per subset, from the passes' float32 products (kidSums.ts); null when a pass did not
   * read its products back, or S had no self pass (N <= k).
   */
  kidSums?: { yy: Float64Array; xy: Float64Array } | null;
}

export interface NeighbourMetricsOptions extends EngineOptions {
  k: number;
  tau: number;
  /** Cached computeRealRadii(real, k) result; computed here when absent. */
  radii?: RealRadii;
  /** DCRs of the holdout set against R (neighbourMetrics(real, holdout).dcr.distances). */
  holdoutDcrs?: Float64Array | null;
  /** KID's subsets, to take its S x S and S x R kernel sums from the passes (kidSums.ts; result.kidSums). */
  kid?: { real: Membership; synth: Membership; subsets: number } | null;
}

export async function neighbourMetrics(real: FeatureSet, synth: FeatureSet, opts: NeighbourMetricsOptions): Promise<NeighbourMetrics> {
  const { k, tau } = opts;
  if (!Number.isInteger(k) || k < 1) throw new Error(`k must be a positive integer, got ${k}`);
  if (!(tau >= 0)) throw new Error(`tau must be a non-negative number, got ${tau}`);
  validateFeatureSet(real, 'real set');
  validateFeatureSet(synth, 'synthetic set');
  validatePair(real, synth, 'real set', 'synthetic set');
  const M = real.n;
  const N = synth.n;
  if (M < k + 1) throw new Error(`the real set needs more than k = ${k} images, it has ${M}`);
  if (opts.radii) {
    const r = opts.radii;
    if (r.k !== k) throw new Error(`cached radii were computed with k = ${r.k}, not ${k}`);
    if (r.rho1.length !== M || r.rhoK.length !== M || (r.n !== undefined && r.n !== M)) {
      throw new Error(`cached radii are for ${r.rho1.length} real images, the real set has ${M}`);
    }
  }
  const T = await resolveTileSize(real, opts);
  const withRecall = N > k;
  const total =
    (opts.radii ? 0 : selfPassBlocks(M, T)) + (withRecall ? selfPassBlocks(N, T) : 0) + crossPassBlocks(N, M, T);
  const progress = new Progress(total, opts.onProgress);

  let radii = opts.radii;
  if (!radii) radii = (await knnRadiiWithStats(real, k, opts, progress)).radii;

  const fstd = featureStd(synth);
  const fired = N > 0 && modeCollapseRuleFires(fstd, tau);
  const kid = opts.kid ?? null;
  const selfS = withRecall ? await knnRadiiWithStats(synth, k, opts, progress, kid && { subsets: kid.subsets, groups: [{ rows: kid.synth, cols: kid.synth }] }) : null;
  const sigmaK = selfS ? selfS.radii.rhoK : null;
  const pass = await crossPass(
    real, synth, { copyRadius: copyRadii(radii.rho1, tau, fired), rhoK: radii.rhoK, sigmaK }, opts, progress,
    kid && { subsets: kid.subsets, groups: [{ rows: kid.synth, cols: kid.real }] },
  );
  const yy = selfS?.kidSums?.[0] ?? null;
  const xy = pass.kidSums?.[0] ?? null;

  return {
    fidelityPrivacy: fidelityPrivacyFromPass(pass, radii, { tau, featureStd: fstd, modeCollapseRuleApplied: fired }),
    prdc: prdcFromPass(pass, radii.rhoK, k),
    dcr: dcrFromDistances(pass.nearestRealDistance, opts.holdoutDcrs ?? null),
    engine: pass.stats,
    ...(kid ? { kidSums: yy && xy ? { yy, xy } : null } : {}),
  };
}

export interface HoldoutCalibration {
  /** P, F and F^p of the holdout set treated as a synthetic set. */
  holdoutPrivacy: number;
  holdoutFidelity: number;
  holdoutFidelityPrivacy: number;
  /** DCR of every holdout image against R; pass as holdoutDcrs. */
  holdoutDcrs: Float64Array;
  /** The full result for H, for reports that want more. */
  metrics: NeighbourMetrics;
}

/** METRICS.md calibration: the holdout set scored exactly as if it were a synthetic set. */
export async function holdoutCalibration(
  real: FeatureSet,
  holdout: FeatureSet,
  opts: Omit<NeighbourMetricsOptions, 'holdoutDcrs'>,
): Promise<HoldoutCalibration> {
  const metrics = await neighbourMetrics(real, holdout, { ...opts, holdoutDcrs: null });
  return {
    holdoutPrivacy: metrics.fidelityPrivacy.privacy,
    holdoutFidelity: metrics.fidelityPrivacy.fidelity,
    holdoutFidelityPrivacy: metrics.fidelityPrivacy.fidelityPrivacy,
    holdoutDcrs: metrics.dcr.distances,
    metrics,
  };
}

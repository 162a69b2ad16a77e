/**
 * Fidelity F, privacy P and privacy-aware fidelity F^p (copy set / real set / non-real set).
 *
 * References: Xing, Felder, Nan, Papanastasiou, Walsh, Yang, "You Don't Have to Be Perfect
 * to Be Amazing: Unveil the Utility of Synthetic Images", MICCAI 2023 (arXiv 2305.18337);
 * the authors' code ayanglab/MedSynAnalyzer, utils.compute_fidelity_privacy; the contract
 * is shared/design/METRICS.md ("Fidelity F and privacy P").
 *
 * Semantics (pure functions over the neighbour engine's S x R pass):
 * - copy(s) = exists i: D(s, r_i) < copyRadius(i), copyRadius(i) = rho_1(i), or
 *   rho_1(i) + tau when the mode-collapse rule fires (featureStd(S) <= tau, as the authors'
 *   code: the rule is off only when the mean std is > tau).
 * - realistic(s) = exists i: D(s, r_i) < rho_k(i).
 * - F = mean realistic, P = 1 - mean copy, F^p = mean(realistic and not copy).
 * - Per-image set: 0 copy if copy(s), else 1 real if realistic(s), else 2 non-real.
 *
 * Subtleties worth knowing when reading the per-image assignments:
 * - copy(s) and realistic(s) quantify over ALL reals, not only the nearest one. Radii differ
 *   between reals, so s can be a copy of some r_b while its nearest real r_a is farther than
 *   rho_1(a) (or realistic through r_b while outside r_a's k-ball). The assignment reports
 *   the nearest real with ITS rho_1 / rho_k and, in `copyOf`, the lowest-index real whose
 *   copy ball holds s (-1 when none), which is the pair a privacy audit should show.
 * - The assignment's rho1 is the plain rho_1 of the nearest real; when the rule fired the
 *   copy radius used was rho1 + tau.
 * - A duplicate inside R gives rho_1 = 0, so nothing (not even an exact copy) lies strictly
 *   inside that copy ball unless the rule fired.
 */
import type { CrossPassResult, RealRadii } from '../neighbours/engine.ts';

export interface Assignments {
  nearestReal: Int32Array;
  distance: Float64Array;
  rho1: Float64Array;
  rhoK: Float64Array;
  /** 0 copy, 1 real, 2 non-real */
  set: Uint8Array;
  /** Lowest index of a real whose copy ball contains the image, or -1 (added field; always set by this module). */
  copyOf?: Int32Array;
}

export interface FidelityPrivacyResult {
  fidelity: number;
  privacy: number;
  fidelityPrivacy: number;
  modeCollapseRuleApplied: boolean;
  tau: number;
  featureStd: number;
  assignments: Assignments;
}

export const SET_COPY = 0;
export const SET_REAL = 1;
export const SET_NON_REAL = 2;

/** The authors' rule: mode collapse is assumed when the mean feature std is <= tau. */
export function modeCollapseRuleFires(featureStd: number, tau: number): boolean {
  return featureStd <= tau;
}

/** Copy radius per real: rho_1(i), plus tau when the mode-collapse rule fired (float64 sum, as numpy). */
export function copyRadii(rho1: Float64Array, tau: number, ruleApplied: boolean): Float64Array {
  if (!ruleApplied) return rho1;
  const out = new Float64Array(rho1.length);
  for (let i = 0; i < rho1.length; i++) out[i] = rho1[i] + tau;
  return out;
}

export function fidelityPrivacyFromPass(
  pass: Pick<CrossPassResult, 'copy' | 'copyOf' | 'realistic' | 'nearestReal' | 'nearestRealDistance'>,
  radii: RealRadii,
  info: { tau: number; featureStd: number; modeCollapseRuleApplied: boolean },
): FidelityPrivacyResult {
  const N = pass.copy.length;
  const set = new Uint8Array(N);
  const rho1 = new Float64Array(N);
  const rhoK = new Float64Array(N);
  let nCopy = 0;
  let nReal = 0;
  let nFp = 0;
  for (let j = 0; j < N; j++) {
    const c = pass.copy[j] === 1;
    const r = pass.realistic[j] === 1;
    if (c) nCopy++;
    if (r) nReal++;
    if (r && !c) nFp++;
    set[j] = c ? SET_COPY : r ? SET_REAL : SET_NON_REAL;
    const i = pass.nearestReal[j];
    rho1[j] = radii.rho1[i];
    rhoK[j] = radii.rhoK[i];
  }
  return {
    fidelity: nReal / N,
    privacy: 1 - nCopy / N,
    fidelityPrivacy: nFp / N,
    modeCollapseRuleApplied: info.modeCollapseRuleApplied,
    tau: info.tau,
    featureStd: info.featureStd,
    assignments: {
      nearestReal: pass.nearestReal,
      distance: pass.nearestRealDistance,
      rho1,
      rhoK,
      set,
      copyOf: pass.copyOf,
    },
  };
}

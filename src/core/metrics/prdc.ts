/**
 * Precision, recall, density and coverage.
 *
 * Reference: Naeem, Oh, Uh, Choi, Yoo, "Reliable Fidelity and Diversity Metrics for
 * Generative Models", ICML 2020; official code clovaai/generative-evaluation-prdc
 * (prdc.compute_prdc); contract: shared/design/METRICS.md (Standard metrics).
 *
 * From the neighbour engine's S x R pass (k = the same k as the real radii):
 * - precision = share of S inside some real ball B(r_i, rho_k(i))  (= fidelity F)
 * - recall    = share of R inside some synthetic ball B(s_j, sigma_k(j)), sigma_k the
 *               k-NN radius within S (needs N > k; NaN otherwise)
 * - density   = (number of pairs with D(s, r_i) < rho_k(i)) / (k N)
 * - coverage  = share of r_i whose nearest synthetic image lies inside B(r_i, rho_k(i))
 *
 * Conventions against the official code: it uses strict < in all four tests, like
 * METRICS.md, and the same radii (the (k+1)-th smallest of each self-distance row, the
 * self distance included). Differences are numerical only: the official code decides on
 * sklearn's float32 distances (dot-product formula, cast to float32) while we decide on
 * exact float64 distances, so a pair within ~1e-7 relative of a radius can differ; and it
 * computes density as (1/k) * mean(counts) instead of count / (k N) (last-bit differences).
 */
import type { CrossPassResult } from '../neighbours/engine.ts';

export interface PrdcResult {
  precision: number;
  recall: number;
  density: number;
  coverage: number;
}

export function prdcFromPass(
  pass: Pick<CrossPassResult, 'realistic' | 'recalled' | 'densityCount' | 'nearestSynthDistance'>,
  rhoK: Float64Array,
  k: number,
): PrdcResult {
  const N = pass.realistic.length;
  const M = rhoK.length;
  let nReal = 0;
  for (let j = 0; j < N; j++) nReal += pass.realistic[j];
  let nRecalled = 0;
  if (pass.recalled) for (let i = 0; i < M; i++) nRecalled += pass.recalled[i];
  let nCovered = 0;
  for (let i = 0; i < M; i++) if (pass.nearestSynthDistance[i] < rhoK[i]) nCovered++;
  return {
    precision: nReal / N,
    recall: pass.recalled ? nRecalled / M : NaN,
    density: pass.densityCount / (k * N),
    coverage: nCovered / M,
  };
}

/**
 * Vendi score (Friedman & Dieng, "The Vendi Score: A Diversity Evaluation Metric for
 * Machine Learning", TMLR 2023). Reference implementation: the vendi_score package
 * (vertaix/Vendi-Score, vendi_score/vendi.py: score_X, score_dual, entropy_q with q = 1):
 *
 *   rows L2-normalised (sklearn.preprocessing.normalize: all-zero rows stay zero),
 *   K = X X^T (cosine similarity), w = eigenvalues of K / n,
 *   VS = exp(-sum_{w_i > 0} w_i ln w_i)   (natural log; zero and negative eigenvalues,
 *   i.e. rounding noise, are skipped exactly as entropy_q does with p[p > 0]).
 *
 * When n > d the non-zero eigenvalues are taken from the d x d matrix X^T X / n
 * (score_dual), otherwise from the n x n kernel; both share the same non-zero spectrum,
 * so the smaller one is decomposed: O(n d min(n, d)) for the product plus O(min(n, d)^3).
 */
import type { FeatureSet } from '../features/featureSet.ts';
import { crossProductOf, momentBlockRows } from '../linalg/crossprod.ts';
import { forEachRowBlock, rowsInMemory } from '../features/rowSource.ts';
import { gemm, rowsOperand } from '../linalg/gemm.ts';
import { eigvalsh, symmetricMatrix } from '../linalg/eigh.ts';

export interface VendiResult {
  score: number;
  warnings: string[];
}

/** Vendi score of the rows, with caveats about the input. */
export function vendiScore(fs: FeatureSet): VendiResult {
  const { n, dim: d } = fs;
  if (n < 1) throw new Error('Vendi score needs at least one row');
  const warnings: string[] = [];
  if (fs.kind === 'discrete') {
    warnings.push('Vendi score on discrete features: the integer codes are treated as numbers (cast to float64).');
  }
  const scale = new Float64Array(n);
  let zeroRows = 0;
  forEachRowBlock(fs, momentBlockRows(d), (data, first, count) => {
    for (let rr = 0; rr < count; rr++) {
      const o = rr * d;
      let s = 0;
      for (let j = 0; j < d; j++) { const v = data[o + j]; s += v * v; }
      if (!Number.isFinite(s)) throw new Error('feature set contains non-finite values');
      const r = first + rr;
      if (s > 0) scale[r] = 1 / Math.sqrt(s);
      else { scale[r] = 1; zeroRows++; }
    }
  });
  if (zeroRows > 0) {
    warnings.push(
      `Vendi score: ${zeroRows} all-zero feature row(s) have no direction; as in vendi_score they stay zero ` +
      'and add nothing to the diversity.',
    );
  }
  // the smaller of the two matrices, built where eigh decomposes it in place
  const order = Math.min(n, d);
  const k = symmetricMatrix(order);
  if (n > d) crossProductOf(fs, { rowScale: scale, out: k });
  else {
    const rows = rowsOperand(rowsInMemory(fs), 0, d, undefined, scale);
    gemm(n, n, d, rows, rows, k, 0, n, { symmetric: true });
  }
  for (let i = 0; i < k.length; i++) k[i] /= n;
  const w = eigvalsh(k, order, true);
  let h = 0;
  for (let i = 0; i < order; i++) {
    const p = w[i];
    if (p > 0) h -= p * Math.log(p);
  }
  return { score: Math.exp(h), warnings };
}

/** Vendi score (order q = 1, cosine-similarity kernel) of the rows of `fs`. */
export function vendi(fs: FeatureSet): number {
  return vendiScore(fs).score;
}

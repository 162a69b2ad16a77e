/**
 * Feature STD: mean over feature dimensions of the population standard deviation
 * (ddof = 0) of a set's features, computed in float64 (two passes: mean, then squared
 * deviations).
 *
 * Reference: shared/design/METRICS.md (Variety, Feature STD); the authors' code,
 * ayanglab/MedSynAnalyzer quality_evaluator.ComputeAllMetrics.std:
 * `np.mean(np.std(fake_features, axis=0))`. Their features arrive as float32 arrays, so
 * numpy accumulates in float32 there; we accumulate in float64 (difference ~1e-7 relative).
 * Also the statistic behind the mode-collapse rule (fidelityPrivacy.ts).
 */
import type { FeatureSet } from '../features/featureSet.ts';
import { blockRows, forEachRowBlock } from '../features/rowSource.ts';
import { columnMeansOf } from '../linalg/crossprod.ts';

export function featureStd(fs: FeatureSet): number {
  const { n, dim } = fs;
  if (n === 0 || dim === 0) return NaN;
  const mean = columnMeansOf(fs);
  const rows = blockRows(dim);
  const ss = new Float64Array(dim);
  forEachRowBlock(fs, rows, (data, _first, count) => {
    for (let i = 0; i < count; i++) {
      const o = i * dim;
      for (let t = 0; t < dim; t++) {
        const v = data[o + t] - mean[t];
        ss[t] += v * v;
      }
    }
  });
  let s = 0;
  for (let t = 0; t < dim; t++) s += Math.sqrt(ss[t] / n);
  return s / dim;
}

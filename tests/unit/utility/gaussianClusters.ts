/** Seeded Gaussian-cluster features for the utility tests (not a test file itself). */
import { makeFeatureSet, type FeatureSet } from '../../../src/core/features/featureSet.ts';
import { createRng } from '../../../src/core/utility/rng.ts';

/**
 * `perClass` rows per class; class c has mean `shift * means[c]` in the first
 * means[c].length dimensions and 0 elsewhere; unit-variance isotropic noise.
 */
export function gaussianClusters(opts: {
  seed: number;
  perClass: number[];
  dim: number;
  means: number[][];
  labels?: string[];
  noise?: number;
}): FeatureSet {
  const rng = createRng(opts.seed, 77);
  const gauss = () => {
    let u = 0;
    while (u === 0) u = rng.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
  };
  const names = opts.labels ?? opts.perClass.map((_, c) => `class${c}`);
  const n = opts.perClass.reduce((a, b) => a + b, 0);
  const data = new Float32Array(n * opts.dim);
  const labels: string[] = [];
  let r = 0;
  opts.perClass.forEach((count, c) => {
    for (let i = 0; i < count; i++, r++) {
      for (let j = 0; j < opts.dim; j++) data[r * opts.dim + j] = (opts.means[c][j] ?? 0) + (opts.noise ?? 1) * gauss();
      labels.push(names[c]);
    }
  });
  return makeFeatureSet(data, n, opts.dim, { labels, ids: labels.map((l, i) => `${l}/${i}.png`) });
}

/**
 * Exact pairwise distances (the arithmetic every membership decision is made on).
 *
 * - Euclidean: sqrt(sum_t (x_t - y_t)^2) accumulated in float64, in index order, from the
 *   stored feature values (float32 values are exact in float64). This is the same
 *   arithmetic as scipy.spatial.distance.cdist(x.astype(float64), y.astype(float64)).
 * - Hamming: (number of positions that differ) / dim, an integer count divided once, so
 *   ties between rows are exact.
 *
 * See shared/design/METRICS.md, Notation.
 */
import type { FeatureSet } from '../features/featureSet.ts';
import { RowAccess, blockRows, forEachRowBlock, isStreamed } from '../features/rowSource.ts';

export type Values = Float32Array | Int32Array | Uint16Array;

/** Exact float64 Euclidean distance between row ia of A and row ib of B (both with `dim` columns). */
export function euclidean64(A: Values, ia: number, B: Values, ib: number, dim: number): number {
  let s = 0;
  const oa = ia * dim;
  const ob = ib * dim;
  for (let t = 0; t < dim; t++) {
    const v = A[oa + t] - B[ob + t];
    s += v * v;
  }
  return Math.sqrt(s);
}

/**
 * euclidean64 of four pairs (ia[q], ib[q]) at once into out[0..3]: each sum has exactly
 * euclidean64's arithmetic (same terms, same order); the four independent sums only
 * interleave, so a float64 add's latency is paid once per four pairs.
 */
export function euclidean64x4(
  A: Values, B: Values, dim: number,
  i0: number, j0: number, i1: number, j1: number, i2: number, j2: number, i3: number, j3: number,
  out: Float64Array,
): void {
  const a0 = i0 * dim, a1 = i1 * dim, a2 = i2 * dim, a3 = i3 * dim;
  const b0 = j0 * dim, b1 = j1 * dim, b2 = j2 * dim, b3 = j3 * dim;
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (let t = 0; t < dim; t++) {
    const v0 = A[a0 + t] - B[b0 + t];
    const v1 = A[a1 + t] - B[b1 + t];
    const v2 = A[a2 + t] - B[b2 + t];
    const v3 = A[a3 + t] - B[b3 + t];
    s0 += v0 * v0;
    s1 += v1 * v1;
    s2 += v2 * v2;
    s3 += v3 * v3;
  }
  out[0] = Math.sqrt(s0);
  out[1] = Math.sqrt(s1);
  out[2] = Math.sqrt(s2);
  out[3] = Math.sqrt(s3);
}

/** Number of positions where row ia of A and row ib of B differ. */
export function hammingCount(A: Values, ia: number, B: Values, ib: number, dim: number): number {
  let c = 0;
  const oa = ia * dim;
  const ob = ib * dim;
  for (let t = 0; t < dim; t++) if (A[oa + t] !== B[ob + t]) c++;
  return c;
}

/** Hamming distance = fraction of positions that differ. */
export function hamming(A: Values, ia: number, B: Values, ib: number, dim: number): number {
  return hammingCount(A, ia, B, ib, dim) / dim;
}

/** Exact distance between row i of `a` and row j of `b` under the metric of their kind. */
export function exactDistance(a: FeatureSet, i: number, b: FeatureSet, j: number): number {
  if (isStreamed(a) || isStreamed(b)) {
    const one = (fs: FeatureSet, r: number) => {
      const acc = new RowAccess(fs);
      try {
        return acc.row(r, new Float32Array(fs.dim));
      } finally {
        acc.close();
      }
    };
    return euclidean64(one(a, i), 0, one(b, j), 0, a.dim);
  }
  return a.kind === 'discrete' ? hamming(a.data, i, b.data, j, a.dim) : euclidean64(a.data, i, b.data, j, a.dim);
}

/**
 * Throws unless the set can enter the neighbour engine (finite values, dim >= 1, consistent sizes).
 * A streamed set is read through.
 */
export function validateFeatureSet(fs: FeatureSet, name: string): void {
  if (!(fs.dim >= 1)) throw new Error(`${name}: feature dimension must be at least 1`);
  if (!isStreamed(fs) && fs.data.length !== fs.n * fs.dim) throw new Error(`${name}: ${fs.data.length} values for ${fs.n} x ${fs.dim}`);
  // A streamed set is read through again on each pass. Skipping that when its reader had checked
  // it raised the CLI's peak at 10,000 x 10,000, d = 2,048 from about 250 to about 300 MiB (the
  // pass's block buffer, on memory of its own, seems to prompt V8 to collect first).
  if (fs.kind === 'continuous') {
    forEachRowBlock(fs, blockRows(fs.dim), (x, first) => {
      for (let p = 0; p < x.length; p++) {
        if (!Number.isFinite(x[p])) throw new Error(`${name}: non-finite feature value at row ${first + Math.floor(p / fs.dim)}`);
      }
    });
  }
}

/** Throws unless the two sets can be compared (same kind and dimension). */
export function validatePair(a: FeatureSet, b: FeatureSet, nameA: string, nameB: string): void {
  if (a.kind !== b.kind) throw new Error(`${nameA} is ${a.kind} but ${nameB} is ${b.kind}`);
  if (a.dim !== b.dim) throw new Error(`${nameA} has dimension ${a.dim} but ${nameB} has ${b.dim}`);
}

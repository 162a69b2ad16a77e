/**
 * Seeded stratified splits for the utility evaluator.
 *
 * Reference (semantics, not the random stream): scikit-learn's StratifiedShuffleSplit
 * (one split) and StratifiedKFold(shuffle=True). Each class's rows are shuffled with a
 * seeded generator (./rng.ts); the split then keeps every class's proportion as
 * closely as integer counts allow. The same seed always gives the same split.
 */

import { createRng, shuffleInPlace } from './rng.ts';

function groupByLabel(labels: ArrayLike<string | number>): Map<string | number, number[]> {
  const groups = new Map<string | number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const g = groups.get(labels[i]);
    if (g) g.push(i);
    else groups.set(labels[i], [i]);
  }
  // sorted class order so the result does not depend on the order classes first appear
  return new Map([...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Split row indices into train and test, per class: round(testFraction * n_c) rows of
 * class c go to test, clamped so that a class with at least 2 rows keeps at least one
 * row on each side (a class with a single row stays in train). Indices are returned
 * sorted ascending.
 */
export function stratifiedSplit(
  labels: ArrayLike<string | number>,
  testFraction: number,
  seed: number,
): { trainIdx: Int32Array; testIdx: Int32Array } {
  if (!(testFraction > 0 && testFraction < 1)) throw new RangeError(`testFraction must be in (0, 1), got ${testFraction}`);
  const rng = createRng(seed, 101);
  const train: number[] = [];
  const test: number[] = [];
  for (const rows of groupByLabel(labels).values()) {
    const idx = shuffleInPlace(rows.slice(), rng);
    const nc = idx.length;
    let nt = Math.round(testFraction * nc);
    if (nc >= 2) nt = Math.min(nc - 1, Math.max(1, nt));
    else nt = 0;
    for (let i = 0; i < nc; i++) (i < nt ? test : train).push(idx[i]);
  }
  return {
    trainIdx: Int32Array.from(train.sort((a, b) => a - b)),
    testIdx: Int32Array.from(test.sort((a, b) => a - b)),
  };
}

/**
 * Stratified k-fold: each class's shuffled rows are dealt round-robin over the folds,
 * continuing from the fold where the previous class stopped, so every fold gets
 * floor or ceil of n_c / k rows of class c and fold sizes differ by at most one.
 * Returns, per fold, the sorted test indices; the training rows of fold f are all the
 * others. Throws when a class has fewer rows than folds (sklearn only warns; here
 * some fold would lack that class entirely).
 */
export function stratifiedKFold(labels: ArrayLike<string | number>, k: number, seed: number): Int32Array[] {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`k must be an integer >= 2, got ${k}`);
  const rng = createRng(seed, 202);
  const folds: number[][] = Array.from({ length: k }, () => []);
  let f = 0;
  for (const [label, rows] of groupByLabel(labels)) {
    if (rows.length < k) throw new RangeError(`class ${String(label)} has ${rows.length} rows, fewer than ${k} folds`);
    const idx = shuffleInPlace(rows.slice(), rng);
    for (const i of idx) {
      folds[f].push(i);
      f = (f + 1) % k;
    }
  }
  return folds.map((fold) => Int32Array.from(fold.sort((a, b) => a - b)));
}

/** Complement of `testIdx` within 0..n-1 (sorted). */
export function complementIndices(n: number, testIdx: ArrayLike<number>): Int32Array {
  const mark = new Uint8Array(n);
  for (let i = 0; i < testIdx.length; i++) mark[testIdx[i]] = 1;
  const out = new Int32Array(n - testIdx.length);
  let j = 0;
  for (let i = 0; i < n; i++) if (!mark[i]) out[j++] = i;
  return out;
}

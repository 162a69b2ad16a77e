/**
 * FeatureSet: the feature vectors of one image set, the unit every metric works on.
 *
 * Continuous features are row-major Float32Array (n x dim) compared with Euclidean distance.
 * Discrete features are row-major integer codes (n x dim) compared with Hamming distance
 * (fraction of positions that differ), see ../../../../shared/design/METRICS.md, Notation.
 */
import { gatherRows, type RowFileRef } from './rowSource.ts';

export type FeatureKind = 'continuous' | 'discrete';

export interface FeatureSet {
  /** Stable id per row (file path, `file#frame`, or a row number as text). */
  ids: string[];
  /** Class label per row, or null when the set has no class subfolders / label column. */
  labels: string[] | null;
  /** Number of rows. */
  n: number;
  /** Feature dimension. */
  dim: number;
  kind: FeatureKind;
  /**
   * Row-major values: Float32Array for continuous, Int32Array / Uint16Array for discrete codes.
   * Absent (reading it throws) when `rows` is set: see ./rowSource.ts.
   */
  data: Float32Array | Int32Array | Uint16Array;
  /** Set when the rows stay in a file and are read a block at a time (the CLI's .npy inputs; ./rowSource.ts). */
  rows?: RowFileRef;
}

export function makeFeatureSet(
  data: Float32Array | Int32Array | Uint16Array,
  n: number,
  dim: number,
  opts: { ids?: string[]; labels?: string[] | null; kind?: FeatureKind } = {},
): FeatureSet {
  if (data.length !== n * dim) throw new Error(`feature data has ${data.length} values, expected ${n} x ${dim}`);
  const ids = opts.ids ?? Array.from({ length: n }, (_, i) => String(i));
  if (ids.length !== n) throw new Error(`${ids.length} ids for ${n} rows`);
  const labels = opts.labels ?? null;
  if (labels && labels.length !== n) throw new Error(`${labels.length} labels for ${n} rows`);
  const kind = opts.kind ?? (data instanceof Float32Array ? 'continuous' : 'discrete');
  return { ids, labels, n, dim, kind, data };
}

/** Copy of the rows at `idx` (in that order), in memory (also for a streamed set). */
export function subsetRows(fs: FeatureSet, idx: ArrayLike<number>): FeatureSet {
  const m = idx.length;
  const out = gatherRows(fs, idx);
  const ids: string[] = new Array(m);
  const labels: string[] | null = fs.labels ? new Array(m) : null;
  for (let r = 0; r < m; r++) {
    const i = idx[r];
    ids[r] = fs.ids[i];
    if (labels) labels[r] = fs.labels![i];
  }
  return { ids, labels, n: m, dim: fs.dim, kind: fs.kind, data: out };
}

/** Distinct labels in sorted order (empty when unlabelled). */
export function classNames(fs: FeatureSet): string[] {
  return fs.labels ? [...new Set(fs.labels)].sort() : [];
}

/** Rows of one class. */
export function rowsOfClass(fs: FeatureSet, label: string): FeatureSet {
  if (!fs.labels) throw new Error('feature set has no labels');
  const idx: number[] = [];
  fs.labels.forEach((l, i) => { if (l === label) idx.push(i); });
  return subsetRows(fs, idx);
}

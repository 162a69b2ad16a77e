/**
 * Distance to closest record (DCR) and the holdout memorisation rate.
 *
 * Reference: shared/design/METRICS.md (Standard metrics, DCR). d(s) = min_i D(s, r_i), the
 * exact float64 nearest-real distance from the neighbour engine. Summaries are min, the 5th
 * percentile and the median, with numpy's default percentile ('linear' interpolation,
 * numpy 1.24 `_lerp`) and numpy's median (mean of the two middle values).
 * With a holdout H: the same summary of H's DCRs against R, and
 * memorisation rate = share of S whose DCR is strictly below the 5th percentile of H's DCRs.
 */

export interface Summary3 {
  min: number;
  p5: number;
  median: number;
}

export interface DcrResult {
  dcr: Summary3;
  holdoutDcr: Summary3 | null;
  memorizationRate: number | null;
  /** per synthetic row */
  distances: Float64Array;
}

function sortedCopy(v: ArrayLike<number>): Float64Array {
  return Float64Array.from(v).sort();
}

/** numpy.percentile(v, q) with the default 'linear' method, on an ascending array. */
export function percentileSorted(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const virtual = (q / 100) * (n - 1);
  const prev = Math.min(Math.max(Math.floor(virtual), 0), n - 1);
  const next = Math.min(prev + 1, n - 1);
  const t = virtual - Math.floor(virtual);
  const a = sorted[prev];
  const b = sorted[next];
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/** numpy.percentile(v, q), default method. */
export function percentile(v: ArrayLike<number>, q: number): number {
  return percentileSorted(sortedCopy(v), q);
}

/** numpy.median on an ascending array. */
export function medianSorted(sorted: Float64Array): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = n >> 1;
  return n % 2 === 1 ? sorted[h] : (sorted[h - 1] + sorted[h]) / 2;
}

export function summary3(v: ArrayLike<number>): Summary3 {
  const s = sortedCopy(v);
  if (s.length === 0) return { min: NaN, p5: NaN, median: NaN };
  return { min: s[0], p5: percentileSorted(s, 5), median: medianSorted(s) };
}

/** Share of `dcrs` strictly below the 5th percentile of `holdoutDcrs`. */
export function memorizationRate(dcrs: ArrayLike<number>, holdoutDcrs: ArrayLike<number>): number {
  const thr = percentile(holdoutDcrs, 5);
  let c = 0;
  for (let j = 0; j < dcrs.length; j++) if (dcrs[j] < thr) c++;
  return c / dcrs.length;
}

export function dcrFromDistances(distances: Float64Array, holdoutDcrs?: Float64Array | null): DcrResult {
  const hasH = !!holdoutDcrs && holdoutDcrs.length > 0;
  return {
    dcr: summary3(distances),
    holdoutDcr: hasH ? summary3(holdoutDcrs!) : null,
    memorizationRate: hasH ? memorizationRate(distances, holdoutDcrs!) : null,
    distances,
  };
}

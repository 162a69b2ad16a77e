/**
 * Histograms on shared bins (pure), for the DCR view: the synthetic sets' and the held-out set's
 * distances to the closest real image, binned identically and normalised to fractions of each set.
 *
 * Reference: numpy.histogram with equal-width bins (numpy 1.24, lib/histograms.py): the range is
 * [min, max] over all series (widened to [v - 0.5, v + 0.5] when every value equals v), edges are
 * numpy.linspace(lo, hi, bins + 1) (edge_i = lo + i * ((hi - lo) / bins), last edge = hi exactly),
 * bins are half-open [e_i, e_{i+1}) except the last, which also holds hi; each value's bin is
 * computed as floor((x - lo) * bins / (hi - lo)) and then corrected against the edges as numpy
 * does, so results match numpy bit for bit. Non-finite values are ignored (and not counted).
 */

export interface SharedHistogram {
  /** bins + 1 edges, increasing. */
  edges: number[];
  /** Per series, the count in each bin. */
  counts: number[][];
  /** Per series, count / (finite values of that series); all zeros for an empty series. */
  fractions: number[][];
  /** Per series, the number of finite values binned. */
  totals: number[];
}

/** Default number of bins: ceil(sqrt(n)) for the largest series, clamped to [10, 50]. */
export function defaultBinCount(largestSeries: number): number {
  return Math.min(50, Math.max(10, Math.ceil(Math.sqrt(Math.max(0, largestSeries)))));
}

/** numpy.linspace(lo, hi, n + 1) for n >= 1 bins. */
export function linspaceEdges(lo: number, hi: number, bins: number): number[] {
  const step = (hi - lo) / bins;
  const edges = new Array<number>(bins + 1);
  for (let i = 0; i <= bins; i++) edges[i] = i * step + lo;
  edges[bins] = hi;
  return edges;
}

/** Bin every series on the same `bins` equal-width bins spanning all finite values. */
export function sharedHistogram(series: readonly ArrayLike<number>[], bins?: number): SharedHistogram {
  let lo = Infinity;
  let hi = -Infinity;
  let largest = 0;
  for (const s of series) {
    largest = Math.max(largest, s.length);
    for (let i = 0; i < s.length; i++) {
      const v = s[i];
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  const nBins = bins ?? defaultBinCount(largest);
  if (!Number.isInteger(nBins) || nBins < 1) throw new Error(`bin count must be a positive integer, got ${nBins}`);
  if (lo > hi) {
    // No finite value at all: numpy's default range (0, 1).
    lo = 0;
    hi = 1;
  } else if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const edges = linspaceEdges(lo, hi, nBins);
  const norm = nBins / (hi - lo);
  const counts: number[][] = [];
  const fractions: number[][] = [];
  const totals: number[] = [];
  for (const s of series) {
    const c = new Array<number>(nBins).fill(0);
    let total = 0;
    for (let i = 0; i < s.length; i++) {
      const v = s[i];
      if (!Number.isFinite(v)) continue;
      let b = Math.floor((v - lo) * norm);
      if (b >= nBins) b = nBins - 1;
      if (b < 0) b = 0;
      if (v < edges[b]) b -= 1;
      else if (b !== nBins - 1 && v >= edges[b + 1]) b += 1;
      c[b] += 1;
      total += 1;
    }
    counts.push(c);
    totals.push(total);
    fractions.push(c.map((x) => (total > 0 ? x / total : 0)));
  }
  return { edges, counts, fractions, totals };
}

/**
 * Position of `value` on a category axis whose category i is the bin [edges[i], edges[i+1]):
 * category i spans [i - 0.5, i + 0.5], so the left edge of bin i maps to i - 0.5.
 */
export function binAxisPosition(edges: readonly number[], value: number): number {
  const bins = edges.length - 1;
  const lo = edges[0];
  const hi = edges[bins];
  if (value <= lo) return -0.5;
  if (value >= hi) return bins - 0.5;
  return ((value - lo) / (hi - lo)) * bins - 0.5;
}

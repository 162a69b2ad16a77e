/**
 * Kernel Inception Distance (KID; Binkowski, Sutherland, Arbel & Gretton, "Demystifying
 * MMD GANs", ICLR 2018). Reference implementation: torch-fidelity
 * (toshas/torch-fidelity, torch_fidelity/metric_kid.py: kid_features_to_metric, mmd2)
 * with its defaults: polynomial kernel k(x, y) = (x.y / d + 1)^3, 100 subsets of
 * m = 1000 rows drawn without replacement, unbiased MMD^2 estimate per subset
 *
 *   (sum_{i != j} Kxx + sum_{i != j} Kyy) / (m (m - 1)) - 2 sum Kxy / m^2,
 *
 * reported as the mean and the population std (ddof 0) over subsets.
 *
 * Differences from torch-fidelity, by design:
 * - m = min(subsetSize, N, M): small sets are never refused (a note says that small m
 *   widens the spread).
 * - Subsets come from the seeded mulberry32 generator and partial Fisher-Yates of
 *   ../random.ts (real subset first, then synthetic, for each subset), which the Python
 *   reference ports exactly, instead of numpy's RandomState.choice.
 * - Float64 throughout.
 * When m equals both set sizes every subset is a permutation of both sets and the value
 * does not depend on the draw: it is computed once and std is 0.
 *
 * Work: each subset costs about 2 m^2 d multiply-adds. When it is cheaper and the
 * kernel matrix of the union of both sets fits in `cacheLimit` values, that matrix is
 * computed once (packed lower triangle) and subsets only sum its entries; when m equals
 * one set's size, that set's own kernel sum and its kernel sums against each row of the
 * other set are computed once.
 */
import type { FeatureSet } from '../features/featureSet.ts';
import { createRng, sampleWithoutReplacement } from '../random.ts';
import { gemmNT } from '../linalg/gemm.ts';
import { toFloat64Rows, type NumericRows } from '../linalg/crossprod.ts';

export interface KidResult {
  mean: number;
  std: number;
  /** m actually used: min(requested subset size, N, M). */
  subsetSize: number;
  subsets: number;
  note?: string;
  /** Caveats about the inputs (e.g. discrete codes treated as numbers). */
  warnings: string[];
}

export interface KidOptions {
  /** Requested subset size (default 1000, torch-fidelity's). */
  subsetSize?: number;
  /** Number of subsets (default 100). */
  subsets?: number;
  /** Seed of the subset generator (default 2020, torch-fidelity's). */
  seed?: number;
  /**
   * Largest number of float64 kernel values kept in memory to share work across subsets
   * (default 4,000,000, i.e. 32 MB); 0 evaluates every subset directly.
   */
  cacheLimit?: number;
}

const DEFAULT_CACHE_LIMIT = 4_000_000;
const ROW_BLOCK = 64;

export function kid(real: FeatureSet, synth: FeatureSet, opts: KidOptions = {}): KidResult {
  if (real.dim !== synth.dim) throw new Error(`KID: feature dimensions differ (${real.dim} vs ${synth.dim})`);
  const subsetSize = opts.subsetSize ?? 1000;
  const subsets = opts.subsets ?? 100;
  const seed = opts.seed ?? 2020;
  const cacheLimit = opts.cacheLimit ?? DEFAULT_CACHE_LIMIT;
  if (!Number.isInteger(subsetSize) || subsetSize < 1) throw new Error(`KID: invalid subset size ${subsetSize}`);
  if (!Number.isInteger(subsets) || subsets < 1) throw new Error(`KID: invalid number of subsets ${subsets}`);
  const d = real.dim;
  const nR = real.n, nS = synth.n;
  const m = Math.min(subsetSize, nR, nS);
  const warnings: string[] = [];
  if (real.kind === 'discrete' || synth.kind === 'discrete') {
    warnings.push('KID on discrete features: the integer codes are treated as numbers (cast to float64).');
  }
  const notes: string[] = [];
  if (m < 2) {
    return {
      mean: NaN, std: NaN, subsetSize: m, subsets,
      note: `KID needs at least 2 rows in each set (got ${nR} and ${nS}).`, warnings,
    };
  }
  if (m < subsetSize) {
    notes.push(
      `Subsets of ${m} rows instead of ${subsetSize} (set sizes ${nR} and ${nS}): smaller subsets widen the ` +
      'spread of the estimate; compare KID values computed with the same subset size.',
    );
  }
  if (d === 0) throw new Error('KID: feature dimension is 0');

  if (m === nR && m === nS) {
    notes.push('Every subset contains all rows of both sets, so every draw gives the same value (std 0).');
    const x = toFloat64Rows(real.data, nR, d);
    const y = toFloat64Rows(synth.data, nS, d);
    const v = mmdUnbiased(kernelSumOffDiag(x, m, d), kernelSumOffDiag(y, m, d), kernelSumCross(x, m, y, m, d), m);
    return { mean: v, std: 0, subsetSize: m, subsets, note: notes.join(' '), warnings };
  }

  const evaluate = chooseEngine(real, synth, m, subsets, cacheLimit);
  const rng = createRng(seed);
  const values = new Float64Array(subsets);
  for (let s = 0; s < subsets; s++) {
    const ix = sampleWithoutReplacement(rng, nR, m);
    const iy = sampleWithoutReplacement(rng, nS, m);
    values[s] = evaluate(ix, iy);
  }
  let mean = 0;
  for (let s = 0; s < subsets; s++) mean += values[s];
  mean /= subsets;
  let v2 = 0;
  for (let s = 0; s < subsets; s++) { const t = values[s] - mean; v2 += t * t; }
  const std = Math.sqrt(v2 / subsets);
  return { mean, std, subsetSize: m, subsets, note: notes.length ? notes.join(' ') : undefined, warnings };
}

function mmdUnbiased(sxx: number, syy: number, sxy: number, m: number): number {
  return (sxx + syy) / (m * (m - 1)) - (2 * sxy) / (m * m);
}

type Engine = (ix: Int32Array, iy: Int32Array) => number;

function chooseEngine(real: FeatureSet, synth: FeatureSet, m: number, subsets: number, cacheLimit: number): Engine {
  const nR = real.n, nS = synth.n, d = real.dim;
  const t = nR + nS;
  const cacheEntries = (t * (t + 1)) / 2;
  const realFixed = m === nR, synthFixed = m === nS;
  const perSubset = (realFixed ? 0 : m * m / 2) + (synthFixed ? 0 : m * m / 2) + (realFixed || synthFixed ? 0 : m * m);
  const directCost = subsets * perSubset + (realFixed ? nR * nR / 2 + nR * nS : 0) + (synthFixed ? nS * nS / 2 + nR * nS : 0);
  if (cacheEntries <= cacheLimit && cacheEntries < directCost) return cachedEngine(real, synth, m);
  return directEngine(real, synth, m, d);
}

/** Kernel of the union [real; synth] kept as a packed lower triangle; subsets sum its entries. */
function cachedEngine(real: FeatureSet, synth: FeatureSet, m: number): Engine {
  const nR = real.n, nS = synth.n, d = real.dim, t = nR + nS;
  const z = new Float64Array(t * d);
  z.set(toFloat64Rows(real.data, nR, d), 0);
  z.set(toFloat64Rows(synth.data, nS, d), nR * d);
  const packed = new Float64Array((t * (t + 1)) / 2);
  const temp = new Float64Array(ROW_BLOCK * t);
  for (let i0 = 0; i0 < t; i0 += ROW_BLOCK) {
    const rb = Math.min(ROW_BLOCK, t - i0);
    const i1 = i0 + rb;
    temp.fill(0, 0, rb * i1);
    if (i0 > 0) gemmNT(rb, i0, d, z, i0 * d, d, z, 0, d, temp, 0, i1);
    gemmNT(rb, rb, d, z, i0 * d, d, z, i0 * d, d, temp, i0, i1, { lower: true });
    for (let r = 0; r < rb; r++) {
      const i = i0 + r;
      const dst = (i * (i + 1)) / 2, src = r * i1;
      for (let j = 0; j <= i; j++) {
        const u = temp[src + j] / d + 1;
        packed[dst + j] = u * u * u;
      }
    }
  }
  const sx = new Int32Array(m), sy = new Int32Array(m);
  return (ix, iy) => {
    sx.set(ix); sx.sort();
    for (let b = 0; b < m; b++) sy[b] = iy[b] + nR;
    sy.sort();
    let sxx = 0, syy = 0, sxy = 0;
    for (let a = 1; a < m; a++) {
      const ra = sx[a], o = (ra * (ra + 1)) / 2;
      let acc = 0;
      for (let b = 0; b < a; b++) acc += packed[o + sx[b]];
      sxx += acc;
    }
    for (let a = 1; a < m; a++) {
      const ra = sy[a], o = (ra * (ra + 1)) / 2;
      let acc = 0;
      for (let b = 0; b < a; b++) acc += packed[o + sy[b]];
      syy += acc;
    }
    for (let a = 0; a < m; a++) {
      const ra = sy[a], o = (ra * (ra + 1)) / 2;
      let acc = 0;
      for (let b = 0; b < m; b++) acc += packed[o + sx[b]];
      sxy += acc;
    }
    return mmdUnbiased(2 * sxx, 2 * syy, sxy, m);
  };
}

/** Every subset evaluated from its rows; a set used whole (m equals its size) is summed once. */
function directEngine(real: FeatureSet, synth: FeatureSet, m: number, d: number): Engine {
  const nR = real.n, nS = synth.n;
  const realFixed = m === nR, synthFixed = m === nS;
  let fixedXX = 0, fixedYY = 0;
  let crossR: Float64Array | null = null; // per synthetic row: sum of k over all real rows (real fixed)
  let crossS: Float64Array | null = null; // per real row: sum of k over all synthetic rows (synth fixed)
  if (realFixed) {
    const x = toFloat64Rows(real.data, nR, d);
    fixedXX = kernelSumOffDiag(x, nR, d);
    crossR = crossSumsStreaming(x, nR, synth.data, nS, d);
  }
  if (synthFixed) {
    const y = toFloat64Rows(synth.data, nS, d);
    fixedYY = kernelSumOffDiag(y, nS, d);
    crossS = crossSumsStreaming(y, nS, real.data, nR, d);
  }
  const x = new Float64Array(m * d), y = new Float64Array(m * d);
  return (ix, iy) => {
    let sxx: number, syy: number, sxy: number;
    if (!realFixed) gatherRows(real.data, d, ix, x);
    if (!synthFixed) gatherRows(synth.data, d, iy, y);
    sxx = realFixed ? fixedXX : kernelSumOffDiag(x, m, d);
    syy = synthFixed ? fixedYY : kernelSumOffDiag(y, m, d);
    if (crossR) { sxy = 0; for (let b = 0; b < m; b++) sxy += crossR[iy[b]]; }
    else if (crossS) { sxy = 0; for (let a = 0; a < m; a++) sxy += crossS[ix[a]]; }
    else sxy = kernelSumCross(x, m, y, m, d);
    return mmdUnbiased(sxx, syy, sxy, m);
  };
}

function gatherRows(data: NumericRows, d: number, idx: Int32Array, out: Float64Array): void {
  for (let r = 0; r < idx.length; r++) {
    const src = idx[r] * d, dst = r * d;
    for (let j = 0; j < d; j++) out[dst + j] = data[src + j];
  }
}

/** sum_{i != j} k(x_i, x_j) over the n x d float64 rows. */
export function kernelSumOffDiag(x: Float64Array, n: number, d: number): number {
  const temp = new Float64Array(ROW_BLOCK * n);
  let total = 0;
  for (let i0 = 0; i0 < n; i0 += ROW_BLOCK) {
    const rb = Math.min(ROW_BLOCK, n - i0);
    const i1 = i0 + rb;
    temp.fill(0, 0, rb * i1);
    if (i0 > 0) gemmNT(rb, i0, d, x, i0 * d, d, x, 0, d, temp, 0, i1);
    gemmNT(rb, rb, d, x, i0 * d, d, x, i0 * d, d, temp, i0, i1, { lower: true });
    for (let r = 0; r < rb; r++) {
      const i = i0 + r, src = r * i1;
      let acc = 0;
      for (let j = 0; j < i; j++) {
        const u = temp[src + j] / d + 1;
        acc += u * u * u;
      }
      total += acc;
    }
  }
  return 2 * total;
}

/** sum_{i, j} k(x_i, y_j) over n x d and p x d float64 rows. */
export function kernelSumCross(x: Float64Array, n: number, y: Float64Array, p: number, d: number): number {
  const temp = new Float64Array(ROW_BLOCK * p);
  let total = 0;
  for (let i0 = 0; i0 < n; i0 += ROW_BLOCK) {
    const rb = Math.min(ROW_BLOCK, n - i0);
    temp.fill(0, 0, rb * p);
    gemmNT(rb, p, d, x, i0 * d, d, y, 0, d, temp, 0, p);
    for (let r = 0; r < rb; r++) {
      const src = r * p;
      let acc = 0;
      for (let j = 0; j < p; j++) {
        const u = temp[src + j] / d + 1;
        acc += u * u * u;
      }
      total += acc;
    }
  }
  return total;
}

/**
 * For each of the q rows of `other` (any numeric type, converted block by block):
 * sum over the n float64 rows x_i of k(x_i, other_j).
 */
function crossSumsStreaming(x: Float64Array, n: number, other: NumericRows, q: number, d: number): Float64Array {
  const sums = new Float64Array(q);
  const block = 256;
  const ob = new Float64Array(block * d);
  const temp = new Float64Array(block * n);
  for (let j0 = 0; j0 < q; j0 += block) {
    const jb = Math.min(block, q - j0);
    for (let r = 0; r < jb; r++) {
      const src = (j0 + r) * d, dst = r * d;
      for (let c = 0; c < d; c++) ob[dst + c] = other[src + c];
    }
    temp.fill(0, 0, jb * n);
    gemmNT(jb, n, d, ob, 0, d, x, 0, d, temp, 0, n);
    for (let r = 0; r < jb; r++) {
      const src = r * n;
      let acc = 0;
      for (let i = 0; i < n; i++) {
        const u = temp[src + i] / d + 1;
        acc += u * u * u;
      }
      sums[j0 + r] = acc;
    }
  }
  return sums;
}

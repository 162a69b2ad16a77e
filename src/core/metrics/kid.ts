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
 * Work: a kernel entry costs d multiply-adds (float64, WebAssembly SIMD products of
 * ../linalg/gemm.ts, reading the float32 features directly, no float64 copy). Each subset
 * needs about 2 m^2 entries (lower triangle of the kernel of its 2m rows). When the
 * subsets together need more entries than the lower triangle of the whole union
 * [real; synth], (N + M)^2 / 2, the union's kernel is computed once instead, a block of
 * rows at a time (never stored whole), and every entry is added to the sums of the subsets
 * that contain both of its rows. When m equals one set's size, that set's own kernel sum
 * and the kernel sums of each row of the other set against it are computed once.
 * Kernel values are held a block of rows at a time: at most about 2^21 values (16 MB) by
 * default (option blockValues), or 4 rows when that is more.
 */
import type { FeatureSet } from '../features/featureSet.ts';
import { createRng, sampleWithoutReplacement } from '../random.ts';
import { gemm, wasmMatrix, type NumericRows, type Operand } from '../linalg/gemm.ts';

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
   * 'auto' (default): the cheaper of the two ways below; 'direct': every subset from its own
   * rows; 'shared': the kernel of the union of both sets once, shared by all subsets.
   */
  engine?: 'auto' | 'direct' | 'shared';
  /** Most kernel values held at once, a block of rows (default 2^21, 16 MB). */
  blockValues?: number;
}

/** Most kernel values held at once (one block of rows). */
const BLOCK_VALUES = 1 << 21;

export function kid(real: FeatureSet, synth: FeatureSet, opts: KidOptions = {}): KidResult {
  if (real.dim !== synth.dim) throw new Error(`KID: feature dimensions differ (${real.dim} vs ${synth.dim})`);
  const subsetSize = opts.subsetSize ?? 1000;
  const subsets = opts.subsets ?? 100;
  const seed = opts.seed ?? 2020;
  const engine = opts.engine ?? 'auto';
  const blockValues = opts.blockValues ?? BLOCK_VALUES;
  if (!Number.isInteger(blockValues) || blockValues < 1) throw new Error(`KID: invalid block size ${blockValues}`);
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
    const all = Int32Array.from({ length: m }, (_, i) => i);
    const v = subsetMmd(real.data, synth.data, d, all, all, m, blockBuffer(2 * m, blockValues));
    return { mean: v, std: 0, subsetSize: m, subsets, note: notes.join(' '), warnings };
  }

  const rng = createRng(seed);
  const draws: { ix: Int32Array; iy: Int32Array }[] = [];
  for (let s = 0; s < subsets; s++) {
    const ix = sampleWithoutReplacement(rng, nR, m);
    const iy = sampleWithoutReplacement(rng, nS, m);
    draws.push({ ix, iy });
  }
  const values = chooseShared(nR, nS, m, subsets, engine)
    ? sharedEngine(real.data, nR, synth.data, nS, d, draws, m, blockValues)
    : directEngine(real.data, nR, synth.data, nS, d, draws, m, blockValues);
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

/** Whether the shared union pass costs fewer kernel entries than the direct per-subset ones. */
function chooseShared(nR: number, nS: number, m: number, subsets: number, engine: 'auto' | 'direct' | 'shared'): boolean {
  if (engine !== 'auto') return engine === 'shared';
  const t = nR + nS;
  const realFixed = m === nR, synthFixed = m === nS;
  const perSubset = (realFixed ? 0 : m * m / 2) + (synthFixed ? 0 : m * m / 2) + (realFixed || synthFixed ? 0 : m * m);
  const direct = subsets * perSubset + (realFixed ? nR * nR / 2 + nR * nS : 0) + (synthFixed ? nS * nS / 2 + nR * nS : 0);
  return t * t / 2 < direct;
}

/**
 * Rows of two row-major arrays stacked: row i < na is a[ia[i]] (a[i] without a list), row
 * na + i is b[ib[i]]; the operand of the kernel products.
 */
function stackedRows(a: NumericRows, ia: Int32Array | null, na: number, b: NumericRows, ib: Int32Array | null, d: number): Operand {
  const src = (i: number): NumericRows => (i < na ? a : b);
  const base = (i: number): number => (i < na ? (ia ? ia[i] : i) : (ib ? ib[i - na] : i - na)) * d;
  return {
    pack(dst, o, i0, rows, p0, kc) {
      for (let blk = 0; blk < rows; blk += 4) {
        const nr = Math.min(4, rows - blk);
        const q = o + blk * kc;
        if (nr === 4) {
          const g = i0 + blk;
          const s0 = src(g), s1 = src(g + 1), s2 = src(g + 2), s3 = src(g + 3);
          const r0 = base(g) + p0, r1 = base(g + 1) + p0, r2 = base(g + 2) + p0, r3 = base(g + 3) + p0;
          for (let p = 0, w = q; p < kc; p++, w += 4) {
            dst[w] = s0[r0 + p]; dst[w + 1] = s1[r1 + p]; dst[w + 2] = s2[r2 + p]; dst[w + 3] = s3[r3 + p];
          }
        } else {
          dst.fill(0, q, q + 4 * kc);
          for (let r = 0; r < nr; r++) {
            const sr = src(i0 + blk + r), rr = base(i0 + blk + r) + p0;
            for (let p = 0; p < kc; p++) dst[q + 4 * p + r] = sr[rr + p];
          }
        }
      }
    },
  };
}

/** Buffer for blocks of kernel rows of width up to `cols`: `values` values, at least 4 rows, at most 4 rows more than needed. */
function blockBuffer(cols: number, values: number): Float64Array {
  return wasmMatrix(Math.max(4 * cols, Math.min(values, cols * (cols + 4))));
}

function shifted(op: Operand, by: number): Operand {
  return { pack: (dst, o, i0, rows, p0, kc) => op.pack(dst, o, i0 + by, rows, p0, kc) };
}

/**
 * The polynomial kernel k(x, y) = (x.y / d + 1)^3 between rows of A (m of them) and rows of
 * B (n), a block of rows of A at a time: visit(i0, rb, K, ld) gets K[r ld + j] = k(A_{i0+r},
 * B_j). With lower = true (A and B the same rows) only j < i0 + r is filled and ld = i0 + rb.
 */
function kernelBlocks(
  A: Operand, m: number, B: Operand, n: number, d: number, lower: boolean, buf: Float64Array,
  visit: (i0: number, rb: number, K: Float64Array, ld: number) => void,
): void {
  const rbMax = Math.max(4, Math.min(m, Math.floor(buf.length / Math.max(1, n))) & ~3);
  if (rbMax * n > buf.length) throw new Error('KID: kernel block buffer too small');
  for (let i0 = 0; i0 < m; i0 += rbMax) {
    const rb = Math.min(rbMax, m - i0);
    const cols = lower ? Math.min(n, i0 + rb) : n;
    buf.fill(0, 0, rb * cols);
    gemm(rb, cols, d, shifted(A, i0), B, buf, 0, cols, lower ? { lower: true, diagonal: i0 - 1, upperMayChange: true } : {});
    for (let r = 0; r < rb; r++) {
      const jn = lower ? i0 + r : cols;
      const o = r * cols;
      for (let j = 0; j < jn; j++) {
        const u = buf[o + j] / d + 1;
        buf[o + j] = u * u * u;
      }
    }
    visit(i0, rb, buf, cols);
  }
}

/**
 * MMD^2 of one subset pair from its own rows: the lower triangle of the kernel of the 2m
 * stacked rows [x_ix; y_iy] gives the off-diagonal Kxx sum (rows < m), Kxy (rows >= m,
 * columns < m) and the off-diagonal Kyy sum (rows >= m, columns m.. below the diagonal).
 */
function subsetMmd(x: NumericRows, y: NumericRows, d: number, ix: Int32Array, iy: Int32Array, m: number, buf: Float64Array): number {
  const z = stackedRows(x, ix, m, y, iy, d);
  let sxx = 0, syy = 0, sxy = 0;
  kernelBlocks(z, 2 * m, z, 2 * m, d, true, buf, (i0, rb, K, ld) => {
    for (let r = 0; r < rb; r++) {
      const i = i0 + r, o = r * ld;
      let a = 0, b = 0;
      if (i < m) {
        for (let j = 0; j < i; j++) a += K[o + j];
        sxx += a;
      } else {
        for (let j = 0; j < m; j++) a += K[o + j];
        for (let j = m; j < i; j++) b += K[o + j];
        sxy += a;
        syy += b;
      }
    }
  });
  return mmdUnbiased(2 * sxx, 2 * syy, sxy, m);
}

/** Off-diagonal kernel sum sum_{i != j} k(x_i, x_j) over the rows ix of x. */
function offDiagonalSum(x: NumericRows, ix: Int32Array | null, n: number, d: number, buf: Float64Array): number {
  const op = stackedRows(x, ix, n, x, null, d);
  let total = 0;
  kernelBlocks(op, n, op, n, d, true, buf, (i0, rb, K, ld) => {
    for (let r = 0; r < rb; r++) {
      const o = r * ld;
      let a = 0;
      for (let j = 0; j < i0 + r; j++) a += K[o + j];
      total += a;
    }
  });
  return 2 * total;
}

/** For each of the q rows of `other`: sum over the n rows x_i of k(x_i, other_j). */
function crossSums(x: NumericRows, n: number, other: NumericRows, q: number, d: number, buf: Float64Array): Float64Array {
  const sums = new Float64Array(q);
  kernelBlocks(stackedRows(other, null, q, other, null, d), q, stackedRows(x, null, n, x, null, d), n, d, false, buf, (i0, rb, K, ld) => {
    for (let r = 0; r < rb; r++) {
      const o = r * ld;
      let a = 0;
      for (let j = 0; j < n; j++) a += K[o + j];
      sums[i0 + r] = a;
    }
  });
  return sums;
}

/** Every subset from its own rows; a set used whole (m equals its size) is summed once. */
function directEngine(
  x: NumericRows, nR: number, y: NumericRows, nS: number, d: number,
  draws: { ix: Int32Array; iy: Int32Array }[], m: number, blockValues: number,
): Float64Array {
  const realFixed = m === nR, synthFixed = m === nS;
  const values = new Float64Array(draws.length);
  const buf = blockBuffer(Math.max(nR, nS, 2 * m), blockValues);
  if (!realFixed && !synthFixed) {
    draws.forEach(({ ix, iy }, s) => { values[s] = subsetMmd(x, y, d, ix, iy, m, buf); });
    return values;
  }
  // one side whole: its off-diagonal sum once, and per row of the other side its kernel sum against it
  const fixedSum = realFixed ? offDiagonalSum(x, null, nR, d, buf) : offDiagonalSum(y, null, nS, d, buf);
  const cross = realFixed ? crossSums(x, nR, y, nS, d, buf) : crossSums(y, nS, x, nR, d, buf);
  draws.forEach(({ ix, iy }, s) => {
    const other = realFixed ? iy : ix;
    let sxy = 0;
    for (let b = 0; b < m; b++) sxy += cross[other[b]];
    const own = realFixed ? offDiagonalSum(y, iy, m, d, buf) : offDiagonalSum(x, ix, m, d, buf);
    values[s] = realFixed ? mmdUnbiased(fixedSum, own, sxy, m) : mmdUnbiased(own, fixedSum, sxy, m);
  });
  return values;
}

/**
 * The lower triangle of the kernel of the union [x; y] (t = nR + nS rows), a block of rows
 * at a time; each entry (i, j), j < i, is added to the sums of the subsets that contain both
 * rows (sorted member lists per subset, subsets per row).
 */
function sharedEngine(
  x: NumericRows, nR: number, y: NumericRows, nS: number, d: number,
  draws: { ix: Int32Array; iy: Int32Array }[], m: number, blockValues: number,
): Float64Array {
  const S = draws.length, t = nR + nS;
  const xs: Int32Array[] = [], ys: Int32Array[] = [];
  const count = new Int32Array(t + 1);
  for (const { ix, iy } of draws) {
    xs.push(Int32Array.from(ix).sort());
    const u = new Int32Array(m);
    for (let b = 0; b < m; b++) u[b] = iy[b] + nR;
    ys.push(u.sort());
    for (let a = 0; a < m; a++) count[ix[a] + 1]++;
    for (let b = 0; b < m; b++) count[iy[b] + nR + 1]++;
  }
  for (let i = 0; i < t; i++) count[i + 1] += count[i];
  const members = new Int32Array(count[t]); // subsets containing row i: members[count[i] .. count[i+1])
  const fill = count.slice(0, t);
  for (let s = 0; s < S; s++) {
    for (const i of xs[s]) members[fill[i]++] = s;
    for (const i of ys[s]) members[fill[i]++] = s;
  }
  const sxx = new Float64Array(S), syy = new Float64Array(S), sxy = new Float64Array(S);
  const z = stackedRows(x, null, nR, y, null, d);
  kernelBlocks(z, t, z, t, d, true, blockBuffer(t, blockValues), (i0, rb, K, ld) => {
    for (let r = 0; r < rb; r++) {
      const i = i0 + r, o = r * ld;
      for (let e = count[i]; e < count[i + 1]; e++) {
        const s = members[e];
        const lx = xs[s];
        if (i < nR) {
          let a = 0;
          for (let q = 0; q < m; q++) { const j = lx[q]; if (j >= i) break; a += K[o + j]; }
          sxx[s] += a;
        } else {
          let a = 0, b = 0;
          for (let q = 0; q < m; q++) a += K[o + lx[q]];
          const ly = ys[s];
          for (let q = 0; q < m; q++) { const j = ly[q]; if (j >= i) break; b += K[o + j]; }
          sxy[s] += a;
          syy[s] += b;
        }
      }
    }
  });
  const values = new Float64Array(S);
  for (let s = 0; s < S; s++) values[s] = mmdUnbiased(2 * sxx[s], 2 * syy[s], sxy[s], m);
  return values;
}

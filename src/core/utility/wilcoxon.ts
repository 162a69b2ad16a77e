/**
 * Wilcoxon signed-rank test, paired, two-sided.
 *
 * Reference: scipy.stats.wilcoxon as shipped in scipy 1.10.1
 * (scipy/stats/_morestats.py, _hypotests._get_wilcoxon_distr) with its defaults
 * zero_method='wilcox', correction=False, alternative='two-sided', method='auto'.
 * Tested against values scipy computed (tests/fixtures/utility/make_reference.py).
 *
 * scipy 1.10 behaviour reproduced here, including its quirks:
 * - d = x - y in float64; ties are exact float equality of |d| (0.81 - 0.79 and
 *   0.82 - 0.80 differ in float64, so they are not tied).
 * - method 'auto': 'exact' when len(d) <= 50 and no d is zero, otherwise 'approx'.
 *   Ties do NOT switch to 'approx' in 1.10: the exact null distribution (which assumes
 *   no ties) is used with r_plus truncated to an integer (int(r_plus)), so half ranks
 *   round down in the p-value but not in the statistic.
 * - 'approx' drops zero differences (zero_method='wilcox') and then uses the normal
 *   approximation with the tie correction se^2 -= sum(t^3 - t)/48 over groups of tied
 *   ranks and no continuity correction: z = (T - n(n+1)/4) / se, p = 2 sf(|z|).
 * - statistic T = min(r_plus, r_minus).
 * - empty input: statistic and p-value NaN (scipy returns nan, nan).
 * - all differences zero: scipy raises ValueError; this throws a RangeError.
 */

export interface WilcoxonResult {
  statistic: number;
  pValue: number;
  method: 'exact' | 'approx';
}

/** Average ranks (1-based) of `a`, ties share the mean of their ranks: scipy.stats.rankdata(method='average'). */
export function rankAverage(a: ArrayLike<number>): Float64Array {
  const n = a.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[i] - a[j] || i - j);
  const ranks = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i + 1;
    while (j < n && a[order[j]] === a[order[i]]) j++;
    const r = (i + 1 + j) / 2; // mean of ranks i+1 .. j
    for (let k = i; k < j; k++) ranks[order[k]] = r;
    i = j;
  }
  return ranks;
}

/**
 * Complementary error function, float64.
 * |x| < 1.5: erf by the all-positive series erf(x) = 2/sqrt(pi) exp(-x^2) sum_n (2x^2)^n x / (2n+1)!!
 * (Abramowitz & Stegun 7.1.6), erfc = 1 - erf. x >= 1.5: the continued fraction
 * erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))) (A&S 7.1.14),
 * evaluated with the modified Lentz method. Agrees with scipy to about 1e-15 relative.
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 1.5) {
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
      if (term < sum * 1e-17) break;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * Math.exp(-x2) * sum;
  }
  if (x > 27) return 0;
  const tiny = 1e-300;
  let f = x;
  let c = f;
  let d = 0;
  for (let k = 1; k < 5000; k++) {
    const a = k / 2;
    d = x + a * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = x + a / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / (Math.sqrt(Math.PI) * f);
}

/** Upper tail of the standard normal distribution, P(Z > z) (scipy.stats.norm.sf). */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Null distribution of r_plus for n untied, non-zero differences (scipy _get_wilcoxon_distr). */
export function wilcoxonNullPmf(n: number): Float64Array {
  let c = new Float64Array([1]);
  for (let k = 1; k <= n; k++) {
    const prev = c;
    c = new Float64Array((k * (k + 1)) / 2 + 1);
    const m = prev.length;
    for (let i = 0; i < m; i++) c[i] = prev[i] * 0.5;
    const off = c.length - m;
    for (let i = 0; i < m; i++) c[off + i] += prev[i] * 0.5;
  }
  return c;
}

/** Paired two-sided Wilcoxon signed-rank test of x against y (scipy 1.10 defaults; see the file header). */
export function wilcoxon(x: ArrayLike<number>, y: ArrayLike<number>): WilcoxonResult {
  if (x.length !== y.length) throw new RangeError(`wilcoxon: x has ${x.length} values, y has ${y.length}`);
  const n0 = x.length;
  let d: number[] = Array.from({ length: n0 }, (_, i) => x[i] - y[i]);
  if (d.some((v) => Number.isNaN(v))) throw new RangeError('wilcoxon: NaN in the paired differences');
  let method: 'exact' | 'approx' = n0 <= 50 ? 'exact' : 'approx';
  if (n0 === 0) return { statistic: NaN, pValue: NaN, method };
  const nZero = d.filter((v) => v === 0).length;
  if (nZero > 0 && method === 'exact') method = 'approx';
  if (method === 'approx') {
    if (nZero === n0) throw new RangeError('wilcoxon: every paired difference is zero; the test is undefined (scipy raises ValueError)');
    d = d.filter((v) => v !== 0);
  }
  const count = d.length;
  const r = rankAverage(d.map(Math.abs));
  let rPlus = 0;
  let rMinus = 0;
  for (let i = 0; i < count; i++) {
    if (d[i] > 0) rPlus += r[i];
    else if (d[i] < 0) rMinus += r[i];
  }
  const statistic = Math.min(rPlus, rMinus);
  let p: number;
  if (method === 'approx') {
    const mn = count * (count + 1) * 0.25;
    let se = count * (count + 1) * (2 * count + 1);
    const groups = new Map<number, number>();
    for (let i = 0; i < count; i++) groups.set(r[i], (groups.get(r[i]) ?? 0) + 1);
    let corr = 0;
    for (const t of groups.values()) if (t > 1) corr += t * (t * t - 1);
    se -= 0.5 * corr;
    se = Math.sqrt(se / 24);
    const z = (statistic - mn) / se;
    p = 2 * normalSf(Math.abs(z));
  } else {
    const pmf = wilcoxonNullPmf(count);
    const rp = Math.trunc(rPlus);
    if (rp === Math.floor((pmf.length - 1) / 2)) {
      p = 1;
    } else {
      let pLess = 0;
      for (let i = 0; i <= rp; i++) pLess += pmf[i];
      let pGreater = 0;
      for (let i = rp; i < pmf.length; i++) pGreater += pmf[i];
      p = 2 * Math.min(pGreater, pLess);
    }
  }
  return { statistic, pValue: Math.min(1, Math.max(0, p)), method };
}

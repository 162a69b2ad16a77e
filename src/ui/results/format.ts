/**
 * Number formatting for the results views (pure; no DOM). Conventions of the UI brief:
 * fractions as 0.000 (or percent), FID with 2 decimals, distances with 4 significant digits.
 * Missing values (null, undefined, NaN, ±Infinity) are shown as an em dash.
 */

export const MISSING = '—';
/** Typographic minus (U+2212): screen readers read it as "minus". */
export const MINUS = '−';

function present(x: number | null | undefined): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

function withMinus(s: string): string {
  return s.startsWith('-') ? MINUS + s.slice(1) : s;
}

/** A fraction in [0, 1] with 3 decimals: 0.873. */
export function fmtFraction(x: number | null | undefined): string {
  return present(x) ? withMinus(x.toFixed(3)) : MISSING;
}

/** A fraction as a percentage with `decimals` decimals: 0.0512 -> "5.1 %". */
export function fmtPercent(x: number | null | undefined, decimals = 1): string {
  return present(x) ? `${withMinus((100 * x).toFixed(decimals))} %` : MISSING;
}

/** FID: 2 decimals. */
export function fmtFid(x: number | null | undefined): string {
  return present(x) ? withMinus(x.toFixed(2)) : MISSING;
}

const SUPERSCRIPT: Record<string, string> = {
  '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹', '-': '⁻',
};

/**
 * `digits` significant digits (default 4), in plain decimal notation for 1e-4 <= |x| < 1e6 (trailing
 * zeros kept: 0.1000 has four significant digits), otherwise as "1.234 × 10⁻⁵". Zero is "0".
 */
export function fmtSig(x: number | null | undefined, digits = 4): string {
  if (!present(x)) return MISSING;
  if (x === 0) return '0';
  const rounded = Number(x.toPrecision(digits));
  const abs = Math.abs(rounded);
  if (abs >= 1e-4 && abs < 1e6) {
    const exponent = Math.floor(Math.log10(abs) + 1e-12);
    const decimals = Math.max(0, digits - 1 - exponent);
    return withMinus(rounded.toFixed(decimals));
  }
  const [mantissa, exp] = x.toExponential(digits - 1).split('e');
  const e = String(Number(exp)).split('').map((c) => SUPERSCRIPT[c]).join('');
  return `${withMinus(mantissa)} × 10${e}`;
}

/** A distance (DCR, feature std): 4 significant digits. */
export const fmtDistance = (x: number | null | undefined): string => fmtSig(x, 4);

/** KID as "mean ± std", each with 3 significant digits. */
export function fmtKid(kid: { mean: number; std: number } | null | undefined): string {
  if (!kid || !present(kid.mean)) return MISSING;
  return `${fmtSig(kid.mean, 3)} ± ${fmtSig(kid.std, 3)}`;
}

/** A gain in percent (already ×100) with an explicit sign: "+1.23 %", "−0.40 %", "0.00 %". */
export function fmtGain(g: number | null | undefined, decimals = 2): string {
  if (!present(g)) return MISSING;
  const s = Math.abs(g).toFixed(decimals);
  if (Number(s) === 0) return `${s} %`;
  return `${g > 0 ? '+' : MINUS}${s} %`;
}

/** p-value: "< 0.001" below 0.001, else 3 decimals. */
export function fmtPValue(p: number | null | undefined): string {
  if (!present(p)) return MISSING;
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}

const COUNT_FORMAT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** An integer count with thousands separators: 12,345. */
export function fmtCount(n: number | null | undefined): string {
  return present(n) ? withMinus(COUNT_FORMAT.format(Math.round(n))) : MISSING;
}

/** A byte size: "12,345 bytes (12.1 kB)"; kB = 1000 bytes. */
export function fmtBytes(n: number | null | undefined): string {
  if (!present(n)) return MISSING;
  const plain = `${fmtCount(n)} ${n === 1 ? 'byte' : 'bytes'}`;
  return n >= 1000 ? `${plain} (${(n / 1000).toFixed(1)} kB)` : plain;
}

/** Vendi score (an effective number of distinct images): 2 decimals. */
export function fmtVendi(x: number | null | undefined): string {
  return present(x) ? x.toFixed(2) : MISSING;
}

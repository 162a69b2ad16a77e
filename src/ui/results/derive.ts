/**
 * Values the results views derive from a RunResult (pure; no DOM): the utility gain shown per set,
 * its mapping onto the radar's [0, 1] axis, the privacy calibration verdict, Pearson's r across
 * sets, and the colour / marker of each set (the same in every chart).
 *
 * Definitions of the underlying metrics: docs/METRICS.md. Nothing here computes a metric; these
 * are display rules, each stated in the caption of the view that uses it.
 */
import type { RunResult } from '../../app/types.ts';
import type { SyntheticUtility } from '../../core/utility/types.ts';

/** Which utility number the overview charts use. */
export type UtilityProtocolShown = 'intraTask' | 'crossTask';

export interface UtilityGains {
  /** The protocol whose mean percent gain is shown; null when no set has a gain (or utility did not run). */
  protocol: UtilityProtocolShown | null;
  /** Mean percent gain per synthetic set name (null where that set has none). */
  gains: Map<string, number | null>;
  /** Largest |gain| over the sets (0 when none). */
  maxAbs: number;
}

export const UTILITY_PROTOCOL_LABEL: Record<UtilityProtocolShown, string> = {
  intraTask: 'intra-task augmentation utility',
  crossTask: 'cross-task utility',
};

/** The utility entry of a synthetic set, or null when utility did not run or the set is absent. */
export function utilityOf(result: Pick<RunResult, 'utility'>, setName: string): SyntheticUtility | null {
  return result.utility?.sets.find((s) => s.name === setName) ?? null;
}

function finite(x: number | null | undefined): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

/**
 * The mean percent gain per set: intra-task augmentation utility when any set has one (the paper's
 * main utility), otherwise cross-task utility, otherwise none.
 */
export function utilityGains(result: Pick<RunResult, 'utility' | 'report'>): UtilityGains {
  const names = result.report.sets.map((s) => s.name);
  const pick = (protocol: UtilityProtocolShown) =>
    new Map(names.map((n) => {
      const u = utilityOf(result, n);
      const g = u?.[protocol]?.gainPercent.mean;
      return [n, finite(g) ? g : null] as [string, number | null];
    }));
  for (const protocol of ['intraTask', 'crossTask'] as const) {
    const gains = pick(protocol);
    const values = [...gains.values()].filter(finite);
    if (values.length > 0) return { protocol, gains, maxAbs: Math.max(...values.map(Math.abs)) };
  }
  return { protocol: null, gains: new Map(names.map((n) => [n, null])), maxAbs: 0 };
}

/**
 * A percent gain on the radar's [0, 1] utility axis: 0.5 + 0.5 * gain / maxAbs, so 0.5 is "no
 * change", 1 the largest gain among the sets and 0 the largest loss (a loss as large as the
 * largest |gain|). maxAbs = 0 (every gain zero) maps to 0.5. null stays null ("not run").
 */
export function utilityRadarValue(gain: number | null, maxAbs: number): number | null {
  if (!finite(gain)) return null;
  if (!(maxAbs > 0)) return 0.5;
  return Math.min(1, Math.max(0, 0.5 + (0.5 * gain) / maxAbs));
}

export interface PrivacyVerdict {
  /** P(S) - P(H). */
  difference: number;
  /** Standard error of the difference of two independent proportions. */
  standardError: number;
  /** P(S) lies more than two standard errors below P(H) (or below it with zero standard error). */
  clearlyBelow: boolean;
}

/**
 * Compare a synthetic set's privacy P(S) (over nS images) with the held-out calibration P(H) (over
 * nH images). METRICS.md: a set is suspicious when P(S) is clearly below P(H), not when it is
 * below 1. "Clearly" is read here as more than 2 standard errors of the difference of two
 * proportions, sqrt(pS(1 - pS)/nS + pH(1 - pH)/nH): a rule of thumb for the display, not a test.
 */
export function privacyVerdict(pS: number, nS: number, pH: number, nH: number): PrivacyVerdict {
  const difference = pS - pH;
  const var1 = nS > 0 ? (pS * (1 - pS)) / nS : 0;
  const var2 = nH > 0 ? (pH * (1 - pH)) / nH : 0;
  const standardError = Math.sqrt(Math.max(0, var1 + var2));
  const clearlyBelow = difference < 0 && -difference > 2 * standardError;
  return { difference, standardError, clearlyBelow };
}

/** Pearson's r of paired finite values; null with fewer than 3 pairs or a constant side. */
export function pearson(xs: readonly (number | null)[], ys: readonly (number | null)[]): number | null {
  const px: number[] = [];
  const py: number[] = [];
  for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
    const x = xs[i];
    const y = ys[i];
    if (finite(x) && finite(y)) {
      px.push(x);
      py.push(y);
    }
  }
  const n = px.length;
  if (n < 3) return null;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += px[i];
    my += py[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = px[i] - mx;
    const dy = py[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return null;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/** Okabe-Ito colours (colour-blind safe; yellow left out for contrast on white), then a few more. */
export const SET_COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#8C564B', '#7F3C8D', '#3969AC'];
/** Marker shapes, so sets stay apart in a greyscale printout. */
export const SET_MARKERS = ['circle', 'triangle', 'rect', 'rectRot', 'star', 'crossRot', 'rectRounded', 'cross'] as const;
/** The colour of reference values (the real set, the held-out calibration). */
export const REFERENCE_COLOUR = '#5b6776';

export function setColour(index: number): string {
  return SET_COLOURS[index % SET_COLOURS.length];
}

export function setMarker(index: number): (typeof SET_MARKERS)[number] {
  return SET_MARKERS[index % SET_MARKERS.length];
}

/** `#rrggbb` with an alpha in [0, 1] as rgba(). */
export function withAlpha(hex: string, alpha: number): string {
  const v = parseInt(hex.slice(1), 16);
  return `rgba(${(v >> 16) & 255}, ${(v >> 8) & 255}, ${v & 255}, ${alpha})`;
}

/** Distinct class labels over every set's per-class results and the holdout's, in sorted order. */
export function perClassLabels(result: Pick<RunResult, 'report'>): string[] {
  const labels = new Set<string>();
  for (const s of result.report.sets) for (const l of Object.keys(s.perClass)) labels.add(l);
  for (const l of Object.keys(result.report.holdout?.perClass ?? {})) labels.add(l);
  return [...labels].sort();
}

/** The four evaluators on the radar's [0, 1] axes: F, variety score, P, utility (mapped, see utilityRadarValue). */
export interface RadarPoint {
  fidelity: number;
  variety: number | null;
  privacy: number;
  utility: number | null;
}

export function radarPoint(
  metrics: { fidelity: number; privacy: number; variety: { score: number } | null },
  gain: number | null,
  maxAbsGain: number,
): RadarPoint {
  return {
    fidelity: metrics.fidelity,
    variety: metrics.variety && Number.isFinite(metrics.variety.score) ? metrics.variety.score : null,
    privacy: metrics.privacy,
    utility: utilityRadarValue(gain, maxAbsGain),
  };
}

/** One labelled point of a scatter plot across sets. */
export interface ScatterPoint {
  label: string;
  x: number;
  y: number;
  /** Index of the set in report.sets (colour, marker); null for a reference point. */
  index: number | null;
}

export interface GroupedWarnings {
  /** Warnings about the whole set. */
  pooled: string[];
  /** Warnings about one class (the `class "<label>": ` prefix removed), by label in first-seen order. */
  perClass: { label: string; warnings: string[] }[];
  total: number;
}

/** evaluate() writes `class "${label}": ` without escaping; the label ends at the first `": `. */
const CLASS_PREFIX = /^class "(.*?)": /s;

/** Split a set's warnings into pooled ones and per-class ones (prefixed `class "<label>": ` by evaluate()). */
export function groupWarnings(warnings: readonly string[]): GroupedWarnings {
  const pooled: string[] = [];
  const byLabel = new Map<string, string[]>();
  for (const w of warnings) {
    const m = CLASS_PREFIX.exec(w);
    if (!m) {
      pooled.push(w);
      continue;
    }
    const label = m[1];
    const list = byLabel.get(label) ?? [];
    list.push(w.slice(m[0].length));
    byLabel.set(label, list);
  }
  return { pooled, perClass: [...byLabel].map(([label, list]) => ({ label, warnings: list })), total: warnings.length };
}

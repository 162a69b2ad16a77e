/**
 * CSV exports of a report: per-set metrics (one row per set and per set x class) and per-image
 * assignments (nearest real image, distance, radii, copy / real / non-real).
 */
import { toCsv } from '../features/csv.ts';
import type { Report, SetMetrics } from './schema.ts';

/** Columns of the metrics CSV after `set` and `class` (class is empty on the pooled row). */
export const METRICS_CSV_COLUMNS = [
  'count', 'fidelity', 'privacy', 'fidelity_privacy', 'mode_collapse_rule_applied', 'feature_std',
  'precision', 'recall', 'density', 'coverage', 'fid', 'kid_mean', 'kid_std', 'kid_subset_size', 'kid_subsets',
  'dcr_min', 'dcr_p5', 'dcr_median', 'holdout_dcr_min', 'holdout_dcr_p5', 'holdout_dcr_median', 'memorization_rate',
  'vendi', 'holdout_privacy', 'holdout_fidelity', 'holdout_fidelity_privacy', 'variety_png_bytes', 'variety_score',
] as const;

function metricsRow(m: SetMetrics, count: number): (number | string | null)[] {
  return [
    count, m.fidelity, m.privacy, m.fidelityPrivacy, m.modeCollapseRuleApplied ? 'true' : 'false', m.featureStd,
    m.precision, m.recall, m.density, m.coverage, m.fid, m.kid?.mean ?? null, m.kid?.std ?? null, m.kid?.subsetSize ?? null, m.kid?.subsets ?? null,
    m.dcr.min, m.dcr.p5, m.dcr.median, m.holdoutDcr?.min ?? null, m.holdoutDcr?.p5 ?? null, m.holdoutDcr?.median ?? null, m.memorizationRate,
    m.vendi, m.holdoutPrivacy, m.holdoutFidelity, m.holdoutFidelityPrivacy, m.variety?.pngBytes ?? null, m.variety?.score ?? null,
  ];
}

/** Per-set metrics: the pooled row of each set, then one row per class of that set. null is written as an empty field. */
export function metricsToCsv(report: Report): string {
  const rows: (number | string | null)[][] = [];
  for (const s of report.sets) {
    rows.push([s.name, '', ...metricsRow(s.metrics, s.count)]);
    for (const [label, m] of Object.entries(s.perClass)) rows.push([s.name, label, ...metricsRow(m, s.classes[label] ?? 0)]);
  }
  return toCsv(['set', 'class', ...METRICS_CSV_COLUMNS], rows);
}

/** What the evaluate result keeps per synthetic set for the audit: per-image nearest real and set. */
export interface SetAssignments {
  /** Index of the nearest real row (in the reference set). */
  nearestReal: Int32Array;
  distance: Float64Array;
  rho1: Float64Array;
  rhoK: Float64Array;
  /** 0 copy, 1 real, 2 non-real. */
  set: Uint8Array;
  /**
   * Lowest index of a real whose copy ball holds the image, -1 when none (null when unknown).
   * copy / realistic quantify over all reals, so this may differ from nearestReal: it is the pair a
   * privacy audit should show.
   */
  copyOf: Int32Array | null;
  ids: string[];
  labels: string[] | null;
  realIds: string[];
  realLabels: string[] | null;
}

export const ASSIGNMENT_NAMES = ['copy', 'real', 'non-real'] as const;

/**
 * Per-image assignments of every synthetic set, one row per synthetic image: nearest real (id,
 * label), distance to it, that real's rho_1 and rho_k, the set (copy / real / non-real) and the
 * real whose copy ball holds the image (empty when none).
 */
export function assignmentsToCsv(assignments: Map<string, SetAssignments>): string {
  const header = ['set', 'id', 'label', 'nearest_real_id', 'nearest_real_label', 'distance', 'rho1', 'rhoK', 'assignment', 'copy_of_real_id'];
  const rows = function* () {
    for (const [name, a] of assignments) {
      for (let i = 0; i < a.ids.length; i++) {
        const r = a.nearestReal[i];
        const c = a.copyOf ? a.copyOf[i] : -1;
        yield [
          name, a.ids[i], a.labels ? a.labels[i] : '', a.realIds[r], a.realLabels ? a.realLabels[r] : '',
          a.distance[i], a.rho1[i], a.rhoK[i], ASSIGNMENT_NAMES[a.set[i]], c >= 0 ? a.realIds[c] : '',
        ];
      }
    }
  };
  return toCsv(header, rows());
}

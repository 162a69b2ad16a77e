/**
 * What a finished run hands to the UI: the report (the same schema as the CLI's JSON) plus what the views
 * need beyond it (per-image assignments, DCR distributions, mean images, thumbnails, skipped files).
 */
import type { Report } from '../core/report/schema.ts';
import type { CachedFrame } from '../store/featureCache.ts';
import type { UtilityReport } from '../core/utility/types.ts';

export type Thumb = CachedFrame['thumb'];

export type SetRole = 'real' | 'holdout' | 'synthetic' | 'crossTask';

/**
 * Per synthetic image: its nearest real image (index into realIds), distance, radii, the copy / real / non-real
 * decision, and the real whose copy ball holds it (copyOf). The same type the CLI's --assignments CSV uses.
 */
export type { SetAssignments } from '../core/report/csv.ts';
import type { SetAssignments } from '../core/report/csv.ts';

export interface SetSummary {
  name: string;
  role: SetRole;
  count: number;
  classes: Record<string, number>;
  skipped: { path: string; reason: string }[];
  cached: number;
  embedded: number;
  /** The set's mean image (what the file-size variety measures), 8-bit grayscale. */
  meanImage: { width: number; height: number; data: Uint8Array } | null;
}

export interface RunResult {
  report: Report;
  /** Real, holdout (if any) and synthetic sets in display order. */
  sets: SetSummary[];
  /** Keyed by synthetic set name. */
  assignments: Record<string, SetAssignments>;
  /** Distance to closest real record per image: per synthetic set, and for the holdout (null without one). */
  dcr: { sets: Record<string, Float64Array>; holdout: Float64Array | null };
  /** Thumbnail of an image of a set (`setName`, image id), or undefined when none was kept. */
  thumb(setName: string, id: string): Thumb | undefined;
  /**
   * The thumbnail, drawn again from the file when it was not kept in memory (a run keeps thumbnails only within
   * a budget); undefined when the file cannot be read. Absent for results that have no files (the demo fixtures).
   */
  loadThumb?(setName: string, id: string): Promise<Thumb | undefined>;
  /** Bytes of thumbnails kept in memory and how many were dropped past the budget (app runs only). */
  thumbsKept?: { kept: number; dropped: number };
  /** Utility per synthetic set name, when the utility evaluator ran. */
  utility: UtilityReport | null;
}

export const SET_NAMES = { copy: 0, real: 1, nonReal: 2 } as const;
export const ASSIGNMENT_LABELS = ['copy', 'real', 'non-real'] as const;

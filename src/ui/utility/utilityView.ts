/**
 * What the utility section shows, derived from a RunResult (pure; no DOM). Nothing here computes a
 * metric: the numbers come from src/core/utility (runUtility); these are display rules.
 */
import type { RunResult } from '../../app/types.ts';
import type { PairedTest, TestSource, UtilityProtocol, UtilityReport, UtilitySkip } from '../../core/utility/types.ts';
import { MISSING, fmtSig } from '../results/format.ts';

/** Plain names of the protocols, as the section's headings use them. */
export const PROTOCOL_NAME: Record<UtilityProtocol, string> = {
  all: 'Utility',
  auc: 'ROC AUC',
  intraTask: 'Adding the set to the real training images',
  simpleAugmentation: 'Simple augmentation (the free alternative)',
  tstr: 'Training on the synthetic set alone',
  crossTask: 'Cross-task check',
};

/**
 * Smallest two-sided p-value a paired Wilcoxon signed-rank test can give with n seeds (exact
 * distribution, no ties or zero differences): 2 / 2^n, reached when every seed moves the same way.
 */
export function smallestPValue(seeds: number): number {
  return 2 / 2 ** seeds;
}

/** A p-value with 3 significant digits ("0.0625", "0.313", "1.00"); em dash when undefined. */
export function fmtP(p: number | null | undefined): string {
  return p === null || p === undefined || !Number.isFinite(p) ? MISSING : fmtSig(p, 3);
}

/** What the Wilcoxon p-value is, in one sentence, for this many seeds (shown once per section). */
export function pValueMeaning(seeds: number): string {
  const base = 'p (paired Wilcoxon signed-rank test over the seeds) is the chance of seed-by-seed changes at least this one-sided if the set made no difference.';
  if (seeds > 12) return base;
  const min = smallestPValue(seeds);
  return (
    `${base} With ${seeds} seed${seeds === 1 ? '' : 's'} it cannot go below ${fmtP(min)} (every seed moving the same way)` +
    (min > 0.05 ? ', so p < 0.05 is impossible: that needs at least 6 seeds.' : '.')
  );
}

/** One short line reading a p-value against the smallest one possible with this many seeds. */
export function pValueReading(p: number | null, seeds: number): string {
  if (p === null || !Number.isFinite(p)) return 'not defined';
  const min = smallestPValue(seeds);
  if (p <= min * (1 + 1e-9)) return `the smallest possible with ${seeds} seed${seeds === 1 ? '' : 's'}: every seed moved the same way`;
  if (p < 0.05) return 'a consistent change across the seeds';
  return `not conclusive on its own (the smallest possible with ${seeds} seed${seeds === 1 ? '' : 's'} is ${fmtP(min)})`;
}

/** How many seeds went up, down or stayed level (per-seed percent gains; null gains are not counted). */
export function seedDirections(gains: (number | null)[]): { up: number; down: number; level: number } {
  let up = 0;
  let down = 0;
  let level = 0;
  for (const g of gains) {
    if (g === null) continue;
    if (g > 0) up++;
    else if (g < 0) down++;
    else level++;
  }
  return { up, down, level };
}

/** "4 of 5 seeds better, 1 worse" style summary of a paired comparison. */
export function directionText(t: PairedTest): string {
  const { up, down, level } = seedDirections(t.gainPercent.perSeed);
  const n = up + down + level;
  if (n === 0) return 'no seed gave a comparable result';
  const parts = [`${up} of ${n} seed${n === 1 ? '' : 's'} better`];
  if (down) parts.push(`${down} worse`);
  if (level) parts.push(`${level} unchanged`);
  return parts.join(', ');
}

/** Where the test images came from, in words. */
export function testSourceText(ts: TestSource, testImages: number): string {
  const n = `${testImages} real image${testImages === 1 ? '' : 's'}`;
  if (ts.kind === 'held-out') return `${n} of the held-out set, never used for training`;
  return `${n}: a stratified ${Math.round(ts.testFraction * 100)} % split of the real set (seed ${ts.seed}), left out of training and of every other metric`;
}

/** Skips that concern the whole run (no `set`): a protocol that could not run for any set, and why. */
export function runSkips(u: UtilityReport): UtilitySkip[] {
  return u.skipped.filter((s) => !s.set);
}

/** The reason utility was not run, from the run's warnings ("Utility was not run: <reason>"), or null. */
export function notRunReason(result: Pick<RunResult, 'report'>): string | null {
  const w = result.report.warnings.find((x) => /^Utility was not run/i.test(x));
  return w ? w.replace(/^Utility was not run[:.]?\s*/i, '') || null : null;
}

/** Total of a class-count record. */
export function total(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** Class counts as "normal 80, effusion 80". */
export function classCountsText(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

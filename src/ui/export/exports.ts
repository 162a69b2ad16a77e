/**
 * What the export panel writes (pure; no DOM): the same JSON and CSV texts as the CLI (the core's
 * exporters in src/core/report), with dated file names, and the header line of the printed report.
 */
import type { RunResult, SetAssignments } from '../../app/types.ts';
import { assignmentsToCsv, metricsToCsv } from '../../core/report/csv.ts';
import { reportToJson } from '../../core/report/json.ts';
import { APP_NAME, APP_VERSION } from '../../core/report/schema.ts';
import { auditSources } from '../audit/pairs.ts';

export type ExportKind = 'json' | 'csv-metrics' | 'csv-assignments';

export interface ExportFile {
  name: string;
  mime: string;
  text: string;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** yyyy-mm-dd of a date in the local time zone. */
export function localDate(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The date a run's files are named after: the report's createdAt (local date), or `fallback` when unreadable. */
export function runDate(createdAt: string | undefined, fallback: Date): string {
  const t = createdAt ? Date.parse(createdAt) : NaN;
  return localDate(Number.isFinite(t) ? new Date(t) : fallback);
}

const STEM: Record<ExportKind, string> = {
  json: 'report',
  'csv-metrics': 'metrics',
  'csv-assignments': 'assignments',
};

/** synthlens-report-2024-05-01.json, synthlens-metrics-2024-05-01.csv, synthlens-assignments-2024-05-01.csv. */
export function exportFileName(kind: ExportKind, date: string): string {
  return `${APP_NAME}-${STEM[kind]}-${date}.${kind === 'json' ? 'json' : 'csv'}`;
}

/** The synthetic sets' assignments as the CLI passes them to assignmentsToCsv: a Map in display order. */
export function assignmentsMap(result: Pick<RunResult, 'sets' | 'assignments'>): Map<string, SetAssignments> {
  return new Map(auditSources(result).map((s) => [s.name, s.a]));
}

/** The text of one export (throws what the core exporter throws, e.g. a non-finite number in the report). */
export function buildExport(kind: ExportKind, result: Pick<RunResult, 'report' | 'sets' | 'assignments'>, now: Date = new Date()): ExportFile {
  const name = exportFileName(kind, runDate(result.report.createdAt, now));
  switch (kind) {
    case 'json':
      return { name, mime: 'application/json', text: reportToJson(result.report) };
    case 'csv-metrics':
      return { name, mime: 'text/csv', text: metricsToCsv(result.report) };
    case 'csv-assignments':
      return { name, mime: 'text/csv', text: assignmentsToCsv(assignmentsMap(result)) };
  }
}

/** The header line of the printed report: app and version, when the run was made, when it was printed. */
export function printHeaderText(report: { createdAt?: string; app?: { name: string; version: string } }, printedAt: Date): string {
  const t = report.createdAt ? Date.parse(report.createdAt) : NaN;
  const stamp = (d: Date) => `${localDate(d)} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const run = Number.isFinite(t) ? `run of ${stamp(new Date(t))}` : 'run date unknown';
  const version = report.app?.version ?? APP_VERSION;
  return `SynthLens ${version} · evaluation report · ${run} · printed ${stamp(printedAt)}`;
}

/** A CSS string literal of `text` (for `content:` through a custom property). */
export function cssString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/[\r\n\f]/g, ' ')}"`;
}

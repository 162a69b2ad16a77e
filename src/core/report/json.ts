/**
 * Report JSON export and import (see ./schema.ts for the shape and the compatibility rule).
 */
import { REPORT_VERSION, type Report } from './schema.ts';

function assertFinite(value: unknown, path: string): void {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`report value at ${path} is ${value}; reports hold finite numbers or null`);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => assertFinite(v, `${path}[${i}]`));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) assertFinite(v, `${path}.${k}`);
  }
}

/** The report as JSON text (2-space indent, trailing newline). Throws if a number is NaN or infinite. */
export function reportToJson(report: Report, indent = 2): string {
  assertFinite(report, 'report');
  return JSON.stringify(report, null, indent) + '\n';
}

/** Parse a saved report; throws on text that is not a SynthLens report or is of a newer version. */
export function parseReport(text: string): Report {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (e) {
    throw new Error(`not JSON: ${(e as Error).message}`);
  }
  const r = obj as Partial<Report> | null;
  if (!r || typeof r !== 'object' || typeof r.version !== 'number' || !r.config || !r.real || !Array.isArray(r.sets) || !r.app) {
    throw new Error('not a SynthLens report (missing version, config, real, sets or app)');
  }
  if (r.version > REPORT_VERSION) throw new Error(`report version ${r.version} is newer than this app understands (${REPORT_VERSION})`);
  return r as Report;
}

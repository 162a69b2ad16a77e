import { describe, expect, it } from 'vitest';
import type { RunResult, SetAssignments, SetSummary } from '../../../src/app/types.ts';
import { assignmentsToCsv, metricsToCsv } from '../../../src/core/report/csv.ts';
import { parseReport, reportToJson } from '../../../src/core/report/json.ts';
import { APP_VERSION, type Report, type SetMetrics } from '../../../src/core/report/schema.ts';
import { assignmentsMap, buildExport, cssString, exportFileName, localDate, printHeaderText, runDate } from '../../../src/ui/export/exports.ts';

const metrics = (privacy: number): SetMetrics => ({
  fidelity: 0.9, privacy, fidelityPrivacy: 0.8, modeCollapseRuleApplied: false, featureStd: 0.25,
  precision: 0.9, recall: 0.7, density: 1.01, coverage: 0.85, fid: 12.5, kid: { mean: 0.01, std: 0.002, subsetSize: 2, subsets: 100 },
  dcr: { min: 0.1, p5: 0.2, median: 0.5 }, holdoutDcr: null, memorizationRate: null, vendi: 3.5,
  holdoutPrivacy: null, holdoutFidelity: null, holdoutFidelityPrivacy: null, variety: null,
});

// Local noon, so the local date is the same in every time zone's reading.
const CREATED = new Date(2024, 4, 1, 12, 30);

const report: Report = {
  version: 1,
  config: { k: 1, tau: 0.05, seed: 2020, featureKind: 'continuous', distance: 'euclidean', kidSubsetSize: 1000, kidSubsets: 100, dim: 2, backend: 'cpu' },
  real: { count: 3, classes: { a: 2, b: 1 }, variety: null },
  holdout: null,
  sets: [
    { name: 'gen "1"', count: 2, classes: { a: 1, b: 1 }, metrics: metrics(0.5), perClass: { a: metrics(1) }, warnings: [] },
    { name: 'gen2', count: 1, classes: {}, metrics: metrics(1), perClass: {}, warnings: [] },
  ],
  skipped: [],
  timings: { total: 12 },
  app: { name: 'synthlens', version: APP_VERSION },
  warnings: [],
  createdAt: CREATED.toISOString(),
};

const a1: SetAssignments = {
  nearestReal: Int32Array.from([2, 0]), distance: Float64Array.from([0.25, 1.5]), rho1: Float64Array.from([0.5, 0.75]),
  rhoK: Float64Array.from([1, 2]), set: Uint8Array.from([0, 2]), copyOf: Int32Array.from([1, -1]),
  ids: ['s/x.png', 's/y,z.png'], labels: ['a', 'b'], realIds: ['r0', 'r1', 'r2'], realLabels: ['a', 'a', 'b'],
};
const a2: SetAssignments = {
  nearestReal: Int32Array.from([1]), distance: Float64Array.from([0.125]), rho1: Float64Array.from([0.5]),
  rhoK: Float64Array.from([1]), set: Uint8Array.from([1]), copyOf: null,
  ids: ['t/1.png'], labels: null, realIds: ['r0', 'r1', 'r2'], realLabels: null,
};
const summary = (name: string, role: SetSummary['role']): SetSummary => ({ name, role, count: 1, classes: {}, skipped: [], cached: 0, embedded: 1, meanImage: null });
// Assignments keyed in the other order than the sets: the export follows the sets' display order.
const result: Pick<RunResult, 'report' | 'sets' | 'assignments'> = {
  report,
  sets: [summary('real', 'real'), summary('gen "1"', 'synthetic'), summary('gen2', 'synthetic')],
  assignments: { gen2: a2, 'gen "1"': a1 },
};

describe('export file names', () => {
  it('are dated with the run date (local), per kind', () => {
    expect(localDate(new Date(2024, 0, 9, 23, 59))).toBe('2024-01-09');
    expect(runDate(report.createdAt, new Date(2000, 0, 1))).toBe('2024-05-01');
    expect(runDate('not a date', new Date(2001, 10, 3))).toBe('2001-11-03');
    expect(exportFileName('json', '2024-05-01')).toBe('synthlens-report-2024-05-01.json');
    expect(exportFileName('csv-metrics', '2024-05-01')).toBe('synthlens-metrics-2024-05-01.csv');
    expect(exportFileName('csv-assignments', '2024-05-01')).toBe('synthlens-assignments-2024-05-01.csv');
  });
});

describe('export contents', () => {
  it('JSON is the core exporter’s text and reads back as the same report', () => {
    const f = buildExport('json', result);
    expect(f).toMatchObject({ name: 'synthlens-report-2024-05-01.json', mime: 'application/json' });
    expect(f.text).toBe(reportToJson(report));
    expect(parseReport(f.text)).toEqual(report);
  });

  it('metrics CSV is the core exporter’s text: pooled row then per-class rows', () => {
    const f = buildExport('csv-metrics', result);
    expect(f).toMatchObject({ name: 'synthlens-metrics-2024-05-01.csv', mime: 'text/csv' });
    expect(f.text).toBe(metricsToCsv(report));
    const lines = f.text.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[1].startsWith('"gen ""1""",,2,0.9,0.5,')).toBe(true);
    expect(lines[2].startsWith('"gen ""1""",a,1,0.9,1,')).toBe(true);
  });

  it('assignments CSV is what the CLI writes, sets in display order (hand-checked rows)', () => {
    expect([...assignmentsMap(result).keys()]).toEqual(['gen "1"', 'gen2']);
    const f = buildExport('csv-assignments', result);
    expect(f).toMatchObject({ name: 'synthlens-assignments-2024-05-01.csv', mime: 'text/csv' });
    expect(f.text).toBe(assignmentsToCsv(new Map([['gen "1"', a1], ['gen2', a2]])));
    expect(f.text).toBe(
      'set,id,label,nearest_real_id,nearest_real_label,distance,rho1,rhoK,assignment,copy_of_real_id\n' +
        '"gen ""1""",s/x.png,a,r2,b,0.25,0.5,1,copy,r1\n' +
        '"gen ""1""","s/y,z.png",b,r0,a,1.5,0.75,2,non-real,\n' +
        'gen2,t/1.png,,r1,,0.125,0.5,1,real,\n',
    );
  });

  it('JSON export refuses a report with a non-finite number (the core’s check)', () => {
    const bad = { ...result, report: { ...report, timings: { total: NaN } } };
    expect(() => buildExport('json', bad)).toThrow(/finite/);
  });
});

describe('print header', () => {
  it('names the app version, the run time and the print time', () => {
    const t = printHeaderText(report, new Date(2024, 5, 2, 8, 5));
    expect(t).toBe(`SynthLens ${APP_VERSION} · evaluation report · run of 2024-05-01 12:30 · printed 2024-06-02 08:05`);
    expect(printHeaderText({ createdAt: '' }, new Date(2024, 5, 2, 8, 5))).toContain('run date unknown');
  });

  it('is quoted as a CSS string', () => {
    expect(cssString('a "b" \\ c\nd')).toBe('"a \\"b\\" \\\\ c d"');
  });
});

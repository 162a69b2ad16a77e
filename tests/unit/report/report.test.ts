import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { APP_VERSION, REPORT_VERSION, classCounts, type Report, type SetMetrics } from '../../../src/core/report/schema.ts';
import { parseReport, reportToJson } from '../../../src/core/report/json.ts';
import { assignmentsToCsv, metricsToCsv, METRICS_CSV_COLUMNS, type SetAssignments } from '../../../src/core/report/csv.ts';
import { readFeaturesCsv } from '../../../src/core/features/csv.ts';

const metrics = (over: Partial<SetMetrics> = {}): SetMetrics => ({
  fidelity: 0.9, privacy: 0.8, fidelityPrivacy: 0.7, modeCollapseRuleApplied: false, featureStd: 1.25,
  precision: 0.9, recall: 0.6, density: 1.1, coverage: 0.95, fid: 12.5,
  kid: { mean: 0.01, std: 0.002, subsetSize: 100, subsets: 100 },
  dcr: { min: 0.5, p5: 0.75, median: 2 }, holdoutDcr: null, memorizationRate: null, vendi: 3.5,
  holdoutPrivacy: null, holdoutFidelity: null, holdoutFidelityPrivacy: null, variety: { pngBytes: 1234, score: 0.5 },
  ...over,
});

const report = (): Report => ({
  version: REPORT_VERSION,
  config: { k: 5, tau: 0.05, seed: 2020, featureKind: 'continuous', distance: 'euclidean', kidSubsetSize: 1000, kidSubsets: 100, dim: 8, backend: 'cpu', extractor: null, preprocessing: null },
  real: { count: 10, classes: { a: 6, b: 4 }, variety: null },
  holdout: null,
  sets: [
    { name: 'gan, "v2"', count: 7, classes: { a: 4, b: 3 }, metrics: metrics(), perClass: { a: metrics({ fid: null, kid: null, variety: null }) }, warnings: [] },
    { name: 'ldm', count: 3, classes: {}, metrics: metrics({ modeCollapseRuleApplied: true, memorizationRate: 0.25, holdoutDcr: { min: 0.1, p5: 0.2, median: 0.3 } }), perClass: {}, warnings: ['x'] },
  ],
  skipped: [{ path: 'a/b.png', reason: 'not an image' }],
  timings: { total: 12.5 },
  app: { name: 'synthlens', version: APP_VERSION },
  warnings: [],
  createdAt: '2024-01-01T00:00:00.000Z',
});

describe('report schema', () => {
  it('APP_VERSION equals package.json version', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8'));
    expect(APP_VERSION).toBe(pkg.version);
  });
  it('classCounts: sorted keys, {} without labels', () => {
    expect(classCounts(['b', 'a', 'b'])).toEqual({ a: 1, b: 2 });
    expect(Object.keys(classCounts(['z', 'a', 'm']))).toEqual(['a', 'm', 'z']);
    expect(classCounts(null)).toEqual({});
  });
});

describe('report JSON', () => {
  it('round-trips and keeps the documented keys', () => {
    const r = report();
    const text = reportToJson(r);
    expect(text.endsWith('\n')).toBe(true);
    const back = parseReport(text);
    expect(back).toEqual(r);
    expect(Object.keys(back)).toEqual(expect.arrayContaining(['version', 'config', 'real', 'holdout', 'sets', 'skipped', 'timings', 'app']));
    expect(Object.keys(back.sets[0].metrics).sort()).toEqual([
      'coverage', 'dcr', 'density', 'featureStd', 'fid', 'fidelity', 'fidelityPrivacy', 'holdoutDcr', 'holdoutFidelity',
      'holdoutFidelityPrivacy', 'holdoutPrivacy', 'kid', 'memorizationRate', 'modeCollapseRuleApplied', 'precision',
      'privacy', 'recall', 'variety', 'vendi',
    ]);
  });
  it('refuses NaN and Infinity, naming the path', () => {
    const r = report();
    r.sets[1].metrics.density = NaN;
    expect(() => reportToJson(r)).toThrow('report.sets[1].metrics.density is NaN');
    const s = report();
    s.timings.total = Infinity;
    expect(() => reportToJson(s)).toThrow(/timings.total is Infinity/);
  });
  it('parseReport rejects non-reports and newer versions', () => {
    expect(() => parseReport('{')).toThrow(/not JSON/);
    expect(() => parseReport('{"version":1}')).toThrow(/not a SynthLens report/);
    expect(() => parseReport(reportToJson({ ...report(), version: REPORT_VERSION + 1 }))).toThrow(/newer/);
  });
});

describe('report CSV', () => {
  it('metrics CSV: one row per set and per set x class; nulls empty; names quoted', () => {
    const text = metricsToCsv(report());
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe(['set', 'class', ...METRICS_CSV_COLUMNS].join(','));
    expect(lines[1]).toBe('"gan, ""v2""",,7,0.9,0.8,0.7,false,1.25,0.9,0.6,1.1,0.95,12.5,0.01,0.002,100,100,0.5,0.75,2,,,,,3.5,,,,1234,0.5');
    expect(lines[2].startsWith('"gan, ""v2""",a,4,0.9,')).toBe(true);
    expect(lines[2]).toContain(',0.95,,,,,,0.5,0.75,2,');
    expect(lines[3]).toBe('ldm,,3,0.9,0.8,0.7,true,1.25,0.9,0.6,1.1,0.95,12.5,0.01,0.002,100,100,0.5,0.75,2,0.1,0.2,0.3,0.25,3.5,,,,1234,0.5');
  });
  it('assignments CSV: one row per synthetic image with the nearest real id and the set name', () => {
    const a: SetAssignments = {
      nearestReal: Int32Array.from([2, 0]), distance: Float64Array.from([0.125, 3]), rho1: Float64Array.from([0.5, 1]),
      rhoK: Float64Array.from([1.5, 2]), set: Uint8Array.from([0, 2]), copyOf: Int32Array.from([1, -1]), ids: ['s0.png', 's,1.png'], labels: ['a', 'b'],
      realIds: ['r0', 'r1', 'r2'], realLabels: ['b', 'a', 'a'],
    };
    const text = assignmentsToCsv(new Map([['gan', a], ['ldm', { ...a, set: Uint8Array.from([1, 1]), copyOf: null, labels: null, realLabels: null }]]));
    expect(text).toBe([
      'set,id,label,nearest_real_id,nearest_real_label,distance,rho1,rhoK,assignment,copy_of_real_id',
      'gan,s0.png,a,r2,a,0.125,0.5,1.5,copy,r1',
      'gan,"s,1.png",b,r0,b,3,1,2,non-real,',
      'ldm,s0.png,,r2,,0.125,0.5,1.5,real,',
      'ldm,"s,1.png",,r0,,3,1,2,real,',
    ].join('\n') + '\n');
  });
});

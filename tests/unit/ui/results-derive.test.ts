import { describe, expect, it } from 'vitest';
import { groupWarnings, pearson, privacyVerdict, radarPoint, setColour, utilityGains, utilityRadarValue, withAlpha, perClassLabels } from '../../../src/ui/results/derive.ts';
import type { RunResult } from '../../../src/app/types.ts';

type Gain = { gainPercent: { mean: number | null } } | null;
function fakeResult(names: string[], intra: Gain[] | null, cross: Gain[] | null = null): Pick<RunResult, 'report' | 'utility'> {
  return {
    report: { sets: names.map((name) => ({ name, perClass: {} })), holdout: null } as unknown as RunResult['report'],
    utility: intra || cross
      ? ({ sets: names.map((name, i) => ({ name, intraTask: intra?.[i] ?? null, crossTask: cross?.[i] ?? null })) } as unknown as RunResult['utility'])
      : null,
  };
}

describe('utility gains and the radar mapping', () => {
  it('uses intra-task gains when any set has one, with max |gain|', () => {
    const g = utilityGains(fakeResult(['a', 'b', 'c'], [{ gainPercent: { mean: 2 } }, { gainPercent: { mean: -4 } }, null]));
    expect(g.protocol).toBe('intraTask');
    expect([...g.gains.entries()]).toEqual([['a', 2], ['b', -4], ['c', null]]);
    expect(g.maxAbs).toBe(4);
    // 0.5 + 0.5 * gain / maxAbs
    expect(utilityRadarValue(2, 4)).toBe(0.75);
    expect(utilityRadarValue(-4, 4)).toBe(0);
    expect(utilityRadarValue(0, 4)).toBe(0.5);
    expect(utilityRadarValue(0, 0)).toBe(0.5);
    expect(utilityRadarValue(null, 4)).toBeNull();
  });
  it('falls back to cross-task, then to none', () => {
    const g = utilityGains(fakeResult(['a'], [null], [{ gainPercent: { mean: 1.5 } }]));
    expect(g.protocol).toBe('crossTask');
    expect(g.gains.get('a')).toBe(1.5);
    const none = utilityGains(fakeResult(['a', 'b'], null));
    expect(none.protocol).toBeNull();
    expect(none.gains.get('b')).toBeNull();
    expect(none.maxAbs).toBe(0);
  });
});

describe('privacy verdict', () => {
  it('flags P(S) more than 2 standard errors below P(H) (hand-computed)', () => {
    // pS = 0.5, nS = 100, pH = 0.6, nH = 100: se = sqrt(0.0025 + 0.0024) = 0.07; diff -0.1 > -0.14 -> not clear.
    const v = privacyVerdict(0.5, 100, 0.6, 100);
    expect(v.difference).toBeCloseTo(-0.1, 12);
    expect(v.standardError).toBeCloseTo(0.07, 12);
    expect(v.clearlyBelow).toBe(false);
    // With 1000 each: se = sqrt(0.00025 + 0.00024) = 0.022136; 0.1 > 0.0443 -> clearly below.
    expect(privacyVerdict(0.5, 1000, 0.6, 1000).clearlyBelow).toBe(true);
    expect(privacyVerdict(0.7, 1000, 0.6, 1000).clearlyBelow).toBe(false);
    expect(privacyVerdict(0, 10, 1, 10)).toEqual({ difference: -1, standardError: 0, clearlyBelow: true });
  });
});

describe('pearson', () => {
  it('matches numpy.corrcoef and hand cases', () => {
    // np.corrcoef(xs, ys)[0, 1] with xs = [(i*7919 % 1009)/97.3], ys = [(i*104729 % 997)/131.7], i < 12
    const xs = Array.from({ length: 12 }, (_, i) => ((i * 7919) % 1009) / 97.3);
    const ys = Array.from({ length: 12 }, (_, i) => ((i * 104729) % 997) / 131.7);
    expect(pearson(xs, ys)).toBeCloseTo(0.11120931649908374, 12);
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 14);
    expect(pearson([1, 2, 3, null], [3, 2, 1, 7])).toBeCloseTo(-1, 14);
    expect(pearson([1, 2], [1, 2])).toBeNull();
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNull();
  });
});

describe('display helpers', () => {
  it('colours cycle and convert to rgba; class labels are the sorted union', () => {
    expect(setColour(0)).toBe(setColour(10));
    expect(withAlpha('#0072B2', 0.5)).toBe('rgba(0, 114, 178, 0.5)');
    const r = {
      report: {
        sets: [{ perClass: { b: {}, a: {} } }, { perClass: { c: {} } }],
        holdout: { perClass: { a: {}, d: {} } },
      },
    } as unknown as Pick<RunResult, 'report'>;
    expect(perClassLabels(r)).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('radarPoint', () => {
  it('puts F, variety score, P and the mapped utility on [0, 1], null where absent', () => {
    expect(radarPoint({ fidelity: 0.8, privacy: 0.6, variety: { score: 0.25 } }, -1, 2)).toEqual({ fidelity: 0.8, variety: 0.25, privacy: 0.6, utility: 0.25 });
    expect(radarPoint({ fidelity: 0.8, privacy: 0.6, variety: null }, null, 2)).toEqual({ fidelity: 0.8, variety: null, privacy: 0.6, utility: null });
  });
});

describe('groupWarnings', () => {
  it('separates pooled warnings from per-class ones by their class prefix', () => {
    const g = groupWarnings([
      'KID: subsets of 60 rows',
      'class "effusion": FID: singular',
      'class "normal": KID: subsets of 30 rows',
      'class "effusion": mode-collapse rule applied',
      'class "a "b"": odd label',
      'the class "x" is fine',
    ]);
    expect(g.pooled).toEqual(['KID: subsets of 60 rows', 'the class "x" is fine']);
    expect(g.perClass).toEqual([
      { label: 'effusion', warnings: ['FID: singular', 'mode-collapse rule applied'] },
      { label: 'normal', warnings: ['KID: subsets of 30 rows'] },
      { label: 'a "b"', warnings: ['odd label'] },
    ]);
    expect(g.total).toBe(6);
  });
});

import { describe, expect, it } from 'vitest';
import ref from '../../fixtures/utility/reference.json' with { type: 'json' };
import { erfc, normalSf, rankAverage, wilcoxon, wilcoxonNullPmf } from '../../../src/core/utility/wilcoxon.ts';
import { accuracy, balancedAccuracy, rocAuc, rocAucBinary } from '../../../src/core/utility/classificationMetrics.ts';

const close = (a: number, b: number, rel = 1e-12) => expect(Math.abs(a - b)).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(b)));

describe('wilcoxon vs scipy 1.10 (tests/fixtures/utility/make_reference.py)', () => {
  it('fixture was produced by scipy 1.10', () => {
    expect(ref.versions.scipy.startsWith('1.10')).toBe(true);
  });
  for (const c of ref.wilcoxon as { name: string; x: number[]; y: number[]; statistic?: number; pValue?: number; error?: string }[]) {
    it(c.name, () => {
      if (c.error) {
        expect(() => wilcoxon(c.x, c.y)).toThrow(/zero/);
        return;
      }
      const r = wilcoxon(c.x, c.y);
      close(r.statistic, c.statistic!);
      close(r.pValue, c.pValue!, 1e-11);
      const d = c.x.map((v, i) => v - c.y[i]);
      expect(r.method).toBe(d.length <= 50 && !d.includes(0) ? 'exact' : 'approx');
    });
  }
  it('hand case: 5 seeds all better gives statistic 0 and exact p = 2/32', () => {
    expect(wilcoxon([5, 6, 7, 8, 9], [1, 1, 1, 1, 1])).toEqual({ statistic: 0, pValue: 0.0625, method: 'exact' });
  });
  it('float64 differences decide ties: 0.81-0.79 and 0.82-0.80 are not tied', () => {
    // with ties at 0.02 (ranks 2.5, 2.5) the statistic would be 1.0 either way, but r_plus differs
    expect(rankAverage([0.81 - 0.79, 0.82 - 0.8])).toEqual(new Float64Array([2, 1]));
  });
  it('empty input gives NaN like scipy; unequal lengths throw', () => {
    const r = wilcoxon([], []);
    expect(r.statistic).toBeNaN();
    expect(r.pValue).toBeNaN();
    expect(() => wilcoxon([1, 2], [1])).toThrow();
  });
  it('null distribution sums to 1 and is symmetric', () => {
    const p = wilcoxonNullPmf(10);
    expect(p.length).toBe(56);
    close(p.reduce((a, b) => a + b, 0), 1);
    for (let i = 0; i < p.length; i++) expect(p[i]).toBe(p[p.length - 1 - i]);
    expect(p[0]).toBe(2 ** -10);
  });
});

describe('normal tail', () => {
  for (const { z, sf } of ref.normal_sf) {
    it(`sf(${z}) matches scipy.stats.norm.sf`, () => {
      expect(Math.abs(normalSf(z) - sf)).toBeLessThanOrEqual(2e-14 * sf + 1e-300);
    });
  }
  it('erfc edge values', () => {
    expect(erfc(0)).toBe(1);
    expect(erfc(Infinity)).toBe(0);
    expect(erfc(-Infinity)).toBe(2);
    expect(erfc(NaN)).toBeNaN();
  });
});

describe('rankAverage (scipy.stats.rankdata average)', () => {
  it('hand case with ties', () => {
    expect(Array.from(rankAverage([10, 20, 10, 30, 20, 20]))).toEqual([1.5, 4, 1.5, 6, 4, 4]);
  });
});

describe('classification scores vs sklearn 1.2', () => {
  for (const c of ref.roc_auc as { name: string; classes: number; y: number[]; score?: number[]; proba?: number[]; auc: number }[]) {
    it(`roc auc: ${c.name}`, () => {
      if (c.score) {
        close(rocAucBinary(c.y.map((v) => v === 1), c.score), c.auc);
        // through the probability interface: column 1 is the positive score
        const proba = c.score.flatMap((s) => [-s, s]);
        close(rocAuc(c.y, proba, 2), c.auc);
      } else {
        close(rocAuc(c.y, c.proba!, c.classes), c.auc);
      }
    });
  }
  it('roc auc hand cases: perfect, reversed, all tied', () => {
    expect(rocAucBinary([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4])).toBe(1);
    expect(rocAucBinary([1, 1, 0, 0], [0.1, 0.2, 0.3, 0.4])).toBe(0);
    expect(rocAucBinary([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
  });
  it('roc auc refuses a test set without every class (sklearn raises too)', () => {
    expect(() => rocAucBinary([1, 1], [0.2, 0.3])).toThrow(/one class/);
    expect(() => rocAuc([0, 1, 1], [0.5, 0.3, 0.2, 0.1, 0.6, 0.3, 0.1, 0.1, 0.8], 3)).toThrow(/absent/);
  });
  for (const c of ref.accuracy) {
    it(`accuracy and balanced accuracy: ${c.name}`, () => {
      close(accuracy(c.yTrue, c.yPred), c.accuracy);
      close(balancedAccuracy(c.yTrue, c.yPred), c.balancedAccuracy);
    });
  }
});

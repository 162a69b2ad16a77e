import { describe, expect, it } from 'vitest';
import { wilcoxon } from '../../../src/core/utility/wilcoxon.ts';
import {
  directionText,
  fmtP,
  notRunReason,
  pValueMeaning,
  pValueReading,
  runSkips,
  seedDirections,
  smallestPValue,
  testSourceText,
} from '../../../src/ui/utility/utilityView.ts';
import type { PairedTest, UtilityReport } from '../../../src/core/utility/types.ts';

describe('utility section display rules', () => {
  it('the smallest two-sided Wilcoxon p with n seeds is 2 / 2^n (the exact test when every seed moves one way)', () => {
    expect(smallestPValue(5)).toBe(0.0625);
    expect(smallestPValue(6)).toBe(0.03125);
    // independent: the exact Wilcoxon test on 5 and 6 seeds that all improve
    expect(wilcoxon([2, 3, 4, 5, 6], [1, 1, 1, 1, 1]).pValue).toBe(smallestPValue(5));
    expect(wilcoxon([2, 3, 4, 5, 6, 7], [1, 1, 1, 1, 1, 1]).pValue).toBe(smallestPValue(6));
  });

  it('p-values: 3 significant digits, a reading against the smallest possible, one sentence on the meaning', () => {
    expect(fmtP(0.0625)).toBe('0.0625');
    expect(fmtP(0.3125)).toBe('0.313');
    expect(fmtP(1)).toBe('1.00');
    expect(fmtP(null)).toBe('—');
    expect(pValueReading(0.0625, 5)).toMatch(/smallest possible with 5 seeds: every seed moved the same way/);
    expect(pValueReading(0.3125, 5)).toMatch(/not conclusive.*smallest possible with 5 seeds is 0\.0625/);
    expect(pValueReading(0.01, 10)).toMatch(/consistent change/);
    expect(pValueReading(null, 5)).toBe('not defined');
    expect(pValueMeaning(5)).toMatch(/cannot go below 0\.0625.*p < 0\.05 is impossible/);
    expect(pValueMeaning(8)).not.toMatch(/impossible/);
  });

  it('seed directions and their summary', () => {
    expect(seedDirections([1, -2, 0, null, 3])).toEqual({ up: 2, down: 1, level: 1 });
    const t = { gainPercent: { perSeed: [4, 3, -1, 2, 5], mean: 2.6, std: 2.3 }, pValue: 0.19, wilcoxon: null } as PairedTest;
    expect(directionText(t)).toBe('4 of 5 seeds better, 1 worse');
  });

  it('test source, run-wide skips and the not-run reason', () => {
    expect(testSourceText({ kind: 'held-out' }, 80)).toBe('80 real images of the held-out set, never used for training');
    expect(testSourceText({ kind: 'split', testFraction: 0.2, seed: 3 }, 32)).toMatch(/32 real images: a stratified 20 % split of the real set \(seed 3\)/);
    const u = { skipped: [{ protocol: 'crossTask', reason: 'x' }, { protocol: 'tstr', set: 'a', reason: 'y' }] } as unknown as UtilityReport;
    expect(runSkips(u)).toEqual([{ protocol: 'crossTask', reason: 'x' }]);
    const report = { warnings: ['something else', 'Utility was not run: it needs class subfolders (labels) in the real set.'] };
    expect(notRunReason({ report } as never)).toBe('it needs class subfolders (labels) in the real set.');
    expect(notRunReason({ report: { warnings: [] } } as never)).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import {
  fmtBytes, fmtCount, fmtFid, fmtFraction, fmtGain, fmtKid, fmtPercent, fmtPValue, fmtSig, fmtVendi, MISSING,
} from '../../../src/ui/results/format.ts';

describe('number formatting', () => {
  it('fractions with 3 decimals, percentages with 1', () => {
    expect(fmtFraction(0.87349)).toBe('0.873');
    expect(fmtFraction(1)).toBe('1.000');
    expect(fmtFraction(-0.0004)).toBe('−0.000');
    expect(fmtPercent(0.0512)).toBe('5.1 %');
    expect(fmtPercent(0.05, 0)).toBe('5 %');
  });
  it('FID with 2 decimals', () => {
    expect(fmtFid(12.345678)).toBe('12.35');
    expect(fmtFid(0)).toBe('0.00');
  });
  it('4 significant digits, decimal or × 10^n', () => {
    expect(fmtSig(12.3456)).toBe('12.35');
    expect(fmtSig(0.1)).toBe('0.1000');
    expect(fmtSig(9.99996)).toBe('10.00');
    expect(fmtSig(0.00099996)).toBe('0.001000');
    expect(fmtSig(1234.5)).toBe('1235');
    expect(fmtSig(123456)).toBe('123500');
    expect(fmtSig(-2.5)).toBe('−2.500');
    expect(fmtSig(0)).toBe('0');
    expect(fmtSig(1.23456e-5)).toBe('1.235 × 10⁻⁵');
    expect(fmtSig(2.5e7)).toBe('2.500 × 10⁷');
    expect(fmtSig(0.012345, 3)).toBe('0.0123');
  });
  it('KID as mean ± std, gains with sign, p-values, counts, bytes, Vendi', () => {
    expect(fmtKid({ mean: 0.012345, std: 0.00051 })).toBe('0.0123 ± 0.000510');
    expect(fmtGain(1.234)).toBe('+1.23 %');
    expect(fmtGain(-0.4)).toBe('−0.40 %');
    expect(fmtGain(-0.001)).toBe('0.00 %');
    expect(fmtPValue(0.0004)).toBe('< 0.001');
    expect(fmtPValue(0.03125)).toBe('0.031');
    expect(fmtCount(12345)).toBe('12,345');
    expect(fmtBytes(12345)).toBe('12,345 bytes (12.3 kB)');
    expect(fmtBytes(999)).toBe('999 bytes');
    expect(fmtBytes(1)).toBe('1 byte');
    expect(fmtVendi(3.14159)).toBe('3.14');
  });
  it('missing values are an em dash', () => {
    for (const f of [fmtFraction, fmtPercent, fmtFid, fmtSig, fmtGain, fmtPValue, fmtCount, fmtBytes, fmtVendi]) {
      expect(f(null)).toBe(MISSING);
      expect(f(undefined)).toBe(MISSING);
      expect(f(NaN)).toBe(MISSING);
      expect(f(Infinity)).toBe(MISSING);
    }
    expect(fmtKid(null)).toBe(MISSING);
  });
});

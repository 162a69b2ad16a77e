import { describe, expect, it } from 'vitest';
import ref from '../../fixtures/utility/reference.json' with { type: 'json' };
import { fitLogisticRegression } from '../../../src/core/utility/logisticRegression.ts';

interface LrCase {
  name: string;
  n: number;
  dim: number;
  classes: number;
  C: number;
  x: number[];
  y: number[];
  coef: number[];
  intercept: number[];
  proba: number[];
  predict: number[];
}

describe('fitLogisticRegression vs sklearn LogisticRegression (l2, lbfgs)', () => {
  for (const c of ref.logistic_regression as LrCase[]) {
    it(c.name, () => {
      const m = fitLogisticRegression(c.x, c.n, c.dim, c.y, c.classes, { C: c.C });
      expect(m.converged).toBe(true);
      const scale = Math.max(...c.coef.map(Math.abs));
      for (let i = 0; i < c.coef.length; i++) expect(Math.abs(m.coef[i] - c.coef[i])).toBeLessThan(1e-6 * scale);
      if (c.classes === 2) expect(Math.abs(m.intercept[0] - c.intercept[0])).toBeLessThan(1e-6);
      const p = m.predictProba(c.x, c.n);
      for (let i = 0; i < p.length; i++) expect(Math.abs(p[i] - c.proba[i])).toBeLessThan(1e-7);
      expect(Array.from(m.predict(c.x, c.n))).toEqual(c.predict);
    });
  }
  it('hand case: symmetric 1-d data gives intercept 0 and a positive slope', () => {
    const m = fitLogisticRegression([-2, -1, 1, 2], 4, 1, [0, 0, 1, 1], 2);
    expect(Math.abs(m.intercept[0])).toBeLessThan(1e-9);
    expect(m.coef[0]).toBeGreaterThan(0);
    expect(Array.from(m.predict([-0.5, 0.5], 2))).toEqual([0, 1]);
  });
  it('is deterministic and validates its input', () => {
    const c = ref.logistic_regression[2] as LrCase;
    const a = fitLogisticRegression(c.x, c.n, c.dim, c.y, c.classes);
    const b = fitLogisticRegression(c.x, c.n, c.dim, c.y, c.classes);
    expect(b.coef).toEqual(a.coef);
    expect(() => fitLogisticRegression([1, 2], 2, 1, [0, 5], 2)).toThrow(/outside/);
    expect(() => fitLogisticRegression([1, 2], 2, 1, [0, 0], 1)).toThrow(/2 classes/);
  });
});

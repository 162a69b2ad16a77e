/** Without any registered TF.js backend the engine falls back to exact float64 JS ('auto'). */
import { describe, expect, it } from 'vitest';
import { neighbourMetrics } from '../../../src/core/metrics/neighbourMetrics.ts';
import { computeRealRadii } from '../../../src/core/neighbours/engine.ts';
import { fixture, firstMismatch } from './reference.ts';

describe('no TF.js backend', () => {
  it('auto falls back to js-float64 with identical results', async () => {
    const f = fixture('nearcopy_large');
    const m = await neighbourMetrics(f.R, f.S, { k: f.k, tau: f.tau });
    expect(m.engine!.method).toBe('js-float64');
    expect(m.engine!.backend).toBeNull();
    expect(m.engine!.tileSize).toBe(512);
    expect(m.fidelityPrivacy.privacy).toBe(f.expected.privacy);
    expect(Array.from(m.fidelityPrivacy.assignments.set)).toEqual(f.expected.assignments.set);
    expect(firstMismatch(m.dcr.distances, f.expected.distances)).toBe(-1);
  });
  it('compute "tf" refuses to run', async () => {
    const f = fixture('tiles');
    await expect(computeRealRadii(f.R, f.k, { compute: 'tf' })).rejects.toThrow(/no TF.js backend/);
  });
});

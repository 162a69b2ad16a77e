/**
 * src/app/runner.ts shareIds: the engine worker sends the assignments' ids and labels back as copies; the page
 * points them at its own arrays when the values are the same (the tab then holds each id once), and keeps the
 * copies when they differ.
 */
import { describe, expect, it } from 'vitest';
import { makeFeatureSet } from '../../../src/core/features/featureSet.ts';
import { shareIds } from '../../../src/app/runner.ts';
import type { SetAssignments } from '../../../src/app/types.ts';

function assignments(ids: string[], labels: string[] | null, realIds: string[], realLabels: string[] | null): SetAssignments {
  const n = ids.length;
  return {
    nearestReal: new Int32Array(n),
    distance: new Float64Array(n),
    rho1: new Float64Array(n),
    rhoK: new Float64Array(n),
    set: new Uint8Array(n),
    copyOf: null,
    ids,
    labels,
    realIds,
    realLabels,
  };
}

describe('shareIds', () => {
  const synth = makeFeatureSet(new Float32Array(3), 3, 1, { ids: ['s/a.png', 's/b.png', 's/c.png'], labels: ['x', 'y', 'x'] });
  const real = makeFeatureSet(new Float32Array(2), 2, 1, { ids: ['r/a.png', 'r/b.png'], labels: ['x', 'y'] });

  it("uses the page's arrays when the copies hold the same values", () => {
    const a = assignments(structuredClone(synth.ids), structuredClone(synth.labels), structuredClone(real.ids), structuredClone(real.labels));
    expect(a.ids).not.toBe(synth.ids);
    shareIds(a, synth, real);
    expect(a.ids).toBe(synth.ids);
    expect(a.labels).toBe(synth.labels);
    expect(a.realIds).toBe(real.ids);
    expect(a.realLabels).toBe(real.labels);
  });

  it('keeps the copies that differ (order, length, labels present or not)', () => {
    const reordered = ['s/b.png', 's/a.png', 's/c.png'];
    const shorter = ['r/a.png'];
    const a = assignments(reordered, null, shorter, ['x', 'y']);
    shareIds(a, synth, real);
    expect(a.ids).toBe(reordered);
    expect(a.labels).toBeNull();
    expect(a.realIds).toBe(shorter);
    expect(a.realLabels).toBe(real.labels);
  });
});

/** The engine on the TF.js wasm backend in Node (the CLI's backend). */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { neighbourMetrics } from '../../../src/core/metrics/neighbourMetrics.ts';
import { fixture, firstMismatch } from './reference.ts';

beforeAll(async () => {
  const ok = await Promise.race([
    tf.setBackend('wasm'),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('wasm backend did not initialise in 30 s')), 30_000)),
  ]);
  expect(ok).toBe(true);
  expect(tf.getBackend()).toBe('wasm');
});

describe('wasm backend', () => {
  for (const name of ['tiles', 'nearcopy_large', 'lattice_ties']) {
    it(`${name} matches the float64 reference`, async () => {
      const f = fixture(name);
      const m = await neighbourMetrics(f.R, f.S, { k: f.k, tau: f.tau, tileSize: 16, compute: 'tf' });
      expect(m.engine!.method).toBe('tf-float32-refined');
      expect(m.engine!.backend).toBe('wasm');
      const e = f.expected;
      expect(m.fidelityPrivacy.fidelity).toBe(e.fidelity);
      expect(m.fidelityPrivacy.privacy).toBe(e.privacy);
      expect(m.fidelityPrivacy.fidelityPrivacy).toBe(e.fidelityPrivacy);
      expect(Array.from(m.fidelityPrivacy.assignments.nearestReal)).toEqual(e.assignments.nearestReal);
      expect(Array.from(m.fidelityPrivacy.assignments.set)).toEqual(e.assignments.set);
      expect(firstMismatch(m.dcr.distances, e.distances)).toBe(-1);
      expect(m.prdc.precision).toBe(e.prdc.precision);
      expect(m.prdc.recall).toBe(e.prdc.recall);
      expect(m.prdc.density).toBe(e.prdc.density);
      expect(m.prdc.coverage).toBe(e.prdc.coverage);
    });
  }
  it('releases its tensors', async () => {
    const f = fixture('tiles');
    const before = tf.memory().numTensors;
    await neighbourMetrics(f.R, f.S, { k: f.k, tau: f.tau, tileSize: 16, compute: 'tf', tensorCacheBytes: 4096 });
    expect(tf.memory().numTensors).toBe(before);
  });
});

/**
 * The probe trainer reads its float32 training rows standardised on the fly (ProbeRows in
 * src/core/utility/probe.ts) instead of a standardised float64 copy of the whole set: the same loss and
 * gradient bit for bit as from the copy, and no n x dim x 8 bytes held while it trains.
 */
import { describe, expect, it } from 'vitest';
import {
  columnStats, initialParameters, lossAndGradient, parameterCount, trainProbe, type ProbeShape,
} from '../../../src/core/utility/probe.ts';

function rows(n: number, dim: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const x = new Float32Array(n * dim);
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = (s / 2 ** 32) * 3 - 1 + (i % dim) * 0.01;
  }
  return x;
}

describe('probe rows standardised on the fly', () => {
  it.each([
    ['mlp', { dim: 7, hidden: 5, classes: 3 }],
    ['logistic', { dim: 7, hidden: 0, classes: 3 }],
  ] as [string, ProbeShape][])('%s: loss and gradient equal those from the standardised copy, bit for bit', (_, s) => {
    const n = 50;
    const x = rows(n, s.dim, 9);
    const { mean, std } = columnStats(x, n, s.dim);
    const z = new Float64Array(n * s.dim);
    for (let i = 0; i < n; i++) for (let j = 0; j < s.dim; j++) z[i * s.dim + j] = (x[i * s.dim + j] - mean[j]) / std[j];
    const y = Int32Array.from({ length: n }, (_, i) => i % 3);
    const batch = Int32Array.from([3, 17, 0, 44, 9, 9, 31]);
    const theta = initialParameters(s, 4);
    const g1 = new Float64Array(parameterCount(s));
    const g2 = new Float64Array(parameterCount(s));
    const l1 = lossAndGradient(theta, g1, s, z, y, batch);
    const l2 = lossAndGradient(theta, g2, s, { x, mean, std }, y, batch);
    expect(Object.is(l1, l2)).toBe(true);
    let diff = 0;
    for (let i = 0; i < g1.length; i++) if (!Object.is(g1[i], g2[i])) diff++;
    expect(diff).toBe(0);
  });

  it('trainProbe holds no standardised float64 copy of the training set', async () => {
    // 20,000 x 512: the copy would be 78 MiB of ArrayBuffer memory (the float32 rows, 39 MiB, exist before)
    const n = 20_000, dim = 512;
    const x = rows(n, dim, 3);
    const y = Int32Array.from({ length: n }, (_, i) => i % 2);
    const before = process.memoryUsage().arrayBuffers;
    let during = 0;
    const probe = await trainProbe({ x, y, n, dim, classes: 2 }, { architecture: 'mlp', hiddenUnits: 16, steps: 3, batchSize: 32, learningRate: 1e-2, seed: 1 }, {
      onEpoch: () => { during = process.memoryUsage().arrayBuffers; },
    });
    expect(probe.steps).toBe(3);
    expect(during - before).toBeLessThan(20 * 2 ** 20);
  });
});

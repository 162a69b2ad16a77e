/**
 * src/app/runner.ts utilityTransferables: the utility sets that are not on shared memory (the real set's utility
 * test part, the augmented real features, the cnn tier's images) are transferred to the engine worker, not copied
 * (the page does not use them afterwards: the tab then holds them once); the sets on shared memory (real, synthetic,
 * held-out, cross-task features) are shared, and a transfer list naming their buffers would throw.
 */
import { describe, expect, it } from 'vitest';
import { makeFeatureSet, type FeatureSet } from '../../../src/core/features/featureSet.ts';
import { utilityTransferables } from '../../../src/app/runner.ts';

function set(n: number, dim: number, shared: boolean): FeatureSet {
  const data = shared ? new Float32Array(new SharedArrayBuffer(n * dim * 4)) : new Float32Array(n * dim);
  return makeFeatureSet(data, n, dim, { labels: Array.from({ length: n }, (_, i) => (i % 2 ? 'a' : 'b')) });
}

describe('utilityTransferables', () => {
  it('probe tier: the test part and the augmented features are transferred, the shared sets are not', () => {
    const realTrain = set(4, 3, true);
    const test = set(2, 3, false);
    const augmented = set(4, 3, false);
    const crossTask = set(3, 3, true);
    const synthetic = [{ name: 's1', features: set(4, 3, true) }, { name: 's2', features: set(5, 3, true) }];
    const got = utilityTransferables({ realTrain, test, synthetic, augmented, crossTask });
    expect(got).toHaveLength(2);
    expect(new Set(got)).toEqual(new Set([test.data.buffer, augmented.data.buffer]));
    // a held-out test set (shared) and no augmented set: nothing to transfer
    expect(utilityTransferables({ realTrain, test: set(2, 3, true), synthetic })).toEqual([]);
  });

  it('cnn tier: every set of images (none shared) is transferred, each buffer once', () => {
    const realTrain = set(4, 3, false);
    const test = set(2, 3, false);
    const shared = new Float32Array(12);
    const a = makeFeatureSet(shared.subarray(0, 6), 2, 3, { labels: ['a', 'b'] });
    const b = makeFeatureSet(shared.subarray(6), 2, 3, { labels: ['a', 'b'] });
    const got = utilityTransferables({ realTrain, test, synthetic: [{ name: 'a', features: a }, { name: 'b', features: b }] });
    expect(got).toHaveLength(3);
    expect(new Set(got)).toEqual(new Set([realTrain.data.buffer, test.data.buffer, shared.buffer]));
  });
});

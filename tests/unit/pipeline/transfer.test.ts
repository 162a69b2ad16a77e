/** src/workers/transfer.ts: each buffer once, shared memory left out (it is shared, not transferred). */
import { describe, expect, it } from 'vitest';
import { makeFeatureSet } from '../../../src/core/features/featureSet.ts';
import { transferableBuffers } from '../../../src/workers/transfer.ts';

describe('transferableBuffers', () => {
  it('lists each ArrayBuffer once and skips shared memory and missing sets', () => {
    const a = makeFeatureSet(new Float32Array(6), 3, 2);
    const b = makeFeatureSet(new Float32Array(4), 2, 2);
    const sameBuffer = makeFeatureSet(a.data.subarray(0, 2) as Float32Array, 1, 2);
    const shared = makeFeatureSet(new Float32Array(new SharedArrayBuffer(16)), 2, 2);
    const got = transferableBuffers([a, b, sameBuffer, shared, null, undefined]);
    expect(got).toHaveLength(2);
    expect(got).toContain(a.data.buffer);
    expect(got).toContain(b.data.buffer);
    // a transfer list with the same buffer twice would throw DataCloneError
    const moved = structuredClone({ a, b, sameBuffer }, { transfer: got });
    expect(moved.a.data.length).toBe(6);
    expect(a.data.length).toBe(0);
  });
});

import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { IdbFeatureCache, cacheKey, recordBytes, type CacheRecord } from '../../../src/store/featureCache';

function record(key: string, dim = 4): CacheRecord {
  const frames = [{
    idSuffix: 'a.png',
    feature: Float32Array.from({ length: dim }, (_, i) => i + 0.5),
    thumb: { width: 2, height: 2, channels: 1 as const, data: new Uint8Array([1, 2, 3, 4]) },
    gray: new Uint8Array([9, 9]),
    meta: { format: 'png' },
  }];
  return { key, frames, createdAt: 1, bytes: recordBytes(frames) };
}

describe('IndexedDB feature cache', () => {
  it('keys on file hash, extractor, weights and preprocessing', () => {
    const a = cacheKey({ fileSha256: 'ab', extractorId: 'pixels', weightsHash: 'none', preprocessVersion: 'p1' });
    const b = cacheKey({ fileSha256: 'ab', extractorId: 'pixels', weightsHash: 'none', preprocessVersion: 'p2' });
    expect(a).not.toEqual(b);
  });

  it('stores, returns typed arrays intact, measures and clears', async () => {
    const cache = new IdbFeatureCache();
    await cache.clear();
    expect(await cache.get('k1')).toBeUndefined();
    await cache.put(record('k1'));
    await cache.put(record('k2', 8));
    const got = await cache.get('k1');
    expect(got?.frames[0].feature).toBeInstanceOf(Float32Array);
    expect(Array.from(got!.frames[0].feature)).toEqual([0.5, 1.5, 2.5, 3.5]);
    const size = await cache.size();
    expect(size.records).toBe(2);
    expect(size.bytes).toBe(record('k1').bytes + record('k2', 8).bytes);
    await cache.clear();
    expect((await cache.size()).records).toBe(0);
  });

  it('warns once on quota errors and keeps going without caching', async () => {
    const warnings: string[] = [];
    const cache = new IdbFeatureCache((m) => warnings.push(m));
    await cache.clear();
    // Make the underlying put fail with a quota error.
    const db = await (cache as unknown as { dbp: Promise<{ put: unknown }> }).dbp;
    const quota = Object.assign(new Error('quota'), { name: 'QuotaExceededError' });
    (db as { put: unknown }).put = async () => { throw quota; };
    await cache.put(record('q1'));
    await cache.put(record('q2'));
    expect(warnings).toHaveLength(1);
    expect(cache.writable).toBe(false);
  });
});

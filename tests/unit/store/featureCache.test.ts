import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { deleteDB, openDB } from 'idb';
import { IdbFeatureCache, cacheKey, recordBytes, type CacheRecord } from '../../../src/store/featureCache';

/** The running totals as the cache stored them (database 'synthlens-features', store 'meta', key 'totals'). */
async function storedTotals(): Promise<unknown> {
  const db = await openDB('synthlens-features');
  try {
    return db.objectStoreNames.contains('meta') ? await db.get('meta', 'totals') : undefined;
  } finally {
    db.close();
  }
}

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

  it('keeps running totals, counts an overwrite once, and reads them instead of walking the records', async () => {
    const cache = new IdbFeatureCache();
    await cache.clear();
    expect(await storedTotals()).toEqual({ records: 0, bytes: 0 });
    await cache.put(record('t1'));
    await cache.put(record('t2', 16));
    await cache.put(record('t1')); // the same key again (the same file met twice)
    const expected = { records: 2, bytes: record('t1').bytes + record('t2', 16).bytes };
    expect(await storedTotals()).toEqual(expected);
    expect(await cache.size()).toEqual(expected);
    await cache.close();
  });

  it('measures a cache written before version 2 once by walking it, and heals totals that disagree with the store', async () => {
    await deleteDB('synthlens-features');
    const v1 = await openDB('synthlens-features', 1, { upgrade: (db) => void db.createObjectStore('features', { keyPath: 'key' }) });
    await v1.put('features', record('old1'));
    await v1.put('features', record('old2', 32));
    v1.close();
    const cache = new IdbFeatureCache();
    const expected = { records: 2, bytes: record('old1').bytes + record('old2', 32).bytes };
    expect(await storedTotals()).toBeUndefined(); // the upgrade added the totals' store, empty
    await cache.put(record('new1')); // no totals yet: nothing to add to
    expected.records++;
    expected.bytes += record('new1').bytes;
    expect(await cache.size()).toEqual(expected);
    expect(await storedTotals()).toEqual(expected);
    // totals that no longer match the store's count (two writers adding one key at once) are recomputed
    const db = await openDB('synthlens-features');
    await db.put('meta', { records: 7, bytes: 1 }, 'totals');
    db.close();
    expect(await cache.size()).toEqual(expected);
    await cache.close();
  });
});

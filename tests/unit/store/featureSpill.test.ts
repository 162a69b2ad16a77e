/**
 * Spilled feature rows (src/pipeline/collect.ts SpilledRows, src/store/featureSpill.ts): a set's rows go to the
 * spill store in chunks as they arrive, only the chunk being filled (and those being written) stay in memory, and
 * takeAsync() gives back exactly the rows FeatureRows would have held. A store that fails keeps the rows in memory.
 * The IndexedDB store runs on fake-indexeddb, with a stand-in for the Web Locks API (Node has none).
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteDB, openDB } from 'idb';
import { addResult, FeatureRows, newCollection, SpilledRows, toFeatureSet, toFeatureSetAsync } from '../../../src/pipeline/collect.ts';
import { openSpillStore, type RowSpill } from '../../../src/store/featureSpill.ts';

const rowOf = (i: number, dim: number) => Float32Array.from({ length: dim }, (_, t) => i * 10 + t + 0.25);

/** An in-memory RowSpill that records what it was asked, optionally failing from one chunk on. */
class MemorySpill implements RowSpill {
  stored = new Map<number, Float32Array>();
  puts: number[] = [];
  dropped = 0;
  constructor(private readonly failFrom = Infinity) {}
  async put(index: number, rows: Float32Array): Promise<void> {
    this.puts.push(index);
    if (index >= this.failFrom) throw new Error('QuotaExceededError: the disk is full');
    this.stored.set(index, rows.slice());
  }
  async get(index: number): Promise<Float32Array> {
    const v = this.stored.get(index);
    if (!v) throw new Error(`no chunk ${index}`);
    return v;
  }
  async drop(): Promise<void> {
    this.dropped++;
    this.stored.clear();
  }
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('SpilledRows', () => {
  it('holds only the chunk being filled and gives back every row in order, on shared memory', async () => {
    const dim = 5;
    // 3 rows of 5 float32 per chunk (60 bytes of 64)
    const spill = new MemorySpill();
    const rows = new SpilledRows(spill, { dim, shared: true, chunkBytes: 64 });
    expect(rows.chunkRows).toBe(3);
    const n = 3 * 7 + 2;
    for (let i = 0; i < n; i++) rows.push(rowOf(i, dim));
    await settle();
    expect(rows.length).toBe(n);
    expect(spill.puts).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(rows.spilledChunks).toBe(7);
    // the store holds copies: the chunk arrays handed to it are not kept by the rows
    expect(spill.stored.get(2)![0]).toBe(rowOf(6, dim)[0]);
    const data = await rows.takeAsync(dim);
    expect(data.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(data.length).toBe(n * dim);
    const same = new FeatureRows({ dim, capacity: n });
    for (let i = 0; i < n; i++) same.push(rowOf(i, dim));
    expect(Array.from(data)).toEqual(Array.from(same.take(dim)));
    expect(spill.dropped).toBe(1);
    expect(rows.length).toBe(0);
    await expect(rows.takeAsync(dim)).rejects.toThrow(/already taken/);
    expect(() => rows.push(rowOf(0, dim))).toThrow(/already taken/);
  });

  it('a row count that fills its last chunk exactly, one row, and none', async () => {
    for (const n of [0, 1, 4, 8]) {
      const spill = new MemorySpill();
      const rows = new SpilledRows(spill, { dim: 2, chunkBytes: 32 });
      expect(rows.chunkRows).toBe(4);
      for (let i = 0; i < n; i++) rows.push(rowOf(i, 2));
      const data = await rows.takeAsync(2);
      expect(Array.from(data)).toEqual(Array.from({ length: n }, (_, i) => Array.from(rowOf(i, 2))).flat());
      expect(spill.puts.length).toBe(Math.floor(n / 4));
    }
  });

  it('keeps the rows in memory from the first chunk the store refuses: nothing is lost', async () => {
    const dim = 3;
    const spill = new MemorySpill(2);
    const rows = new SpilledRows(spill, { dim, chunkBytes: 24 }); // 2 rows a chunk
    const n = 11;
    for (let i = 0; i < n; i++) {
      rows.push(rowOf(i, dim));
      await settle();
    }
    // chunk 2 failed; chunks 3 and 4 were not offered to the store
    expect(spill.puts).toEqual([0, 1, 2]);
    expect(rows.spilledChunks).toBe(2);
    expect(String(rows.spillError)).toMatch(/QuotaExceeded/);
    const data = await rows.takeAsync(dim);
    expect(Array.from(data)).toEqual(Array.from({ length: n }, (_, i) => Array.from(rowOf(i, dim))).flat());
  });

  it('says so when a chunk comes back the wrong size', async () => {
    const spill = new MemorySpill();
    const rows = new SpilledRows(spill, { dim: 2, chunkBytes: 16 });
    for (let i = 0; i < 4; i++) rows.push(rowOf(i, 2));
    await settle();
    spill.stored.set(1, new Float32Array(3));
    await expect(rows.takeAsync(2)).rejects.toThrow(/chunk 1 holds 3 values, expected 4/);
    expect(spill.dropped).toBe(1);
  });

  it('rejects rows of another length', () => {
    const rows = new SpilledRows(new MemorySpill(), { dim: 4 });
    expect(() => rows.push(new Float32Array(3))).toThrow(/3 values, expected 4/);
  });
});

describe('a spilled collection', () => {
  it('makes the same FeatureSet as one held in memory (ids, labels, values, multi-frame files)', async () => {
    const dim = 6;
    const spill = new MemorySpill();
    const spilled = newCollection('s', null, { capacity: 40, dim, shared: true, spill, spillChunkBytes: 100 }); // 4 rows a chunk
    const held = newCollection('s', null, { capacity: 40, dim, shared: true });
    expect(spilled.rows).toBeInstanceOf(SpilledRows);
    for (let i = 0; i < 40; i++) {
      const frames = i % 7 === 3 ? 3 : 1;
      const r = {
        path: `c${i % 2}/f${i}.png`,
        label: `c${i % 2}`,
        fromCache: false,
        frames: Array.from({ length: frames }, (_, f) => ({
          idSuffix: frames > 1 ? `#${f + 1}` : '',
          feature: rowOf(i * 100 + f, dim),
          thumb: { width: 1, height: 1, channels: 1 as const, data: new Uint8Array(1) },
          gray: null,
          meta: {},
        })),
      };
      addResult(spilled, r);
      addResult(held, r);
    }
    expect(() => toFeatureSet(spilled, dim)).toThrow(/toFeatureSetAsync/);
    const a = await toFeatureSetAsync(spilled, dim, { shared: true });
    const b = toFeatureSet(held, dim, { shared: true });
    expect(a.n).toBe(b.n);
    expect(a.ids).toEqual(b.ids);
    expect(a.labels).toEqual(b.labels);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(a.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    // 52 rows (six files of 3 frames): 13 chunks of 4
    expect(spill.puts).toEqual(Array.from({ length: 13 }, (_, k) => k));
  });
});

/** A stand-in for navigator.locks: exclusive locks held until the callback's promise settles; kill() forgets one (a closed tab). */
class FakeLocks {
  held = new Set<string>();
  request(name: string, cb: () => Promise<void>): Promise<void> {
    this.held.add(name);
    return cb().finally(() => this.held.delete(name));
  }
  async query(): Promise<{ held: { name: string }[] }> {
    return { held: [...this.held].map((name) => ({ name })) };
  }
  kill(name: string): void {
    this.held.delete(name);
  }
}

async function storedKeys(): Promise<[string, string, number][]> {
  const db = await openDB('synthlens-spill');
  try {
    return (await db.getAllKeys('chunks')) as [string, string, number][];
  } finally {
    db.close();
  }
}

describe('the IndexedDB spill store', () => {
  const g = globalThis as { navigator?: unknown };
  const hadNavigator = 'navigator' in g;
  const before = g.navigator;
  afterEach(() => {
    if (hadNavigator) Object.defineProperty(g, 'navigator', { value: before, configurable: true, writable: true });
    else delete g.navigator;
  });

  it('stores and returns chunks, drops a part, and close() deletes the run', async () => {
    const store = (await openSpillStore())!;
    expect(store).not.toBeNull();
    const a = store.part('set 0');
    const b = store.part('set 1');
    await a.put(0, Float32Array.of(1, 2));
    await a.put(1, Float32Array.of(3, 4));
    await b.put(0, Float32Array.of(5, 6));
    expect(Array.from(await a.get(1))).toEqual([3, 4]);
    await a.drop();
    await expect(a.get(0)).rejects.toThrow(/chunk 0 of set 0 is missing/);
    expect(Array.from(await b.get(0))).toEqual([5, 6]);
    expect((await storedKeys()).filter((k) => k[0] === store.run)).toEqual([[store.run, 'set 1', 0]]);
    await store.close();
    expect((await storedKeys()).filter((k) => k[0] === store.run)).toEqual([]);
  });

  it('a new run deletes the chunks of runs whose page is gone, not those of live ones', async () => {
    const locks = new FakeLocks();
    Object.defineProperty(g, 'navigator', { value: { locks }, configurable: true, writable: true });
    const dead = (await openSpillStore())!;
    const live = (await openSpillStore())!;
    expect(locks.held.has(`synthlens-spill:${dead.run}`)).toBe(true);
    await dead.part('set 0').put(0, Float32Array.of(1));
    await dead.part('set 1').put(3, Float32Array.of(2));
    await live.part('set 0').put(0, Float32Array.of(3));
    locks.kill(`synthlens-spill:${dead.run}`); // the tab was closed in the middle of its run
    const next = (await openSpillStore())!;
    const runs = new Set((await storedKeys()).map((k) => k[0]));
    expect(runs.has(dead.run)).toBe(false);
    expect(runs.has(live.run)).toBe(true);
    expect(Array.from(await live.part('set 0').get(0))).toEqual([3]);
    await live.close();
    expect(locks.held.has(`synthlens-spill:${live.run}`)).toBe(false);
    await next.close();
    await dead.close();
  });

  it('gives up (rows stay in memory) when another page\'s connection blocks the upgrade it needs', async () => {
    await deleteDB('synthlens-spill');
    // another page made the database without the store and keeps it open, deaf to version changes
    const other = await openDB('synthlens-spill', 1);
    const t0 = Date.now();
    await expect(openSpillStore({ blockedTimeoutMs: 300 })).rejects.toThrow(/another SynthLens tab keeps an older version of the browser's storage open; close the other SynthLens tabs/);
    expect(Date.now() - t0).toBeLessThan(3000);
    other.close();
    // once that page is gone the store opens (the late connection of the attempt above was closed)
    const store = (await openSpillStore())!;
    expect(store).not.toBeNull();
    await store.close();
  });

  it('waits out a block that ends before its limit: the other page closes and the store opens', async () => {
    await deleteDB('synthlens-spill');
    const other = await openDB('synthlens-spill', 1);
    setTimeout(() => other.close(), 200);
    const store = await openSpillStore({ blockedTimeoutMs: 5000 });
    await store.part('set 0').put(0, Float32Array.of(9));
    expect(Array.from(await store.part('set 0').get(0))).toEqual([9]);
    await store.close();
  });

  it('says why when there is no IndexedDB at all', async () => {
    const g2 = globalThis as { indexedDB?: unknown };
    const had = g2.indexedDB;
    delete g2.indexedDB;
    try {
      await expect(openSpillStore()).rejects.toThrow(/this browser has no IndexedDB here/);
    } finally {
      g2.indexedDB = had;
    }
  });

  it('opens a database of its name that lacks the store (made by another page) by adding it', async () => {
    await deleteDB('synthlens-spill');
    const other = await openDB('synthlens-spill', 3);
    other.close();
    const store = (await openSpillStore())!;
    expect(store).not.toBeNull();
    await store.part('set 0').put(0, Float32Array.of(7));
    expect(Array.from(await store.part('set 0').get(0))).toEqual([7]);
    await store.close();
  });
});

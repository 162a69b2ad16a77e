/**
 * What a run holds per image (src/pipeline/collect.ts): feature rows packed on arrival into one buffer per set
 * (FeatureRows; handed to the FeatureSet without a copy), thumbnails copied into the budget's shared chunks
 * (ThumbBudget.keep), and nothing of the per-image arrays the results arrived in. Expected values are written
 * out by hand (rowOf(i): value t is i * 10 + t; frame f of file i is rowOf(100 i + f)).
 */
import { describe, expect, it } from 'vitest';
import { addResult, FeatureRows, newCollection, ThumbBudget, toFeatureSet } from '../../../src/pipeline/collect.ts';
import type { ItemResult } from '../../../src/pipeline/extract.ts';

const rowOf = (i: number, dim: number) => Float32Array.from({ length: dim }, (_, t) => i * 10 + t);

function result(i: number, dim: number, frames = 1, thumbBytes = 4): ItemResult {
  return {
    path: `f${i}.png`,
    label: 'a',
    fromCache: true,
    frames: Array.from({ length: frames }, (_, f) => ({
      idSuffix: frames > 1 ? `#${f + 1}` : '',
      feature: rowOf(i * 100 + f, dim),
      thumb: { width: thumbBytes, height: 1, channels: 1 as const, data: new Uint8Array(thumbBytes).fill(i % 256) },
      gray: null,
      meta: {},
    })),
  };
}

describe('FeatureRows', () => {
  it('packs rows into the buffer sized for the expected rows and hands that buffer over', () => {
    const rows = new FeatureRows({ dim: 3, capacity: 4 });
    for (let i = 0; i < 4; i++) rows.push(rowOf(i, 3));
    const buffer = rows.row(0).buffer;
    expect(rows.row(3).buffer).toBe(buffer);
    expect(Array.from(rows.row(2))).toEqual([20, 21, 22]);
    const data = rows.take(3);
    expect(data.buffer).toBe(buffer);
    expect(Array.from(data)).toEqual([0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32]);
    expect(rows.length).toBe(0);
  });

  it('grows past the expected rows (multi-frame files) and copies the chunks into one exact buffer', () => {
    const rows = new FeatureRows({ dim: 2, capacity: 3 });
    for (let i = 0; i < 600; i++) rows.push(rowOf(i, 2));
    expect(rows.length).toBe(600);
    // first chunk 3 rows, then chunks of 256 rows
    expect(Array.from(rows.row(2))).toEqual([20, 21]);
    expect(Array.from(rows.row(3))).toEqual([30, 31]);
    expect(Array.from(rows.row(258))).toEqual([2580, 2581]);
    expect(Array.from(rows.row(259))).toEqual([2590, 2591]);
    expect(Array.from(rows.row(599))).toEqual([5990, 5991]);
    expect(() => rows.row(600)).toThrow(RangeError);
    const data = rows.take(2);
    expect(data.length).toBe(1200);
    expect(data.buffer.byteLength).toBe(1200 * 4);
    for (const i of [0, 2, 3, 258, 259, 599]) expect([data[2 * i], data[2 * i + 1]]).toEqual([i * 10, i * 10 + 1]);
  });

  it('keeps a view when a few expected rows never came (skipped files), copies when many did not', () => {
    const few = new FeatureRows({ dim: 2, capacity: 100 });
    for (let i = 0; i < 99; i++) few.push(rowOf(i, 2));
    const fewBuffer = few.row(0).buffer;
    const a = few.take(2);
    expect(a.buffer).toBe(fewBuffer);
    expect(a.length).toBe(198);
    expect(a[197]).toBe(981);

    // 1 of 400,000 expected rows of d = 2 (3.2 MB): over 1 MiB and over a sixteenth unused, so copied out
    const many = new FeatureRows({ dim: 2, capacity: 400_000 });
    many.push(rowOf(7, 2));
    const b = many.take(2);
    expect(b.buffer.byteLength).toBe(8);
    expect(Array.from(b)).toEqual([70, 71]);
  });

  /** n rows of `dim` values (rowOf(0..n-1)) in a store sized for them. */
  const filled = (n: number, dim: number) => {
    const rows = new FeatureRows({ dim, capacity: n });
    for (let i = 0; i < n; i++) rows.push(rowOf(i, dim));
    return rows;
  };

  it('takeRows keeps the chosen rows, in order, in the buffer it was given (no second copy of the set)', () => {
    const rows = filled(5, 2);
    const buffer = rows.row(0).buffer;
    const data = rows.takeRows([1, 3, 4], 2);
    expect(data.buffer).toBe(buffer);
    expect(Array.from(data)).toEqual([10, 11, 30, 31, 40, 41]);
    expect(rows.length).toBe(0);
    // every row: the buffer as it is
    const all = filled(3, 2);
    const allBuffer = all.row(0).buffer;
    const whole = all.takeRows([0, 1, 2], 2);
    expect(whole.buffer).toBe(allBuffer);
    expect(Array.from(whole)).toEqual([0, 1, 10, 11, 20, 21]);
  });

  it('takeRows refuses rows out of order, repeated or out of range, and leaves the store as it was', () => {
    const rows = filled(3, 1);
    expect(() => rows.takeRows([2, 1], 1)).toThrow(RangeError);
    expect(() => rows.takeRows([1, 1], 1)).toThrow(RangeError);
    expect(() => rows.takeRows([3], 1)).toThrow(RangeError);
    expect(rows.length).toBe(3);
    expect(Array.from(rows.takeRows([], 1))).toEqual([]);
  });

  it('learns the row length from the first row and refuses rows of another length', () => {
    const rows = new FeatureRows();
    rows.push(rowOf(1, 5));
    expect(rows.dim).toBe(5);
    expect(() => rows.push(rowOf(2, 4))).toThrow(/4 values, expected 5/);
    expect(() => rows.take(6)).toThrow(/5 values, expected 6/);
  });

  it('is on shared memory when asked, where memory can be shared', () => {
    const rows = new FeatureRows({ dim: 2, capacity: 2, shared: true });
    rows.push(rowOf(0, 2));
    rows.push(rowOf(1, 2));
    expect(rows.shared).toBe(true);
    expect(rows.take(2).buffer).toBeInstanceOf(SharedArrayBuffer);
  });
});

describe('a collection holds one packed buffer of features per set', () => {
  it('copies each row on arrival (no per-image array kept) and the FeatureSet takes the packed buffer', () => {
    const n = 50;
    const dim = 4;
    const c = newCollection('s', null, { capacity: n, dim, shared: true });
    const arrived: ItemResult[] = [];
    for (let i = 0; i < n; i++) {
      const r = result(i, dim);
      arrived.push(r);
      addResult(c, r);
    }
    const rows = c.rows as FeatureRows;
    const packed = rows.row(0).buffer;
    for (let i = 0; i < n; i++) expect(rows.row(i).buffer).toBe(packed);
    // The arrays the results came in are not referenced: changing them changes nothing.
    for (const r of arrived) if ('frames' in r) r.frames[0].feature.fill(-1);
    const fs = toFeatureSet(c, dim, { shared: true, release: true });
    expect(fs.data.buffer).toBe(packed);
    expect(fs.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(fs.n).toBe(n);
    expect(Array.from(fs.data.subarray(4 * 37, 4 * 38))).toEqual([37000, 37001, 37002, 37003]);
    expect(c.rows.length).toBe(0);
  });

  it('keeps the frames of a multi-frame file in order, with their ids', () => {
    const c = newCollection('s', null, { capacity: 2, dim: 1 });
    addResult(c, result(0, 1, 3));
    addResult(c, result(1, 1));
    const fs = toFeatureSet(c, 1);
    expect(fs.ids).toEqual(['f0.png#1', 'f0.png#2', 'f0.png#3', 'f1.png']);
    expect(Array.from(fs.data)).toEqual([0, 10, 20, 1000]);
  });
});

describe('ThumbBudget.keep', () => {
  it('copies kept thumbnails into shared chunks, the same pixels, until the budget is spent', () => {
    const budget = new ThumbBudget(3 * ThumbBudget.CHUNK_BYTES);
    const c = newCollection('s', null, { thumbBudget: budget });
    const bytes = 9216; // a 96 x 96 gray thumbnail
    const n = Math.floor((3 * ThumbBudget.CHUNK_BYTES) / bytes) + 10;
    const arrived: ItemResult[] = [];
    for (let i = 0; i < n; i++) {
      const r = result(i, 1, 1, bytes);
      arrived.push(r);
      addResult(c, r);
    }
    const kept = [...c.thumbs.values()];
    expect(kept.length).toBe(Math.floor((3 * ThumbBudget.CHUNK_BYTES) / bytes));
    expect(c.thumbsDropped).toBe(n - kept.length);
    expect(budget.used).toBe(kept.length * bytes);
    // a chunk holds floor(1 MiB / 9216) = 113 thumbnails: 325 thumbnails in 3 chunks
    expect(new Set(kept.map((t) => t.data.buffer)).size).toBe(Math.ceil(kept.length / Math.floor(ThumbBudget.CHUNK_BYTES / bytes)));
    for (const r of arrived) if ('frames' in r) r.frames[0].thumb.data.fill(255);
    const t = c.thumbs.get('f200.png')!;
    expect(t).toMatchObject({ width: bytes, height: 1, channels: 1 });
    expect(t.data.length).toBe(bytes);
    expect(t.data.every((v) => v === 200)).toBe(true);
  });
});

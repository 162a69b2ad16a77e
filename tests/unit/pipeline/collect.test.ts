/**
 * src/pipeline/collect.ts: results added in input order whatever order they arrive in, thumbnails kept only
 * within the run's budget, features copied once (release), and the variety sums handed over (state / fromState)
 * giving the same mean image and PNG as summing every image in one place.
 * src/app/thumbs.ts: an on-demand thumbnail equals the pipeline's thumbnail of the same file.
 */
import { describe, expect, it } from 'vitest';
import { addResult, addVarietyState, mergeVarietyStates, newCollection, OrderedAdder, ThumbBudget, toFeatureSet } from '../../../src/pipeline/collect.ts';
import type { ItemResult } from '../../../src/pipeline/extract.ts';
import { VarietyAccumulator } from '../../../src/core/metrics/variety.ts';
import { encodePngGray8 } from '../../../src/core/png/encode.ts';
import { decodeImage } from '../../../src/imaging/decode.ts';
import { thumbnail } from '../../../src/imaging/preprocess.ts';
import { OnDemandThumbs, splitImageId, thumbFromBytes } from '../../../src/app/thumbs.ts';
import { BlobFiles } from '../../../src/app/fileSource.ts';

function result(i: number, dim: number, thumbBytes: number, gray: Uint8Array | null = null): ItemResult {
  return {
    path: `f${i}.png`,
    label: i % 2 ? 'b' : 'a',
    fromCache: false,
    frames: [
      {
        idSuffix: '',
        feature: Float32Array.from({ length: dim }, (_, t) => i * 10 + t),
        thumb: { width: thumbBytes, height: 1, channels: 1, data: new Uint8Array(thumbBytes) },
        gray,
        meta: {},
      },
    ],
  };
}

describe('OrderedAdder', () => {
  it('adds out-of-order results in input order and releases them', () => {
    const c = newCollection('s', null);
    const adder = new OrderedAdder(c);
    const order = [3, 0, 2, 5, 1, 4];
    const seen: number[] = [];
    for (const i of order) {
      adder.add(i, result(i, 2, 4));
      seen.push(adder.added);
    }
    // 3 waits, 0 goes, 2 waits, 5 waits, 1 releases 1,2,3, 4 releases 4,5
    expect(seen).toEqual([0, 1, 1, 1, 4, 6]);
    expect(c.ids).toEqual(['f0.png', 'f1.png', 'f2.png', 'f3.png', 'f4.png', 'f5.png']);
    const fs = toFeatureSet(c, 2, { release: true });
    expect(Array.from(fs.data)).toEqual([0, 1, 10, 11, 20, 21, 30, 31, 40, 41, 50, 51]);
    expect(fs.labels).toEqual(['a', 'b', 'a', 'b', 'a', 'b']);
    expect(c.rows.length).toBe(0);
  });
  it('refuses an index delivered twice', () => {
    const adder = new OrderedAdder(newCollection('s', null));
    adder.add(0, result(0, 1, 1));
    expect(() => adder.add(0, result(0, 1, 1))).toThrow(/twice/);
  });
});

describe('ThumbBudget', () => {
  it('keeps thumbnails until the shared budget is spent, then counts the dropped ones', () => {
    const budget = new ThumbBudget(10);
    const a = newCollection('a', null, { thumbBudget: budget });
    const b = newCollection('b', null, { thumbBudget: budget });
    addResult(a, result(0, 1, 4));
    addResult(b, result(1, 1, 4));
    addResult(a, result(2, 1, 4)); // 12 > 10: dropped
    addResult(b, result(3, 1, 2)); // 10: kept
    expect([...a.thumbs.keys()]).toEqual(['f0.png']);
    expect([...b.thumbs.keys()]).toEqual(['f1.png', 'f3.png']);
    expect(a.thumbsDropped).toBe(1);
    expect(b.thumbsDropped).toBe(0);
    expect(budget.used).toBe(10);
  });
  it('keeps every thumbnail without a budget', () => {
    const c = newCollection('c', null);
    for (let i = 0; i < 5; i++) addResult(c, result(i, 1, 1000));
    expect(c.thumbs.size).toBe(5);
  });
});

describe('variety sums handed over', () => {
  it('state() / fromState() gives the same mean image and PNG bytes, in any order of adding', () => {
    const size = 8;
    const imgs = Array.from({ length: 7 }, (_, i) => Uint8Array.from({ length: size * size }, (_, p) => (p * 37 + i * 91) % 256));
    const labels = imgs.map((_, i) => (i % 3 === 0 ? 'x' : 'y'));
    const one = new VarietyAccumulator(size);
    imgs.forEach((g, i) => one.add(g, labels[i]));
    const collected = newCollection('s', size);
    imgs.forEach((g, i) => addResult(collected, { ...result(6 - i, 1, 1, imgs[6 - i]), label: labels[6 - i] }));
    const moved = VarietyAccumulator.fromState(structuredClone(collected.variety!.state()));
    const r1 = one.result();
    const r2 = moved.result();
    expect(Array.from(r2.meanImage)).toEqual(Array.from(r1.meanImage));
    expect(Array.from(r2.png)).toEqual(Array.from(r1.png));
    expect(r2.count).toBe(7);
    expect(r2.classes).toEqual({ x: 3, y: 4 });
  });
  it('merged from several parts (the pipeline workers\' sums) gives the same mean image and PNG as one accumulator', () => {
    const size = 8;
    const imgs = Array.from({ length: 9 }, (_, i) => Uint8Array.from({ length: size * size }, (_, p) => (p * 53 + i * 29) % 256));
    const labels = imgs.map((_, i) => (i % 3 === 0 ? 'x' : 'y'));
    const one = new VarietyAccumulator(size);
    imgs.forEach((g, i) => one.add(g, labels[i]));
    // three workers took images 0-2, 3-6 (only class y... and x at 3, 6) and 7-8; the page's own accumulator is empty
    const parts = [[0, 1, 2], [3, 4, 5, 6], [7, 8]].map((idx) => {
      const acc = new VarietyAccumulator(size);
      for (const i of idx) acc.add(imgs[i], labels[i]);
      return structuredClone(acc.state());
    });
    const c = newCollection('s', size);
    addVarietyState(c, mergeVarietyStates([null, ...parts]));
    const r1 = one.result();
    const r2 = c.variety!.result();
    expect(Array.from(r2.meanImage)).toEqual(Array.from(r1.meanImage));
    expect(Array.from(r2.png)).toEqual(Array.from(r1.png));
    expect(r2.classes).toEqual({ x: 3, y: 6 });
    expect(r2.count).toBe(9);
    expect(mergeVarietyStates([null, undefined])).toBeNull();
  });
  it('refuses to merge labelled with unlabelled sums, or sums of another size', () => {
    const lab = new VarietyAccumulator(2);
    lab.add(new Uint8Array(4), 'x');
    const unlab = new VarietyAccumulator(2);
    unlab.add(new Uint8Array(4), null);
    expect(() => mergeVarietyStates([lab.state(), unlab.state()])).toThrow(/all labelled or all unlabelled/);
    const other = new VarietyAccumulator(3);
    other.add(new Uint8Array(9), 'x');
    expect(() => mergeVarietyStates([lab.state(), other.state()])).toThrow(/cannot be merged/);
  });
  it('rejects sums of the wrong size', () => {
    expect(() => VarietyAccumulator.fromState({ width: 2, height: 2, groups: [{ label: null, sum: new Float64Array(3), count: 1 }] })).toThrow(/expected 4/);
  });
});

describe('on-demand thumbnails', () => {
  const w = 40;
  const h = 30;
  const gray = Uint8Array.from({ length: w * h }, (_, p) => (p * 13) % 251);
  const png = encodePngGray8(gray, w, h);

  it('splits image ids into path and frame', () => {
    const has = (p: string) => p === 'a/b.png' || p === 'a/c.dcm';
    expect(splitImageId('a/b.png', has)).toEqual({ path: 'a/b.png', frame: null });
    expect(splitImageId('a/c.dcm#12', has)).toEqual({ path: 'a/c.dcm', frame: 12 });
    expect(splitImageId('a/d.png', has)).toBeNull();
  });
  it('draws the same thumbnail as the pipeline, and caches it', async () => {
    const [img] = await decodeImage(png, 'x.png');
    const expected = thumbnail(img, 16);
    const got = await thumbFromBytes(png, 'x.png', null, 16);
    expect(got).toEqual(expected);
    let reads = 0;
    const blob = { arrayBuffer: async () => (reads++, png.slice().buffer) } as unknown as Blob;
    const thumbs = new OnDemandThumbs({ files: (s) => (s === 'real' ? new BlobFiles(new Map([['x.png', blob]])) : undefined), maxSide: 16 }, 2);
    expect(await thumbs.load('real', 'x.png')).toEqual(expected);
    expect(await thumbs.load('real', 'x.png')).toEqual(expected);
    expect(reads).toBe(1);
    expect(await thumbs.load('real', 'missing.png')).toBeUndefined();
    expect(await thumbs.load('other', 'x.png')).toBeUndefined();
  });
  it('hands the file, path and frame to the source\'s drawer when it has one (the app: a worker)', async () => {
    const calls: unknown[][] = [];
    const blob = new Blob([png.slice()]);
    const expected = { width: 2, height: 1, channels: 1 as const, data: Uint8Array.of(7, 9) };
    const thumbs = new OnDemandThumbs({
      files: () => new BlobFiles(new Map([['x.dcm', blob]])),
      maxSide: 16,
      draw: async (file, path, frame, maxSide) => {
        calls.push([file, path, frame, maxSide]);
        return expected;
      },
    });
    expect(await thumbs.load('real', 'x.dcm#2')).toBe(expected);
    expect(await thumbs.load('real', 'x.dcm#2')).toBe(expected);
    expect(calls).toEqual([[blob, 'x.dcm', 2, 16]]);
  });
});

describe('toFeatureSet on shared memory', () => {
  it('puts the values on a SharedArrayBuffer when asked and possible, equal to the plain copy', () => {
    const build = () => {
      const c = newCollection('s', null);
      for (let i = 0; i < 5; i++) addResult(c, result(i, 3, 0));
      return c;
    };
    const plain = toFeatureSet(build(), 3);
    const shared = toFeatureSet(build(), 3, { shared: true, release: true });
    expect(plain.data.buffer).toBeInstanceOf(ArrayBuffer);
    expect(shared.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(shared.data).toBeInstanceOf(Float32Array);
    expect(Array.from(shared.data)).toEqual(Array.from(plain.data));
    expect(shared.data[3 * 4 + 2]).toBe(42);
    expect(shared.ids).toEqual(plain.ids);
    expect(shared.labels).toEqual(plain.labels);
  });
  it('stays on an ArrayBuffer where memory cannot be shared (a page that is not cross-origin isolated)', () => {
    const g = globalThis as { crossOriginIsolated?: boolean };
    const before = Object.getOwnPropertyDescriptor(g, 'crossOriginIsolated');
    Object.defineProperty(g, 'crossOriginIsolated', { value: false, configurable: true });
    try {
      const c = newCollection('s', null);
      addResult(c, result(0, 3, 0));
      expect(toFeatureSet(c, 3, { shared: true }).data.buffer).toBeInstanceOf(ArrayBuffer);
    } finally {
      if (before) Object.defineProperty(g, 'crossOriginIsolated', before);
      else delete g.crossOriginIsolated;
    }
  });
});

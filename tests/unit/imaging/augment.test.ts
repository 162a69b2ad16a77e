import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  applyAugmentation,
  augmentationParams,
  augmentationSeed,
  augmentImage,
  describeAugmentationRun,
  GAIN_RANGE,
  MAX_ROTATION_DEG,
  SIMPLE_AUGMENTATIONS,
  type AugmentationParams,
} from '../../../src/imaging/augment.ts';
import type { DecodedImage } from '../../../src/imaging/types.ts';
import { decodeImage } from '../../../src/imaging/decode.ts';
import { encodePngGray8 } from '../../../src/core/png/encode.ts';
import { sha256Hex } from '../../../src/extractors/sha256.ts';
import { loadExtractor } from '../../../src/extractors/registry.ts';
import { DEFAULT_PIPELINE_OPTIONS, pipelineCacheKey, processItems, type ItemResult } from '../../../src/pipeline/extract.ts';
import type { CacheRecord, FeatureCache } from '../../../src/store/featureCache.ts';

// Reference: scipy.ndimage.rotate(order=1, mode='nearest', reshape=False) + flip + contrast, written by
// fixtures/make_augment_reference.py.
interface Case {
  name: string;
  width: number;
  height: number;
  channels: 1 | 3;
  flip: boolean;
  angleDeg: number;
  gain: number;
  input: number[];
  output: number[];
}
const ref = JSON.parse(readFileSync(new URL('./fixtures/augment_reference.json', import.meta.url), 'utf8')) as { cases: Case[] };

function image(width: number, height: number, values: number[], channels: 1 | 3 = 1): DecodedImage {
  return { width, height, channels, data: Float32Array.from(values), meta: { format: 'png', bitDepth: 8 } };
}
const same = (p: Partial<AugmentationParams>): AugmentationParams => ({ flip: false, angleDeg: 0, gain: 1, ...p });
const rounded = (a: Float32Array, digits = 6) => Array.from(a, (v) => +v.toFixed(digits));
const SHA = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('augmentImage: geometry and contrast against scipy', () => {
  it.each(ref.cases.map((c) => [c.name, c] as [string, Case]))('%s', (_, c) => {
    const out = applyAugmentation(image(c.width, c.height, c.input, c.channels), c);
    expect(out.data.length).toBe(c.output.length);
    let worst = 0;
    for (let i = 0; i < c.output.length; i++) worst = Math.max(worst, Math.abs(out.data[i] - c.output[i]));
    expect(worst).toBeLessThan(2e-6);
  });
});

describe('augmentImage: hand-checked cases', () => {
  const img = image(3, 2, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);

  it('0 degrees, gain 1, no flip is the identity, bit for bit', () => {
    const out = applyAugmentation(img, same({}));
    expect(Array.from(out.data)).toEqual(Array.from(img.data));
    expect(out.data).not.toBe(img.data);
    expect([out.width, out.height, out.channels]).toEqual([3, 2, 1]);
  });

  it('the flip mirrors each row exactly, and twice is the identity', () => {
    const once = applyAugmentation(img, same({ flip: true }));
    expect(Array.from(once.data)).toEqual(Array.from(Float32Array.from([0.3, 0.2, 0.1, 0.6, 0.5, 0.4])));
    expect(Array.from(applyAugmentation(once, same({ flip: true })).data)).toEqual(Array.from(img.data));
    // RGB: whole pixels move, channels stay in order
    const rgb = image(2, 1, [0.1, 0.2, 0.3, 0.7, 0.8, 0.9], 3);
    expect(Array.from(applyAugmentation(rgb, same({ flip: true })).data)).toEqual(Array.from(Float32Array.from([0.7, 0.8, 0.9, 0.1, 0.2, 0.3])));
  });

  it('180 degrees equals flipping both axes; flip + 180 degrees flips the rows upside down', () => {
    const r = applyAugmentation(img, same({ angleDeg: 180 }));
    expect(rounded(r.data)).toEqual([0.6, 0.5, 0.4, 0.3, 0.2, 0.1]);
    const fr = applyAugmentation(img, same({ flip: true, angleDeg: 180 }));
    expect(rounded(fr.data)).toEqual([0.4, 0.5, 0.6, 0.1, 0.2, 0.3]);
  });

  it('90 degrees counter-clockwise on a square: the top row becomes the left column, read bottom-up', () => {
    // [[a b c], [d e f], [g h i]] -> [[c f i], [b e h], [a d g]]
    const sq = image(3, 3, [1, 2, 3, 4, 5, 6, 7, 8, 9].map((v) => v / 10));
    expect(rounded(applyAugmentation(sq, same({ angleDeg: 90 })).data)).toEqual([0.3, 0.6, 0.9, 0.2, 0.5, 0.8, 0.1, 0.4, 0.7]);
    expect(rounded(applyAugmentation(sq, same({ angleDeg: -90 })).data)).toEqual([0.7, 0.4, 0.1, 0.8, 0.5, 0.2, 0.9, 0.6, 0.3]);
  });

  it('a small rotation: bilinear weights worked out by hand on a 3 x 3 image', () => {
    // Output pixel (x=2, y=1) has offset (1, 0) from the centre (1, 1); it samples the input at
    // (1 + cos t, 1 + sin t): between columns 1..2 and rows 1..2 with fx = cos t, fy = sin t.
    const v = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
    const t = (8 * Math.PI) / 180;
    const fx = Math.cos(t);
    const fy = Math.sin(t);
    const expected = (v[4] * (1 - fx) + v[5] * fx) * (1 - fy) + (v[7] * (1 - fx) + v[8] * fx) * fy;
    const out = applyAugmentation(image(3, 3, v), same({ angleDeg: 8 }));
    expect(out.data[1 * 3 + 2]).toBeCloseTo(expected, 6);
    // The centre pixel stays where it is.
    expect(out.data[4]).toBeCloseTo(0.4, 7);
    // Output (x=0, y=0) samples (1 - cos t + sin t, 1 - sin t - cos t) = (0.149.., -0.129..): row clamped to 0.
    const sx = 1 - fx + fy;
    expect(out.data[0]).toBeCloseTo(v[0] * (1 - sx) + v[1] * sx, 6);
  });

  it('a centred pattern with 90-degree symmetry is unchanged by a quarter turn; a constant image by any rotation', () => {
    // A 4 x 4 ring: 1 on the border, 0.25 inside.
    const ring = image(4, 4, [1, 1, 1, 1, 1, 0.25, 0.25, 1, 1, 0.25, 0.25, 1, 1, 1, 1, 1]);
    expect(rounded(applyAugmentation(ring, same({ angleDeg: 90 })).data)).toEqual(rounded(ring.data));
    expect(rounded(applyAugmentation(ring, same({ angleDeg: -90, flip: true })).data)).toEqual(rounded(ring.data));
    const flat = image(5, 4, new Array(20).fill(0.625));
    for (const angleDeg of [-10, -3.3, 0.7, 9.99]) {
      // edge clamping: no black corners come in
      expect(Array.from(applyAugmentation(flat, same({ angleDeg })).data).every((x) => Math.abs(x - 0.625) < 1e-7)).toBe(true);
    }
    // A centred disc rotated by 10 degrees stays close to itself (it is only nearly symmetric on a grid).
    const n = 21;
    const disc = image(n, n, Array.from({ length: n * n }, (_, i) => (Math.hypot((i % n) - 10, Math.floor(i / n) - 10) <= 6 ? 0.9 : 0.1)));
    const rot = applyAugmentation(disc, same({ angleDeg: 10 }));
    const centre = (i: number) => Math.hypot((i % n) - 10, Math.floor(i / n) - 10);
    for (let i = 0; i < n * n; i++) {
      if (centre(i) < 5) expect(rot.data[i]).toBeCloseTo(0.9, 6);
      if (centre(i) > 7.5) expect(rot.data[i]).toBeCloseTo(0.1, 6);
    }
  });

  it('contrast: gain g around the mean, clamped to [0, 1]', () => {
    // mean 0.35: 0.35 + 0.5 (v - 0.35)
    const half = applyAugmentation(img, same({ gain: 0.5 }));
    expect(rounded(half.data)).toEqual([0.225, 0.275, 0.325, 0.375, 0.425, 0.475]);
    // mean 0.5, gain 2: 0 and 1 go to -0.5 and 1.5, clamped
    const hard = applyAugmentation(image(2, 2, [0, 1, 0.25, 0.75]), same({ gain: 2 }));
    expect(Array.from(hard.data)).toEqual([0, 1, 0, 1]);
    // RGB: one mean over all channels (2.7 / 6 = 0.45), so a gray pixel stays gray and channel order is kept
    const rgb = applyAugmentation(image(2, 1, [0.2, 0.2, 0.2, 0.6, 0.7, 0.8], 3), same({ gain: 1.2 }));
    expect(rounded(rgb.data)).toEqual([0.15, 0.15, 0.15, 0.63, 0.75, 0.87]);
  });

  it('refuses data of the wrong length', () => {
    expect(() => applyAugmentation(image(2, 2, [0, 0, 0]), same({}))).toThrow(/expected 2 x 2 x 1/);
  });
});

describe('augmentImage: seeds and ranges', () => {
  it('the same seed gives the same image; the parameters follow createRng', () => {
    const n = 24;
    const src = image(n, n, Array.from({ length: n * n }, (_, i) => ((i * 37) % 101) / 100));
    const a = augmentImage(src, 12345);
    const b = augmentImage(src, 12345);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(a.data)).toEqual(Array.from(applyAugmentation(src, augmentationParams(12345)).data));
    expect(Array.from(augmentImage(src, 12346).data)).not.toEqual(Array.from(a.data));
    // mulberry32(1): first outputs 0.6270739405881613, 0.002735721180215478, 0.5274470399599522
    // (src/core/random.ts, checked bit for bit against tests/fixtures/moments/make_reference.py).
    const p = augmentationParams(1);
    expect(p.flip).toBe(false);
    expect(p.angleDeg).toBeCloseTo(-10 + 20 * 0.002735721180215478, 12);
    expect(p.gain).toBeCloseTo(0.8 + 0.4 * 0.5274470399599522, 12);
  });

  it('parameters stay in range, both flips occur, angles and gains spread over their ranges', () => {
    const ps = Array.from({ length: 400 }, (_, i) => augmentationParams(augmentationSeed(SHA, 2020, i)));
    for (const p of ps) {
      expect(Math.abs(p.angleDeg)).toBeLessThanOrEqual(MAX_ROTATION_DEG);
      expect(p.gain).toBeGreaterThanOrEqual(GAIN_RANGE[0]);
      expect(p.gain).toBeLessThanOrEqual(GAIN_RANGE[1]);
    }
    const flips = ps.filter((p) => p.flip).length;
    expect(flips).toBeGreaterThan(160);
    expect(flips).toBeLessThan(240);
    expect(Math.min(...ps.map((p) => p.angleDeg))).toBeLessThan(-9);
    expect(Math.max(...ps.map((p) => p.angleDeg))).toBeGreaterThan(9);
    expect(Math.min(...ps.map((p) => p.gain))).toBeLessThan(0.82);
    expect(Math.max(...ps.map((p) => p.gain))).toBeGreaterThan(1.18);
    expect(SIMPLE_AUGMENTATIONS).toHaveLength(3);
    expect(SIMPLE_AUGMENTATIONS.join(' ')).toMatch(/flip.*0\.5.*-10, \+10.*0\.8, 1\.2/);
    const run = describeAugmentationRun(24, 2020);
    expect(run.slice(0, 3)).toEqual([...SIMPLE_AUGMENTATIONS]);
    expect(run[3]).toMatch(/each of the 24 real training image.*run seed 2020/);
  });

  it('augmented values stay in [0, 1] for seeded random images', () => {
    for (let s = 0; s < 20; s++) {
      const seed = augmentationSeed(SHA, s);
      const w = 9 + (s % 5);
      const h = 7 + (s % 3);
      const ch = s % 2 ? 3 : 1;
      const src = image(w, h, Array.from({ length: w * h * ch }, (_, i) => ((i * 7919 + s * 104729) % 1000) / 999), ch as 1 | 3);
      const out = augmentImage(src, seed);
      expect(out.data.every((v) => v >= 0 && v <= 1)).toBe(true);
      expect(out.meta).toEqual(src.meta);
    }
  });

  it('the per-image seed depends on the file hash, the run seed and the frame, nothing else', () => {
    const base = augmentationSeed(SHA, 2020);
    expect(augmentationSeed(SHA, 2020, 0)).toBe(base);
    expect(augmentationSeed(SHA.toUpperCase(), 2020)).toBe(base);
    expect(augmentationSeed(SHA, 2021)).not.toBe(base);
    expect(augmentationSeed(SHA, 2020, 1)).not.toBe(base);
    expect(augmentationSeed('f' + SHA.slice(1), 2020)).not.toBe(base);
    // only the first 32 bits of the hash are used
    expect(augmentationSeed(SHA.slice(0, 8) + '0'.repeat(56), 2020)).toBe(base);
    expect(Number.isInteger(base) && base >= 0 && base < 2 ** 32).toBe(true);
    expect(() => augmentationSeed('not-a-hash', 1)).toThrow(/SHA-256/);
    expect(() => augmentationSeed(SHA, 1.5)).toThrow(/integer/);
  });
});

describe('the pipeline with PipelineOptions.augment', () => {
  it('embeds augmentImage(decoded, augmentationSeed(file SHA-256, run seed)), keyed apart from the plain features', async () => {
    // The pixels extractor returns the 64 x 64 preprocessed image as is; 64 x 64 gray PNGs are not resized.
    const extractor = await loadExtractor('pixels');
    const pngs = [0, 1, 2].map((k) => encodePngGray8(Uint8Array.from({ length: 64 * 64 }, (_, j) => ((j % 64) * (k + 2) + Math.floor(j / 64) * 3) & 255), 64, 64));
    const items = pngs.map((png, i) => ({ path: `img_${i}.png`, label: 'a', read: async () => png }));
    const records = new Map<string, CacheRecord>();
    const cache: FeatureCache = {
      get: async (key) => records.get(key),
      put: async (r) => void records.set(r.key, r),
      clear: async () => records.clear(),
      size: async () => ({ records: records.size, bytes: 0 }),
      writable: true,
    };
    const plainOpts = { ...DEFAULT_PIPELINE_OPTIONS, varietySize: null };
    const augOpts = { ...plainOpts, augment: { seed: 2020 } };
    const plain: ItemResult[] = [];
    const aug: ItemResult[] = [];
    await processItems(items, extractor, cache, plainOpts, { onItem: (r) => plain.push(r) });
    expect(await processItems(items, extractor, cache, augOpts, { onItem: (r) => aug.push(r) })).toEqual({ cached: 0, embedded: 3, skipped: 0 });
    for (let i = 0; i < 3; i++) {
      const sha = await sha256Hex(pngs[i]);
      const [decoded] = await decodeImage(pngs[i], `img_${i}.png`);
      const expected = augmentImage(decoded, augmentationSeed(sha, 2020));
      const a = aug[i] as Extract<ItemResult, { frames: unknown }>;
      const p = plain[i] as Extract<ItemResult, { frames: unknown }>;
      expect(Array.from(a.frames[0].feature)).toEqual(Array.from(expected.data));
      expect(Array.from(p.frames[0].feature)).toEqual(Array.from(decoded.data));
      expect(a.frames[0].meta.augmentation).toEqual(augmentationParams(augmentationSeed(sha, 2020)));
      expect(p.frames[0].meta.augmentation).toBeUndefined();
      expect(records.has(pipelineCacheKey(sha, extractor, augOpts))).toBe(true);
      expect(pipelineCacheKey(sha, extractor, augOpts)).not.toBe(pipelineCacheKey(sha, extractor, plainOpts));
      expect(pipelineCacheKey(sha, extractor, { ...plainOpts, augment: { seed: 2021 } })).not.toBe(pipelineCacheKey(sha, extractor, augOpts));
      expect(pipelineCacheKey(sha, extractor, { ...plainOpts, augment: null })).toBe(pipelineCacheKey(sha, extractor, plainOpts));
    }
    // A second augmented pass is served from the cache with the same features.
    const again: ItemResult[] = [];
    expect(await processItems(items, extractor, cache, augOpts, { onItem: (r) => again.push(r) })).toEqual({ cached: 3, embedded: 0, skipped: 0 });
    expect((again[1] as Extract<ItemResult, { frames: unknown }>).frames[0].feature).toEqual((aug[1] as Extract<ItemResult, { frames: unknown }>).frames[0].feature);
  });
});

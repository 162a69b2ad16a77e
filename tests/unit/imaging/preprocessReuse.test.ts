/**
 * src/imaging/preprocess.ts reuses its float64 work arrays between calls and can write preprocess() into a given
 * array. Whatever the calls before, every output must be bit for bit what the textbook loops give: an area pass is
 * (+0 + sum of value x overlap, in input order) / (sum of overlaps), a bilinear pass lo + (hi - lo) x frac at source
 * coordinate (o + 0.5) x in / out - 0.5 (the definitions in the file's header; their values against scipy are
 * checked in preprocess.test.ts). The reference below is written per output sample, straight from those
 * definitions, and the inputs hold -0 and negative values, so a change in the order of operations or a skipped
 * + 0 shows as a different bit pattern (Object.is).
 */
import { describe, expect, it } from 'vitest';
import { preprocess, resize, thumbnail, toGray8, type ResizeFilter } from '../../../src/imaging/preprocess.ts';
import type { DecodedImage } from '../../../src/imaging/types.ts';

/** One output sample along an axis: `at(i)` reads input sample i. */
function sample(at: (i: number) => number, nIn: number, nOut: number, o: number, filter: ResizeFilter): number {
  if (filter === 'bilinear') {
    const src = (nIn / nOut) * (o + 0.5) - 0.5;
    const lo = Math.max(0, Math.floor(src));
    const hi = Math.min(nIn - 1, Math.ceil(src));
    return at(lo) + (at(hi) - at(lo)) * (src - lo);
  }
  const a = (o * nIn) / nOut;
  const b = ((o + 1) * nIn) / nOut;
  let sum = 0;
  let total = 0;
  for (let i = Math.floor(a); i <= Math.min(nIn - 1, Math.ceil(b) - 1); i++) {
    const overlap = Math.min(b, i + 1) - Math.max(a, i);
    if (overlap > 0) {
      sum += at(i) * overlap;
      total += overlap;
    }
  }
  return sum / total;
}

/** Columns first, then rows, as the file's header says. */
function reference(data: ArrayLike<number>, w: number, h: number, c: number, ow: number, oh: number, filter: ResizeFilter): Float64Array {
  const horiz = new Float64Array(h * ow * c);
  for (let y = 0; y < h; y++) for (let x = 0; x < ow; x++) for (let k = 0; k < c; k++) horiz[(y * ow + x) * c + k] = sample((i) => data[(y * w + i) * c + k], w, ow, x, filter);
  const out = new Float64Array(oh * ow * c);
  for (let y = 0; y < oh; y++) for (let x = 0; x < ow; x++) for (let k = 0; k < c; k++) out[(y * ow + x) * c + k] = sample((i) => horiz[(i * ow + x) * c + k], h, oh, y, filter);
  return out;
}

function image(width: number, height: number, channels: 1 | 3, seed: number): DecodedImage {
  const data = new Float32Array(width * height * channels);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    data[i] = i % 7 === 0 ? -0 : ((i % 11 === 0 ? -1 : 1) * (s >>> 8)) / 16777216;
  }
  return { width, height, channels, data, meta: {} } as unknown as DecodedImage;
}

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

// Shapes that shrink, enlarge, keep a side (the area pass with in = out) and, the last one, need work arrays
// larger than the reused ones (over 2^20 values).
const shapes: [number, number, 1 | 3][] = [[40, 40, 1], [37, 23, 3], [9, 31, 1], [16, 16, 3], [1030, 1020, 1]];

describe('resize with reused work arrays', () => {
  it('gives the reference bits whatever ran before, for both filters', () => {
    for (const [w, h, c] of shapes) {
      const img = image(w, h, c, w + 3 * h);
      const outs: [number, number][] = w > 100 ? [[224, 224]] : [[w, 13], [17, h], [w, h], [5, 44]];
      for (const filter of ['area', 'bilinear'] as const) {
        for (const [ow, oh] of outs) {
          const got = resize(img.data, w, h, c, ow, oh, filter);
          expect(sameBits(got, reference(img.data, w, h, c, ow, oh, filter)), `${w}x${h}x${c} -> ${ow}x${oh} ${filter}`).toBe(true);
          // The result is the caller's own: a later call does not change it.
          const copy = got.slice();
          resize(image(ow, oh, c, 5).data, ow, oh, c, w, h, filter);
          expect(sameBits(got, copy)).toBe(true);
        }
      }
    }
  });

  it('reads plain arrays and 8-bit arrays as numbers', () => {
    const plain = Array.from({ length: 30 * 20 }, (_, i) => (i * 37) % 255);
    for (const filter of ['area', 'bilinear'] as const) {
      expect(sameBits(resize(plain, 30, 20, 1, 13, 41, filter), reference(plain, 30, 20, 1, 13, 41, filter))).toBe(true);
      expect(sameBits(resize(Uint8Array.from(plain), 30, 20, 1, 30, 7, filter), reference(plain, 30, 20, 1, 30, 7, filter))).toBe(true);
    }
  });
});

describe('preprocess, toGray8 and thumbnail with reused work arrays', () => {
  it('match the reference, and preprocess into a used array matches a fresh one', () => {
    for (const [w, h, c] of shapes) {
      const img = image(w, h, c, 7 * w + h);
      const luma = c === 1 ? img.data : Float64Array.from({ length: w * h }, (_, p) => img.data[3 * p] * 0.299 + img.data[3 * p + 1] * 0.587 + img.data[3 * p + 2] * 0.114);
      for (const channels of [1, 3] as const) {
        for (const aspect of ['stretch', 'pad'] as const) {
          const opts = { size: 24, channels, aspect, filter: 'area' as const };
          const fresh = preprocess(img, opts);
          const used = new Float32Array(24 * 24 * channels).fill(0.5);
          expect(preprocess(img, opts, used)).toBe(used);
          expect(sameBits(used, fresh), `${w}x${h}x${c} ${channels} ${aspect}`).toBe(true);
          if (aspect === 'stretch') {
            const r = reference(channels === 1 || c === 1 ? luma : img.data, w, h, channels === 1 ? 1 : c, 24, 24, 'area');
            const want = new Float32Array(24 * 24 * channels);
            for (let p = 0; p < 24 * 24; p++) for (let k = 0; k < channels; k++) want[p * channels + k] = channels === 1 || c === 3 ? r[p * channels + k] : r[p];
            expect(sameBits(fresh, want)).toBe(true);
          }
        }
      }
      const byte = (v: number) => Math.min(255, Math.max(0, Math.floor(v * 255 + 0.5)));
      const g = reference(luma, w, h, 1, 32, 32, 'area');
      expect(Array.from(toGray8(img, 32))).toEqual(Array.from(g, byte));
      // At the image's own width the horizontal area pass keeps every value (one tap of weight 1).
      const same = reference(luma, w, h, 1, w, w, 'area');
      expect(Array.from(toGray8(img, w))).toEqual(Array.from(same, byte));
      const t = thumbnail(img, 12);
      expect(Array.from(t.data)).toEqual(Array.from(reference(img.data, w, h, c, t.width, t.height, 'area'), byte));
    }
  });

  it('rejects an output array of the wrong length', () => {
    expect(() => preprocess(image(8, 8, 1, 1), { size: 4, channels: 3, aspect: 'stretch', filter: 'area' }, new Float32Array(16))).toThrow(/48/);
  });
});

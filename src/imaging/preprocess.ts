/**
 * Preprocessing: DecodedImage -> the fixed-size array an extractor or a metric reads.
 *
 * Channels (done before resizing; both are linear, so the order does not change the result):
 * - one channel wanted from RGB: luminance Y = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601 luma weights,
 *   applied to the decoded values as they are, without gamma handling);
 * - three channels wanted from gray: the gray value replicated.
 * Resize filters:
 * - 'bilinear': TensorFlow's resizeBilinear(alignCorners = false, halfPixelCenters = true): source
 *   coordinate (o + 0.5) * in / out - 0.5, the two neighbours clamped to the edge, top/bottom rows
 *   interpolated first. Reference: scipy.ndimage.zoom(order=1, grid_mode=True, mode='nearest').
 * - 'area': exact area average: output pixel o covers [o * in/out, (o + 1) * in/out) of the input and
 *   each input pixel is weighted by its overlap, the sum divided by the total overlap (in / out), so a
 *   constant image stays exactly constant (OpenCV INTER_AREA / TF 'area' when shrinking; equals PIL's
 *   BOX filter when the ratio is an integer). The right filter for downscaling.
 * Both are separable; the intermediate is float64 and the result is rounded once to float32.
 * Aspect: 'stretch' resizes to size x size (what the paper's tool does); 'pad' scales the longer side to
 * `size`, the shorter to round(side * size / longer) (at least 1), and centres it on black
 * (offset floor((size - side) / 2)).
 * 8-bit outputs (toGray8, thumbnail) round half up: floor(v * 255 + 0.5), clamped to [0, 255].
 *
 * References are computed by scripts/make-image-fixtures.py into
 * tests/fixtures/images/preprocess-reference.json.
 */
import type { DecodedImage } from './types.ts';

/** Bump whenever any output of this file changes for the same input (it is part of cache keys). */
export const PREPROCESS_VERSION = 'imaging-preprocess-1';

export type ResizeFilter = 'bilinear' | 'area';
export type Aspect = 'stretch' | 'pad';

export interface PreprocessOptions {
  /** Output is size x size. */
  size: number;
  channels: 1 | 3;
  aspect: Aspect;
  filter: ResizeFilter;
}

/** BT.601 luma weights. */
export const LUMA_WEIGHTS = [0.299, 0.587, 0.114] as const;

/** Per output index: the input indices and weights that make it. */
interface Taps {
  index: Int32Array;
  weight: Float64Array;
  start: Int32Array; // taps of output o are [start[o], start[o + 1])
  /** Area: the sum of the overlaps of output o (the result is divided by it; exact for constant input). */
  total: Float64Array;
}

function bilinearTaps(nIn: number, nOut: number): Taps {
  const start = new Int32Array(nOut + 1);
  const index = new Int32Array(2 * nOut);
  const weight = new Float64Array(2 * nOut);
  const ratio = nIn / nOut;
  for (let o = 0; o < nOut; o++) {
    const src = ratio * (o + 0.5) - 0.5;
    const lo = Math.max(0, Math.floor(src));
    const hi = Math.min(nIn - 1, Math.ceil(src));
    const frac = src - lo;
    // TF: lo + (hi - lo) * frac; kept in that form (not (1-frac) lo + frac hi) to match it bit for bit.
    index[2 * o] = lo;
    index[2 * o + 1] = hi;
    weight[2 * o] = frac;
    start[o + 1] = 2 * (o + 1);
  }
  return { index, weight, start, total: new Float64Array(0) };
}

function areaTaps(nIn: number, nOut: number): Taps {
  const idx: number[] = [];
  const w: number[] = [];
  const start = new Int32Array(nOut + 1);
  const total = new Float64Array(nOut);
  for (let o = 0; o < nOut; o++) {
    const a = (o * nIn) / nOut;
    const b = ((o + 1) * nIn) / nOut;
    const first = Math.floor(a);
    const last = Math.min(nIn - 1, Math.ceil(b) - 1);
    for (let i = first; i <= last; i++) {
      const overlap = Math.min(b, i + 1) - Math.max(a, i);
      if (overlap > 0) {
        idx.push(i);
        w.push(overlap);
        total[o] += overlap;
      }
    }
    start[o + 1] = idx.length;
  }
  return { index: Int32Array.from(idx), weight: Float64Array.from(w), start, total };
}

/** Taps of recent (filter, nIn, nOut): a folder of same-sized images asks for the same few again and again. */
const tapsMemo = new Map<string, Taps>();
const TAPS_MEMO_MAX = 32;

function taps(filter: ResizeFilter, nIn: number, nOut: number): Taps {
  const key = `${filter}:${nIn}:${nOut}`;
  let t = tapsMemo.get(key);
  if (!t) {
    t = filter === 'bilinear' ? bilinearTaps(nIn, nOut) : areaTaps(nIn, nOut);
    if (tapsMemo.size >= TAPS_MEMO_MAX) tapsMemo.clear();
    tapsMemo.set(key, t);
  }
  return t;
}

/**
 * Work arrays reused from one call to the next (slot 0: the widened or luminance source, 1: after the horizontal
 * pass, 2: after the vertical pass), for the resizes whose result does not leave this file (preprocess, toGray8,
 * thumbnail). A fresh large typed array is expensive in chromium (about 3.5 ms per 256 px image of MobileNetV2
 * preprocessing went to allocating them, measured with the DevTools profiler); these functions are synchronous, so
 * nothing else can use a slot between a write and its last read. Work arrays over SCRATCH_MAX values are allocated
 * per call, so a huge image does not stay in memory.
 */
const SCRATCH_MAX = 1 << 20;
const scratchSlots = [new Float64Array(0), new Float64Array(0), new Float64Array(0)];

function scratch(slot: 0 | 1 | 2, n: number): Float64Array {
  if (n > SCRATCH_MAX) return new Float64Array(n);
  if (scratchSlots[slot].length < n) scratchSlots[slot] = new Float64Array(n);
  return scratchSlots[slot].subarray(0, n);
}

/**
 * Applies taps along one axis into dst (any contents). src has `outer` blocks of nIn x inner values. Both are
 * Float64Arrays (resizeWork widens other inputs, exactly), so the loops see one array type. Each output is the
 * plain loop's value, bit for bit: area: +0, plus each tap's product in tap order, divided by the total overlap (an
 * area pass with nIn = nOut has one tap of weight 1 and total 1, so its output is v + 0); bilinear:
 * lo + (hi - lo) * frac.
 */
function applyAxis(src: Float64Array, outer: number, nIn: number, inner: number, t: Taps, nOut: number, bilinear: boolean, dst: Float64Array): Float64Array {
  if (!bilinear && nIn === nOut) {
    for (let i = 0; i < dst.length; i++) dst[i] = src[i] + 0;
    return dst;
  }
  const { index, weight, start, total } = t;
  for (let b = 0; b < outer; b++) {
    const sBase = b * nIn * inner;
    const dBase = b * nOut * inner;
    for (let o = 0; o < nOut; o++) {
      const d = dBase + o * inner;
      if (bilinear) {
        const lo = sBase + index[2 * o] * inner;
        const hi = sBase + index[2 * o + 1] * inner;
        const f = weight[2 * o];
        for (let k = 0; k < inner; k++) {
          const vlo = src[lo + k];
          dst[d + k] = vlo + (src[hi + k] - vlo) * f;
        }
        continue;
      }
      const j0 = start[o];
      const j1 = start[o + 1];
      const tot = total[o];
      if (inner === 1) {
        let acc = 0;
        for (let j = j0; j < j1; j++) acc += src[sBase + index[j]] * weight[j];
        dst[d] = acc / tot;
      } else if (j1 - j0 === 2) {
        // The common case when shrinking by less than 2: two input rows per output row, read side by side.
        const s0 = sBase + index[j0] * inner;
        const s1 = sBase + index[j0 + 1] * inner;
        const w0 = weight[j0];
        const w1 = weight[j0 + 1];
        for (let k = 0; k < inner; k++) dst[d + k] = (0 + src[s0 + k] * w0 + src[s1 + k] * w1) / tot;
      } else {
        dst.fill(0, d, d + inner);
        for (let j = j0; j < j1; j++) {
          const s = sBase + index[j] * inner;
          const w = weight[j];
          for (let k = 0; k < inner; k++) dst[d + k] += src[s + k] * w;
        }
        for (let k = 0; k < inner; k++) dst[d + k] /= tot;
      }
    }
  }
  return dst;
}

/** resize() into the work arrays: valid until the next call of any function of this file. */
function resizeWork(data: ArrayLike<number>, width: number, height: number, channels: number, outW: number, outH: number, filter: ResizeFilter): Float64Array {
  const bilinear = filter === 'bilinear';
  let src: Float64Array;
  if (data instanceof Float64Array) src = data;
  else {
    src = scratch(0, data.length);
    if (ArrayBuffer.isView(data)) src.set(data as unknown as ArrayLike<number>);
    else for (let i = 0; i < data.length; i++) src[i] = data[i];
  }
  // An area pass with nIn = nOut gives v + 0: the pass after it (or the final + 0) gives the same bits from v itself.
  const horiz = !bilinear && width === outW ? src : applyAxis(src, height, width, channels, taps(filter, width, outW), outW, bilinear, scratch(1, height * outW * channels));
  return applyAxis(horiz, 1, height, outW * channels, taps(filter, height, outH), outH, bilinear, scratch(2, outH * outW * channels));
}

/**
 * Resizes row-major HWC data (any number of channels) to outW x outH. Float64 result.
 * Columns first, then rows (TF's order: the two rows are interpolated, then blended vertically).
 */
export function resize(
  data: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
  outW: number,
  outH: number,
  filter: ResizeFilter,
): Float64Array {
  return resizeWork(data, width, height, channels, outW, outH, filter).slice();
}

function lumaInto(img: DecodedImage, out: Float64Array): Float64Array {
  const n = img.width * img.height;
  const d = img.data;
  const [wr, wg, wb] = LUMA_WEIGHTS;
  for (let p = 0; p < n; p++) out[p] = d[3 * p] * wr + d[3 * p + 1] * wg + d[3 * p + 2] * wb;
  return out;
}

/** BT.601 luminance of an RGB image (or the image itself when already gray). */
export function luminance(img: DecodedImage): ArrayLike<number> {
  return img.channels === 1 ? img.data : lumaInto(img, new Float64Array(img.width * img.height));
}

/** luminance() for resizeWork: an RGB image's luminance goes to work array 0. */
function luminanceWork(img: DecodedImage): ArrayLike<number> {
  return img.channels === 1 ? img.data : lumaInto(img, scratch(0, img.width * img.height));
}

function roundedSide(side: number, scale: number): number {
  return Math.max(1, Math.floor(side * scale + 0.5));
}

/**
 * size x size x channels, HWC, Float32 in [0, 1]. With `into` (exactly size * size * channels long, any contents),
 * the result is written there and returned; else a new array.
 */
export function preprocess(img: DecodedImage, opts: PreprocessOptions, into?: Float32Array): Float32Array {
  const { size, channels, aspect, filter } = opts;
  if (!(Number.isInteger(size) && size > 0)) throw new Error(`preprocess: size must be a positive integer, got ${size}`);
  // Work on one channel when the source is gray (replicate at the end) or one channel is wanted.
  const src = channels === 1 ? luminanceWork(img) : img.data;
  const work = channels === 1 || img.channels === 1 ? 1 : 3;
  let tw = size;
  let th = size;
  if (aspect === 'pad') {
    const scale = size / Math.max(img.width, img.height);
    tw = Math.min(size, roundedSide(img.width, scale));
    th = Math.min(size, roundedSide(img.height, scale));
  }
  const r = resizeWork(src, img.width, img.height, work, tw, th, filter);
  const length = size * size * channels;
  if (into && into.length !== length) throw new Error(`preprocess: output array has ${into.length} values, expected ${length}`);
  const out = into ?? new Float32Array(length);
  // Padding stays black: clear what the image will not cover.
  if (into && (tw < size || th < size)) out.fill(0);
  const ox = Math.floor((size - tw) / 2);
  const oy = Math.floor((size - th) / 2);
  for (let y = 0; y < th; y++) {
    const rowOut = ((y + oy) * size + ox) * channels;
    const rowIn = y * tw * work;
    if (work === channels) out.set(r.subarray(rowIn, rowIn + tw * work), rowOut);
    else {
      for (let x = 0, o = rowOut, s = rowIn; x < tw; x++, o += 3, s++) {
        const v = Math.fround(r[s]);
        out[o] = v;
        out[o + 1] = v;
        out[o + 2] = v;
      }
    }
  }
  return out;
}

function toByte(v: number): number {
  const b = Math.floor(v * 255 + 0.5);
  return b < 0 ? 0 : b > 255 ? 255 : b;
}

/** size x size 8-bit grayscale (luminance, stretch, area filter, round half up): the file-size variety input. */
export function toGray8(img: DecodedImage, size: number): Uint8Array {
  const r = resizeWork(luminanceWork(img), img.width, img.height, 1, size, size, 'area');
  const out = new Uint8Array(size * size);
  for (let i = 0; i < out.length; i++) out[i] = toByte(r[i]);
  return out;
}

export interface Thumbnail {
  width: number;
  height: number;
  channels: 1 | 3;
  /** gray8 (channels 1) or rgb8 (channels 3), row-major. */
  data: Uint8Array;
}

/** Small 8-bit picture for the privacy audit: longer side at most maxSide (never enlarged), area filter. */
export function thumbnail(img: DecodedImage, maxSide = 96): Thumbnail {
  const scale = Math.min(1, maxSide / Math.max(img.width, img.height));
  const width = roundedSide(img.width, scale);
  const height = roundedSide(img.height, scale);
  const r = resizeWork(img.data, img.width, img.height, img.channels, width, height, 'area');
  const data = new Uint8Array(r.length);
  for (let i = 0; i < r.length; i++) data[i] = toByte(r[i]);
  return { width, height, channels: img.channels, data };
}

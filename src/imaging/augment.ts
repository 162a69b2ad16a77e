/**
 * Simple augmentation of decoded images: the "free alternative" of the utility evaluator's reference
 * protocol (METRICS.md, Utility: "the same gain for simple augmentation (flip, rotate, contrast) as the
 * paper did"; Xing et al., MICCAI 2023). The pipeline (src/pipeline/extract.ts, PipelineOptions.augment)
 * applies it to each decoded real training image before preprocessing, and the embedded copies go to
 * runUtility as `augmented`, with SIMPLE_AUGMENTATIONS as `augmentations`.
 *
 * Reference for the geometry: scipy.ndimage.rotate(image, angle, axes=(1, 0), reshape=False, order=1,
 * mode='nearest') on each channel; tests/unit/imaging/fixtures/make_augment_reference.py writes the values
 * the tests compare with.
 *
 * One augmented copy per image, in this order (all arithmetic in float64, stored as float32):
 * 1. horizontal flip (left-right mirror) with probability 0.5;
 * 2. rotation by an angle uniform in [-10, +10] degrees about the centre ((w-1)/2, (h-1)/2) of the pixel
 *    grid; positive = counter-clockwise as displayed (rows top to bottom), scipy's convention. Each output
 *    pixel samples the input at the inverse rotation of its position, bilinearly. Outside the image the
 *    sampling coordinate is clamped to the border, i.e. edge pixels are repeated (scipy's mode='nearest').
 *    Edge clamping rather than black fill: radiographs and scans rarely end in black, and black corners
 *    would be a feature no real image has, which the extractor would see and the classifier could learn;
 * 3. contrast: v' = g v + (1 - g) m = m + g (v - m), g uniform in [0.8, 1.2], m the mean of the rotated
 *    image over all pixels and channels (one mean, so RGB hues are not shifted), clamped to [0, 1].
 *    Written as g v + (1 - g) m so that g = 1 returns v exactly.
 *
 * Parameters come from createRng (src/core/random.ts, mulberry32) seeded per image: three uniforms u1, u2,
 * u3 in that order give flip = u1 < 0.5, angle = -10 + 20 u2 degrees, gain = 0.8 + 0.4 u3. The per-image
 * seed (augmentationSeed) mixes the first 32 bits of the SHA-256 of the file's bytes, the run seed and the
 * frame number, so a copy depends only on the file's content and the run seed: not on its path, its order
 * or the other files, which lets the feature cache key augmented features by file hash + run seed. Two
 * byte-identical files get the same augmentation.
 *
 * Pure TypeScript (Math.sin / Math.cos are V8's fdlibm port in both Node and Chromium): the same bits in
 * Node, workers and pages.
 */
import { createRng } from '../core/random.ts';
import type { DecodedImage } from './types.ts';

/** Enters the feature-cache key; change it whenever the output of augmentImage changes. */
export const AUGMENT_VERSION = 'simple-aug-1';
export const MAX_ROTATION_DEG = 10;
export const GAIN_RANGE: readonly [number, number] = [0.8, 1.2];
export const FLIP_PROBABILITY = 0.5;

/** What augmentImage does, in words (for the utility report's `augmentations`). */
export const SIMPLE_AUGMENTATIONS: readonly string[] = Object.freeze([
  `horizontal flip with probability ${FLIP_PROBABILITY}`,
  `rotation by an angle uniform in [-${MAX_ROTATION_DEG}, +${MAX_ROTATION_DEG}] degrees about the image centre (bilinear sampling, edge pixels repeated outside the image)`,
  `contrast gain uniform in [${GAIN_RANGE[0]}, ${GAIN_RANGE[1]}] around the image mean, values clamped to [0, 1]`,
]);

/**
 * The utility report's `augmentations` for one run: SIMPLE_AUGMENTATIONS plus how many copies were made and how
 * they were seeded.
 */
export function describeAugmentationRun(images: number, runSeed: number): string[] {
  return [
    ...SIMPLE_AUGMENTATIONS,
    `one augmented copy of each of the ${images} real training image(s), embedded like the originals; parameters seeded by the file's SHA-256, the run seed ${runSeed} and the frame number`,
  ];
}

export interface AugmentationParams {
  flip: boolean;
  /** Degrees, positive = counter-clockwise as displayed. */
  angleDeg: number;
  /** Contrast gain around the image mean. */
  gain: number;
}

/** The parameters drawn from a 32-bit integer seed (see the file header). */
export function augmentationParams(seed: number): AugmentationParams {
  const rng = createRng(seed);
  const flip = rng() < FLIP_PROBABILITY;
  const angleDeg = -MAX_ROTATION_DEG + 2 * MAX_ROTATION_DEG * rng();
  const gain = GAIN_RANGE[0] + (GAIN_RANGE[1] - GAIN_RANGE[0]) * rng();
  return { flip, angleDeg, gain };
}

/** murmur3's 32-bit finaliser: spreads every input bit over the output. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The seed of one image: mix32(mix32(first 32 bits of the file's SHA-256 XOR mix32(runSeed)) + frameIndex),
 * frameIndex 0-based (0 for single-frame files). Returns an unsigned 32-bit integer.
 */
export function augmentationSeed(fileSha256Hex: string, runSeed: number, frameIndex = 0): number {
  if (!/^[0-9a-fA-F]{8}/.test(fileSha256Hex)) throw new Error(`augmentationSeed needs a hex SHA-256, got "${fileSha256Hex.slice(0, 16)}"`);
  if (!Number.isInteger(runSeed)) throw new Error(`run seed must be an integer, got ${runSeed}`);
  if (!Number.isInteger(frameIndex) || frameIndex < 0) throw new Error(`frame index must be a non-negative integer, got ${frameIndex}`);
  const file = Number.parseInt(fileSha256Hex.slice(0, 8), 16) >>> 0;
  return mix32((mix32((file ^ mix32(runSeed >>> 0)) >>> 0) + frameIndex) >>> 0);
}

/** Flip, rotate and change the contrast of `img` with the given parameters (a new image, same size; see the header). */
export function applyAugmentation(img: DecodedImage, p: AugmentationParams): DecodedImage {
  const { width: w, height: h, channels: ch, data } = img;
  if (!Number.isInteger(w) || !Number.isInteger(h) || w < 1 || h < 1 || (ch !== 1 && ch !== 3) || data.length !== w * h * ch) {
    throw new RangeError(`image data has ${data.length} values, expected ${w} x ${h} x ${ch}`);
  }
  if (!Number.isFinite(p.angleDeg) || !Number.isFinite(p.gain)) throw new RangeError(`invalid augmentation parameters ${JSON.stringify(p)}`);
  const out = new Float32Array(data.length);
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  const t = (p.angleDeg * Math.PI) / 180;
  const cos = Math.cos(t);
  const sin = Math.sin(t);
  const maxX = w - 1;
  const maxY = h - 1;
  const flip = p.flip;
  let sum = 0;
  for (let y = 0; y < h; y++) {
    const dy = y - cy;
    for (let x = 0; x < w; x++) {
      const dx = x - cx;
      // Output (x, y) takes the input at the inverse rotation of its offset from the centre. With y pointing
      // down, a counter-clockwise display rotation by t maps an input offset (dx, dy) to
      // (cos t dx + sin t dy, -sin t dx + cos t dy); the inverse is used here.
      let sx = cx + cos * dx - sin * dy;
      let sy = cy + sin * dx + cos * dy;
      sx = sx < 0 ? 0 : sx > maxX ? maxX : sx;
      sy = sy < 0 ? 0 : sy > maxY ? maxY : sy;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const x1 = x0 < maxX ? x0 + 1 : maxX;
      const y1 = y0 < maxY ? y0 + 1 : maxY;
      // The flip acts on the input before the rotation: column x of the flipped image is column w-1-x.
      const c0 = flip ? maxX - x0 : x0;
      const c1 = flip ? maxX - x1 : x1;
      const i00 = (y0 * w + c0) * ch;
      const i01 = (y0 * w + c1) * ch;
      const i10 = (y1 * w + c0) * ch;
      const i11 = (y1 * w + c1) * ch;
      const o = (y * w + x) * ch;
      for (let c = 0; c < ch; c++) {
        const top = data[i00 + c] * (1 - fx) + data[i01 + c] * fx;
        const bottom = data[i10 + c] * (1 - fx) + data[i11 + c] * fx;
        const v = top * (1 - fy) + bottom * fy;
        out[o + c] = v;
        sum += out[o + c];
      }
    }
  }
  // The mean of the rotated image as stored (float32 values), then the contrast gain around it.
  const g = p.gain;
  const m = sum / out.length;
  const offset = (1 - g) * m;
  for (let i = 0; i < out.length; i++) {
    const v = g * out[i] + offset;
    out[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return { width: w, height: h, channels: ch, data: out, meta: { ...img.meta } };
}

/** One augmented copy of `img`, its parameters drawn from `seed` (a 32-bit integer; see augmentationSeed). */
export function augmentImage(img: DecodedImage, seed: number): DecodedImage {
  return applyAugmentation(img, augmentationParams(seed));
}

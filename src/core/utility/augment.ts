/**
 * Simple augmentation for the utility evaluator's reference protocol: the free alternative a
 * synthetic set is compared with (METRICS.md, Utility: "the same gain for simple augmentation
 * (flip, rotate, contrast) as the paper did"; Xing et al., MICCAI 2023, table 2). The probe tier
 * works on features, so the image pipeline applies augmentImage to each decoded real training
 * image and embeds the result; runUtility receives those features as `augmented` and the list
 * SIMPLE_AUGMENTATIONS as `augmentations`.
 *
 * Reference for the geometry: scipy.ndimage.rotate(image, angle, reshape=False, order=1,
 * mode='nearest') (rotation about the image centre ((w-1)/2, (h-1)/2), bilinear interpolation,
 * samples outside the image take the nearest edge pixel); the tests compare with it
 * (tests/unit/utility/fixtures/make_augment_reference.py).
 *
 * One augmented copy per image, exactly:
 * - parameters from the seeded generator of ./rng.ts, stream 404, seed mixed with the image's
 *   index: flip with probability 0.5; angle uniform in [-10, +10] degrees; contrast factor
 *   uniform in [0.9, 1.1];
 * - flip left-right first, then rotate by the angle (positive = counter-clockwise as displayed,
 *   scipy's convention), then contrast v' = m + c (v - m), m the mean of the rotated image over
 *   all pixels and channels, clipped to [0, 1].
 */

import { createRng } from './rng.ts';

export const MAX_ROTATION_DEG = 10;
export const CONTRAST_RANGE = [0.9, 1.1] as const;

/** What augmentImage does, in words (recorded in the utility report's settings). */
export const SIMPLE_AUGMENTATIONS: readonly string[] = Object.freeze([
  'horizontal flip with probability 0.5',
  `rotation by an angle uniform in [-${MAX_ROTATION_DEG}, +${MAX_ROTATION_DEG}] degrees about the centre (bilinear, edge pixels repeated)`,
  `contrast scaled by a factor uniform in [${CONTRAST_RANGE[0]}, ${CONTRAST_RANGE[1]}] around the image mean, clipped to [0, 1]`,
]);

/** An image as the decoders produce it: row-major HWC, values in [0, 1]. */
export interface PlainImage {
  width: number;
  height: number;
  channels: number;
  data: Float32Array;
}

export interface AugmentationParams {
  flip: boolean;
  angleDeg: number;
  contrast: number;
}

/** The seeded parameters of image number `index` (0-based) of a run seeded with `seed`. */
export function augmentationParams(seed: number, index: number): AugmentationParams {
  if (!Number.isInteger(index) || index < 0) throw new RangeError(`image index must be a non-negative integer, got ${index}`);
  const rng = createRng(seed + 1_000_003 * index, 404);
  const flip = rng.next() < 0.5;
  const angleDeg = (2 * rng.next() - 1) * MAX_ROTATION_DEG;
  const contrast = CONTRAST_RANGE[0] + (CONTRAST_RANGE[1] - CONTRAST_RANGE[0]) * rng.next();
  return { flip, angleDeg, contrast };
}

/** Flip, rotate and change the contrast of `img` (a new image of the same size; see the file header). */
export function augmentImage(img: PlainImage, p: AugmentationParams): PlainImage {
  const { width: w, height: h, channels: ch, data } = img;
  if (!Number.isInteger(w) || !Number.isInteger(h) || w < 1 || h < 1 || !(ch >= 1) || data.length !== w * h * ch) {
    throw new RangeError(`image data has ${data.length} values, expected ${w} x ${h} x ${ch}`);
  }
  const out = new Float32Array(data.length);
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  const t = (p.angleDeg * Math.PI) / 180;
  const cos = Math.cos(t);
  const sin = Math.sin(t);
  const clampX = (x: number) => (x < 0 ? 0 : x > w - 1 ? w - 1 : x);
  const clampY = (y: number) => (y < 0 ? 0 : y > h - 1 ? h - 1 : y);
  // value of the (flipped) source at integer pixel (x, y), channel c
  const src = (x: number, y: number, c: number) => data[(y * w + (p.flip ? w - 1 - x : x)) * ch + c];
  let sum = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // output pixel (x, y) samples the input at the inverse rotation of its offset from the centre;
      // with y pointing down, a counter-clockwise display rotation by t maps input (dx, dy) to
      // (cos t dx + sin t dy, -sin t dx + cos t dy), so the inverse is:
      const dx = x - cx;
      const dy = y - cy;
      const sx = clampX(cx + cos * dx - sin * dy);
      const sy = clampY(cy + sin * dx + cos * dy);
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const x1 = Math.min(w - 1, x0 + 1);
      const y1 = Math.min(h - 1, y0 + 1);
      const fx = sx - x0;
      const fy = sy - y0;
      for (let c = 0; c < ch; c++) {
        const top = src(x0, y0, c) * (1 - fx) + src(x1, y0, c) * fx;
        const bottom = src(x0, y1, c) * (1 - fx) + src(x1, y1, c) * fx;
        const v = top * (1 - fy) + bottom * fy;
        out[(y * w + x) * ch + c] = v;
        sum += v;
      }
    }
  }
  const m = sum / out.length;
  for (let i = 0; i < out.length; i++) {
    const v = m + p.contrast * (out[i] - m);
    out[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return { width: w, height: h, channels: ch, data: out };
}

/**
 * Thumbnail pixels for a canvas (pure; no DOM): 8-bit grayscale or RGB, row-major, to the RGBA
 * layout of ImageData.
 */
import type { Thumb } from '../../app/types.ts';

/** RGBA bytes (alpha 255) of an 8-bit gray (1 channel) or RGB (3 channels) thumbnail. Throws on a size mismatch. */
export function thumbToRgba(t: Thumb): Uint8ClampedArray<ArrayBuffer> {
  const n = t.width * t.height;
  if (!Number.isInteger(n) || n <= 0) throw new Error(`thumbnail size ${t.width} × ${t.height} is not valid`);
  if (t.channels !== 1 && t.channels !== 3) throw new Error(`thumbnail has ${t.channels as number} channels; 1 or 3 expected`);
  if (t.data.length !== n * t.channels) {
    throw new Error(`thumbnail of ${t.width} × ${t.height} × ${t.channels} needs ${n * t.channels} bytes, got ${t.data.length}`);
  }
  const out = new Uint8ClampedArray(n * 4);
  const src = t.data;
  if (t.channels === 1) {
    for (let p = 0, j = 0; p < n; p++, j += 4) {
      const v = src[p];
      out[j] = v;
      out[j + 1] = v;
      out[j + 2] = v;
      out[j + 3] = 255;
    }
  } else {
    for (let p = 0, i = 0, j = 0; p < n; p++, i += 3, j += 4) {
      out[j] = src[i];
      out[j + 1] = src[i + 1];
      out[j + 2] = src[i + 2];
      out[j + 3] = 255;
    }
  }
  return out;
}

/** A thumbnail, one being redrawn from its file (see src/app/thumbs.ts), or none. */
export type MaybeThumb = Thumb | Promise<Thumb | undefined> | undefined;

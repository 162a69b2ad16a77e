/**
 * Pixel operations that turn phantoms into the demo's synthetic sets: shifts, film
 * noise, blur and contrast changes on 8-bit grayscale square images.
 * Integer and exactly rounded arithmetic only, so results are identical in every engine.
 */
import { hashGauss } from './rng.ts';

function toByte(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}

/** Translates by whole pixels (dx right, dy down), repeating the border pixels. */
export function shiftImage(img: Uint8Array, size: number, dx: number, dy: number): Uint8Array {
  const out = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) {
    let sy = y - dy;
    sy = sy < 0 ? 0 : sy >= size ? size - 1 : sy;
    for (let x = 0; x < size; x++) {
      let sx = x - dx;
      sx = sx < 0 ? 0 : sx >= size ? size - 1 : sx;
      out[y * size + x] = img[sy * size + sx];
    }
  }
  return out;
}

/** Adds zero-mean noise of standard deviation sigma (grey levels), seeded. */
export function addNoise(img: Uint8Array, sigma: number, seed: number): Uint8Array {
  const out = new Uint8Array(img.length);
  for (let i = 0; i < img.length; i++) out[i] = toByte(img[i] + sigma * hashGauss(seed, i));
  return out;
}

/** v -> gain * (v - 128) + 128 + offset, clamped to 0..255. */
export function adjustContrast(img: Uint8Array, gain: number, offset: number): Uint8Array {
  const out = new Uint8Array(img.length);
  for (let i = 0; i < img.length; i++) out[i] = toByte(gain * (img[i] - 128) + 128 + offset);
  return out;
}

/** Separable box blur of radius r (window 2r + 1), borders clamped; `passes` passes approach a Gaussian. */
export function boxBlur(img: Uint8Array, size: number, r: number, passes = 1): Uint8Array {
  if (r < 1) return img.slice();
  const w = 2 * r + 1;
  const cur = new Float64Array(img.length);
  for (let i = 0; i < img.length; i++) cur[i] = img[i];
  const tmp = new Float64Array(img.length);
  for (let pass = 0; pass < passes; pass++) {
    for (let y = 0; y < size; y++) {
      const row = y * size;
      for (let x = 0; x < size; x++) {
        let s = 0;
        for (let k = -r; k <= r; k++) {
          const xx = x + k < 0 ? 0 : x + k >= size ? size - 1 : x + k;
          s += cur[row + xx];
        }
        tmp[row + x] = s / w;
      }
    }
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        let s = 0;
        for (let k = -r; k <= r; k++) {
          const yy = y + k < 0 ? 0 : y + k >= size ? size - 1 : y + k;
          s += tmp[yy * size + x];
        }
        cur[y * size + x] = s / w;
      }
    }
  }
  const out = new Uint8Array(img.length);
  for (let i = 0; i < img.length; i++) out[i] = toByte(cur[i]);
  return out;
}

/**
 * Adds blotchy low-frequency noise: Gaussian values (sd = amplitude grey levels) on a
 * lattice of `cell`-pixel spacing, interpolated bilinearly (the mottled look of a poorly
 * trained generator).
 */
export function addBlotches(img: Uint8Array, size: number, amplitude: number, cell: number, seed: number): Uint8Array {
  if (!(cell >= 1)) throw new Error(`blotch cell must be >= 1 pixel, got ${cell}`);
  const g = Math.floor((size - 1) / cell) + 2;
  const lattice = new Float64Array(g * g);
  for (let i = 0; i < g * g; i++) lattice[i] = amplitude * hashGauss(seed, i);
  const out = new Uint8Array(img.length);
  for (let y = 0; y < size; y++) {
    const fy = y / cell;
    const iy = Math.floor(fy);
    const ty = fy - iy;
    for (let x = 0; x < size; x++) {
      const fx = x / cell;
      const ix = Math.floor(fx);
      const tx = fx - ix;
      const a = lattice[iy * g + ix];
      const b = lattice[iy * g + ix + 1];
      const c = lattice[(iy + 1) * g + ix];
      const d = lattice[(iy + 1) * g + ix + 1];
      const n = a + (b - a) * tx + (c - a) * ty + (a - b - c + d) * tx * ty;
      out[y * size + x] = toByte(img[y * size + x] + n);
    }
  }
  return out;
}

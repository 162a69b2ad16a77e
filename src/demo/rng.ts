/**
 * Seeded random helpers for the demo phantoms, on top of the shared generator
 * (src/core/random.ts, mulberry32).
 *
 * Only 32-bit integer operations (Math.imul, shifts, xor) and exactly rounded
 * float64 arithmetic are used, so every JavaScript engine produces the same stream.
 * Seed mixing: the murmur3 32-bit finaliser (Austin Appleby, public domain).
 */
import { createRng } from '../core/random.ts';

export { createRng };

/** Random source: each call returns a float in [0, 1). */
export type Rng = () => number;

/** murmur3 fmix32: a bijective avalanche of a 32-bit integer. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Combines a seed with any number of integers into one well-mixed uint32 seed. */
export function mixSeed(seed: number, ...parts: number[]): number {
  let h = fmix32((seed >>> 0) ^ 0x9e3779b9);
  for (const p of parts) h = fmix32(((h ^ fmix32(((p >>> 0) + 0x632be5ab) >>> 0)) + 0x7f4a7c15) >>> 0);
  return h;
}

/**
 * Approximately standard normal value attached to (seed, index), without state:
 * Irwin-Hall sum of the 4 bytes of a hashed index (4 discrete uniforms on 0..255,
 * mean 510, variance 4 (256^2 - 1) / 12), scaled to unit variance. Range about +-3.45.
 */
export function hashGauss(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  const sum = (h & 255) + ((h >>> 8) & 255) + ((h >>> 16) & 255) + ((h >>> 24) & 255);
  return (sum - 510) / 147.80166;
}

/** Uniform float in [lo, hi). */
export function uniform(rng: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * rng();
}

/** Integer in [0, n). */
export function randInt(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

/** Uint32 draw (for child seeds). */
export function randU32(rng: Rng): number {
  return Math.floor(rng() * 4294967296) >>> 0;
}

/**
 * Approximately standard normal draw: Irwin-Hall sum of 4 uniforms, centred and
 * scaled to unit variance (range +-3.46). Uses no log/cos, so it is exact in every engine.
 */
export function gauss(rng: Rng): number {
  return (rng() + rng() + rng() + rng() - 2) * 1.7320508075688772;
}

/** Fisher-Yates shuffle of 0..n-1. */
export function permutation(rng: Rng, n: number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = randInt(rng, i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}

/**
 * Seeded pseudo-random numbers for the utility evaluator (splits, shuffles, weight
 * initialisation). Nothing in src/core/utility uses Math.random.
 *
 * Reference: sfc32 (Chris Doty-Humphrey's "small fast counting" generator, PractRand
 * suite), seeded through splitmix32 (Steele, Lea, Flood, "Fast splittable pseudorandom
 * number generators", OOPSLA 2014) so that nearby seeds give unrelated streams.
 */

export interface Rng {
  /** Uniform float in [0, 1) with 32 bits of randomness. */
  next(): number;
  /** Uniform integer in [0, n) for 1 <= n <= 2^32 (rejection sampling, unbiased). */
  int(n: number): number;
}

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/**
 * Generator for (seed, stream). Different streams of one seed are independent, so a
 * seed can drive weight initialisation and batch shuffling without coupling them.
 * `seed` may be any finite number; it is reduced to its low 32 bits and, for values
 * beyond 2^32, mixed with its high part.
 */
export function createRng(seed: number, stream = 0): Rng {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be finite, got ${seed}`);
  const s = Math.trunc(seed);
  const lo = s >>> 0;
  const hi = Math.floor(s / 4294967296) >>> 0;
  const init = splitmix32((lo ^ Math.imul(hi, 0x27d4eb2d) ^ Math.imul(stream + 1, 0x165667b1)) >>> 0);
  let a = init();
  let b = init();
  let c = init();
  let d = 1;
  const u32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) u32();
  return {
    next: () => u32() / 4294967296,
    int: (n: number) => {
      if (!(n >= 1 && n <= 4294967296) || !Number.isInteger(n)) throw new RangeError(`int(n) needs an integer 1..2^32, got ${n}`);
      const limit = 4294967296 - (4294967296 % n);
      for (;;) {
        const v = u32();
        if (v < limit) return v % n;
      }
    },
  };
}

/** Fisher-Yates shuffle in place. */
export function shuffleInPlace<T extends { length: number; [i: number]: number }>(a: T, rng: Rng): T {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}

/**
 * Seeded pseudo-random numbers shared bit-for-bit with the Python reference
 * (tests/fixtures/moments/make_reference.py), so that sampled subsets (KID) are
 * identical in TypeScript and in numpy.
 *
 * Generator: mulberry32 (Tommy Ettinger's 32-bit generator, public domain): a 32-bit
 * Weyl sequence (step 0x6D2B79F5) followed by an xor-shift-multiply output mix.
 * Every operation is defined on unsigned 32-bit integers, so a port is exact.
 * Uniforms are k / 2^32 with k the 32-bit output: exactly representable doubles in [0, 1).
 *
 * Sampling without replacement: partial Fisher-Yates over a virtual array 0..n-1
 * (swaps kept in a Map, so memory is O(m) rather than O(n)):
 *   for i in 0..m-1:  j = i + floor(u * (n - i))   (u the next uniform; j clamped to n-1)
 *                     out[i] = a[j];  a[j] = a[i]
 */

const WEYL = 0x6d2b79f5;

/** Uniform [0, 1) generator; deterministic for a given 32-bit integer seed. */
export function createRng(seed: number): () => number {
  if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  let a = seed >>> 0;
  return () => {
    a = (a + WEYL) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t = (t + Math.imul(t ^ (t >>> 7), t | 61)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** m distinct indices from 0..n-1, in draw order (partial Fisher-Yates, see the file header). */
export function sampleWithoutReplacement(rng: () => number, n: number, m: number): Int32Array {
  if (!Number.isInteger(n) || !Number.isInteger(m) || n < 0 || m < 0) throw new Error(`invalid sample sizes n=${n}, m=${m}`);
  if (m > n) throw new Error(`cannot draw ${m} distinct indices from ${n}`);
  if (n > 0x7fffffff) throw new Error(`n=${n} exceeds the Int32 index range`);
  const out = new Int32Array(m);
  const swapped = new Map<number, number>();
  for (let i = 0; i < m; i++) {
    let j = i + Math.floor(rng() * (n - i));
    if (j >= n) j = n - 1;
    const aj = swapped.get(j) ?? j;
    const ai = swapped.get(i) ?? i;
    out[i] = aj;
    swapped.set(j, ai);
    swapped.delete(i);
  }
  return out;
}

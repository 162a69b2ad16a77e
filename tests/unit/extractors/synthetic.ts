/**
 * Fixed synthetic RGB test images, integer pixel values 0..255, defined with
 * integer arithmetic only so every platform produces the same bytes.
 * Shared by the reference generator (fixtures/make-nsfwjs-reference.mts) and the tests.
 */

/** Image `k` (0, 1, 2, ...) at size s x s, row-major HWC, values 0..255. */
export function syntheticImage(s: number, k: number): Uint8Array {
  const px = new Uint8Array(s * s * 3);
  for (let y = 0; y < s; y++) {
    for (let x = 0; x < s; x++) {
      const i = (y * s + x) * 3;
      const check = (((x >> 4) + (y >> 4) + k) & 1) === 1;
      // smooth ramps, a checkerboard, a disc, and image-dependent shifts
      const dx = x - ((s * (2 + k)) >> 3);
      const dy = y - (s >> 1);
      const disc = dx * dx + dy * dy < ((s * s) >> 4);
      px[i] = Math.floor((255 * x) / (s - 1)) ^ (k * 37 & 0xff);
      px[i + 1] = disc ? 230 - 40 * k : Math.floor((255 * y) / (s - 1));
      px[i + 2] = check ? 200 : ((x * 3 + y * 5 + 17 * k) & 0x3f);
    }
  }
  return px;
}

/** Images 0..n-1 as one n x s x s x 3 batch in [0,1] (pixel / 255, as nsfwjs does). */
export function syntheticBatch(s: number, n: number): Float32Array {
  const out = new Float32Array(n * s * s * 3);
  for (let k = 0; k < n; k++) {
    const px = syntheticImage(s, k);
    for (let i = 0; i < px.length; i++) out[k * px.length + i] = px[i] / 255;
  }
  return out;
}

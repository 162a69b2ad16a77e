/**
 * The fixed test image of the PNG encoder's golden test (smooth gradients, a disc, LCG noise),
 * exported so the same pixels can be encoded in a browser page and the bytes compared with Node's.
 * Golden for 256 x 256: 43,943 bytes, SHA-256 feb92977f20d4b2d4dc47ca6044a3dd91bdaaec8872b112120c66664cf3cf290
 * (tests/unit/png/encode.test.ts).
 */
export function pngTestImage(w = 256, h = 256): Uint8Array {
  const img = new Uint8Array(w * h);
  let s = 12345;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const noise = (s >>> 24) & 15;
      const disc = (x - 128) ** 2 + (y - 100) ** 2 < 60 ** 2 ? 80 : 0;
      img[y * w + x] = (x + (y >> 1) + disc + noise) & 0xff;
    }
  }
  return img;
}

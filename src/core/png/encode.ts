/**
 * Deterministic PNG encoder for 8-bit grayscale images (pure TS; same bytes in every browser,
 * worker and Node). Used for the file-size variety measure, whose value is the byte length of
 * the encoded mean image, so every setting is fixed here and must never depend on the platform.
 *
 * Reference: PNG specification (W3C, 2nd edition, ISO/IEC 15948:2003): signature, IHDR, IDAT, IEND
 * chunks; CRC-32 with polynomial 0xEDB88320 (table built by hand below); filter types 0-4 with
 * the Paeth predictor; zlib stream (RFC 1950/1951) from fflate's pure-JS zlibSync.
 *
 * Fixed settings (changing any of them changes every reported variety size):
 * - colour type 0 (grayscale), bit depth 8, no interlace, no ancillary chunks, one IDAT chunk;
 * - filter per row chosen by the standard adaptive heuristic (as libpng's default): the filter
 *   type whose output, read as signed bytes, has the smallest sum of absolute values; ties go to
 *   the lowest filter type number;
 * - zlib via fflate.zlibSync with level 9 and mem 8.
 */
import { zlibSync } from 'fflate';

export const PNG_SETTINGS = Object.freeze({ colourType: 0, bitDepth: 8, filter: 'adaptive-min-sum-abs', zlibLevel: 9, zlibMem: 8 });

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO 3309 / PNG) of bytes[start, end). */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  if (pb <= pc) return b;
  return c;
}

/** Filter all rows (1 filter-type byte + width bytes per row) with the adaptive heuristic. */
export function filterRows(data: Uint8Array, width: number, height: number): Uint8Array {
  const stride = width + 1;
  const out = new Uint8Array(stride * height);
  const cand = [0, 1, 2, 3, 4].map(() => new Uint8Array(width));
  const zero = new Uint8Array(width);
  for (let y = 0; y < height; y++) {
    const row = data.subarray(y * width, (y + 1) * width);
    const up = y > 0 ? data.subarray((y - 1) * width, y * width) : zero;
    let best = 0;
    let bestSum = Infinity;
    for (let f = 0; f < 5; f++) {
      const c = cand[f];
      let sum = 0;
      for (let x = 0; x < width; x++) {
        const a = x > 0 ? row[x - 1] : 0; // left
        const b = up[x]; // above
        const cc = x > 0 ? up[x - 1] : 0; // upper left
        let pred: number;
        switch (f) {
          case 0: pred = 0; break;
          case 1: pred = a; break;
          case 2: pred = b; break;
          case 3: pred = (a + b) >> 1; break;
          default: pred = paeth(a, b, cc);
        }
        const v = (row[x] - pred) & 0xff;
        c[x] = v;
        sum += v < 128 ? v : 256 - v;
      }
      if (sum < bestSum) { bestSum = sum; best = f; }
    }
    out[y * stride] = best;
    out.set(cand[best], y * stride + 1);
  }
  return out;
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  dv.setUint32(8 + body.length, crc32(out, 4, 8 + body.length));
  return out;
}

const SIGNATURE = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Encode a row-major 8-bit grayscale image (width x height bytes) as PNG bytes.
 * Deterministic: the same pixels give the same bytes everywhere.
 */
export function encodePngGray8(data: Uint8Array, width: number, height: number): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`bad PNG size ${width} x ${height}`);
  }
  if (data.length !== width * height) throw new Error(`PNG data has ${data.length} bytes, expected ${width} x ${height}`);
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // colour type: grayscale
  ihdr[10] = 0; // compression method: deflate
  ihdr[11] = 0; // filter method: adaptive (5 types)
  ihdr[12] = 0; // interlace: none
  const idat = zlibSync(filterRows(data, width, height), { level: 9, mem: 8 });
  const parts = [SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))];
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

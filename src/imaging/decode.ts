/**
 * decodeImage: bytes -> DecodedImage[] (one per frame), the format found by its magic bytes, never by
 * the file name. Every decoder is pure JS or wasm and runs the same in Node, the page and workers
 * (no canvas, no createImageBitmap), so the same bytes give the same Float32 values everywhere.
 * Failures throw DecodeError with a code and a user-readable reason (see types.ts).
 */
import { decodeBmp } from './bmp.ts';
import { decodeDicom, isDicom } from './dicom.ts';
import { decodeJpeg } from './jpeg.ts';
import { decodePng } from './png.ts';
import { decodeTiff } from './tiff.ts';
import { DecodeError, errorText, MAX_FILE_BYTES, type DecodedImage } from './types.ts';
import { decodeWebp } from './webp.ts';

export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'bmp' | 'tiff' | 'dicom';

function starts(b: Uint8Array, sig: number[], at = 0): boolean {
  if (b.length < at + sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (b[at + i] !== sig[i]) return false;
  return true;
}
const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));

/** Image formats recognised but not decoded, so that the reason can name them. */
function knownUnsupported(b: Uint8Array): string | null {
  if (starts(b, ascii('GIF87a')) || starts(b, ascii('GIF89a'))) return 'GIF';
  if (starts(b, [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20]) || starts(b, [0xff, 0x4f, 0xff, 0x51])) return 'JPEG 2000';
  if (starts(b, ascii('ftyp'), 4)) {
    const brand = String.fromCharCode(...b.subarray(8, 12));
    if (/^(avif|avis)/.test(brand)) return 'AVIF';
    if (/^(heic|heix|hevc|hevx|mif1|msf1)/.test(brand)) return 'HEIF/HEIC';
    return null;
  }
  if (starts(b, [0xff, 0x0a]) || starts(b, ascii('\0\0\0\x0cJXL '))) return 'JPEG XL';
  if (starts(b, ascii('II+\0')) || starts(b, ascii('MM\0+'))) return 'BigTIFF';
  if (starts(b, ascii('n+1\0'), 344) || starts(b, ascii('ni1\0'), 344)) return 'NIfTI';
  if (starts(b, [0x1f, 0x8b])) return 'gzip-compressed file';
  if (starts(b, ascii('8BPS'))) return 'Photoshop PSD';
  if (starts(b, [0, 0, 1, 0]) && b.length > 6) return 'ICO';
  return null;
}

/** The decodable format of these bytes, or null. */
export function detectFormat(b: Uint8Array): ImageFormat | null {
  if (starts(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (starts(b, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (starts(b, ascii('RIFF')) && starts(b, ascii('WEBP'), 8)) return 'webp';
  if (starts(b, ascii('BM')) && b.length >= 26) return 'bmp';
  if (starts(b, [0x49, 0x49, 0x2a, 0x00]) || starts(b, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  if (isDicom(b)) return 'dicom';
  return null;
}

/**
 * Decodes one file. `path` is used only in messages. Returns one image per frame (multi-frame DICOM;
 * every other format gives one). Throws DecodeError.
 */
export async function decodeImage(bytes: Uint8Array, path: string): Promise<DecodedImage[]> {
  if (bytes.length === 0) throw new DecodeError('empty', 'empty file (0 bytes)');
  if (bytes.length > MAX_FILE_BYTES) {
    throw new DecodeError('too-large', `too large to decode: ${(bytes.length / 2 ** 20).toFixed(0)} MiB file`);
  }
  const format = detectFormat(bytes);
  if (!format) {
    const other = knownUnsupported(bytes);
    if (other) throw new DecodeError('unsupported', `unsupported format: ${other}`);
    throw new DecodeError('not-image', 'not an image (no known image signature)');
  }
  try {
    switch (format) {
      case 'png':
        return [decodePng(bytes)];
      case 'jpeg':
        return [decodeJpeg(bytes)];
      case 'webp':
        return [await decodeWebp(bytes)];
      case 'bmp':
        return [decodeBmp(bytes)];
      case 'tiff':
        return [decodeTiff(bytes)];
      case 'dicom':
        return await decodeDicom(bytes);
    }
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    // A decoder bug or an input it did not anticipate: still a per-file failure, never a crash.
    throw new DecodeError('corrupt', `corrupt ${format.toUpperCase()} (${path}): ${errorText(e)}`, { cause: e });
  }
}

/** Stable id of one decoded image: the path, or `path#frame` (1-based) for multi-frame files. */
export function imageId(path: string, img: DecodedImage): string {
  return img.meta.frame === undefined ? path : `${path}#${img.meta.frame}`;
}

/**
 * TIFF decoder (utif for the strip/tile decompression; the sample layout is interpreted here).
 * First image (IFD 0) only. Supported: BlackIsZero / WhiteIsZero gray at 1/2/4/8/16 bits, RGB at
 * 8/16 bits, palette at 1/2/4/8 bits, extra samples (alpha) dropped; compression none, LZW, Deflate,
 * PackBits, JPEG (new style); horizontal predictor. Refused as unsupported: planar configuration 2,
 * float / signed samples, CMYK, YCbCr, CIELab and other compressions. WhiteIsZero is inverted (1 - v).
 */
import UTIF, { type UtifIfd } from 'utif';
import { applyPalette, image, readU16BE, readU16LE, readU32BE, readU32LE } from './pixels.ts';
import { checkSize, DecodeError, errorText, type DecodedImage } from './types.ts';

const COMPRESSIONS: Record<number, string> = { 1: 'none', 5: 'LZW', 7: 'JPEG', 8: 'Deflate', 32946: 'Deflate', 32773: 'PackBits' };
const PHOTOMETRIC: Record<number, string> = {
  0: 'WhiteIsZero', 1: 'BlackIsZero', 2: 'RGB', 3: 'palette', 4: 'transparency mask', 5: 'CMYK', 6: 'YCbCr', 8: 'CIELab',
};

/** Walks the IFD chain so that a corrupt file (offset out of range, loop) fails before utif sees it. */
function checkIfdChain(b: Uint8Array): void {
  const le = b[0] === 0x49;
  const u16 = le ? readU16LE : readU16BE;
  const u32 = le ? readU32LE : readU32BE;
  if (u16(b, 2) !== 42) throw new DecodeError('unsupported', 'unsupported TIFF variant (BigTIFF?)');
  let off = u32(b, 4);
  const seen = new Set<number>();
  while (off !== 0) {
    if (seen.has(off) || seen.size > 1024) throw new DecodeError('corrupt', 'corrupt TIFF: IFD chain loops');
    seen.add(off);
    if (off + 2 > b.length) throw new DecodeError('corrupt', 'corrupt TIFF: IFD offset past the end of the file');
    const n = u16(b, off);
    if (off + 2 + n * 12 + 4 > b.length) throw new DecodeError('corrupt', 'corrupt TIFF: IFD past the end of the file');
    off = u32(b, off + 2 + n * 12);
  }
  if (seen.size === 0) throw new DecodeError('corrupt', 'corrupt TIFF: no image directory');
}

function num(ifd: UtifIfd, tag: number, dflt: number): number {
  const v = ifd[`t${tag}`];
  return v && typeof v[0] === 'number' ? (v[0] as number) : dflt;
}

export function decodeTiff(b: Uint8Array): DecodedImage {
  if (b.length < 8) throw new DecodeError('corrupt', 'corrupt TIFF: file too short');
  checkIfdChain(b);
  let ifds: UtifIfd[];
  try {
    ifds = UTIF.decode(b);
  } catch (e) {
    throw new DecodeError('corrupt', `corrupt TIFF: ${errorText(e)}`, { cause: e });
  }
  const ifd = ifds[0];
  if (!ifd || !ifd.t256 || !ifd.t257) throw new DecodeError('corrupt', 'corrupt TIFF: no image size');
  const width = num(ifd, 256, 0);
  const height = num(ifd, 257, 0);
  checkSize(width, height);
  const bpsList = (ifd.t258 as number[] | undefined) ?? [1];
  const bps = bpsList[0];
  const spp = num(ifd, 277, bpsList.length);
  const compression = num(ifd, 259, 1);
  const photometric = num(ifd, 262, spp >= 3 ? 2 : 1);
  const planar = num(ifd, 284, 1);
  const sampleFormat = num(ifd, 339, 1);

  if (COMPRESSIONS[compression] === undefined) throw new DecodeError('unsupported', `unsupported TIFF compression ${compression}`);
  if (planar !== 1) throw new DecodeError('unsupported', 'unsupported TIFF: separate colour planes');
  if (sampleFormat !== 1) throw new DecodeError('unsupported', 'unsupported TIFF: float or signed samples');
  if (bpsList.some((v) => v !== bps)) throw new DecodeError('unsupported', 'unsupported TIFF: mixed bits per sample');
  const gray = photometric === 0 || photometric === 1;
  if (!gray && photometric !== 2 && photometric !== 3) {
    throw new DecodeError('unsupported', `unsupported TIFF photometric interpretation ${PHOTOMETRIC[photometric] ?? photometric}`);
  }
  if (photometric === 2 && (spp < 3 || (bps !== 8 && bps !== 16))) throw new DecodeError('unsupported', `unsupported TIFF: RGB with ${spp} x ${bps}-bit samples`);
  if (gray && ![1, 2, 4, 8, 16].includes(bps)) throw new DecodeError('unsupported', `unsupported TIFF: ${bps}-bit gray`);
  if (photometric === 3 && (bps > 8 || spp !== 1)) throw new DecodeError('unsupported', `unsupported TIFF: ${bps}-bit palette`);

  // Strips / tiles must lie inside the file (utif would silently leave zeros).
  const offs = (ifd.t273 ?? ifd.t324) as number[] | undefined;
  const counts = (ifd.t279 ?? ifd.t325) as number[] | undefined;
  if (!offs || !counts || offs.length !== counts.length) throw new DecodeError('corrupt', 'corrupt TIFF: missing strip offsets');
  for (let i = 0; i < offs.length; i++) {
    if (offs[i] + counts[i] > b.length) throw new DecodeError('corrupt', 'corrupt TIFF: image data is truncated');
  }
  try {
    UTIF.decodeImage(b, ifd, ifds);
  } catch (e) {
    throw new DecodeError('corrupt', `corrupt TIFF: ${errorText(e)}`, { cause: e });
  }
  const raw = ifd.data;
  const stride = Math.ceil((width * bps * spp) / 8);
  if (!raw || raw.length < stride * height) throw new DecodeError('corrupt', 'corrupt TIFF: image data is truncated');

  const meta = { format: 'tiff', bitDepth: bps, photometric: PHOTOMETRIC[photometric] } as DecodedImage['meta'];
  const n = width * height;
  // utif leaves 16-bit samples little endian whatever the file's byte order
  const sample = (y: number, i: number): number => {
    const o = y * stride;
    if (bps === 8) return raw[o + i];
    if (bps === 16) return raw[o + 2 * i] | (raw[o + 2 * i + 1] << 8);
    const perByte = 8 / bps;
    return (raw[o + Math.floor(i / perByte)] >> (8 - bps * ((i % perByte) + 1))) & ((1 << bps) - 1);
  };
  if (photometric === 3) {
    const map = ifd.t320 as number[] | undefined;
    const entries = 1 << bps;
    if (!map || map.length < 3 * entries) throw new DecodeError('corrupt', 'corrupt TIFF: missing colour map');
    const palette: number[][] = [];
    for (let i = 0; i < entries; i++) palette.push([map[i], map[entries + i], map[2 * entries + i]]);
    const idx = new Uint8Array(n);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) idx[y * width + x] = sample(y, x);
    const { channels, data } = applyPalette(idx, palette, 65535);
    return image(width, height, channels, data, meta);
  }
  const max = 2 ** bps - 1;
  const keep: 1 | 3 = gray ? 1 : 3;
  const data = new Float32Array(n * keep);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < keep; c++) {
        const v = sample(y, x * spp + c) / max;
        data[(y * width + x) * keep + c] = photometric === 0 ? 1 - v : v;
      }
    }
  }
  return image(width, height, keep, data, meta);
}

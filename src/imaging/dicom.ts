/**
 * DICOM decoder.
 *
 * References: DICOM PS3.10 (file format, 'DICM' at offset 128), PS3.5 §8.2 and Annex A.4 (native and
 * encapsulated pixel data, transfer syntaxes), PS3.5 Annex G (RLE Lossless), PS3.3 C.7.6.3 (Image
 * Pixel Module), PS3.3 C.11.1 (Modality LUT: rescale slope / intercept) and PS3.3 C.11.2.1.2
 * (VOI window: LINEAR, LINEAR_EXACT, SIGMOID).
 *
 * Grayscale output (MONOCHROME1/2), per frame, in this order:
 *   1. stored value: the sample masked to Bits Stored (High Bit respected), sign-extended when
 *      Pixel Representation is 1;
 *   2. modality value m = stored * RescaleSlope + RescaleIntercept (defaults 1 and 0);
 *   3. VOI: with Window Center / Width (the FIRST value of each when multi-valued), the VOI LUT Function
 *      (default LINEAR, PS3.3 C.11.2.1.2.1) maps m to [0, 1]; without a usable window, min-max over
 *      the modality values of ALL frames of the file: (m - min) / (max - min) (0 for a constant image);
 *   4. MONOCHROME1 is inverted last: y -> 1 - y.
 * Enhanced multi-frame files: the Pixel Value Transformation and Frame VOI LUT sequences of the
 * per-frame functional group override the shared group, which overrides the top-level attributes.
 * Colour (RGB, YBR_FULL, and JPEG / JPEG 2000 streams in YBR_FULL_422 / YBR_RCT / YBR_ICT, which the
 * codecs return as RGB) gives 3 channels with v / (2^BitsStored - 1); no VOI is applied to colour.
 * YBR_FULL samples are converted with the PS3.3 C.7.6.3.1.2 equations (no rounding).
 * Multi-frame files give one DecodedImage per frame, in order, with meta.frame = 1, 2, ... (1-based,
 * as DICOM numbers frames); single-frame files have no meta.frame.
 * Not supported (skipped with the reason): PALETTE COLOR, 1-bit and float pixel data, subsampled
 * native YBR, and the transfer syntaxes not marked supported in TRANSFER_SYNTAXES.
 */
import dicomParser, { type DataSet, type Element } from 'dicom-parser';
import { inflateSync } from 'fflate';
import { decodeJ2kFrame, decodeJpegLosslessFrame, decodeJpegLsFrame, type CodecFrame } from './dicomCodecs.ts';
import { decodeJpegBytes, readJpegHeader } from './jpeg.ts';
import { decodeRleFrame } from './rle.ts';
import { checkSize, DecodeError, errorText, type DecodedImage } from './types.ts';

type Codec = 'native-le' | 'native-be' | 'rle' | 'jpeg' | 'jpeg-lossless' | 'jpeg-ls' | 'j2k';

/** Transfer syntaxes by UID: name, and the codec when supported. */
export const TRANSFER_SYNTAXES: Record<string, { name: string; codec?: Codec }> = {
  '1.2.840.10008.1.2': { name: 'Implicit VR Little Endian', codec: 'native-le' },
  '1.2.840.10008.1.2.1': { name: 'Explicit VR Little Endian', codec: 'native-le' },
  '1.2.840.10008.1.2.1.99': { name: 'Deflated Explicit VR Little Endian', codec: 'native-le' },
  '1.2.840.10008.1.2.2': { name: 'Explicit VR Big Endian', codec: 'native-be' },
  '1.2.840.10008.1.2.5': { name: 'RLE Lossless', codec: 'rle' },
  '1.2.840.10008.1.2.4.50': { name: 'JPEG Baseline (Process 1)', codec: 'jpeg' },
  '1.2.840.10008.1.2.4.51': { name: 'JPEG Extended (Process 2 & 4)', codec: 'jpeg' },
  '1.2.840.10008.1.2.4.57': { name: 'JPEG Lossless, Non-Hierarchical (Process 14)', codec: 'jpeg-lossless' },
  '1.2.840.10008.1.2.4.70': {
    name: 'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])',
    codec: 'jpeg-lossless',
  },
  '1.2.840.10008.1.2.4.80': { name: 'JPEG-LS Lossless Image Compression', codec: 'jpeg-ls' },
  '1.2.840.10008.1.2.4.81': { name: 'JPEG-LS Lossy (Near-Lossless) Image Compression', codec: 'jpeg-ls' },
  '1.2.840.10008.1.2.4.90': { name: 'JPEG 2000 Image Compression (Lossless Only)', codec: 'j2k' },
  '1.2.840.10008.1.2.4.91': { name: 'JPEG 2000 Image Compression', codec: 'j2k' },
  // known, not supported
  '1.2.840.10008.1.2.1.98': { name: 'Encapsulated Uncompressed Explicit VR Little Endian' },
  '1.2.840.10008.1.2.4.52': { name: 'JPEG Extended (Process 3 & 5) (Retired)' },
  '1.2.840.10008.1.2.4.53': { name: 'JPEG Spectral Selection, Non-Hierarchical (Process 6 & 8) (Retired)' },
  '1.2.840.10008.1.2.4.55': { name: 'JPEG Full Progression, Non-Hierarchical (Process 10 & 12) (Retired)' },
  '1.2.840.10008.1.2.4.92': { name: 'JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)' },
  '1.2.840.10008.1.2.4.93': { name: 'JPEG 2000 Part 2 Multi-component Image Compression' },
  '1.2.840.10008.1.2.4.94': { name: 'JPIP Referenced' },
  '1.2.840.10008.1.2.4.95': { name: 'JPIP Referenced Deflate' },
  '1.2.840.10008.1.2.4.100': { name: 'MPEG2 Main Profile / Main Level' },
  '1.2.840.10008.1.2.4.101': { name: 'MPEG2 Main Profile / High Level' },
  '1.2.840.10008.1.2.4.102': { name: 'MPEG-4 AVC/H.264 High Profile / Level 4.1' },
  '1.2.840.10008.1.2.4.103': { name: 'MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1' },
  '1.2.840.10008.1.2.4.104': { name: 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video' },
  '1.2.840.10008.1.2.4.105': { name: 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video' },
  '1.2.840.10008.1.2.4.106': { name: 'MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2' },
  '1.2.840.10008.1.2.4.107': { name: 'HEVC/H.265 Main Profile / Level 5.1' },
  '1.2.840.10008.1.2.4.108': { name: 'HEVC/H.265 Main 10 Profile / Level 5.1' },
  '1.2.840.10008.1.2.4.110': { name: 'JPEG XL Lossless' },
  '1.2.840.10008.1.2.4.111': { name: 'JPEG XL JPEG Recompression' },
  '1.2.840.10008.1.2.4.112': { name: 'JPEG XL' },
  '1.2.840.10008.1.2.4.201': { name: 'High-Throughput JPEG 2000 Image Compression (Lossless Only)' },
  '1.2.840.10008.1.2.4.202': { name: 'High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)' },
  '1.2.840.10008.1.2.4.203': { name: 'High-Throughput JPEG 2000 Image Compression' },
  '1.2.840.10008.1.2.6.1': { name: 'RFC 2557 MIME encapsulation (Retired)' },
  '1.2.840.10008.1.2.6.2': { name: 'XML Encoding (Retired)' },
};

export function unsupportedTransferSyntaxReason(uid: string): string {
  return `unsupported transfer syntax ${uid} (${TRANSFER_SYNTAXES[uid]?.name ?? 'unknown'})`;
}

/** 'DICM' at offset 128 (PS3.10 §7.1). */
export function isDicom(b: Uint8Array): boolean {
  return b.length >= 132 && b[128] === 0x44 && b[129] === 0x49 && b[130] === 0x43 && b[131] === 0x4d;
}

function inflater(byteArray: Uint8Array, position: number): Uint8Array {
  let inflated: Uint8Array;
  try {
    inflated = inflateSync(byteArray.subarray(position));
  } catch (e) {
    throw new DecodeError('corrupt', `corrupt DICOM: deflated data set does not inflate (${errorText(e)})`);
  }
  const full = new Uint8Array(position + inflated.length);
  full.set(byteArray.subarray(0, position));
  full.set(inflated, position);
  return full;
}

function num(ds: DataSet, tag: string, index = 0): number | undefined {
  if (!ds.elements[tag]) return undefined;
  const v = ds.floatString(tag, index);
  return v === undefined || Number.isNaN(v) ? undefined : v;
}

function firstItem(ds: DataSet | undefined, tag: string): DataSet | undefined {
  return ds?.elements[tag]?.items?.[0]?.dataSet;
}

interface ValueTransform {
  slope: number;
  intercept: number;
  center?: number;
  width?: number;
  fn: string;
}

/** Rescale and window for one frame: per-frame functional group > shared group > top level. */
function frameTransform(ds: DataSet, frameIndex: number): ValueTransform {
  const t: ValueTransform = {
    slope: num(ds, 'x00281053') ?? 1,
    intercept: num(ds, 'x00281052') ?? 0,
    center: num(ds, 'x00281050'),
    width: num(ds, 'x00281051'),
    fn: (ds.string('x00281056') ?? '').trim().toUpperCase(),
  };
  const groups = [
    firstItem(ds, 'x52009229'),
    ds.elements.x52009230?.items?.[frameIndex]?.dataSet,
  ];
  for (const g of groups) {
    const pvt = firstItem(g, 'x00289145');
    if (pvt) {
      t.slope = num(pvt, 'x00281053') ?? t.slope;
      t.intercept = num(pvt, 'x00281052') ?? t.intercept;
    }
    const voi = firstItem(g, 'x00289132');
    if (voi && num(voi, 'x00281050') !== undefined && num(voi, 'x00281051') !== undefined) {
      t.center = num(voi, 'x00281050');
      t.width = num(voi, 'x00281051');
      const fn = voi.string('x00281056');
      if (fn) t.fn = fn.trim().toUpperCase();
    }
  }
  return t;
}

/**
 * The VOI functions of PS3.3 C.11.2.1.2 with output range [0, 1]; null when the window is unusable
 * (missing, or a width the function does not allow).
 */
export function voiFunction(center: number | undefined, width: number | undefined, fn = 'LINEAR'): ((x: number) => number) | null {
  if (center === undefined || width === undefined || !Number.isFinite(center) || !Number.isFinite(width)) return null;
  const c = center;
  const w = width;
  if (fn === 'SIGMOID') {
    if (!(w > 0)) return null;
    return (x) => 1 / (1 + Math.exp((-4 * (x - c)) / w));
  }
  if (fn === 'LINEAR_EXACT') {
    if (!(w > 0)) return null;
    return (x) => (x <= c - w / 2 ? 0 : x > c + w / 2 ? 1 : (x - c) / w + 0.5);
  }
  // LINEAR (also the meaning of an absent or unknown function)
  if (!(w >= 1)) return null;
  const lo = c - 0.5 - (w - 1) / 2;
  const hi = c - 0.5 + (w - 1) / 2;
  return (x) => (x <= lo ? 0 : x > hi ? 1 : (x - (c - 0.5)) / (w - 1) + 0.5);
}

interface PixelInfo {
  rows: number;
  cols: number;
  spp: number;
  frames: number;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  signed: boolean;
  photometric: string;
  planar: boolean;
}

interface RawFrame {
  /** Unsigned samples as stored (before Bits Stored masking). */
  data: Uint8Array | Uint16Array | Uint32Array;
  planar: boolean;
  /** The samples are already RGB although the photometric says YBR (codec converted them). */
  rgb: boolean;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function nativeSamples(bytes: Uint8Array, bits: number, bigEndian: boolean): Uint8Array | Uint16Array | Uint32Array {
  // new Uint8Array(x) copies into a fresh buffer at offset 0; x.slice() would not for a Node Buffer (a view)
  if (bits === 8) return new Uint8Array(bytes);
  const n = bytes.length / (bits / 8);
  if (!bigEndian && LITTLE_ENDIAN_HOST) {
    const copy = new Uint8Array(bytes);
    return bits === 16 ? new Uint16Array(copy.buffer, 0, n) : new Uint32Array(copy.buffer, 0, n);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = !bigEndian;
  if (bits === 16) {
    const out = new Uint16Array(n);
    for (let i = 0; i < n; i++) out[i] = dv.getUint16(2 * i, le);
    return out;
  }
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = dv.getUint32(4 * i, le);
  return out;
}

/** Splits encapsulated pixel data into frames (PS3.5 A.4): offset table, one fragment per frame, or start markers. */
function encapsulatedFrames(ds: DataSet, el: Element, frames: number, codec: Codec): Uint8Array[] {
  const frags = el.fragments ?? [];
  if (frags.length === 0) throw new DecodeError('corrupt', 'corrupt DICOM: encapsulated pixel data has no fragments');
  const bytes = ds.byteArray as Uint8Array;
  for (const f of frags) {
    if (f.position + f.length > bytes.length) throw new DecodeError('corrupt', 'corrupt DICOM: pixel data is truncated');
  }
  const join = (list: typeof frags): Uint8Array => {
    if (list.length === 1) return bytes.subarray(list[0].position, list[0].position + list[0].length);
    const total = list.reduce((s, f) => s + f.length, 0);
    const out = new Uint8Array(total);
    let o = 0;
    for (const f of list) {
      out.set(bytes.subarray(f.position, f.position + f.length), o);
      o += f.length;
    }
    return out;
  };
  if (frames === 1) return [join(frags)];
  const bot = el.basicOffsetTable ?? [];
  if (bot.length === frames) {
    const out: Uint8Array[] = [];
    for (let i = 0; i < frames; i++) {
      const start = bot[i];
      const end = i + 1 < frames ? bot[i + 1] : Infinity;
      const list = frags.filter((f) => f.offset >= start && f.offset < end);
      if (list.length === 0) throw new DecodeError('corrupt', `corrupt DICOM: no fragment for frame ${i + 1}`);
      out.push(join(list));
    }
    return out;
  }
  if (frags.length === frames) return frags.map((f) => join([f]));
  // Several fragments per frame and no offset table: a frame starts where a codestream starts.
  const starts = (b: Uint8Array): boolean =>
    codec === 'j2k'
      ? (b[0] === 0xff && b[1] === 0x4f) || (b[4] === 0x6a && b[5] === 0x50) // SOC, or a JP2 signature box
      : codec === 'rle'
        ? false
        : b[0] === 0xff && b[1] === 0xd8; // SOI
  const groups: (typeof frags)[] = [];
  for (const f of frags) {
    const head = bytes.subarray(f.position, f.position + 8);
    if (groups.length === 0 || starts(head)) groups.push([f]);
    else groups[groups.length - 1].push(f);
  }
  if (groups.length !== frames) {
    throw new DecodeError('corrupt', `corrupt DICOM: ${frags.length} fragments cannot be split into ${frames} frames`);
  }
  return groups.map(join);
}

function checkCodecFrame(f: CodecFrame, info: PixelInfo): void {
  if (f.width !== info.cols || f.height !== info.rows || f.components !== info.spp) {
    throw new DecodeError(
      'corrupt',
      `corrupt DICOM: compressed frame is ${f.width} x ${f.height} x ${f.components}, header says ${info.cols} x ${info.rows} x ${info.spp}`,
    );
  }
  if (f.data.length < info.rows * info.cols * info.spp) throw new DecodeError('corrupt', 'corrupt DICOM: decoded frame is too short');
}

async function decodeFrame(frame: Uint8Array, codec: Codec, info: PixelInfo): Promise<RawFrame> {
  const ybr = info.photometric.startsWith('YBR');
  switch (codec) {
    case 'rle': {
      const bytes = decodeRleFrame(frame, info.rows, info.cols, info.spp, info.bitsAllocated);
      return { data: nativeSamples(bytes, info.bitsAllocated, false), planar: false, rgb: false };
    }
    case 'jpeg': {
      const h = readJpegHeader(frame);
      if (h && h.precision !== 8) {
        throw new DecodeError('unsupported', `${unsupportedTransferSyntaxReason('1.2.840.10008.1.2.4.51')}: ${h.precision}-bit JPEG`);
      }
      // jpeg-js converts YCbCr to RGB when told to; DICOM says which the stream holds.
      const r = decodeJpegBytes(frame, info.spp === 3 ? ybr : undefined);
      checkCodecFrame({ width: r.width, height: r.height, components: r.channels, bitsPerSample: 8, data: r.data, planar: false }, info);
      return { data: r.data, planar: false, rgb: true };
    }
    case 'jpeg-lossless': {
      const f = decodeJpegLosslessFrame(frame);
      checkCodecFrame(f, info);
      return { data: f.data, planar: false, rgb: false };
    }
    case 'jpeg-ls': {
      const f = await decodeJpegLsFrame(frame);
      checkCodecFrame(f, info);
      return { data: f.data, planar: f.planar, rgb: false };
    }
    case 'j2k': {
      const f = await decodeJ2kFrame(frame);
      checkCodecFrame(f, info);
      // OpenJPEG undoes the reversible / irreversible component transform (YBR_RCT / YBR_ICT).
      const mct = info.photometric === 'YBR_RCT' || info.photometric === 'YBR_ICT';
      return { data: f.data, planar: false, rgb: mct };
    }
    default:
      throw new Error(`decodeFrame: ${codec}`);
  }
}

function readPixelInfo(ds: DataSet): PixelInfo {
  const rows = ds.uint16('x00280010') ?? 0;
  const cols = ds.uint16('x00280011') ?? 0;
  const spp = ds.uint16('x00280002') ?? 1;
  const bitsAllocated = ds.uint16('x00280100') ?? 0;
  const bitsStored = ds.uint16('x00280101') ?? bitsAllocated;
  const highBit = ds.uint16('x00280102') ?? bitsStored - 1;
  const nf = ds.intString('x00280008');
  const frames = nf === undefined || Number.isNaN(nf) ? 1 : nf;
  const photometric = (ds.string('x00280004') ?? (spp === 3 ? 'RGB' : 'MONOCHROME2')).trim().toUpperCase();
  return {
    rows,
    cols,
    spp,
    frames,
    bitsAllocated,
    bitsStored,
    highBit,
    signed: ds.uint16('x00280103') === 1,
    photometric,
    planar: spp > 1 && ds.uint16('x00280006') === 1,
  };
}

function checkPixelInfo(info: PixelInfo, codec: Codec): void {
  const { rows, cols, spp, frames, bitsAllocated, bitsStored, highBit, photometric } = info;
  if (!(rows > 0 && cols > 0)) throw new DecodeError('corrupt', `corrupt DICOM: image size ${cols} x ${rows}`);
  if (!(frames >= 1)) throw new DecodeError('corrupt', `corrupt DICOM: Number of Frames is ${frames}`);
  if (spp !== 1 && spp !== 3) throw new DecodeError('unsupported', `unsupported DICOM: ${spp} samples per pixel`);
  checkSize(cols, rows, spp, frames);
  if (bitsAllocated === 1) throw new DecodeError('unsupported', 'unsupported DICOM: 1-bit pixel data');
  if (bitsAllocated !== 8 && bitsAllocated !== 16 && bitsAllocated !== 32) {
    throw new DecodeError('unsupported', `unsupported DICOM: Bits Allocated ${bitsAllocated}`);
  }
  if (!(bitsStored >= 1 && bitsStored <= bitsAllocated && highBit >= bitsStored - 1 && highBit < bitsAllocated)) {
    throw new DecodeError('corrupt', `corrupt DICOM: Bits Stored ${bitsStored}, High Bit ${highBit}, Bits Allocated ${bitsAllocated}`);
  }
  if (spp === 1) {
    if (photometric === 'PALETTE COLOR') throw new DecodeError('unsupported', 'unsupported DICOM photometric interpretation PALETTE COLOR');
    if (photometric !== 'MONOCHROME1' && photometric !== 'MONOCHROME2') {
      throw new DecodeError('unsupported', `unsupported DICOM photometric interpretation ${photometric} with 1 sample per pixel`);
    }
  } else {
    const ok =
      photometric === 'RGB' ||
      photometric === 'YBR_FULL' ||
      (photometric === 'YBR_FULL_422' && codec === 'jpeg') ||
      ((photometric === 'YBR_RCT' || photometric === 'YBR_ICT') && codec === 'j2k');
    if (!ok) throw new DecodeError('unsupported', `unsupported DICOM photometric interpretation ${photometric} with this transfer syntax`);
  }
}

export async function decodeDicom(bytes: Uint8Array): Promise<DecodedImage[]> {
  let ds: DataSet;
  try {
    ds = dicomParser.parseDicom(bytes, {
      inflater: inflater as unknown as (arr: Uint8Array, position: number) => void,
    });
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    throw new DecodeError('corrupt', `corrupt DICOM: ${errorText(e)}`, { cause: e });
  }
  const uid = (ds.string('x00020010') ?? '').replace(/\0/g, '').trim();
  const el = ds.elements.x7fe00010;
  if (!el) {
    if (ds.elements.x7fe00008 || ds.elements.x7fe00009) throw new DecodeError('unsupported', 'unsupported DICOM: float pixel data');
    throw new DecodeError('not-image', 'not an image: DICOM file without pixel data');
  }
  const ts = TRANSFER_SYNTAXES[uid];
  if (!ts?.codec) throw new DecodeError('unsupported', unsupportedTransferSyntaxReason(uid));
  const codec = ts.codec;
  const info = readPixelInfo(ds);
  checkPixelInfo(info, codec);
  const { rows, cols, spp, frames, bitsAllocated } = info;
  const pixels = rows * cols;

  // 1. raw samples of every frame
  const raw: RawFrame[] = [];
  if (codec === 'native-le' || codec === 'native-be') {
    if (el.encapsulatedPixelData) throw new DecodeError('corrupt', 'corrupt DICOM: encapsulated pixel data in a native transfer syntax');
    const frameBytes = (pixels * spp * bitsAllocated) / 8;
    const all = ds.byteArray as Uint8Array;
    if (el.length < frameBytes * frames || el.dataOffset + frameBytes * frames > all.length) {
      throw new DecodeError('corrupt', 'corrupt DICOM: pixel data is truncated');
    }
    let src = all.subarray(el.dataOffset, el.dataOffset + frameBytes * frames);
    if (codec === 'native-be' && bitsAllocated === 8 && el.vr === 'OW') {
      // 8-bit samples in OW words, big endian: swap each pair back into order
      const s = new Uint8Array(src); // a copy, also when the input is a Node Buffer
      for (let i = 0; i + 1 < s.length; i += 2) [s[i], s[i + 1]] = [s[i + 1], s[i]];
      src = s;
    }
    for (let f = 0; f < frames; f++) {
      const bytesF = src.subarray(f * frameBytes, (f + 1) * frameBytes);
      raw.push({ data: nativeSamples(bytesF, bitsAllocated, codec === 'native-be'), planar: info.planar, rgb: false });
    }
  } else {
    if (!el.encapsulatedPixelData) throw new DecodeError('corrupt', 'corrupt DICOM: native pixel data in a compressed transfer syntax');
    const parts = encapsulatedFrames(ds, el, frames, codec);
    for (const part of parts) raw.push(await decodeFrame(part, codec, info));
  }

  // 2. stored values -> output
  const shift = info.highBit + 1 - info.bitsStored;
  const bitsStored = info.bitsStored;
  const range = 2 ** bitsStored;
  const half = range / 2;
  const mask = range - 1;
  const stored =
    bitsStored >= 32
      ? (v: number): number => (info.signed ? v >> 0 : v >>> 0)
      : (v: number): number => {
          const u = (v >>> shift) & mask; // Bits Stored, High Bit respected (v is unsigned)
          return info.signed && u >= half ? u - range : u;
        };
  const baseMeta = { format: 'dicom', bitDepth: bitsStored, photometric: info.photometric, transferSyntax: uid };
  const out: DecodedImage[] = [];

  if (spp === 3) {
    const max = range - 1;
    for (let f = 0; f < frames; f++) {
      const r = raw[f];
      const data = new Float32Array(pixels * 3);
      const at = (p: number, c: number) => stored(r.planar ? r.data[c * pixels + p] : r.data[3 * p + c]);
      const ybr = info.photometric === 'YBR_FULL' && !r.rgb;
      for (let p = 0; p < pixels; p++) {
        let c0 = at(p, 0);
        let c1 = at(p, 1);
        let c2 = at(p, 2);
        if (ybr) {
          const y = c0;
          const cb = c1 - half;
          const cr = c2 - half;
          c0 = Math.min(max, Math.max(0, y + 1.402 * cr));
          c1 = Math.min(max, Math.max(0, y - 0.344136 * cb - 0.714136 * cr));
          c2 = Math.min(max, Math.max(0, y + 1.772 * cb));
        }
        data[3 * p] = c0 / max;
        data[3 * p + 1] = c1 / max;
        data[3 * p + 2] = c2 / max;
      }
      const meta: DecodedImage['meta'] = { ...baseMeta };
      if (frames > 1) meta.frame = f + 1;
      out.push({ width: cols, height: rows, channels: 3, data, meta });
    }
    return out;
  }

  const transforms = Array.from({ length: frames }, (_, f) => frameTransform(ds, f));
  const fns = transforms.map((t) => voiFunction(t.center, t.width, t.fn || 'LINEAR'));
  let min = Infinity;
  let max = -Infinity;
  if (fns.some((fn) => fn === null)) {
    for (let f = 0; f < frames; f++) {
      if (fns[f] !== null) continue;
      const { slope, intercept } = transforms[f];
      const d = raw[f].data;
      for (let p = 0; p < pixels; p++) {
        const m = stored(d[p]) * slope + intercept;
        if (m < min) min = m;
        if (m > max) max = m;
      }
    }
  }
  const invert = info.photometric === 'MONOCHROME1';
  for (let f = 0; f < frames; f++) {
    const { slope, intercept, center, width, fn } = transforms[f];
    const voi = fns[f];
    const d = raw[f].data;
    const data = new Float32Array(pixels);
    const span = max - min;
    for (let p = 0; p < pixels; p++) {
      const m = stored(d[p]) * slope + intercept;
      const y = voi ? voi(m) : span > 0 ? (m - min) / span : 0;
      data[p] = invert ? 1 - y : y;
    }
    const meta: DecodedImage['meta'] = {
      ...baseMeta,
      window: voi ? { center: center!, width: width! } : 'minmax',
    };
    if (voi && fn && fn !== 'LINEAR') meta.voiFunction = fn;
    if (frames > 1) meta.frame = f + 1;
    out.push({ width: cols, height: rows, channels: 1, data, meta });
  }
  return out;
}

/**
 * DICOM RLE Lossless decoder (PS3.5 Annex G): a 64-byte header (segment count and 15 offsets, uint32 LE)
 * followed by PackBits-coded segments, one per byte plane: for each sample, most significant byte first.
 * The result is the frame in native layout: samples interleaved (planar configuration 0),
 * multi-byte samples little endian.
 */
import { readU32LE } from './pixels.ts';
import { DecodeError } from './types.ts';

function unpackBitsSegment(src: Uint8Array, start: number, end: number, out: Uint8Array): void {
  let i = start;
  let o = 0;
  const n = out.length;
  while (i < end && o < n) {
    const h = src[i++];
    if (h < 128) {
      const len = Math.min(h + 1, n - o, end - i);
      out.set(src.subarray(i, i + len), o);
      i += h + 1;
      o += len;
    } else if (h > 128) {
      const len = Math.min(257 - h, n - o);
      out.fill(src[i++], o, o + len);
      o += len;
    }
    // h === 128: no operation
  }
  if (o < n) throw new DecodeError('corrupt', 'corrupt DICOM RLE: segment shorter than the frame');
}

export function decodeRleFrame(
  frame: Uint8Array,
  rows: number,
  cols: number,
  samplesPerPixel: number,
  bitsAllocated: number,
): Uint8Array {
  if (frame.length < 64) throw new DecodeError('corrupt', 'corrupt DICOM RLE: header missing');
  const bytesPerSample = bitsAllocated / 8;
  const nSeg = readU32LE(frame, 0);
  const expected = samplesPerPixel * bytesPerSample;
  if (nSeg !== expected) {
    throw new DecodeError('corrupt', `corrupt DICOM RLE: ${nSeg} segments, expected ${expected}`);
  }
  const offsets: number[] = [];
  for (let s = 0; s < nSeg; s++) offsets.push(readU32LE(frame, 4 + 4 * s));
  const pixels = rows * cols;
  const out = new Uint8Array(pixels * expected);
  const plane = new Uint8Array(pixels);
  for (let s = 0; s < nSeg; s++) {
    const start = offsets[s];
    const end = s + 1 < nSeg ? offsets[s + 1] : frame.length;
    if (start < 64 || start > end || end > frame.length) throw new DecodeError('corrupt', 'corrupt DICOM RLE: bad segment offset');
    unpackBitsSegment(frame, start, end, plane);
    const sample = Math.floor(s / bytesPerSample);
    const byteInSample = bytesPerSample - 1 - (s % bytesPerSample); // segment 0 = most significant byte
    const stride = expected;
    const base = sample * bytesPerSample + byteInSample;
    for (let p = 0; p < pixels; p++) out[p * stride + base] = plane[p];
  }
  return out;
}

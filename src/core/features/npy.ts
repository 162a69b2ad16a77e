/**
 * NumPy .npy feature files: reader and writer (pure TS; takes and returns bytes, never paths).
 *
 * Reference: the NPY format specification, numpy/lib/format.py (versions 1.0, 2.0 and 3.0).
 * Read: float16/32/64, int8/16/32/64, uint8/16/32/64, bool; little or big endian; C order only;
 * a 1-D array of length n is read as n x 1, a 2-D array as n x d.
 * Continuous features (default) become float32 (integers converted). With kind 'discrete' the
 * values become Int32Array codes: integer and bool arrays directly, float arrays only when every
 * value is an integer.
 * Write: float32 ('<f4'), int32 ('<i4') or uint16 ('<u2'), version 1.0, header padded to 64 bytes
 * as numpy does.
 */
import { makeFeatureSet, type FeatureKind, type FeatureSet } from './featureSet.ts';
import { InputError } from './csv.ts';

export { InputError };

export interface NpyArray {
  /** Values converted to float64 (exact for every dtype except int64/uint64 beyond 2^53). */
  values: Float64Array;
  shape: number[];
  /** The header's descr, e.g. '<f4'. */
  descr: string;
  /** True when the dtype is an integer or bool type. */
  integer: boolean;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

function parseHeader(header: string): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(header);
  if (!descr) {
    if (/['"]descr['"]\s*:\s*\[/.test(header)) throw new InputError('structured (record) arrays are not supported; save a plain 2-D numeric array');
    throw new InputError('the .npy header has no dtype (descr)');
  }
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header);
  if (!fortran) throw new InputError('the .npy header has no fortran_order');
  const shape = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header);
  if (!shape) throw new InputError('the .npy header has no shape');
  const dims = shape[1]
    .split(',')
    .map((s) => s.trim().replace(/L$/, ''))
    .filter((s) => s !== '')
    .map((s) => {
      if (!/^\d+$/.test(s)) throw new InputError(`the .npy header has a bad shape entry "${s}"`);
      return Number(s);
    });
  return { descr: descr[1], fortran: fortran[1] === 'True', shape: dims };
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Parse .npy bytes into float64 values plus shape; throws InputError on anything unsupported. */
export function parseNpy(bytes: Uint8Array): NpyArray {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new InputError('not a .npy file (the magic string \\x93NUMPY is missing)');
  const major = bytes[6];
  let headerLen: number;
  let offset: number;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (major === 1) {
    headerLen = dv.getUint16(8, true);
    offset = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new InputError('the .npy file is truncated in its header');
    headerLen = dv.getUint32(8, true);
    offset = 12;
  } else {
    throw new InputError(`unsupported .npy format version ${major}.${bytes[7]}`);
  }
  if (offset + headerLen > bytes.length) throw new InputError('the .npy file is truncated in its header');
  const headerBytes = bytes.subarray(offset, offset + headerLen);
  let header = '';
  if (major === 3) header = new TextDecoder('utf-8').decode(headerBytes);
  else for (let i = 0; i < headerBytes.length; i++) header += String.fromCharCode(headerBytes[i]);
  const { descr, fortran, shape } = parseHeader(header);
  if (fortran) throw new InputError('the .npy array is in Fortran order (fortran_order: True); save it in C order, e.g. np.save(path, np.ascontiguousarray(a))');
  const m = /^([<>|=])([fiub])(\d+)$/.exec(descr);
  if (!m) throw new InputError(`unsupported .npy dtype '${descr}' (supported: float16/32/64, int8/16/32/64, uint8/16/32/64, bool)`);
  const [, order, type, sizeText] = m;
  const size = Number(sizeText);
  const ok = { f: [2, 4, 8], i: [1, 2, 4, 8], u: [1, 2, 4, 8], b: [1] }[type as 'f' | 'i' | 'u' | 'b'];
  if (!ok.includes(size)) throw new InputError(`unsupported .npy dtype '${descr}'`);
  const little = order !== '>';
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = offset + headerLen;
  if (bytes.length - dataStart < count * size) {
    throw new InputError(`the .npy file is truncated: shape (${shape.join(', ')}) needs ${count * size} data bytes, found ${bytes.length - dataStart}`);
  }
  const values = new Float64Array(count);
  const d = new DataView(bytes.buffer, bytes.byteOffset + dataStart, count * size);
  const key = type + size;
  switch (key) {
    case 'f2': for (let i = 0; i < count; i++) values[i] = halfToFloat(d.getUint16(i * 2, little)); break;
    case 'f4': for (let i = 0; i < count; i++) values[i] = d.getFloat32(i * 4, little); break;
    case 'f8': for (let i = 0; i < count; i++) values[i] = d.getFloat64(i * 8, little); break;
    case 'i1': for (let i = 0; i < count; i++) values[i] = d.getInt8(i); break;
    case 'i2': for (let i = 0; i < count; i++) values[i] = d.getInt16(i * 2, little); break;
    case 'i4': for (let i = 0; i < count; i++) values[i] = d.getInt32(i * 4, little); break;
    case 'i8': for (let i = 0; i < count; i++) values[i] = Number(d.getBigInt64(i * 8, little)); break;
    case 'u1': for (let i = 0; i < count; i++) values[i] = d.getUint8(i); break;
    case 'u2': for (let i = 0; i < count; i++) values[i] = d.getUint16(i * 2, little); break;
    case 'u4': for (let i = 0; i < count; i++) values[i] = d.getUint32(i * 4, little); break;
    case 'u8': for (let i = 0; i < count; i++) values[i] = Number(d.getBigUint64(i * 8, little)); break;
    case 'b1': for (let i = 0; i < count; i++) values[i] = d.getUint8(i) ? 1 : 0; break;
  }
  return { values, shape, descr, integer: type !== 'f' };
}

/**
 * Fast path for the common case ('<f4', C order): the values copied straight into a Float32Array,
 * without the float64 intermediate. Returns null for any other file (parseNpy then handles it).
 */
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Shape and first data byte of a version 1.0, C-order, little-endian float32 .npy whose header
 * lies in `head` (the file's first bytes), on a little-endian host; null for anything else (or
 * when `head` is too short to hold the header).
 */
export function littleFloat32Layout(head: Uint8Array): { shape: number[]; start: number } | null {
  if (!LITTLE_ENDIAN_HOST) return null;
  if (head.length < 10 || MAGIC.some((b, i) => head[i] !== b) || head[6] !== 1) return null;
  const headerLen = head[8] | (head[9] << 8);
  if (10 + headerLen > head.length) return null;
  let header = '';
  for (let i = 10; i < 10 + headerLen; i++) header += String.fromCharCode(head[i]);
  let parsed: ReturnType<typeof parseHeader>;
  try { parsed = parseHeader(header); } catch { return null; }
  if (parsed.fortran || parsed.descr !== '<f4') return null;
  return { shape: parsed.shape, start: 10 + headerLen };
}

function readLittleFloat32(bytes: Uint8Array): { values: Float32Array; shape: number[] } | null {
  const layout = littleFloat32Layout(bytes);
  if (!layout) return null;
  const { shape, start } = layout;
  const count = shape.reduce((a, b) => a * b, 1);
  if (bytes.length - start < count * 4) return null;
  // A view when the data is 4-byte aligned (np.save pads the header to 64 bytes): no copy.
  if ((bytes.byteOffset + start) % 4 === 0) return { values: new Float32Array(bytes.buffer, bytes.byteOffset + start, count), shape };
  const copy = bytes.slice(start, start + count * 4);
  return { values: new Float32Array(copy.buffer, 0, count), shape };
}

export interface NpyReadOptions {
  kind?: FeatureKind;
  ids?: string[];
  labels?: string[] | null;
}

/**
 * Read an .npy feature matrix (1-D -> n x 1, 2-D -> n x d). For little-endian float32 files the
 * returned data is a view on `bytes` (no copy): do not modify `bytes` afterwards. Throws InputError for other ranks,
 * an empty array, NaN/Infinity (row and column), and non-integer values when kind is 'discrete'.
 */
export function readFeaturesNpy(bytes: Uint8Array, opts: NpyReadOptions = {}): FeatureSet {
  const kind = opts.kind ?? 'continuous';
  const fast = kind === 'continuous' ? readLittleFloat32(bytes) : null;
  const arr = fast ?? parseNpy(bytes);
  let n: number;
  let dim: number;
  if (arr.shape.length === 1) { n = arr.shape[0]; dim = 1; }
  else if (arr.shape.length === 2) { n = arr.shape[0]; dim = arr.shape[1]; }
  else throw new InputError(`the .npy array has shape (${arr.shape.join(', ')}); expected 1-D (n) or 2-D (n, d)`);
  if (n === 0) throw new InputError('the .npy array has no rows (empty set)');
  if (dim === 0) throw new InputError('the .npy array has no columns');
  const v = arr.values;
  const where = (i: number) => `row ${Math.floor(i / dim) + 1}, column ${(i % dim) + 1}`;
  let data: Float32Array | Int32Array;
  if (v instanceof Float32Array) {
    for (let i = 0; i < v.length; i++) {
      if (!Number.isFinite(v[i])) throw new InputError(`${where(i)}: value ${v[i]} is not a finite number (NaN and Infinity are not allowed)`);
    }
    data = v;
  } else if (kind === 'discrete') {
    data = new Int32Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (!Number.isFinite(x)) throw new InputError(`${where(i)}: value ${x} is not a finite number`);
      if (!Number.isInteger(x) || x < -2147483648 || x > 2147483647) {
        throw new InputError(`${where(i)}: value ${x} is not an integer code (discrete features need 32-bit integers)`);
      }
      data[i] = x;
    }
  } else {
    data = new Float32Array(v.length);
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      const f = Math.fround(x);
      if (!Number.isFinite(f)) {
        throw new InputError(Number.isFinite(x) ? `${where(i)}: value ${x} overflows float32` : `${where(i)}: value ${x} is not a finite number (NaN and Infinity are not allowed)`);
      }
      data[i] = f;
    }
  }
  if (opts.ids && opts.ids.length !== n) throw new InputError(`${opts.ids.length} ids for ${n} rows`);
  if (opts.labels && opts.labels.length !== n) throw new InputError(`${opts.labels.length} labels for ${n} rows`);
  return makeFeatureSet(data, n, dim, { ids: opts.ids, labels: opts.labels ?? null, kind });
}

/** .npy bytes (format 1.0, C order, little endian) of a 2-D array; dtype follows the typed array. */
export function writeNpy(data: Float32Array | Int32Array | Uint16Array, shape: [number, number] | [number]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`shape (${shape.join(', ')}) needs ${count} values, got ${data.length}`);
  const descr = data instanceof Float32Array ? '<f4' : data instanceof Int32Array ? '<i4' : '<u2';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape[0]}, ${shape[1]})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // numpy pads with spaces so that magic + version + length + header (ending in \n) is a multiple of 64.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  if (header.length > 65535) throw new Error('npy header too long');
  const out = new Uint8Array(total + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const dv = new DataView(out.buffer, total);
  if (data instanceof Float32Array) for (let i = 0; i < count; i++) dv.setFloat32(i * 4, data[i], true);
  else if (data instanceof Int32Array) for (let i = 0; i < count; i++) dv.setInt32(i * 4, data[i], true);
  else for (let i = 0; i < count; i++) dv.setUint16(i * 2, data[i], true);
  return out;
}

/** .npy bytes of a FeatureSet's matrix (n x dim); ids and labels go in a sibling file (see writeIdsCsv). */
export function writeFeaturesNpy(fs: FeatureSet): Uint8Array {
  return writeNpy(fs.data, [fs.n, fs.dim]);
}

/**
 * Feature rows read from a file a block at a time instead of held in memory (the CLI's .npy
 * inputs, src/cli/rowFile.ts). A streamed FeatureSet carries `rows`, a plain description of
 * where its float32 rows lie (structured-cloneable, so the engine's worker threads open the file
 * themselves); its `data` is not there, and reading it throws with the reason instead of
 * returning wrong values.
 *
 * Every metric reaches rows through the helpers below, which hand out subarrays of `data` for a
 * set in memory (no copy, as before) and read the file for a streamed one:
 * - forEachRowBlock: rows in order, a block at a time (means, covariances, norms);
 * - RowAccess: a block of rows or single rows by index (the neighbour engine's tiles and its
 *   exact refinement);
 * - rowsInMemory / gatherRows: the rows as an array, where a computation needs random access to
 *   all of them (KID's float64 subsets, per-class copies): a streamed set is read whole then.
 *
 * The file reader itself is platform code: the CLI registers it with setRowFileOpener (on the
 * main thread and in every engine thread). Browsers never make streamed sets.
 */
import type { FeatureSet } from './featureSet.ts';

/** Where a streamed set's rows lie: n x dim little-endian float32, row-major, from byteOffset. */
export interface RowFileRef {
  path: string;
  byteOffset: number;
}

/** An open row file. */
export interface RowFileReader {
  /** Reads rows first .. first + count - 1 into out (count * dim values). */
  read(first: number, count: number, out: Float32Array): void;
  close(): void;
}

export type RowFileOpener = (ref: RowFileRef, dim: number) => RowFileReader;

let opener: RowFileOpener | null = null;

/** Registers how this thread opens row files (src/cli/rowFile.ts). */
export function setRowFileOpener(fn: RowFileOpener | null): void {
  opener = fn;
}

export function openRowFile(ref: RowFileRef, dim: number): RowFileReader {
  if (!opener) throw new Error(`feature rows in ${ref.path} are read from the file, but this thread has no row-file reader`);
  return opener(ref, dim);
}

export type Values = FeatureSet['data'];

/** Whether the set's rows stay in a file (no `data`). */
export function isStreamed(fs: Pick<FeatureSet, 'rows'>): fs is FeatureSet & { rows: RowFileRef } {
  return fs.rows !== undefined;
}

/**
 * A FeatureSet whose rows are read from `ref` when needed. Its `data` property throws: code that
 * has not been taught to stream fails loudly rather than reading nothing. ids may be empty (what an
 * engine thread needs); otherwise ids and labels have one entry per row.
 */
export function streamedRows(ref: RowFileRef, n: number, dim: number, ids: string[] = [], labels: string[] | null = null): FeatureSet {
  if (ids.length !== 0 && ids.length !== n) throw new Error(`${ids.length} ids for ${n} rows`);
  if (labels && labels.length !== n) throw new Error(`${labels.length} labels for ${n} rows`);
  const fs = { ids, labels, n, dim, kind: 'continuous', rows: { ...ref } } as FeatureSet;
  Object.defineProperty(fs, 'data', {
    enumerable: false,
    get() {
      throw new Error(`the rows of ${ref.path} are read from the file a block at a time; this computation needs them in memory (use rowsInMemory)`);
    },
  });
  return fs;
}

/**
 * A zeroed Float32Array of `length` values for a large buffer that lives for one computation (a
 * block of rows, a tile, a block's products), on memory of its own: a WebAssembly.Memory, which V8
 * maps and unmaps itself, instead of malloc. glibc's malloc raises its mmap threshold to the size
 * of each large block it frees (up to 32 MiB), and later blocks then come from heaps whose freed
 * space is seldom returned to the system: with these buffers on malloc, `synthlens metrics` at
 * 10,000 x 10,000, d = 2,048 peaked 20 to 30 MiB higher (docs/scale.md, session 13). Below 1 MiB,
 * or where such a memory cannot be made, a plain array.
 */
export function largeF32(length: number): Float32Array {
  const bytes = length * 4;
  if (bytes >= 1 << 20 && typeof WebAssembly === 'object') {
    try {
      return new Float32Array(new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) }).buffer, 0, length);
    } catch {
      // no address space for it (e.g. a ulimit on virtual memory): a plain array
    }
  }
  return new Float32Array(length);
}

/** Rows per block for about `bytes` of float32 values, a multiple of `multiple` (at least one multiple). */
export function blockRows(dim: number, bytes = 8 << 20, multiple = 256): number {
  return Math.max(multiple, Math.floor(bytes / (4 * dim) / multiple) * multiple);
}

/**
 * Calls fn for consecutive blocks of at most maxRows rows, in order. The block is a subarray of
 * `data` in memory, or a buffer reused from block to block for a streamed set: use it before
 * returning.
 */
export function forEachRowBlock(fs: FeatureSet, maxRows: number, fn: (block: Values, first: number, count: number) => void): void {
  const { n, dim } = fs;
  if (!isStreamed(fs)) {
    const data = fs.data;
    for (let first = 0; first < n; first += maxRows) {
      const count = Math.min(maxRows, n - first);
      fn(data.subarray(first * dim, (first + count) * dim), first, count);
    }
    return;
  }
  const reader = openRowFile(fs.rows, dim);
  const buf = largeF32(Math.min(maxRows, n) * dim);
  try {
    for (let first = 0; first < n; first += maxRows) {
      const count = Math.min(maxRows, n - first);
      const block = buf.subarray(0, count * dim);
      reader.read(first, count, block);
      fn(block, first, count);
    }
  } finally {
    reader.close();
  }
}

/**
 * Blocks of rows and single rows of one set. In memory, subarrays of `data`; streamed, reads
 * into the buffer the caller gives. close() releases the file.
 */
export class RowAccess {
  /** The set's values when in memory, else null. */
  readonly data: Values | null;
  private reader: RowFileReader | null = null;

  constructor(private readonly fs: FeatureSet) {
    this.data = isStreamed(fs) ? null : fs.data;
  }

  private open(): RowFileReader {
    return (this.reader ??= openRowFile(this.fs.rows!, this.fs.dim));
  }

  /**
   * Rows first .. first + count - 1 (count x dim values): a subarray of `data` in memory; a
   * streamed set's rows are read into the start of `out` (at least count x dim values), which
   * is returned.
   */
  blockInto(first: number, count: number, out: Float32Array): Values {
    const d = this.fs.dim;
    if (this.data) return this.data.subarray(first * d, (first + count) * d);
    const dst = out.subarray(0, count * d);
    this.open().read(first, count, dst);
    return dst;
  }

  /** forEachRowBlock over this set. */
  forEachBlock(maxRows: number, fn: (block: Values, first: number, count: number) => void): void {
    forEachRowBlock(this.fs, maxRows, fn);
  }

  /** Row i into out (dim values); returns out. In memory too (a copy). */
  row(i: number, out: Float32Array): Float32Array {
    const d = this.fs.dim;
    if (this.data) out.set(this.data.subarray(i * d, (i + 1) * d));
    else this.open().read(i, 1, out);
    return out;
  }

  close(): void {
    this.reader?.close();
    this.reader = null;
  }
}

/** The set's rows as one array: `data` itself in memory; a streamed set is read whole (n x dim float32, on shared memory when asked). */
export function rowsInMemory(fs: FeatureSet, shared = false): Values {
  if (!isStreamed(fs)) return fs.data;
  const out = shared ? new Float32Array(new SharedArrayBuffer(fs.n * fs.dim * 4)) : new Float32Array(fs.n * fs.dim);
  forEachRowBlock(fs, blockRows(fs.dim), (block, first) => out.set(block, first * fs.dim));
  return out;
}

/** The set in memory (itself when it already is; a streamed set read whole, on shared memory when asked). */
export function inMemory(fs: FeatureSet, shared = false): FeatureSet {
  if (!isStreamed(fs)) return fs;
  return { ids: fs.ids, labels: fs.labels, n: fs.n, dim: fs.dim, kind: fs.kind, data: rowsInMemory(fs, shared) };
}

/**
 * A copy of rows idx[0], idx[1], ... (idx.length x dim), in that order, in an array of the set's
 * type (float32 for a streamed set), on shared memory when asked; a streamed set is read in runs of
 * consecutive indices.
 */
export function gatherRows(fs: FeatureSet, idx: ArrayLike<number>, shared = false): Values {
  const d = fs.dim;
  const Ctor = (isStreamed(fs) ? Float32Array : fs.data.constructor) as { new (b: ArrayBufferLike): Values; BYTES_PER_ELEMENT: number };
  const bytes = idx.length * d * Ctor.BYTES_PER_ELEMENT;
  const out = new Ctor(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  if (!isStreamed(fs)) {
    const data = fs.data;
    for (let r = 0; r < idx.length; r++) out.set(data.subarray(idx[r] * d, (idx[r] + 1) * d), r * d);
    return out;
  }
  const reader = openRowFile(fs.rows, d);
  try {
    const dst = out as Float32Array;
    let r = 0;
    while (r < idx.length) {
      let run = 1;
      while (r + run < idx.length && idx[r + run] === idx[r] + run) run++;
      reader.read(idx[r], run, dst.subarray(r * d, (r + run) * d));
      r += run;
    }
  } finally {
    reader.close();
  }
  return out;
}

/**
 * Feature rows read from an .npy file a block at a time (src/core/features/rowSource.ts), so
 * `synthlens metrics` never holds its feature sets: at N = M = 100,000, d = 1,280 that is
 * 976 MiB it no longer needs. The operating system's file cache keeps the file close at hand;
 * the engine re-reads a tile per block (a copy of a few MiB beside a product of a GFLOP).
 *
 * openNpyRows() checks a version 1.0, C-order, little-endian float32 file (what np.save writes
 * for float32 arrays) and reads it through once for NaN and infinities; other .npy files are read
 * into memory as before (loadFeatures.ts). installRowFileReader() registers the reader on a
 * thread: the CLI's main thread and every engine worker thread (engineWorker.ts).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InputError } from '../core/features/csv.ts';
import { littleFloat32Layout } from '../core/features/npy.ts';
import { blockRows, forEachRowBlock, setRowFileOpener, streamedRows, type RowFileReader, type RowFileRef } from '../core/features/rowSource.ts';
import type { FeatureSet } from '../core/features/featureSet.ts';

/** Reads whole ranges of bytes at `position` into `out`; a file that ends early is an error. */
function readFully(fd: number, path: string, out: Uint8Array, position: number): void {
  let done = 0;
  while (done < out.length) {
    const got = readSync(fd, out, done, out.length - done, position + done);
    if (got === 0) throw new Error(`${path}: the file ended early (it changed while being read?)`);
    done += got;
  }
}

class NodeRowFile implements RowFileReader {
  private fd: number | null;
  constructor(private readonly ref: RowFileRef, private readonly dim: number) {
    this.fd = openSync(ref.path, 'r');
  }

  read(first: number, count: number, out: Float32Array): void {
    if (this.fd === null) throw new Error(`${this.ref.path}: read after close`);
    if (out.length < count * this.dim) throw new Error(`row buffer of ${out.length} values for ${count} x ${this.dim}`);
    // a Buffer view: fs refuses SharedArrayBuffer-backed typed arrays
    const bytes = Buffer.from(out.buffer, out.byteOffset, count * this.dim * 4);
    readFully(this.fd, this.ref.path, bytes, this.ref.byteOffset + first * this.dim * 4);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** Registers the Node row-file reader on this thread (idempotent). */
export function installRowFileReader(): void {
  setRowFileOpener((ref, dim) => new NodeRowFile(ref, dim));
}

/**
 * The .npy file as a streamed feature set, or null when it is not a little-endian float32,
 * C-order, version 1.0 file (the caller reads it into memory). Throws InputError, as the
 * in-memory reader does, for a truncated file, an empty array, a bad rank, or a value that is
 * not finite (row and column).
 */
export function openNpyRows(path: string, opts: { ids?: string[]; labels?: string[] | null } = {}, checkRows: (n: number) => void = () => {}): FeatureSet | null {
  installRowFileReader();
  const fd = openSync(path, 'r');
  let layout: ReturnType<typeof littleFloat32Layout>;
  let size: number;
  try {
    size = fstatSync(fd).size;
    const head = new Uint8Array(Math.min(size, 65_536 + 10));
    readFully(fd, path, head, 0);
    layout = littleFloat32Layout(head);
  } finally {
    closeSync(fd);
  }
  if (!layout) return null;
  const { shape, start } = layout;
  let n: number, dim: number;
  if (shape.length === 1) { n = shape[0]; dim = 1; }
  else if (shape.length === 2) { n = shape[0]; dim = shape[1]; }
  else throw new InputError(`the .npy array has shape (${shape.join(', ')}); expected 1-D (n) or 2-D (n, d)`);
  if (n === 0) throw new InputError('the .npy array has no rows (empty set)');
  if (dim === 0) throw new InputError('the .npy array has no columns');
  if (size - start < n * dim * 4) return null; // truncated: the in-memory reader says so
  checkRows(n);
  const fs = streamedRows({ path, byteOffset: start }, n, dim, opts.ids ?? Array.from({ length: n }, (_, i) => String(i)), opts.labels ?? null);
  forEachRowBlock(fs, blockRows(dim), (x, first) => {
    for (let p = 0; p < x.length; p++) {
      if (!Number.isFinite(x[p])) {
        throw new InputError(`row ${first + Math.floor(p / dim) + 1}, column ${(p % dim) + 1}: value ${x[p]} is not a finite number (NaN and Infinity are not allowed)`);
      }
    }
  });
  return fs;
}

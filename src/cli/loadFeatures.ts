/**
 * Reading feature files from disk for the CLI: .csv (see src/core/features/csv.ts) or .npy
 * (src/core/features/npy.ts). An .npy may have a sibling ids file `<name>.ids.csv` (for
 * `feats.npy`, `feats.ids.csv`) with a `filename` column and optionally a `label` column, one row
 * per array row; without it the ids are row numbers and there are no labels.
 */
import { open, readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { FeatureKind, FeatureSet } from '../core/features/featureSet.ts';
import { InputError, readFeaturesCsv, readIdsCsv } from '../core/features/csv.ts';
import { readFeaturesNpy } from '../core/features/npy.ts';
import { FileError, fsProblem, oneLine } from './errors.ts';
import { openNpyRows } from './rowFile.ts';

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path); // a Buffer is a Uint8Array: no copy (the .npy reader may keep a view on it)
  } catch (e) {
    throw new FileError(path, fsProblem(e));
  }
}

/**
 * The file's bytes on a SharedArrayBuffer. The .npy reader keeps a view on them for float32
 * files, so the feature set is already in shared memory and the engine's worker threads read it
 * without shareSet() copying it (at 100,000 x 1,280 that copy was 488 MiB held beside the
 * original while it was made).
 */
export async function readBytesShared(path: string): Promise<Uint8Array> {
  let fh: Awaited<ReturnType<typeof open>> | null = null;
  try {
    fh = await open(path, 'r');
    const size = (await fh.stat()).size;
    const out = new Uint8Array(new SharedArrayBuffer(size));
    // fs reads into a Buffer view of the shared memory (Node's read refuses a SharedArrayBuffer-backed Uint8Array)
    const view = Buffer.from(out.buffer, 0, size);
    let done = 0;
    while (done < size) {
      const { bytesRead } = await fh.read(view, done, Math.min(size - done, 1 << 26), done);
      if (bytesRead === 0) throw new Error(`file shrank while being read (${done} of ${size} bytes)`);
      done += bytesRead;
    }
    return out;
  } catch (e) {
    throw new FileError(path, fsProblem(e));
  } finally {
    await fh?.close();
  }
}

/** The sibling ids file of an .npy path. */
export function idsPathFor(npyPath: string): string {
  return npyPath.slice(0, npyPath.length - extname(npyPath).length) + '.ids.csv';
}

/** The ids and labels of an .npy path's sibling ids file, or nulls when there is none. */
async function readIdsFor(path: string): Promise<{ ids: string[] | undefined; labels: string[] | null }> {
  const idsPath = idsPathFor(path);
  let idsText: string | null = null;
  try {
    idsText = new TextDecoder('utf-8').decode(await readFile(idsPath));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new FileError(idsPath, fsProblem(e));
  }
  if (idsText === null) return { ids: undefined, labels: null };
  try {
    return readIdsCsv(idsText);
  } catch (e) {
    if (e instanceof InputError) throw new FileError(idsPath, e.message);
    throw e;
  }
}

export interface LoadOptions {
  /**
   * Leave a little-endian float32 .npy in its file and read its rows a block at a time
   * (rowFile.ts; the metrics then hold no copy of the set). Other files are read into memory.
   */
  stream?: boolean;
}

/** Read one feature file; every problem is a FileError naming the file. */
export async function loadFeatureFile(path: string, kind: FeatureKind, opts: LoadOptions = {}): Promise<FeatureSet> {
  const ext = extname(path).toLowerCase();
  if (ext !== '.csv' && ext !== '.npy') throw new FileError(path, `unsupported file type "${ext || '(none)'}"; expected .csv or .npy`);
  const named = ext === '.npy' ? await readIdsFor(path) : null;
  const checkIds = (n: number) => {
    if (named?.ids && named.ids.length !== n) throw new FileError(idsPathFor(path), `has ${named.ids.length} rows, ${basename(path)} has ${n}`);
  };
  if (ext === '.npy' && kind === 'continuous' && opts.stream) {
    try {
      // the ids file's row count is checked against the header before the rows are read through
      const fs = openNpyRows(path, { ids: named!.ids, labels: named!.labels }, checkIds);
      if (fs) return fs;
    } catch (e) {
      if (e instanceof FileError) throw e;
      if (e instanceof InputError) throw new FileError(path, oneLine(e.message));
      throw new FileError(path, fsProblem(e));
    }
  }
  // .npy on shared memory when this Node has it (see readBytesShared); .csv values are parsed into new arrays anyway
  const bytes = ext === '.npy' && typeof SharedArrayBuffer === 'function' ? await readBytesShared(path) : await readBytes(path);
  try {
    if (ext === '.csv') {
      const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      return readFeaturesCsv(text, { kind });
    }
    const fs = readFeaturesNpy(bytes, { kind });
    checkIds(fs.n);
    return named!.ids ? { ...fs, ids: named!.ids, labels: named!.labels } : fs;
  } catch (e) {
    if (e instanceof InputError) throw new FileError(path, oneLine(e.message));
    if ((e as NodeJS.ErrnoException)?.code === 'ERR_ENCODING_INVALID_ENCODED_DATA') throw new FileError(path, 'not UTF-8 text');
    throw e;
  }
}

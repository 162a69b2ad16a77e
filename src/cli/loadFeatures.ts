/**
 * Reading feature files from disk for the CLI: .csv (see src/core/features/csv.ts) or .npy
 * (src/core/features/npy.ts). An .npy may have a sibling ids file `<name>.ids.csv` (for
 * `feats.npy`, `feats.ids.csv`) with a `filename` column and optionally a `label` column, one row
 * per array row; without it the ids are row numbers and there are no labels.
 */
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { FeatureKind, FeatureSet } from '../core/features/featureSet.ts';
import { InputError, readFeaturesCsv, readIdsCsv } from '../core/features/csv.ts';
import { readFeaturesNpy } from '../core/features/npy.ts';
import { FileError, fsProblem, oneLine } from './errors.ts';

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path); // a Buffer is a Uint8Array: no copy (the .npy reader may keep a view on it)
  } catch (e) {
    throw new FileError(path, fsProblem(e));
  }
}

/** The sibling ids file of an .npy path. */
export function idsPathFor(npyPath: string): string {
  return npyPath.slice(0, npyPath.length - extname(npyPath).length) + '.ids.csv';
}

/** Read one feature file; every problem is a FileError naming the file. */
export async function loadFeatureFile(path: string, kind: FeatureKind): Promise<FeatureSet> {
  const ext = extname(path).toLowerCase();
  if (ext !== '.csv' && ext !== '.npy') throw new FileError(path, `unsupported file type "${ext || '(none)'}"; expected .csv or .npy`);
  const bytes = await readBytes(path);
  try {
    if (ext === '.csv') {
      const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      return readFeaturesCsv(text, { kind });
    }
    const idsPath = idsPathFor(path);
    let ids: string[] | undefined;
    let labels: string[] | null = null;
    let idsText: string | null = null;
    try {
      idsText = new TextDecoder('utf-8').decode(await readFile(idsPath));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new FileError(idsPath, fsProblem(e));
    }
    if (idsText !== null) {
      try {
        ({ ids, labels } = readIdsCsv(idsText));
      } catch (e) {
        if (e instanceof InputError) throw new FileError(idsPath, e.message);
        throw e;
      }
    }
    const fs = readFeaturesNpy(bytes, { kind });
    if (ids && ids.length !== fs.n) throw new FileError(idsPath, `has ${ids.length} rows, ${basename(path)} has ${fs.n}`);
    return ids ? { ...fs, ids, labels } : fs;
  } catch (e) {
    if (e instanceof InputError) throw new FileError(path, oneLine(e.message));
    if ((e as NodeJS.ErrnoException)?.code === 'ERR_ENCODING_INVALID_ENCODED_DATA') throw new FileError(path, 'not UTF-8 text');
    throw e;
  }
}

/**
 * The dataset model: an image set is a folder; a class is a first-level subfolder.
 *
 * - Input: a flat list of entries {path, size, read()} with paths relative to the set's folder and
 *   '/'-separated, so browser File objects (./browser.ts) and Node files (./node.ts) feed the same code.
 * - Labels: a file at depth >= 2 takes the name of its first folder as its label (deeper folders are
 *   walked and keep that label); files directly in the root have label null (one unlabelled class).
 * - Ignored silently (never listed): hidden and system files: any path part starting with '.'
 *   (dotfiles, dot-folders, '._' AppleDouble files, .DS_Store), '__MACOSX' folders, Thumbs.db,
 *   ehthumbs.db, desktop.ini and Icon\r (case-insensitive).
 * - Everything else is either used or listed in `skipped` with its reason: zero bytes and files over
 *   MAX_FILE_BYTES at listing time; not an image / corrupt / unsupported / too large when decoded.
 * - Order: paths sorted by Unicode code point (not UTF-16 code unit), so it is the same everywhere.
 */
import { decodeImage, imageId } from './decode.ts';
import { DecodeError, errorText, MAX_FILE_BYTES, type DecodedImage, type SkipCode } from './types.ts';

export interface FileEntry {
  /** Relative to the set's folder, '/'-separated. */
  path: string;
  /**
   * Bytes, or null when not known at listing time (a browser folder pick: reading File.size costs a round trip
   * to the browser process per file, about 45 s of frozen page for 100,000 files). Without a size, an empty or
   * too large file is refused when it is read (the pipeline and decodeImage), with the same reason.
   */
  size: number | null;
  read(): Promise<Uint8Array>;
}

export interface DatasetFile {
  path: string;
  /** First-level folder name, or null for files in the root. */
  label: string | null;
  size: number | null;
  entry: FileEntry;
}

export interface SkippedFile {
  path: string;
  code: SkipCode;
  reason: string;
}

export interface Dataset {
  name: string;
  /** Usable candidates, sorted by path. */
  files: DatasetFile[];
  /** Files refused while listing (empty, too large), sorted by path. Decoding adds more (see loadFile). */
  skipped: SkippedFile[];
  /** Distinct labels (sorted), without null. */
  classes: string[];
  /** True when some files sit in the root (label null). */
  hasUnlabelled: boolean;
  /** Number of hidden / system entries ignored. */
  ignored: number;
}

const SYSTEM_FILES = new Set(['thumbs.db', 'ehthumbs.db', 'desktop.ini', 'icon\r']);

/** Normalises separators and strips leading './' and '/'. */
export function normalizePath(p: string): string {
  return p
    .replace(/\\/g, '/')
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .join('/');
}

/** True for hidden and system files (see the module comment). */
export function isIgnoredPath(path: string): boolean {
  const parts = normalizePath(path).split('/');
  for (const p of parts) if (p.startsWith('.') || p === '__MACOSX') return true;
  return SYSTEM_FILES.has(parts[parts.length - 1].toLowerCase());
}

/** Code-point order (String.prototype.localeCompare is locale-dependent and `<` compares UTF-16 units). */
export function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}

export function labelOf(path: string): string | null {
  const parts = normalizePath(path).split('/');
  return parts.length >= 2 ? parts[0] : null;
}

function formatBytes(n: number): string {
  return n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(0)} MiB` : `${n} bytes`;
}

/** Builds the dataset from a listing (reads nothing). */
export function buildDataset(name: string, entries: FileEntry[]): Dataset {
  const files: DatasetFile[] = [];
  const skipped: SkippedFile[] = [];
  let ignored = 0;
  const sorted = entries
    .map((e) => ({ e, path: normalizePath(e.path) }))
    .sort((a, b) => compareCodePoints(a.path, b.path));
  for (const { e, path } of sorted) {
    if (path === '' || isIgnoredPath(path)) {
      ignored++;
      continue;
    }
    if (e.size === 0) {
      skipped.push({ path, code: 'empty', reason: 'empty file (0 bytes)' });
      continue;
    }
    if (e.size !== null && e.size > MAX_FILE_BYTES) {
      skipped.push({ path, code: 'too-large', reason: `too large to decode: ${formatBytes(e.size)} file` });
      continue;
    }
    files.push({ path, label: labelOf(path), size: e.size, entry: e });
  }
  const classes = [...new Set(files.map((f) => f.label).filter((l): l is string => l !== null))].sort(compareCodePoints);
  return { name, files, skipped, classes, hasUnlabelled: files.some((f) => f.label === null), ignored };
}

export interface LoadedImage {
  /** `path`, or `path#frame` (1-based) for multi-frame files. */
  id: string;
  path: string;
  label: string | null;
  image: DecodedImage;
}

export type LoadResult =
  | { path: string; label: string | null; images: LoadedImage[] }
  | { path: string; label: string | null; skipped: SkippedFile };

/** Reads and decodes one file; a failure becomes a SkippedFile with its reason (never a throw). */
export async function loadFile(file: DatasetFile): Promise<LoadResult> {
  const { path, label } = file;
  let bytes: Uint8Array;
  try {
    bytes = await file.entry.read();
  } catch (e) {
    return { path, label, skipped: { path, code: 'corrupt', reason: `could not be read: ${errorText(e)}` } };
  }
  try {
    const decoded = await decodeImage(bytes, path);
    return { path, label, images: decoded.map((image) => ({ id: imageId(path, image), path, label, image })) };
  } catch (e) {
    const err = e instanceof DecodeError ? e : new DecodeError('corrupt', `corrupt: ${errorText(e)}`);
    return { path, label, skipped: { path, code: err.code, reason: err.reason } };
  }
}

/**
 * Decodes every file in order, one at a time (memory stays at one file). Yields one result per file;
 * stops with an AbortError when the signal fires.
 */
export async function* loadDataset(ds: Dataset, opts: { signal?: AbortSignal } = {}): AsyncGenerator<LoadResult> {
  for (const f of ds.files) {
    opts.signal?.throwIfAborted();
    yield await loadFile(f);
  }
}

/** All skipped files of a run (listing + decoding), sorted by path. */
export function mergeSkipped(...lists: SkippedFile[][]): SkippedFile[] {
  return lists.flat().sort((a, b) => compareCodePoints(a.path, b.path));
}

/** A set chosen in the start screen: its files and the dataset built from their listing. */
import { buildDataset, type Dataset, type FileEntry } from '../../imaging/dataset.ts';
import type { PickedFolder } from './folderDrop.ts';
import type { FileSource } from '../../app/fileSource.ts';
import type { SetInput } from '../../app/runner.ts';
import type { SetRole } from '../../app/types.ts';
import { fmtCount } from '../results/format.ts';

export interface ChosenSet {
  /** Stable key for lists. */
  key: string;
  name: string;
  dataset: Dataset;
  files: FileSource;
}

let counter = 0;

/**
 * A picked file's listing entry. No File.size: for a folder pick each read is a synchronous round trip to the
 * browser process (4 s per 10,000 files on the page's thread); empty and too large files are refused when the
 * pipeline reads them. read() is a method, not a closure per file (a pick may list 100,000 files).
 */
class PickedEntry implements FileEntry {
  readonly size = null;
  constructor(
    readonly path: string,
    private readonly files: FileSource,
  ) {}
  async read(): Promise<Uint8Array> {
    return new Uint8Array(await (await this.files.open(this.path)).arrayBuffer());
  }
}

export function chosenSet(folder: PickedFolder, name = folder.name): ChosenSet {
  const dataset = buildDataset(name, folder.paths.map((p) => new PickedEntry(p, folder.files)));
  return { key: `set-${++counter}`, name, dataset, files: folder.files };
}

export function toSetInput(s: ChosenSet, role: SetRole): SetInput {
  // Dataset paths are normalised, as the keys of s.files: the run looks its files up there (a map of 100,000
  // files is not copied for each run; its extra entries, hidden files the listing ignored, are never asked for).
  return { name: s.name, role, dataset: { ...s.dataset, name: s.name }, files: s.files };
}

/** Images per class label ('(no class folder)' for files in the root). */
export function classCountsOf(s: ChosenSet): [string, number][] {
  const m = new Map<string, number>();
  for (const f of s.dataset.files) {
    const l = f.label ?? '(no class folder)';
    m.set(l, (m.get(l) ?? 0) + 1);
  }
  return [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/** A name not already used by `taken`. */
export function uniqueName(name: string, taken: string[]): string {
  if (!taken.includes(name)) return name;
  for (let i = 2; ; i++) if (!taken.includes(`${name} (${i})`)) return `${name} (${i})`;
}

/** Tab memory a picked File holds for the session in Chromium (docs/scale.md, "Tab memory per image"). */
export const HELD_FILE_BYTES = 2.6 * 1024;
/** From this many files a set held as File objects says what it costs. */
export const HELD_FILES_NOTE_FROM = 10_000;

/**
 * For a large set held as File objects (picked through the folder input): what it costs the tab, and how to avoid
 * it. Null for a set held as a folder (a handle or a dropped folder's entry) or a small one.
 */
export function heldFilesNote(files: number, heldAsFolder: boolean): string | null {
  if (heldAsFolder || files < HELD_FILES_NOTE_FROM) return null;
  const mib = Math.round((files * HELD_FILE_BYTES) / 1048576);
  return (
    `Picked through the folder input, this set is held as ${fmtCount(files)} file objects for the whole session, ` +
    `about ${fmtCount(mib)} MiB of this tab's memory. For very large sets, remove this set and drop its folder onto the box instead: ` +
    'the page then keeps only the file names and reads each image when it needs it.'
  );
}

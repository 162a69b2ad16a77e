/**
 * Browser: dataset entries from picked or dropped files. Paths come from `webkitRelativePath`
 * (folder picker: "set/class/img.png") with the set's own folder stripped, or from the name alone.
 */
import type { FileEntry } from './dataset.ts';

export interface FileLike {
  name: string;
  size: number;
  webkitRelativePath?: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/**
 * Entries for one set. When every file shares a first folder (a picked folder), that folder is the set
 * and is removed from the paths; its name is returned as `root`.
 */
export function entriesFromFiles(files: Iterable<FileLike>): { root: string | null; entries: FileEntry[] } {
  const list = [...files];
  const paths = list.map((f) => (f.webkitRelativePath || f.name).replace(/\\/g, '/'));
  const firsts = new Set(paths.map((p) => (p.includes('/') ? p.slice(0, p.indexOf('/')) : null)));
  const root = firsts.size === 1 && !firsts.has(null) ? [...firsts][0] : null;
  const entries = list.map((f, i) => ({
    path: root ? paths[i].slice(root.length + 1) : paths[i],
    size: f.size,
    read: async () => new Uint8Array(await f.arrayBuffer()),
  }));
  return { root, entries };
}

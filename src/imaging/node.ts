/**
 * Node-only: lists a folder as dataset entries (used by the CLI and tests; never imported by browser code).
 * Symbolic links are followed for files, not for folders (no cycles). Hidden / system entries are still
 * listed here; buildDataset() ignores them, so both front ends apply the same rule.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FileEntry } from './dataset.ts';

export async function walkDirectory(dir: string): Promise<FileEntry[]> {
  const out: FileEntry[] = [];
  async function walk(abs: string, rel: string): Promise<void> {
    const items = await readdir(abs, { withFileTypes: true });
    for (const it of items) {
      const a = join(abs, it.name);
      const r = rel ? `${rel}/${it.name}` : it.name;
      if (it.isDirectory()) {
        await walk(a, r);
      } else if (it.isFile() || it.isSymbolicLink()) {
        const st = await stat(a).catch(() => null);
        if (!st || !st.isFile()) continue;
        out.push({
          path: r,
          size: st.size,
          read: async () => {
            const buf = await readFile(a);
            return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
          },
        });
      }
    }
  }
  await walk(dir, '');
  return out;
}

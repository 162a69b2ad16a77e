/**
 * Folders held as handles (src/app/fileSource.ts) and the three ways a folder comes in (src/ui/setup/folderDrop.ts),
 * on an in-memory stand-in for the File System Access API's handles that counts its lookups.
 */
import { describe, expect, it } from 'vitest';
import { BlobFiles, DirectoryFiles, listDirectory, type DirectoryHandle, type FileHandle } from '../../../src/app/fileSource.ts';
import { folderFromHandle, folderFromInput, foldersFromDrop } from '../../../src/ui/setup/folderDrop.ts';
import { chosenSet } from '../../../src/ui/setup/setModel.ts';

type Tree = { [name: string]: Tree | string };

interface Counts {
  dirLookups: number;
  fileLookups: number;
  getFile: number;
  listings: number;
}

function notFound(name: string): DOMException {
  return new DOMException(`A requested file or directory could not be found at the time an operation was processed. (${name})`, 'NotFoundError');
}

/** A directory handle over `tree` (strings are file contents); edits to `tree` show, as on disk. */
function fakeDir(name: string, tree: Tree, counts: Counts): DirectoryHandle {
  const fileHandle = (fname: string): FileHandle => ({
    kind: 'file',
    name: fname,
    async getFile() {
      counts.getFile++;
      const body = tree[fname];
      if (typeof body !== 'string') throw notFound(fname);
      return new File([body], fname);
    },
  });
  return {
    kind: 'directory',
    name,
    values() {
      counts.listings++;
      const names = Object.keys(tree);
      return (async function* () {
        for (const n of names) yield typeof tree[n] === 'string' ? fileHandle(n) : fakeDir(n, tree[n] as Tree, counts);
      })();
    },
    async getDirectoryHandle(n: string) {
      counts.dirLookups++;
      const sub = tree[n];
      if (!sub || typeof sub === 'string') throw notFound(n);
      return fakeDir(n, sub, counts);
    },
    async getFileHandle(n: string) {
      counts.fileLookups++;
      if (typeof tree[n] !== 'string') throw notFound(n);
      return fileHandle(n);
    },
  };
}

const zero = (): Counts => ({ dirLookups: 0, fileLookups: 0, getFile: 0, listings: 0 });
const text = async (b: Blob) => new TextDecoder().decode(await b.arrayBuffer());

describe('listDirectory', () => {
  it('lists every file under the folder, relative to it, with a running count', async () => {
    const tree: Tree = { 'a.png': '1', normal: { 'n1.png': '2', deep: { 'n2.png': '3' } }, effusion: { 'e1.png': '4' } };
    const counts: number[] = [];
    const paths = await listDirectory(fakeDir('real', tree, zero()), (n) => counts.push(n));
    expect(paths.sort()).toEqual(['a.png', 'effusion/e1.png', 'normal/deep/n2.png', 'normal/n1.png']);
    expect(counts.at(-1)).toBe(4);
  });

  it('reports every 1,000 files while listing a large folder', async () => {
    const cls: Tree = {};
    for (let i = 0; i < 2500; i++) cls[`img_${i}.png`] = 'x';
    const counts: number[] = [];
    await listDirectory(fakeDir('big', { cls }, zero()), (n) => counts.push(n));
    expect(counts).toEqual([1000, 2000, 2500]);
  });
});

describe('DirectoryFiles', () => {
  it('opens each file through the handles when asked, looking each folder up once', async () => {
    const tree: Tree = { 'a.png': 'root file', normal: { 'n1.png': 'n1', 'n2.png': 'n2', deep: { 'n3.png': 'n3' } } };
    const c = zero();
    const root = fakeDir('real', tree, c);
    const files = new DirectoryFiles(root, await listDirectory(root));
    expect(c.getFile).toBe(0); // listing opens no file
    expect(files.list()).toHaveLength(4);
    expect(files.has('normal/deep/n3.png')).toBe(true);
    expect(files.has('normal/n9.png')).toBe(false);
    expect(await text(await files.open('a.png'))).toBe('root file');
    expect(await Promise.all(['normal/n1.png', 'normal/n2.png', 'normal/deep/n3.png'].map(async (p) => text(await files.open(p))))).toEqual(['n1', 'n2', 'n3']);
    expect(await text(await files.open('normal/n1.png'))).toBe('n1');
    // 'normal' and 'normal/deep' once each, however many files are opened in them
    expect(c.dirLookups).toBe(2);
    expect(c.fileLookups).toBe(5);
    expect(c.getFile).toBe(5);
  });

  it('reads a file as it is now, and fails with the browser\'s message for one deleted since the pick', async () => {
    const normal: Tree = { 'n1.png': 'before' };
    const root = fakeDir('real', { normal }, zero());
    const files = new DirectoryFiles(root, await listDirectory(root));
    normal['n1.png'] = 'after';
    expect(await text(await files.open('normal/n1.png'))).toBe('after');
    delete normal['n1.png'];
    await expect(files.open('normal/n1.png')).rejects.toThrow(/could not be found/);
    await expect(files.open('normal/other.png')).rejects.toThrow('normal/other.png is not one of the picked files');
  });

  it('asks again for a folder whose lookup failed (moved away and back)', async () => {
    const tree: Tree = { cls: { 'x.png': 'x' } };
    const c = zero();
    const root = fakeDir('real', tree, c);
    const files = new DirectoryFiles(root, await listDirectory(root));
    const moved = tree.cls;
    delete tree.cls;
    await expect(files.open('cls/x.png')).rejects.toThrow(/could not be found/);
    tree.cls = moved;
    expect(await text(await files.open('cls/x.png'))).toBe('x');
    expect(c.dirLookups).toBe(2);
  });

  it('keeps the names as listed for paths that normalising changes (a backslash in a name)', async () => {
    const tree: Tree = { cls: { 'a\\b.png': 'odd name' } };
    const root = fakeDir('real', tree, zero());
    const files = new DirectoryFiles(root, await listDirectory(root));
    expect(files.list()).toEqual(['cls/a/b.png']);
    expect(await text(await files.open('cls/a/b.png'))).toBe('odd name');
  });
});

describe('folders in', () => {
  it('a folder handle becomes a set whose dataset reads its files through the handle', async () => {
    const tree: Tree = { normal: { 'n1.png': 'N1', '.DS_Store': 'junk' }, effusion: { 'e1.png': 'E1' } };
    const c = zero();
    const folder = await folderFromHandle(fakeDir('scans', tree, c));
    expect(folder.name).toBe('scans');
    expect(folder.files).toBeInstanceOf(DirectoryFiles);
    const set = chosenSet(folder);
    expect(set.dataset.files.map((f) => [f.path, f.label]).sort()).toEqual([
      ['effusion/e1.png', 'effusion'],
      ['normal/n1.png', 'normal'],
    ]);
    expect(c.getFile).toBe(0);
    expect(await text(await set.files.open('effusion/e1.png'))).toBe('E1');
    expect(await text(await set.files.open('normal/n1.png'))).toBe('N1');
  });

  it('a drop with file system handles gives handle-backed folders, loose files held as files', async () => {
    const c = zero();
    const dir = fakeDir('synthetic', { cls: { 's.png': 'S' } }, c);
    const loose: FileHandle = { kind: 'file', name: 'loose.png', getFile: async () => new File(['L'], 'loose.png') };
    let entryCalls = 0;
    const item = (h: unknown) => ({ kind: 'file', getAsFileSystemHandle: () => Promise.resolve(h), webkitGetAsEntry: () => (entryCalls++, null) });
    const dt = { items: [item(dir), item(loose)], files: [] } as unknown as DataTransfer;
    const folders = await foldersFromDrop(dt);
    expect(folders.map((f) => [f.name, f.paths])).toEqual([
      ['synthetic', ['cls/s.png']],
      ['dropped files', ['loose.png']],
    ]);
    expect(folders[0].files).toBeInstanceOf(DirectoryFiles);
    expect(folders[1].files).toBeInstanceOf(BlobFiles);
    expect(await text(await folders[0].files.open('cls/s.png'))).toBe('S');
    expect(await text(await folders[1].files.open('loose.png'))).toBe('L');
    // both were asked for before the first await, as a drop requires
    expect(entryCalls).toBe(2);
  });

  it('a drop without handles is held as its FileSystemDirectoryEntry: listed now, each file got when read', async () => {
    // A stand-in for the FileSystemEntry API as browsers give it for drops: readEntries in batches of at most two
    // (browsers give about 100) until an empty one; getDirectory / getFile by name, a DOMException when missing.
    let fileCalls = 0;
    type Fake = { isFile: boolean; isDirectory: boolean; name: string; [k: string]: unknown };
    const fileEntry = (name: string, body: string): Fake => ({
      isFile: true, isDirectory: false, name, file: (ok: (f: File) => void) => (fileCalls++, ok(new File([body], name))),
    });
    const dirEntry = (name: string, children: Fake[]): Fake => ({
      isFile: false,
      isDirectory: true,
      name,
      createReader: () => {
        let at = 0;
        return { readEntries: (ok: (b: Fake[]) => void) => { const batch = children.slice(at, at + 2); at += batch.length; setTimeout(() => ok(batch)); } };
      },
      getDirectory: (n: string, _o: unknown, ok: (d: Fake) => void, fail: (e: unknown) => void) => {
        const d = children.find((c) => c.name === n && c.isDirectory);
        if (d) ok(d); else fail(new DOMException(`A requested file or directory could not be found: ${n}`, 'NotFoundError'));
      },
      getFile: (n: string, _o: unknown, ok: (f: Fake) => void, fail: (e: unknown) => void) => {
        const f = children.find((c) => c.name === n && c.isFile);
        if (f) ok(f); else fail(new DOMException(`A requested file or directory could not be found: ${n}`, 'NotFoundError'));
      },
    });
    const normal = [fileEntry('a.png', 'A'), fileEntry('c.png', 'C'), fileEntry('d.png', 'D')];
    const real = dirEntry('real', [dirEntry('normal', normal), fileEntry('b.png', 'B')]);
    const counts: number[] = [];
    const dt = { items: [{ kind: 'file', webkitGetAsEntry: () => real }], files: [] } as unknown as DataTransfer;
    const [folder] = await foldersFromDrop(dt, (n) => counts.push(n));
    expect(folder.name).toBe('real');
    expect(folder.paths.sort()).toEqual(['b.png', 'normal/a.png', 'normal/c.png', 'normal/d.png']);
    expect(counts.at(-1)).toBe(4);
    // held as a directory, not as Files: nothing was got while listing
    expect(folder.files).toBeInstanceOf(DirectoryFiles);
    expect((folder.files as DirectoryFiles).keepable).toBe(false);
    expect(fileCalls).toBe(0);
    expect(await text(await folder.files.open('normal/d.png'))).toBe('D');
    expect(await text(await folder.files.open('b.png'))).toBe('B');
    expect(fileCalls).toBe(2);
    // a file gone since the drop fails with the browser's message
    normal.splice(0, 1);
    await expect(folder.files.open('normal/a.png')).rejects.toThrow(/could not be found: a\.png/);
    await expect(folder.files.open('normal/zzz.png')).rejects.toThrow(/is not one of the picked files/);
  });

  it('an <input webkitdirectory> pick keeps its files under paths without the picked folder', async () => {
    const f = (rel: string, body: string) => Object.assign(new File([body], rel.split('/').pop()!), { webkitRelativePath: rel });
    const list = [f('real/normal/a.png', 'A'), f('real/b.png', 'B')] as unknown as FileList;
    const folder = folderFromInput(list);
    expect(folder.name).toBe('real');
    expect(folder.paths).toEqual(['normal/a.png', 'b.png']);
    expect(await text(await folder.files.open('b.png'))).toBe('B');
  });
});

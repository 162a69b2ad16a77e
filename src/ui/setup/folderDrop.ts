/**
 * Folder input for the browser: files from a drop (walking dropped folders recursively through the
 * FileSystemEntry API) or from an <input webkitdirectory> pick, as {path, file} with paths relative to the
 * dropped / picked folder. One dropped folder = one image set; its name is the set's default name.
 */
export interface PickedFile {
  path: string;
  file: File;
}

export interface PickedFolder {
  name: string;
  files: PickedFile[];
}

function readAllEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  // readEntries returns at most ~100 entries per call: call until it returns none.
  return new Promise((resolve, reject) => {
    const out: FileSystemEntry[] = [];
    const next = () =>
      reader.readEntries((batch) => {
        if (batch.length === 0) resolve(out);
        else {
          out.push(...batch);
          next();
        }
      }, reject);
    next();
  });
}

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

async function walk(entry: FileSystemEntry, prefix: string, out: PickedFile[]): Promise<void> {
  if (entry.isFile) {
    out.push({ path: prefix + entry.name, file: await fileOf(entry as FileSystemFileEntry) });
  } else if (entry.isDirectory) {
    const children = await readAllEntries((entry as FileSystemDirectoryEntry).createReader());
    for (const c of children) await walk(c, `${prefix}${entry.name}/`, out);
  }
}

/**
 * Folders from a drop. Each dropped folder becomes one PickedFolder (paths relative to it); loose dropped
 * files are gathered into one folder named after the first of them.
 */
export async function foldersFromDrop(dt: DataTransfer): Promise<PickedFolder[]> {
  const entries = [...dt.items]
    .filter((i) => i.kind === 'file')
    .map((i) => i.webkitGetAsEntry?.())
    .filter((e): e is FileSystemEntry => !!e);
  const folders: PickedFolder[] = [];
  const loose: PickedFile[] = [];
  for (const e of entries) {
    if (e.isDirectory) {
      const files: PickedFile[] = [];
      const children = await readAllEntries((e as FileSystemDirectoryEntry).createReader());
      for (const c of children) await walk(c, '', files);
      folders.push({ name: e.name, files });
    } else {
      loose.push({ path: e.name, file: await fileOf(e as FileSystemFileEntry) });
    }
  }
  if (entries.length === 0 && dt.files.length > 0) {
    for (const f of dt.files) loose.push({ path: f.name, file: f });
  }
  if (loose.length) folders.push({ name: 'dropped files', files: loose });
  return folders;
}

/** The folder picked with <input type="file" webkitdirectory>: paths are "folder/...", the folder is the set. */
export function folderFromInput(list: FileList): PickedFolder {
  const files = [...list];
  const rel = files.map((f) => (f.webkitRelativePath || f.name).replace(/\\/g, '/'));
  const firsts = new Set(rel.map((p) => (p.includes('/') ? p.slice(0, p.indexOf('/')) : '')));
  const root = firsts.size === 1 && !firsts.has('') ? [...firsts][0] : '';
  return {
    name: root || 'selected files',
    files: files.map((file, i) => ({ path: root ? rel[i].slice(root.length + 1) : rel[i], file })),
  };
}

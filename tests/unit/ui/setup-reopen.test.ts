/**
 * Reopening the last run's folders after a reload (src/ui/setup/reopen.ts): read permission asked for only when the
 * page no longer has it, a prompt refused for want of a click waits for the next one, and a folder that is gone or
 * not allowed is reported by name, on a stand-in for FileSystemDirectoryHandle with the permission methods.
 */
import { describe, expect, it } from 'vitest';
import type { DirectoryHandle, FileHandle } from '../../../src/app/fileSource.ts';
import type { SavedSet } from '../../../src/store/lastSetup.ts';
import { readPermission, reopenSet } from '../../../src/ui/setup/reopen.ts';

type Tree = { [name: string]: Tree | string };

interface Permissions {
  query: PermissionState;
  /** What requestPermission answers, or the error it throws. */
  request: PermissionState | Error;
  asked: { query: string[]; request: string[] };
}

function dir(name: string, tree: Tree | null, perm?: Permissions): DirectoryHandle {
  const missing = () => new DOMException(`${name} could not be found`, 'NotFoundError');
  const h = {
    kind: 'directory' as const,
    name,
    values() {
      if (!tree) throw missing();
      const t = tree;
      return (async function* () {
        for (const [n, v] of Object.entries(t)) {
          if (typeof v === 'string') yield { kind: 'file', name: n, getFile: async () => new File([v], n) } as FileHandle;
          else yield dir(n, v);
        }
      })();
    },
    async getDirectoryHandle(n: string) {
      const sub = tree?.[n];
      if (!sub || typeof sub === 'string') throw missing();
      return dir(n, sub);
    },
    async getFileHandle(n: string): Promise<FileHandle> {
      const body = tree?.[n];
      if (typeof body !== 'string') throw missing();
      return { kind: 'file', name: n, getFile: async () => new File([body], n) };
    },
  };
  if (!perm) return h;
  return Object.assign(h, {
    async queryPermission(d: { mode: string }) {
      perm.asked.query.push(d.mode);
      return perm.query;
    },
    async requestPermission(d: { mode: string }) {
      perm.asked.request.push(d.mode);
      if (perm.request instanceof Error) throw perm.request;
      return perm.request;
    },
  });
}

const perms = (query: PermissionState, request: PermissionState | Error): Permissions => ({ query, request, asked: { query: [], request: [] } });
const tree: Tree = { normal: { 'a.png': '1', 'b.png': '2' }, effusion: { 'c.png': '3' } };
const saved = (handle: DirectoryHandle | null, name = 'chest-real'): SavedSet => ({ role: 'real', name, files: 3, handle });
const noActivation = () => new DOMException('User activation is required to request permissions.', 'SecurityError');

describe('readPermission', () => {
  it('does not prompt when the page still has read permission', async () => {
    const p = perms('granted', 'denied');
    expect(await readPermission(dir('real', tree, p))).toBe('granted');
    expect(p.asked).toEqual({ query: ['read'], request: [] });
  });

  it('prompts for read access when the permission lapsed, and takes the answer', async () => {
    const yes = perms('prompt', 'granted');
    expect(await readPermission(dir('real', tree, yes))).toBe('granted');
    expect(yes.asked).toEqual({ query: ['read'], request: ['read'] });
    expect(await readPermission(dir('real', tree, perms('prompt', 'denied')))).toBe('denied');
    expect(await readPermission(dir('real', tree, perms('denied', 'denied')))).toBe('denied');
  });

  it('says a click is needed when the browser refuses to prompt without a user gesture', async () => {
    expect(await readPermission(dir('real', tree, perms('prompt', noActivation())))).toBe('needs-click');
    await expect(readPermission(dir('real', tree, perms('prompt', new TypeError('broken'))))).rejects.toThrow('broken');
  });

  it('tries a handle without the permission methods', async () => {
    expect(await readPermission(dir('real', tree))).toBe('granted');
  });
});

describe('reopenSet', () => {
  it('lists the folder again under the set name of the run, with a running count', async () => {
    const counts: number[] = [];
    const out = await reopenSet(saved(dir('real', tree, perms('prompt', 'granted')), 'renamed set'), (n) => counts.push(n));
    expect(out.kind).toBe('opened');
    if (out.kind !== 'opened') return;
    expect(out.folder.name).toBe('renamed set');
    expect([...out.folder.paths].sort()).toEqual(['effusion/c.png', 'normal/a.png', 'normal/b.png']);
    expect(counts.at(-1)).toBe(3);
    expect(await new Response(await out.folder.files.open('normal/b.png')).text()).toBe('2');
  });

  it('does not list a folder the user did not allow', async () => {
    const out = await reopenSet(saved(dir('real', tree, perms('prompt', 'denied'))));
    expect(out).toEqual({ kind: 'failed', message: 'Reading chest-real was not allowed. Reopen and allow, or choose the folder again.' });
  });

  it('waits for a click when the prompt needs one', async () => {
    expect(await reopenSet(saved(dir('real', tree, perms('prompt', noActivation()))))).toEqual({ kind: 'needs-click' });
  });

  it('names a folder moved or deleted since, and a set picked through the input', async () => {
    expect(await reopenSet(saved(dir('xray-2026', null, perms('granted', 'granted'))))).toEqual({
      kind: 'failed',
      message: 'The folder xray-2026 is no longer where it was (moved or deleted): choose it again.',
    });
    expect(await reopenSet(saved(null, 'holdout'))).toEqual({
      kind: 'failed',
      message: 'holdout was picked through the folder input or dropped where this browser gives no folder handle, which a page cannot keep: choose it again.',
    });
  });
});

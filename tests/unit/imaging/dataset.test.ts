import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildDataset,
  compareCodePoints,
  isIgnoredPath,
  loadDataset,
  loadFile,
  mergeSkipped,
  normalizePath,
  type FileEntry,
  type LoadResult,
} from '../../../src/imaging/dataset.ts';
import { entriesFromFiles } from '../../../src/imaging/browser.ts';
import { walkDirectory } from '../../../src/imaging/node.ts';
import { fixture } from './patterns.ts';

const entry = (path: string, bytes: Uint8Array | number = 1): FileEntry => {
  const data = typeof bytes === 'number' ? new Uint8Array(bytes) : bytes;
  return { path, size: data.length, read: async () => data };
};

describe('buildDataset (listing only)', () => {
  it('classes are first-level folders, root files are unlabelled, deeper folders keep the label', () => {
    const ds = buildDataset('real', [
      entry('pneumonia/a.png'),
      entry('normal/sub/deeper/b.png'),
      entry('root.png'),
      entry('normal/c.png'),
    ]);
    expect(ds.files.map((f) => [f.path, f.label])).toEqual([
      ['normal/c.png', 'normal'],
      ['normal/sub/deeper/b.png', 'normal'],
      ['pneumonia/a.png', 'pneumonia'],
      ['root.png', null],
    ]);
    expect(ds.classes).toEqual(['normal', 'pneumonia']);
    expect(ds.hasUnlabelled).toBe(true);
  });

  it('hidden and system files are ignored silently, counted', () => {
    const hidden = [
      '.DS_Store', 'cls/.DS_Store', 'cls/Thumbs.db', 'cls/THUMBS.DB', 'desktop.ini', '__MACOSX/cls/._a.png',
      'cls/._a.png', '.git/objects/x', 'cls/.hidden/a.png', '.env',
    ];
    for (const p of hidden) expect(isIgnoredPath(p), p).toBe(true);
    for (const p of ['cls/a.png', 'a.b.png', 'cls/x.DS_Store.png', 'macosx/a.png']) expect(isIgnoredPath(p), p).toBe(false);
    const ds = buildDataset('s', [...hidden.map((p) => entry(p)), entry('cls/a.png')]);
    expect(ds.files.map((f) => f.path)).toEqual(['cls/a.png']);
    expect(ds.skipped).toEqual([]);
    expect(ds.ignored).toBe(hidden.length);
  });

  it('zero-byte and oversized files are listed with their reason, never dropped', () => {
    const huge: FileEntry = { path: 'b/huge.dcm', size: 2 ** 31, read: async () => new Uint8Array(0) };
    const ds = buildDataset('s', [entry('b/empty.png', 0), huge, entry('a/ok.png')]);
    expect(ds.files.map((f) => f.path)).toEqual(['a/ok.png']);
    expect(ds.skipped).toEqual([
      { path: 'b/empty.png', code: 'empty', reason: 'empty file (0 bytes)' },
      { path: 'b/huge.dcm', code: 'too-large', reason: 'too large to decode: 2048 MiB file' },
    ]);
  });

  it('entries without a size (a browser folder pick) are all listed; empty and oversized ones are refused when read', async () => {
    const unsized = (path: string, n: number): FileEntry => ({ path, size: null, read: async () => new Uint8Array(n) });
    const ds = buildDataset('s', [unsized('b/empty.png', 0), unsized('a/ok.png', 3)]);
    expect(ds.files.map((f) => [f.path, f.size])).toEqual([['a/ok.png', null], ['b/empty.png', null]]);
    expect(ds.skipped).toEqual([]);
    const r = await loadFile(ds.files[1]);
    expect('skipped' in r && r.skipped).toEqual({ path: 'b/empty.png', code: 'empty', reason: 'empty file (0 bytes)' });
  });

  it('order is by code point, whatever the input order and the locale', () => {
    // U+FF5E (fullwidth tilde) < U+1F600 (emoji) by code point, but not by UTF-16 unit ('\uD83D' < '\uFF5E')
    const names = ['b.png', 'B.png', 'a10.png', 'a2.png', '\u{1F600}.png', '\uFF5E.png', 'é.png', 'e.png'];
    const expected = ['B.png', 'a10.png', 'a2.png', 'b.png', 'e.png', 'é.png', '\uFF5E.png', '\u{1F600}.png'];
    const ds1 = buildDataset('s', names.map((n) => entry(n)));
    const ds2 = buildDataset('s', [...names].reverse().map((n) => entry(n)));
    expect(ds1.files.map((f) => f.path)).toEqual(expected);
    expect(ds2.files.map((f) => f.path)).toEqual(expected);
    expect(compareCodePoints('\uFF5E', '\u{1F600}')).toBe(-1);
    expect('\uFF5E' < '\u{1F600}').toBe(false); // the trap this avoids
  });

  it('paths are normalised (backslashes, ./ and leading /)', () => {
    expect(normalizePath('.\\cls\\a.png')).toBe('cls/a.png');
    expect(normalizePath('/cls//a.png')).toBe('cls/a.png');
    expect(buildDataset('s', [entry('cls\\a.png')]).files[0].label).toBe('cls');
  });
});

describe('loading: decoded images and skipped files with reasons', () => {
  const entries = [
    entry('covid/scan.dcm', fixture('dicom', 'multiframe.dcm')),
    entry('covid/x.png', fixture('formats', 'png-gray8.png')),
    entry('normal/notes.png', fixture('bad', 'text.png')),
    entry('normal/broken.png', fixture('bad', 'truncated.png')),
    entry('normal/ok.jpg', fixture('bad', 'png-as.jpg')),
    entry('normal/htj2k.dcm', fixture('dicom', 'ts-htj2k-unsupported.dcm')),
    entry('normal/big.png', fixture('bad', 'huge.png')),
    entry('normal/empty.png', 0),
    entry('normal/.DS_Store', 10),
  ];

  it('yields every file in order; ids carry #frame for multi-frame files', async () => {
    const ds = buildDataset('synthetic', entries);
    const results: LoadResult[] = [];
    for await (const r of loadDataset(ds)) results.push(r);
    expect(results.map((r) => r.path)).toEqual(ds.files.map((f) => f.path));
    const images = results.flatMap((r) => ('images' in r ? r.images : []));
    expect(images.map((i) => [i.id, i.label])).toEqual([
      ['covid/scan.dcm#1', 'covid'],
      ['covid/scan.dcm#2', 'covid'],
      ['covid/scan.dcm#3', 'covid'],
      ['covid/x.png', 'covid'],
      ['normal/ok.jpg', 'normal'],
    ]);
    const skipped = mergeSkipped(ds.skipped, results.flatMap((r) => ('skipped' in r ? [r.skipped] : [])));
    expect(skipped.map((s) => [s.path, s.code])).toEqual([
      ['normal/big.png', 'too-large'],
      ['normal/broken.png', 'corrupt'],
      ['normal/empty.png', 'empty'],
      ['normal/htj2k.dcm', 'unsupported'],
      ['normal/notes.png', 'not-image'],
    ]);
    expect(skipped.find((s) => s.path === 'normal/htj2k.dcm')!.reason).toMatch(/^unsupported transfer syntax 1\.2\.840\.10008\.1\.2\.4\.201 /);
  });

  it('a read failure is a skipped file, not a crash', async () => {
    const ds = buildDataset('s', [{ path: 'a.png', size: 5, read: async () => Promise.reject(new Error('permission denied')) }]);
    const r = await loadFile(ds.files[0]);
    expect('skipped' in r && r.skipped.reason).toBe('could not be read: permission denied');
  });

  it('stops when the signal is aborted', async () => {
    const ds = buildDataset('s', entries);
    const ac = new AbortController();
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const r of loadDataset(ds, { signal: ac.signal })) {
          seen.push(r.path);
          ac.abort();
        }
      })(),
    ).rejects.toThrow();
    expect(seen).toHaveLength(1);
  });
});

describe('walkDirectory (Node) and entriesFromFiles (browser)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'synthlens-ds-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists a real folder; buildDataset applies the same rules', async () => {
    const png = fixture('formats', 'png-gray8.png');
    for (const d of ['b/deep/er', 'a', '.hidden', '__MACOSX/a']) mkdirSync(join(dir, d), { recursive: true });
    writeFileSync(join(dir, 'b/deep/er/x.png'), png);
    writeFileSync(join(dir, 'a/y.png'), png);
    writeFileSync(join(dir, 'a/.DS_Store'), 'x');
    writeFileSync(join(dir, 'a/Thumbs.db'), 'x');
    writeFileSync(join(dir, '.hidden/z.png'), png);
    writeFileSync(join(dir, '__MACOSX/a/._y.png'), 'x');
    writeFileSync(join(dir, 'root.png'), png);
    writeFileSync(join(dir, 'empty.png'), '');
    symlinkSync(join(dir, 'a'), join(dir, 'link-to-a')); // folder links are not followed
    const entries = await walkDirectory(dir);
    const ds = buildDataset('set', entries);
    expect(ds.files.map((f) => [f.path, f.label, f.size])).toEqual([
      ['a/y.png', 'a', png.length],
      ['b/deep/er/x.png', 'b', png.length],
      ['root.png', null, png.length],
    ]);
    expect(ds.skipped.map((s) => s.path)).toEqual(['empty.png']);
    expect(ds.ignored).toBe(4);
    expect(await ds.files[0].entry.read()).toEqual(png);
  });

  it('strips the picked folder from webkitRelativePath', async () => {
    const file = (rel: string, text = 'x') => ({
      name: rel.split('/').pop()!,
      size: text.length,
      webkitRelativePath: rel,
      arrayBuffer: async () => new TextEncoder().encode(text).buffer as ArrayBuffer,
    });
    const { root, entries } = entriesFromFiles([file('real/cls/a.png'), file('real/b.png', 'abc')]);
    expect(root).toBe('real');
    expect(entries.map((e) => [e.path, e.size])).toEqual([['cls/a.png', 1], ['b.png', 3]]);
    expect(Array.from(await entries[1].read())).toEqual([97, 98, 99]);
    const loose = entriesFromFiles([{ name: 'x.png', size: 1, arrayBuffer: async () => new ArrayBuffer(1) }]);
    expect([loose.root, loose.entries[0].path]).toEqual([null, 'x.png']);
  });
});

/**
 * The kept setup of the last run (src/store/lastSetup.ts), on fake-indexeddb: one record, replaced by the next run,
 * gone after forget; a custom model's files are never kept; a record of another version is ignored.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { openDB } from 'idb';
import { forgetLastSetup, lastSetupOf, loadLastSetup, saveLastSetup, type SavedSet } from '../../../src/store/lastSetup.ts';
import { DEFAULT_SETTINGS, type RunSettings } from '../../../src/app/runner.ts';
import type { DirectoryHandle } from '../../../src/app/fileSource.ts';

// A stand-in handle: plain data, as structured clone keeps it (a real FileSystemDirectoryHandle clones as itself).
const handle = (name: string) => ({ kind: 'directory', name }) as unknown as DirectoryHandle;

const sets: SavedSet[] = [
  { role: 'real', name: 'chest-real', files: 100_000, handle: handle('chest-real') },
  { role: 'holdout', name: 'held-out', files: 5_000, handle: null },
  { role: 'synthetic', name: 'gan A', files: 100_000, handle: handle('gan-a') },
];

describe('the last setup', () => {
  it('keeps the sets and the settings, and a custom model only as a flag', () => {
    const settings: RunSettings = {
      ...DEFAULT_SETTINGS,
      extractorId: 'custom',
      custom: { files: new Map([['model.json', new Uint8Array([1])]]), options: { inputSize: 224, channels: 3, normalise: 'zero-one' } },
      utilitySeeds: [7, 8],
    };
    const rec = lastSetupOf(sets, settings, 1_700_000_000_000);
    expect(rec.customModel).toBe(true);
    expect('custom' in rec.settings).toBe(false);
    expect(rec.settings.utilitySeeds).toEqual([7, 8]);
    expect(rec.settings.utilitySeeds).not.toBe(settings.utilitySeeds);
    expect(rec.sets).toEqual(sets);
    expect(rec.savedAt).toBe(1_700_000_000_000);
    expect(lastSetupOf(sets, { ...DEFAULT_SETTINGS, extractorId: 'pixels', pixelsSize: 32 }).customModel).toBe(false);
  });

  it('round-trips through IndexedDB, is replaced by the next run and is gone after forget', async () => {
    expect(await loadLastSetup()).toBeNull();
    await saveLastSetup(lastSetupOf(sets, { ...DEFAULT_SETTINGS, extractorId: 'pixels', pixelsSize: 32, utility: 'off' }, 1));
    const got = await loadLastSetup();
    expect(got?.sets.map((s) => [s.role, s.name, s.files, s.handle?.name ?? null])).toEqual([
      ['real', 'chest-real', 100_000, 'chest-real'],
      ['holdout', 'held-out', 5_000, null],
      ['synthetic', 'gan A', 100_000, 'gan-a'],
    ]);
    expect(got?.settings).toMatchObject({ extractorId: 'pixels', pixelsSize: 32, utility: 'off', k: 5 });

    await saveLastSetup(lastSetupOf(sets.slice(0, 1), DEFAULT_SETTINGS, 2));
    expect((await loadLastSetup())?.sets.length).toBe(1);
    expect((await loadLastSetup())?.savedAt).toBe(2);

    await forgetLastSetup();
    expect(await loadLastSetup()).toBeNull();
  });

  it('ignores a record of another version', async () => {
    const db = await openDB('synthlens-setup', 1);
    await db.put('last', { version: 2, savedAt: 3, sets: [] }, 'setup');
    db.close();
    expect(await loadLastSetup()).toBeNull();
    await forgetLastSetup();
  });
});

/**
 * The kept setup of the last run (src/store/lastSetup.ts), on fake-indexeddb: one record, replaced by the next run,
 * gone after forget; a custom model is kept with its files and options up to the size limit, without its files
 * above it; a record of another version (1 kept only a flag for the model) is ignored.
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
  it('keeps the sets, the settings and the custom model the run used, its files up to the size limit', () => {
    const files = new Map([['model.json', new Uint8Array([1, 2, 3])], ['weights.bin', new Uint8Array(5)]]);
    const settings: RunSettings = {
      ...DEFAULT_SETTINGS,
      extractorId: 'custom',
      custom: { files, options: { inputSize: 96, channels: 1, normalise: 'minus-one-one', outputLayer: 'gap' }, name: 'my-encoder' },
      utilitySeeds: [7, 8],
    };
    const rec = lastSetupOf(sets, settings, 1_700_000_000_000);
    expect(rec.version).toBe(2);
    expect(rec.customModel).toEqual({ name: 'my-encoder', options: { inputSize: 96, channels: 1, normalise: 'minus-one-one', outputLayer: 'gap' }, files, bytes: 8 });
    expect(rec.customModel?.files).not.toBe(files);
    expect('custom' in rec.settings).toBe(false);
    expect(rec.settings.extractorId).toBe('custom');
    expect(rec.settings.utilitySeeds).toEqual([7, 8]);
    expect(rec.settings.utilitySeeds).not.toBe(settings.utilitySeeds);
    expect(rec.sets).toEqual(sets);
    expect(rec.savedAt).toBe(1_700_000_000_000);
    // above the limit: named and sized, without its files
    expect(lastSetupOf(sets, settings, 1, 7).customModel).toEqual({ name: 'my-encoder', options: settings.custom!.options, files: null, bytes: 8 });
    expect(lastSetupOf(sets, settings, 1, 8).customModel?.files?.size).toBe(2);
    // a model loaded but not used by the run is not kept
    expect(lastSetupOf(sets, { ...settings, extractorId: 'pixels', pixelsSize: 32 }).customModel).toBeNull();
  });

  it('round-trips a kept custom model through IndexedDB', async () => {
    const files = new Map([['model.json', new TextEncoder().encode('{"format":"layers-model"}')], ['w.bin', Uint8Array.of(9, 8, 7)]]);
    const options = { inputSize: 16, channels: 1 as const, normalise: 'zero-one' as const };
    await saveLastSetup(lastSetupOf(sets, { ...DEFAULT_SETTINGS, extractorId: 'custom', custom: { files, options, name: 'tiny' } }, 5));
    const got = await loadLastSetup();
    expect(got?.settings.extractorId).toBe('custom');
    expect(got?.customModel?.name).toBe('tiny');
    expect(got?.customModel?.options).toEqual(options);
    expect([...(got?.customModel?.files?.entries() ?? [])].map(([k, v]) => [k, Array.from(v)])).toEqual([
      ['model.json', Array.from(files.get('model.json')!)],
      ['w.bin', [9, 8, 7]],
    ]);
    await forgetLastSetup();
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
    await db.put('last', { version: 1, savedAt: 3, sets: [], customModel: true }, 'setup');
    db.close();
    expect(await loadLastSetup()).toBeNull();
    await forgetLastSetup();
  });
});

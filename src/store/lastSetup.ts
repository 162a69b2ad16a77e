/**
 * The last evaluation's setup, kept so that a reload (or the tab reopened tomorrow) can reopen the same folders with
 * one click and resume from the feature cache (issue #6: "closing the tab ... loses nothing already embedded").
 *
 * What is kept: each set's role and name, its file count when the run started, the folder's
 * FileSystemDirectoryHandle where the set was chosen with the folder picker or dropped as a handle (Chromium keeps a
 * handle in IndexedDB; the page must ask for read permission again before reading it), and the run's settings, so
 * that the rerun asks the cache for the same extractor. A set picked through `<input webkitdirectory>` cannot be
 * kept (a page gets no handle for it): it is recorded with `handle: null` and must be chosen again. A custom model
 * the run used is kept whole (its files, folder name and options) up to MAX_KEPT_MODEL_BYTES; a larger one is
 * recorded without its files and must be loaded again.
 *
 * One record, in its own database (`synthlens-setup`, store `last`, key `setup`), replaced when the next run starts
 * and deleted by "Forget". Nothing here touches the feature cache.
 */
import { openDB, type IDBPDatabase } from 'idb';
import { withTimeout } from '../core/withTimeout.ts';
import type { DirectoryHandle } from '../app/fileSource.ts';
import type { SetRole } from '../app/types.ts';
import type { RunSettings } from '../app/runner.ts';
import type { CustomExtractorOptions } from '../extractors/specs.ts';

export interface SavedSet {
  role: SetRole;
  /** The set's name in the run (the folder's name unless the user renamed it). */
  name: string;
  /** Files listed when the run started. */
  files: number;
  /** The folder, where the set was held as a handle; null where it was picked through the folder input. */
  handle: DirectoryHandle | null;
}

/** The run's settings as kept: everything but the custom model (SavedModel). */
export type SavedSettings = Omit<RunSettings, 'custom'>;

/** The custom model a run used. */
export interface SavedModel {
  /** The model folder's name, as the settings show it. */
  name: string;
  options: CustomExtractorOptions;
  /** model.json and the weight files, by file name; null where they were larger than MAX_KEPT_MODEL_BYTES. */
  files: Map<string, Uint8Array> | null;
  /** The files' size in bytes. */
  bytes: number;
}

/** A custom model's files are kept up to this size (MobileNet- or ResNet-sized models fit; the record is rewritten at each run). */
export const MAX_KEPT_MODEL_BYTES = 256 * 1024 * 1024;

export interface LastSetup {
  /** 2 since custom models are kept (version 1 kept only a flag: such a record is ignored). */
  version: 2;
  /** When the run started (ms since the epoch). */
  savedAt: number;
  /** In the run's order: real, held-out, cross-task, then the synthetic sets. */
  sets: SavedSet[];
  settings: SavedSettings;
  /** The custom model the run used, or null. */
  customModel: SavedModel | null;
}

const DB_NAME = 'synthlens-setup';
const STORE = 'last';
const KEY = 'setup';
/** Opening a database can wait on another page's upgrade: give up after this long (the card is not shown). */
const OPEN_TIMEOUT_MS = 5000;

async function open(): Promise<IDBPDatabase> {
  const opening = openDB(DB_NAME, 1, {
    upgrade(db) {
      db.createObjectStore(STORE);
    },
  });
  try {
    return await withTimeout(opening, OPEN_TIMEOUT_MS, 'Opening the saved setup');
  } catch (e) {
    // a connection that opens after all is closed at once (as featureSpill.ts does)
    opening.then((late) => late.close(), () => {});
    throw e;
  }
}

/** The record to keep for a run on `sets` with `settings`. */
export function lastSetupOf(sets: SavedSet[], settings: RunSettings, now = Date.now(), maxModelBytes = MAX_KEPT_MODEL_BYTES): LastSetup {
  const { custom, ...rest } = settings;
  let customModel: SavedModel | null = null;
  if (settings.extractorId === 'custom' && custom) {
    const bytes = [...custom.files.values()].reduce((a, b) => a + b.byteLength, 0);
    customModel = {
      name: custom.name ?? 'custom model',
      options: { ...custom.options },
      files: bytes <= maxModelBytes ? new Map(custom.files) : null,
      bytes,
    };
  }
  return {
    version: 2,
    savedAt: now,
    sets: sets.map((s) => ({ ...s })),
    settings: { ...rest, utilitySeeds: [...rest.utilitySeeds], ...(rest.backendOrder ? { backendOrder: [...rest.backendOrder] } : {}) },
    customModel,
  };
}

/** Replaces the kept setup. Rejects when the browser cannot store it (a handle it cannot clone, no IndexedDB). */
export async function saveLastSetup(setup: LastSetup): Promise<void> {
  const db = await open();
  try {
    await db.put(STORE, setup, KEY);
  } finally {
    db.close();
  }
}

/** The kept setup, or null when there is none (or it is of another version, or IndexedDB is not there). */
export async function loadLastSetup(): Promise<LastSetup | null> {
  if (typeof indexedDB === 'undefined') return null;
  const db = await open();
  try {
    const got = (await db.get(STORE, KEY)) as LastSetup | undefined;
    return got && got.version === 2 && Array.isArray(got.sets) ? got : null;
  } finally {
    db.close();
  }
}

export async function forgetLastSetup(): Promise<void> {
  const db = await open();
  try {
    await db.delete(STORE, KEY);
  } finally {
    db.close();
  }
}

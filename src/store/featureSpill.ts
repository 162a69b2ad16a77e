/**
 * Feature rows spilled to IndexedDB while a large set is extracted.
 *
 * The packed feature rows of a set (src/pipeline/collect.ts) are needed only when the metrics start, but the
 * pipeline workers hold their model (MobileNetV2 on wasm: about 280 MiB for two workers) until every set is
 * extracted. Kept in the tab, the rows of 100,000 x 100,000 images at d = 1,280 (976 MiB) would sit beside the
 * models at the end of the extraction, the tab's largest moment. Spilled, they go to IndexedDB in chunks of about
 * 1 MiB as they fill, and are read back into one packed buffer once the workers are gone (SpilledRows).
 *
 * One database, separate from the feature cache: chunks are keyed [run, part, index]. A run holds a Web Lock
 * named after it for as long as its page lives; opening the store deletes the chunks of runs whose lock nobody
 * holds (a tab closed or killed in the middle of a run), so a spill never outlives its run for long.
 */
import { openDB, type IDBPDatabase } from 'idb';
import { withTimeout } from '../core/withTimeout.ts';

/** One part's chunks (a set's rows). */
export interface RowSpill {
  /** Stores chunk `index`; resolves when it is stored. */
  put(index: number, rows: Float32Array): Promise<void>;
  /** Chunk `index`, as stored. */
  get(index: number): Promise<Float32Array>;
  /** Deletes this part's chunks. */
  drop(): Promise<void>;
}

export interface SpillStore {
  readonly run: string;
  part(name: string): RowSpill;
  /** Deletes this run's chunks and lets go of its lock. */
  close(): Promise<void>;
}

const DB_NAME = 'synthlens-spill';
const STORE = 'chunks';
const LOCK_PREFIX = 'synthlens-spill:';
/**
 * How long a run waits for the store to open before it keeps its rows in memory instead. Long: an open that is not
 * blocked is only slow when the origin's storage is busy (after a reload in the middle of a 100,000-image run, with
 * a gigabyte of cached features and spilled rows on disk), and holding the rows instead is what the spill is for.
 */
const OPEN_TIMEOUT_MS = 60_000;
/** How long a run waits once the open reports that another page's connection blocks the upgrade it needs. */
const BLOCKED_TIMEOUT_MS = 5000;

type Key = [string, string, number];

interface LockManagerLike {
  request(name: string, cb: () => Promise<void>): Promise<void>;
  query(): Promise<{ held?: { name?: string }[] }>;
}

function lockManager(): LockManagerLike | null {
  const l = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
  return l && typeof l.request === 'function' && typeof l.query === 'function' ? l : null;
}

function newRunId(): string {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  return c?.randomUUID ? c.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** Every key of `run` (arrays sort after strings and numbers, so [run, []] is above every [run, part, index]). */
const runRange = (run: string) => IDBKeyRange.bound([run], [run, []]);
const partRange = (run: string, part: string) => IDBKeyRange.bound([run, part], [run, part, []]);

class IdbRowSpill implements RowSpill {
  constructor(
    private readonly db: IDBPDatabase,
    private readonly run: string,
    private readonly name: string,
  ) {}

  put(index: number, rows: Float32Array): Promise<void> {
    return this.db.put(STORE, rows, [this.run, this.name, index] satisfies Key).then(() => undefined);
  }

  async get(index: number): Promise<Float32Array> {
    const v = (await this.db.get(STORE, [this.run, this.name, index] satisfies Key)) as Float32Array | undefined;
    if (!(v instanceof Float32Array)) throw new Error(`spilled feature rows: chunk ${index} of ${this.name} is missing from the browser's storage`);
    return v;
  }

  drop(): Promise<void> {
    return this.db.delete(STORE, partRange(this.run, this.name));
  }
}

class IdbSpillStore implements SpillStore {
  constructor(
    private readonly db: IDBPDatabase,
    readonly run: string,
    private readonly releaseLock: () => void,
  ) {}

  part(name: string): RowSpill {
    return new IdbRowSpill(this.db, this.run, name);
  }

  async close(): Promise<void> {
    try {
      await this.db.delete(STORE, runRange(this.run));
    } finally {
      this.releaseLock();
      this.db.close();
    }
  }
}

/**
 * The database with its store: a database of that name without it (made by another page) is upgraded to add it.
 * `onBlocked`: another page's connection holds the upgrade back (it has not closed on the version change).
 */
async function openWithStore(onBlocked: () => void): Promise<IDBPDatabase> {
  const upgrade = (d: IDBPDatabase) => {
    if (!d.objectStoreNames.contains(STORE)) d.createObjectStore(STORE);
  };
  // Another page's upgrade waits for this connection: close it (this run's later writes then fail, and its rows
  // stay in memory; nothing is lost).
  const blocking = (_current: number, _wanted: number | null, e: IDBVersionChangeEvent) => (e.target as IDBDatabase).close();
  const db = await openDB(DB_NAME, 1, { upgrade, blocking, blocked: onBlocked }).catch(() => openDB(DB_NAME, undefined, { blocking }));
  if (db.objectStoreNames.contains(STORE)) return db;
  const version = db.version + 1;
  db.close();
  return openDB(DB_NAME, version, { upgrade, blocking, blocked: onBlocked });
}

/** The runs that have chunks in the store (one key cursor step per run). */
async function runsIn(db: IDBPDatabase): Promise<string[]> {
  const runs: string[] = [];
  let cursor = await db.transaction(STORE).store.openKeyCursor();
  while (cursor) {
    const run = (cursor.key as Key)[0];
    runs.push(run);
    cursor = await cursor.continue([run, []]);
  }
  return runs;
}

/**
 * Opens the spill store for a new run, after deleting the chunks of runs no live page holds (where the browser has
 * Web Locks; without them only this run's own chunks are ever deleted). Rejects, saying why, when IndexedDB is
 * missing or cannot be opened (private modes, storage blocked), when another page blocks the upgrade the store
 * needs for `blockedTimeoutMs`, or when the open takes more than `timeoutMs`: the caller then keeps its rows in
 * memory and says so.
 */
export async function openSpillStore(opts: { timeoutMs?: number; blockedTimeoutMs?: number } = {}): Promise<SpillStore> {
  if (typeof indexedDB === 'undefined') throw new Error('this browser has no IndexedDB here');
  const timeoutMs = opts.timeoutMs ?? OPEN_TIMEOUT_MS;
  const blockedMs = opts.blockedTimeoutMs ?? BLOCKED_TIMEOUT_MS;
  let blockedTimer: ReturnType<typeof setTimeout> | undefined;
  let onBlocked = () => {};
  const blocked = new Promise<never>((_, reject) => {
    onBlocked = () => {
      blockedTimer ??= setTimeout(
        () => reject(new Error("another SynthLens tab keeps an older version of the browser's storage open; close the other SynthLens tabs before the next run")),
        blockedMs,
      );
    };
  });
  const opening = openWithStore(onBlocked); // set by the executor above, which has run
  let db: IDBPDatabase;
  try {
    db = await withTimeout(Promise.race([opening, blocked]), timeoutMs, "opening the browser's storage");
  } catch (e) {
    // a connection that opens after all is closed at once
    opening.then((late) => late.close(), () => {});
    throw e instanceof Error ? e : new Error(String(e));
  } finally {
    clearTimeout(blockedTimer);
  }
  const run = newRunId();
  const locks = lockManager();
  let releaseLock = () => {};
  if (locks) {
    let granted!: () => void;
    const held = new Promise<void>((r) => (granted = r));
    const release = new Promise<void>((r) => (releaseLock = r));
    void locks.request(LOCK_PREFIX + run, () => {
      granted();
      return release;
    });
    await held;
    try {
      const live = new Set(((await locks.query()).held ?? []).map((l) => l.name ?? ''));
      for (const r of await runsIn(db)) if (!live.has(LOCK_PREFIX + r)) await db.delete(STORE, runRange(r));
    } catch {
      // a failed clean-up loses nothing: the chunks are deleted by the next run that opens the store
    }
  }
  return new IdbSpillStore(db, run, releaseLock);
}

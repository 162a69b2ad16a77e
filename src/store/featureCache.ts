/**
 * IndexedDB feature cache (idb).
 *
 * Key = SHA-256 of the file's bytes + extractor id + weights hash + preprocessing version, so a file is
 * decoded and embedded once per extractor and preprocessing, whatever its name or folder.
 * The value holds the feature vector(s) of every frame, a small thumbnail (for the privacy audit), the 8-bit
 * grayscale image used by the file-size variety metric, and decode metadata.
 *
 * When the quota is exceeded the cache warns once (through `onWarning`) and stops writing; everything computed
 * in the run is still returned to the caller, and what was already cached stays cached.
 */
import { openDB, type IDBPDatabase } from 'idb';

export interface CachedFrame {
  /** `path` or `path#frame`. */
  idSuffix: string;
  feature: Float32Array;
  thumb: { width: number; height: number; channels: 1 | 3; data: Uint8Array };
  /** Grayscale at the variety size (size x size), or null when the variety metric was off. */
  gray: Uint8Array | null;
  meta: Record<string, unknown>;
}

export interface CacheRecord {
  key: string;
  frames: CachedFrame[];
  createdAt: number;
  bytes: number;
}

export interface FeatureCache {
  get(key: string): Promise<CacheRecord | undefined>;
  put(record: CacheRecord): Promise<void>;
  clear(): Promise<void>;
  /** Number of records and approximate bytes of their payload. */
  size(): Promise<{ records: number; bytes: number }>;
  readonly writable: boolean;
}

export function cacheKey(parts: { fileSha256: string; extractorId: string; weightsHash: string; preprocessVersion: string }): string {
  return `${parts.fileSha256}|${parts.extractorId}|${parts.weightsHash}|${parts.preprocessVersion}`;
}

export function recordBytes(frames: CachedFrame[]): number {
  let b = 0;
  for (const f of frames) b += f.feature.byteLength + f.thumb.data.byteLength + (f.gray?.byteLength ?? 0) + 256;
  return b;
}

const DB_NAME = 'synthlens-features';
const STORE = 'features';
/** Version 2 added META, which holds the running totals size() reads. */
const DB_VERSION = 2;
const META = 'meta';
const TOTALS = 'totals';

interface Totals {
  records: number;
  bytes: number;
}

function isQuotaError(e: unknown): boolean {
  const name = (e as { name?: string } | null)?.name;
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED';
}

export class IdbFeatureCache implements FeatureCache {
  private dbp: Promise<IDBPDatabase>;
  private disabled = false;
  private warned = false;

  constructor(private onWarning: (message: string) => void = () => {}) {
    this.dbp = this.open();
  }

  private open(): Promise<IDBPDatabase> {
    return openDB(DB_NAME, DB_VERSION, {
      upgrade(db) {
        if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: 'key' });
        // totals are computed by the first size() after the upgrade, not here: an upgrade over 100,000
        // records would hold every other connection waiting
        if (!db.objectStoreNames.contains(META)) db.createObjectStore(META);
      },
      blocked: () => {
        this.onWarning('Another SynthLens tab holds the feature cache open with an older version; close it to use the cache here.');
      },
      // a newer version elsewhere wants to upgrade: let it, and open again on the next use
      blocking: () => {
        void this.dbp.then((db) => db.close());
        this.reopen = true;
      },
    });
  }

  private reopen = false;

  private db(): Promise<IDBPDatabase> {
    if (this.reopen) {
      this.reopen = false;
      this.dbp = this.open();
    }
    return this.dbp;
  }

  get writable(): boolean {
    return !this.disabled;
  }

  async get(key: string): Promise<CacheRecord | undefined> {
    const db = await this.db();
    return (await db.get(STORE, key)) as CacheRecord | undefined;
  }

  async put(record: CacheRecord): Promise<void> {
    if (this.disabled) return;
    try {
      const db = await this.db();
      // a key names its content (file hash, extractor, preprocessing), so an overwrite has the same bytes
      const existed = (await db.count(STORE, record.key)) > 0;
      await db.put(STORE, record);
      if (!existed) await this.addTotals(db, 1, record.bytes ?? 0);
    } catch (e) {
      if (!isQuotaError(e)) throw e;
      this.disabled = true;
      if (!this.warned) {
        this.warned = true;
        this.onWarning(
          'The browser storage quota is full: features of this run are no longer cached. ' +
            'Nothing already computed is lost; clear the cache or free disk space to cache again.',
        );
      }
    }
  }

  /** Adds to the running totals in one transaction (atomic across tabs and workers); nothing when there are none yet. */
  private async addTotals(db: IDBPDatabase, records: number, bytes: number): Promise<void> {
    const tx = db.transaction(META, 'readwrite');
    const t = (await tx.store.get(TOTALS)) as Totals | undefined;
    if (t) await tx.store.put({ records: t.records + records, bytes: t.bytes + bytes }, TOTALS);
    await tx.done;
  }

  async clear(): Promise<void> {
    const db = await this.db();
    const tx = db.transaction([STORE, META], 'readwrite');
    await tx.objectStore(STORE).clear();
    await tx.objectStore(META).put({ records: 0, bytes: 0 } satisfies Totals, TOTALS);
    await tx.done;
    this.disabled = false;
    this.warned = false;
  }

  /**
   * Records and bytes from the running totals, which puts keep up to date: O(1) however large the cache.
   * When there are none yet (a cache written before version 2), or their record count disagrees with the
   * store's (two writers adding the same new key at once count it twice), the records are walked once and
   * the totals written again.
   */
  async size(): Promise<{ records: number; bytes: number }> {
    const db = await this.db();
    const records = await db.count(STORE);
    const t = (await db.get(META, TOTALS)) as Totals | undefined;
    if (t && t.records === records) return { records: t.records, bytes: t.bytes };
    const tx = db.transaction([STORE, META], 'readwrite');
    let n = 0;
    let bytes = 0;
    let cursor = await tx.objectStore(STORE).openCursor();
    while (cursor) {
      n++;
      bytes += (cursor.value as CacheRecord).bytes ?? 0;
      cursor = await cursor.continue();
    }
    await tx.objectStore(META).put({ records: n, bytes } satisfies Totals, TOTALS);
    await tx.done;
    return { records: n, bytes };
  }

  async close(): Promise<void> {
    (await this.dbp).close();
  }
}

/** Asks the browser to keep the cache under storage pressure; returns whether it is persistent. */
export async function requestPersistentStorage(): Promise<boolean> {
  const storage = (globalThis.navigator as Navigator | undefined)?.storage;
  if (!storage?.persist) return false;
  if (await storage.persisted?.()) return true;
  return storage.persist();
}

/** An in-memory cache for Node runs and tests (nothing persists). */
export class MemoryFeatureCache implements FeatureCache {
  readonly writable = true;
  private map = new Map<string, CacheRecord>();
  async get(key: string) { return this.map.get(key); }
  async put(record: CacheRecord) { this.map.set(record.key, record); }
  async clear() { this.map.clear(); }
  async size() {
    let bytes = 0;
    for (const r of this.map.values()) bytes += r.bytes;
    return { records: this.map.size, bytes };
  }
}

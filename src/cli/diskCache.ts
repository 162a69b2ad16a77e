/**
 * A FeatureCache on disk for the Node CLI (`synthlens evaluate --cache DIR`): the same records as the
 * browser's IndexedDB cache (src/store/featureCache.ts), one file per key, so a second run, or a run after
 * the process was killed halfway, decodes and embeds nothing that is already done.
 *
 * Layout of DIR:
 *   SYNTHLENS-CACHE          marker; a non-empty folder without it is refused (never write into someone's data)
 *   ab/cdef...0123.rec       one record; name = SHA-256 hex of the cache key, first 2 characters as a folder
 *   paths.jsonl              path index: one JSON line {p, s, m, h} per file read (absolute path, size,
 *                            mtime in ms, SHA-256 of its bytes), appended; lets a run count what is cached
 *                            from a stat, without reading the files again (see cachedCount)
 *
 * Writes are atomic: a record is written to `<name>.<pid>.<random>.tmp` in the same folder, then renamed, so a
 * reader (or a later run after a kill) sees either the whole record or none. A truncated last line of
 * paths.jsonl is ignored. A record that does not parse, or whose stored key differs from the requested key,
 * is a miss. A failed write (disk full, read-only, permission) disables writing with one warning; the run
 * goes on, and everything computed is still returned.
 *
 * Record format (little endian): 'SLFC' magic, u32 format version (1), u32 length of a UTF-8 JSON header
 * {key, createdAt, bytes, frames: [{idSuffix, meta, featureLength, thumb: {width, height, channels, length},
 * grayLength}]}, zero padding to a multiple of 4, then per frame: the float32 feature, the thumbnail bytes and
 * the grayscale bytes, each padded to a multiple of 4.
 */
import { createHash, randomBytes } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { CachedFrame, CacheRecord, FeatureCache } from '../store/featureCache.ts';

export const DISK_CACHE_MARKER = 'SYNTHLENS-CACHE';
export const DISK_CACHE_FORMAT = 1;
const MAGIC = [0x53, 0x4c, 0x46, 0x43]; // 'SLFC'
const PATHS_FILE = 'paths.jsonl';
const SHARD = /^[0-9a-f]{2}$/;

/** Why a folder cannot be used as a cache (a user error). */
export class CacheDirError extends Error {
  override readonly name = 'CacheDirError';
}

interface FrameHeader {
  idSuffix: string;
  meta: Record<string, unknown>;
  featureLength: number;
  thumb: { width: number; height: number; channels: 1 | 3; length: number };
  grayLength: number | null;
}

interface RecordHeader {
  key: string;
  createdAt: number;
  bytes: number;
  frames: FrameHeader[];
}

const pad4 = (n: number) => (n + 3) & ~3;

/** SHA-256 hex of a string (UTF-8). */
function sha256Text(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/** SHA-256 hex of bytes; equals sha256Hex() of src/extractors/sha256.ts. */
export function sha256Bytes(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** The record as bytes (see the file header). */
export function encodeRecord(record: CacheRecord): Uint8Array {
  const header: RecordHeader = {
    key: record.key,
    createdAt: record.createdAt,
    bytes: record.bytes,
    frames: record.frames.map((f) => ({
      idSuffix: f.idSuffix,
      meta: f.meta,
      featureLength: f.feature.length,
      thumb: { width: f.thumb.width, height: f.thumb.height, channels: f.thumb.channels, length: f.thumb.data.length },
      grayLength: f.gray ? f.gray.length : null,
    })),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  let total = pad4(12 + json.length);
  for (const f of record.frames) total += pad4(f.feature.length * 4) + pad4(f.thumb.data.length) + pad4(f.gray?.length ?? 0);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  out.set(MAGIC, 0);
  dv.setUint32(4, DISK_CACHE_FORMAT, true);
  dv.setUint32(8, json.length, true);
  out.set(json, 12);
  let o = pad4(12 + json.length);
  for (const f of record.frames) {
    for (let i = 0; i < f.feature.length; i++) dv.setFloat32(o + 4 * i, f.feature[i], true);
    o += pad4(f.feature.length * 4);
    out.set(f.thumb.data, o);
    o += pad4(f.thumb.data.length);
    if (f.gray) {
      out.set(f.gray, o);
      o += pad4(f.gray.length);
    }
  }
  return out;
}

/** Parses a record; null when the bytes are not a whole, well-formed record. */
export function decodeRecord(bytes: Uint8Array): CacheRecord | null {
  if (bytes.length < 12 || MAGIC.some((m, i) => bytes[i] !== m)) return null;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(4, true) !== DISK_CACHE_FORMAT) return null;
  const jsonLength = dv.getUint32(8, true);
  if (12 + jsonLength > bytes.length) return null;
  let header: RecordHeader;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(12, 12 + jsonLength))) as RecordHeader;
  } catch {
    return null;
  }
  if (!header || typeof header.key !== 'string' || !Array.isArray(header.frames)) return null;
  let o = pad4(12 + jsonLength);
  const frames: CachedFrame[] = [];
  for (const h of header.frames) {
    const fl = h.featureLength;
    const tl = h.thumb?.length;
    const gl = h.grayLength;
    if (!Number.isInteger(fl) || fl < 0 || !Number.isInteger(tl) || tl < 0 || (gl !== null && (!Number.isInteger(gl) || gl < 0))) return null;
    const need = pad4(fl * 4) + pad4(tl) + pad4(gl ?? 0);
    if (o + need > bytes.length) return null;
    const feature = new Float32Array(fl);
    for (let i = 0; i < fl; i++) feature[i] = dv.getFloat32(o + 4 * i, true);
    o += pad4(fl * 4);
    const thumbData = bytes.slice(o, o + tl);
    o += pad4(tl);
    let gray: Uint8Array | null = null;
    if (gl !== null) {
      gray = bytes.slice(o, o + gl);
      o += pad4(gl);
    }
    frames.push({
      idSuffix: h.idSuffix,
      feature,
      thumb: { width: h.thumb.width, height: h.thumb.height, channels: h.thumb.channels, data: thumbData },
      gray,
      meta: h.meta ?? {},
    });
  }
  if (o !== bytes.length) return null;
  return { key: header.key, frames, createdAt: header.createdAt, bytes: header.bytes };
}

function errText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err?.code ? `${err.code}: ${err.message}` : String((e as Error)?.message ?? e);
}

interface PathEntry {
  s: number;
  m: number;
  h: string;
}

export class DiskFeatureCache implements FeatureCache {
  readonly dir: string;
  private disabled = false;
  private warned = false;
  private readonly shards = new Set<string>();
  private paths: Map<string, PathEntry> | null = null;
  /** Lookups answered from disk / not found, since the cache was opened. */
  hits = 0;
  misses = 0;
  /** Records written since the cache was opened. */
  writes = 0;

  private constructor(dir: string, private readonly onWarning: (message: string) => void) {
    this.dir = resolve(dir);
  }

  /**
   * Opens (creating when needed) the cache folder. Throws CacheDirError when the path is a file, or a
   * non-empty folder that is not a SynthLens cache, or cannot be created.
   */
  static async open(dir: string, onWarning: (message: string) => void = () => {}): Promise<DiskFeatureCache> {
    const c = new DiskFeatureCache(dir, onWarning);
    const st = await stat(c.dir).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return null;
      throw new CacheDirError(`cannot use the cache folder: ${errText(e)}`);
    });
    if (st && !st.isDirectory()) throw new CacheDirError('the cache path exists and is not a folder');
    if (st) {
      const names = await readdir(c.dir).catch((e) => {
        throw new CacheDirError(`cannot read the cache folder: ${errText(e)}`);
      });
      if (names.length > 0 && !names.includes(DISK_CACHE_MARKER)) {
        throw new CacheDirError(`the folder is not empty and is not a SynthLens cache (no ${DISK_CACHE_MARKER} file); give an empty or new folder`);
      }
      if (names.length > 0) return c;
    }
    try {
      await mkdir(c.dir, { recursive: true });
      await writeFile(join(c.dir, DISK_CACHE_MARKER), `SynthLens feature cache, format ${DISK_CACHE_FORMAT}. Safe to delete.\n`);
    } catch (e) {
      throw new CacheDirError(`cannot create the cache folder: ${errText(e)}`);
    }
    return c;
  }

  get writable(): boolean {
    return !this.disabled;
  }

  /** Absolute path of the record file of `key`. */
  fileOf(key: string): string {
    const h = sha256Text(key);
    return join(this.dir, h.slice(0, 2), `${h.slice(2)}.rec`);
  }

  private warn(what: string, e: unknown): void {
    if (this.warned) return;
    this.warned = true;
    this.onWarning(`feature cache ${this.dir}: ${what} (${errText(e)}); the run goes on without caching${this.disabled ? ' new features' : ''}`);
  }

  async get(key: string): Promise<CacheRecord | undefined> {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(this.fileOf(key)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.warn('a record could not be read', e);
      this.misses++;
      return undefined;
    }
    const rec = decodeRecord(bytes);
    if (!rec || rec.key !== key) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return rec;
  }

  async put(record: CacheRecord): Promise<void> {
    if (this.disabled) return;
    const file = this.fileOf(record.key);
    const shard = dirname(file);
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      if (!this.shards.has(shard)) {
        await mkdir(shard, { recursive: true });
        this.shards.add(shard);
      }
      await writeFile(tmp, encodeRecord(record));
      await rename(tmp, file);
      this.writes++;
    } catch (e) {
      this.disabled = true;
      await unlink(tmp).catch(() => {});
      this.warn('writing failed', e);
    }
  }

  /** Removes every record, temporary file and the path index (the folder and its marker stay). */
  async clear(): Promise<void> {
    for (const name of await readdir(this.dir)) {
      if (SHARD.test(name) || name === PATHS_FILE) await rm(join(this.dir, name), { recursive: true, force: true });
    }
    this.shards.clear();
    this.paths = new Map();
    this.disabled = false;
    this.warned = false;
  }

  async size(): Promise<{ records: number; bytes: number }> {
    let records = 0;
    let bytes = 0;
    for (const name of await readdir(this.dir)) {
      if (!SHARD.test(name)) continue;
      for (const f of await readdir(join(this.dir, name)).catch(() => [] as string[])) {
        if (!f.endsWith('.rec')) continue;
        const st = await stat(join(this.dir, name, f)).catch(() => null);
        if (!st) continue;
        records++;
        bytes += st.size;
      }
    }
    return { records, bytes };
  }

  private async loadPaths(): Promise<Map<string, PathEntry>> {
    if (this.paths) return this.paths;
    const map = new Map<string, PathEntry>();
    let text = '';
    try {
      text = await readFile(join(this.dir, PATHS_FILE), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.warn('the path index could not be read', e);
    }
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const o = JSON.parse(line) as { p: string } & PathEntry;
        if (typeof o.p === 'string' && typeof o.h === 'string' && typeof o.s === 'number' && typeof o.m === 'number') map.set(o.p, { s: o.s, m: o.m, h: o.h });
      } catch {
        // a line cut short by a kill: ignore it
      }
    }
    this.paths = map;
    return map;
  }

  /** The SHA-256 of a file's bytes as last recorded for this path, size and mtime, or undefined. */
  async knownHash(absPath: string, size: number, mtimeMs: number): Promise<string | undefined> {
    const e = (await this.loadPaths()).get(absPath);
    return e && e.s === size && e.m === mtimeMs ? e.h : undefined;
  }

  /** Records the SHA-256 of a file's bytes for this path, size and mtime (appends to paths.jsonl). */
  async rememberHash(absPath: string, size: number, mtimeMs: number, sha256: string): Promise<void> {
    const map = await this.loadPaths();
    const e = map.get(absPath);
    if (e && e.s === size && e.m === mtimeMs && e.h === sha256) return;
    map.set(absPath, { s: size, m: mtimeMs, h: sha256 });
    if (this.disabled) return;
    try {
      await appendFile(join(this.dir, PATHS_FILE), JSON.stringify({ p: absPath, s: size, m: mtimeMs, h: sha256 }) + '\n');
    } catch (e) {
      this.disabled = true;
      this.warn('writing the path index failed', e);
    }
  }

  /** True when a record file exists for `key` (it is not read). */
  async has(key: string): Promise<boolean> {
    return stat(this.fileOf(key)).then((s) => s.isFile(), () => false);
  }
}

/**
 * The disk feature cache of `synthlens evaluate --cache` (src/cli/diskCache.ts), in process:
 * record encoding round trip, atomic files, corrupt or foreign records are misses, the folder guard,
 * resuming the shared pipeline (src/pipeline/extract.ts) after a run that stopped halfway, and the
 * command's resume message and terminal progress bar (runEvaluate with a fake terminal).
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CacheDirError, DISK_CACHE_MARKER, DiskFeatureCache, decodeRecord, encodeRecord, sha256Bytes } from '../../../src/cli/diskCache.ts';
import { recordBytes, type CacheRecord, type CachedFrame } from '../../../src/store/featureCache.ts';
import { DEFAULT_PIPELINE_OPTIONS, processItems, type FileItem, type ItemResult } from '../../../src/pipeline/extract.ts';
import { loadExtractor } from '../../../src/extractors/registry.ts';
import { sha256Hex } from '../../../src/extractors/sha256.ts';
import { encodePngGray8 } from '../../../src/core/png/encode.ts';
import { runEvaluate } from '../../../src/cli/evaluate.ts';
import type { Report } from '../../../src/core/report/schema.ts';
import { generateDemo } from '../../../src/demo/phantoms.ts';

const tmp = mkdtempSync(join(tmpdir(), 'synthlens-cache-'));

function frame(seed: number, gray = true): CachedFrame {
  return {
    idSuffix: seed % 2 ? '' : `#${seed}`,
    feature: Float32Array.from({ length: 7 }, (_, i) => Math.fround(Math.sin(seed * 13 + i) * 1e3)),
    thumb: { width: 3, height: 2, channels: 3, data: Uint8Array.from({ length: 18 }, (_, i) => (i * 37 + seed) & 255) },
    gray: gray ? Uint8Array.from({ length: 5 }, (_, i) => (i * 11 + seed) & 255) : null,
    meta: { format: 'png', bitDepth: 8, window: { center: 40, width: 400 }, width: 3, height: 2 },
  };
}

function record(key: string, frames = [frame(1), frame(2, false)]): CacheRecord {
  return { key, frames, createdAt: 1700000000000, bytes: recordBytes(frames) };
}

describe('disk cache records', () => {
  it('encode / decode round trip keeps every field and typed array exactly', () => {
    const r = record('k|pixels|none|p1');
    const back = decodeRecord(encodeRecord(r))!;
    expect(back).toEqual(r);
    expect(back.frames[0].feature).toBeInstanceOf(Float32Array);
    expect(back.frames[0].thumb.data).toBeInstanceOf(Uint8Array);
    expect(back.frames[1].gray).toBeNull();
    // byte layout: magic, version, header length
    const bytes = encodeRecord(r);
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('SLFC');
    expect(bytes.length % 4).toBe(0);
  });

  it('a truncated, padded or foreign byte string is not a record', () => {
    const bytes = encodeRecord(record('k'));
    expect(decodeRecord(bytes.subarray(0, bytes.length - 4))).toBeNull();
    expect(decodeRecord(new Uint8Array([...bytes, 0, 0, 0, 0]))).toBeNull();
    expect(decodeRecord(new TextEncoder().encode('hello world, not a record'))).toBeNull();
    expect(decodeRecord(new Uint8Array(0))).toBeNull();
  });
});

describe('DiskFeatureCache', () => {
  it('stores one file per key (hashed name), atomically, and reads it back', async () => {
    const dir = join(tmp, 'c1');
    const c = await DiskFeatureCache.open(dir);
    expect(readdirSync(dir)).toEqual([DISK_CACHE_MARKER]);
    expect(await c.get('a')).toBeUndefined();
    await c.put(record('a'));
    await c.put(record('b/../../weird key|with|bars'));
    const h = createHash('sha256').update('a').digest('hex');
    expect(c.fileOf('a')).toBe(join(c.dir, h.slice(0, 2), `${h.slice(2)}.rec`));
    expect(await c.get('a')).toEqual(record('a'));
    expect(await c.get('b/../../weird key|with|bars')).toEqual(record('b/../../weird key|with|bars'));
    expect(await c.has('a')).toBe(true);
    expect(await c.has('zzz')).toBe(false);
    // no temporary file is left behind
    const all = readdirSync(dir, { recursive: true }).map(String);
    expect(all.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(all.filter((f) => f.endsWith('.rec'))).toHaveLength(2);
    expect(await c.size()).toEqual({ records: 2, bytes: encodeRecord(record('a')).length + encodeRecord(record('b/../../weird key|with|bars')).length });
    expect({ hits: c.hits, misses: c.misses, writes: c.writes }).toEqual({ hits: 2, misses: 1, writes: 2 });
    await c.clear();
    expect(await c.size()).toEqual({ records: 0, bytes: 0 });
    expect(readdirSync(dir)).toEqual([DISK_CACHE_MARKER]);
  });

  it('a damaged record, or one stored under another key, is a miss', async () => {
    const c = await DiskFeatureCache.open(join(tmp, 'c2'));
    await c.put(record('x'));
    const f = c.fileOf('x');
    writeFileSync(f, readFileSync(f).subarray(0, 40));
    expect(await c.get('x')).toBeUndefined();
    // a file holding the record of key 'y' at the place of key 'x'
    writeFileSync(f, encodeRecord(record('y')));
    expect(await c.get('x')).toBeUndefined();
  });

  it('refuses a non-empty folder that is not a cache, and a file', async () => {
    const data = join(tmp, 'my-images');
    mkdirSync(data);
    writeFileSync(join(data, 'scan.png'), 'x');
    await expect(DiskFeatureCache.open(data)).rejects.toThrow(CacheDirError);
    await expect(DiskFeatureCache.open(join(data, 'scan.png'))).rejects.toThrow(/not a folder/);
    // an existing cache and an empty folder are fine
    mkdirSync(join(tmp, 'empty'));
    await expect(DiskFeatureCache.open(join(tmp, 'empty'))).resolves.toBeInstanceOf(DiskFeatureCache);
    await expect(DiskFeatureCache.open(join(tmp, 'c1'))).resolves.toBeInstanceOf(DiskFeatureCache);
  });

  it('a failed write warns once and the run goes on without caching', async () => {
    const warnings: string[] = [];
    const c = await DiskFeatureCache.open(join(tmp, 'c3'), (m) => warnings.push(m));
    // a file where the shard folder must go makes mkdir fail
    const shard = c.fileOf('k1').split('/').slice(-2)[0];
    writeFileSync(join(c.dir, shard), 'blocker');
    await c.put(record('k1'));
    await c.put(record('k2'));
    expect(c.writable).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/writing failed.*goes on without caching/);
  });

  it('remembers file hashes by path, size and mtime (path index), tolerating a cut-off last line', async () => {
    const dir = join(tmp, 'c4');
    const c = await DiskFeatureCache.open(dir);
    await c.rememberHash('/data/a.png', 10, 123.5, 'aa');
    await c.rememberHash('/data/b.png', 20, 456, 'bb');
    writeFileSync(join(dir, 'paths.jsonl'), readFileSync(join(dir, 'paths.jsonl'), 'utf8') + '{"p":"/data/c.png","s":3');
    const again = await DiskFeatureCache.open(dir);
    expect(await again.knownHash('/data/a.png', 10, 123.5)).toBe('aa');
    expect(await again.knownHash('/data/a.png', 11, 123.5)).toBeUndefined();
    expect(await again.knownHash('/data/b.png', 20, 457)).toBeUndefined();
    expect(await again.knownHash('/data/c.png', 3, 0)).toBeUndefined();
  });

  it('sha256Bytes equals the pipeline hash', async () => {
    const b = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 255);
    expect(sha256Bytes(b)).toBe(await sha256Hex(b));
  });
});

describe('resuming the pipeline from the disk cache', () => {
  it('after a run stopped halfway, the next run embeds only what was not done; a third embeds nothing', async () => {
    const extractor = await loadExtractor('pixels');
    const items: FileItem[] = Array.from({ length: 10 }, (_, i) => {
      const px = Uint8Array.from({ length: 32 * 32 }, (_, j) => (j * (i + 3) + i * 17) & 255);
      const png = encodePngGray8(px, 32, 32);
      return { path: `img_${i}.png`, label: i % 2 ? 'a' : 'b', read: async () => png };
    });
    const opts = { ...DEFAULT_PIPELINE_OPTIONS, batchSize: 2, varietySize: 16 };
    const dir = join(tmp, 'resume');
    const first = await DiskFeatureCache.open(dir);
    const stop = new AbortController();
    const firstResults: ItemResult[] = [];
    await expect(processItems(items, extractor, first, opts, {
      signal: stop.signal,
      onItem: (r) => {
        firstResults.push(r);
        if (firstResults.length === 4) stop.abort(); // "killed" after 4 files were embedded and written
      },
    })).rejects.toThrow(/cancelled/);
    expect(first.writes).toBe(4);

    const second = await DiskFeatureCache.open(dir);
    const secondResults: ItemResult[] = [];
    const counts = await processItems(items, extractor, second, opts, { onItem: (r) => secondResults.push(r) });
    expect(counts).toEqual({ cached: 4, embedded: 6, skipped: 0 });
    expect(secondResults.slice(0, 4).map((r) => 'frames' in r && r.fromCache)).toEqual([true, true, true, true]);
    // features from the cache are bit-identical to the ones computed
    for (let i = 0; i < 4; i++) {
      const a = firstResults[i] as Extract<ItemResult, { frames: unknown }>;
      const b = secondResults[i] as Extract<ItemResult, { frames: unknown }>;
      expect(b.frames[0].feature).toEqual(a.frames[0].feature);
      expect(b.frames[0].gray).toEqual(a.frames[0].gray);
    }

    const third = await DiskFeatureCache.open(dir);
    expect(await processItems(items, extractor, third, opts)).toEqual({ cached: 10, embedded: 0, skipped: 0 });
    expect(third.writes).toBe(0);
  });
});

describe('synthlens evaluate in process: resume message and terminal progress', () => {
  it('counts what the cache holds before extracting, and draws a progress bar on a terminal', async () => {
    // flat folders (no classes: no per-class metrics, so the run stays short)
    const data = join(tmp, 'folders');
    const demo = generateDemo({ size: 64, counts: { real: 8, holdout: 0, faithful: 4, copies: 0, collapsed: 0, 'low-fidelity': 0, shifted: 0 } });
    for (const set of [demo.real, demo.synthetic[0]]) {
      mkdirSync(join(data, set.name), { recursive: true });
      set.images.forEach((im, i) => writeFileSync(join(data, set.name, `${i}.png`), encodePngGray8(im.pixels, 64, 64)));
    }
    const cacheDir = join(tmp, 'cli-cache');
    const args = ['--real', join(data, 'real'), '--synthetic', join(data, 'faithful'), '--extractor', 'pixels', '--k', '2',
      '--variety-size', '16', '--backend', 'cpu', '--cache', cacheDir, '--json', '-'];
    const run = async () => {
      let stdout = '';
      let stderr = '';
      const code = await runEvaluate(args, { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, stderrIsTTY: true });
      return { code, stderr, report: JSON.parse(stdout) as Report };
    };
    const r1 = await run();
    expect(r1.code).toBe(0);
    expect(r1.stderr).not.toMatch(/resuming/);
    expect(r1.stderr).toMatch(/\r\x1b\[K\[[#.]{24}\] \d+\/12 files, [\d.]+ images\/s, ETA [\d:-]+ \((reading|decoding|embedding) (real|faithful)\)/);
    // as if the first run had been killed before its last 3 records reached the disk
    const recs = readdirSync(cacheDir, { recursive: true }).map(String).filter((f) => f.endsWith('.rec')).sort();
    expect(recs).toHaveLength(12);
    for (const f of recs.slice(0, 3)) rmSync(join(cacheDir, f));
    const r2 = await run();
    expect(r2.stderr).toMatch(/resuming: 9 of 12 images already embedded/);
    expect(r2.report.config.extraction).toMatchObject({ embedded: 3, cached: 9 });
    expect(r2.report.config.cache).toMatchObject({ hits: 9, misses: 3, writes: 3, resumed: 9 });
    expect(r2.report.sets).toEqual(r1.report.sets);
  });
});

/**
 * The decode pool (src/cli/decodePool.ts + decodeWorker.ts) under processItems (src/pipeline/extract.ts):
 * with 2 decode threads the run gives what the single-thread path gives, checked against that path itself
 * on one folder: demo phantom PNGs, a corrupt PNG, an empty file, a truncated DICOM, a multi-frame DICOM, an
 * unreadable item and a byte-identical copy of an earlier PNG. Compared: every onItem result in order (paths,
 * skip reasons, frame ids, metadata, thumbnails, variety images, features bit for bit), the counts, the
 * batches the model saw (sizes and contents), the cache records written and the cache hits and misses (the
 * copies are found in the cache at their turn, as on one thread), with augmentation too. Abort mid-run rejects
 * promptly; a decode thread that exits, or whose script fails to load, fails the run instead of hanging. The
 * bundled CLI (bin/synthlens.js) starts its decode threads from the bundle and reports what it reports with none.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DecodePool, decodeThreadsFromEnv } from '../../../src/cli/decodePool.ts';
import { DEFAULT_PIPELINE_OPTIONS, processItems, type FileItem, type ItemResult, type PipelineOptions } from '../../../src/pipeline/extract.ts';
import type { Extractor } from '../../../src/extractors/specs.ts';
import { MemoryFeatureCache, type CacheRecord, type FeatureCache } from '../../../src/store/featureCache.ts';
import { generateDemo } from '../../../src/demo/phantoms.ts';
import { demoAsPng } from '../../../src/demo/png.ts';
import { makeFolders } from '../../fixtures/folders/makeFolders.ts';
// @ts-expect-error plain JavaScript module without types
import { cliBundleDir } from '../../../bin/cliBundle.js';

const ROOT = resolve(__dirname, '../../..');
const tmp = mkdtempSync(join(tmpdir(), 'synthlens-decodepool-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A model stand-in: 3 features per frame (sum, index-weighted sum, max of the input); records every batch. */
function recordingExtractor(inputSize = 32, channels: 1 | 3 = 1) {
  const batches: { n: number; sum: number; first: number }[] = [];
  const ex: Extractor = {
    id: 'recording', label: 'recording', inputSize, channels, dim: 3, description: '', weightsHash: 'none',
    async embed(batch, n) {
      const per = inputSize * inputSize * channels;
      const out = new Float32Array(n * 3);
      let total = 0;
      for (let f = 0; f < n; f++) {
        let s = 0, w = 0, m = -Infinity;
        for (let j = 0; j < per; j++) {
          const v = batch[f * per + j];
          s += v;
          w += v * ((j % 97) + 1);
          if (v > m) m = v;
        }
        out.set([s, w, m], f * 3);
        total += s;
      }
      batches.push({ n, sum: total, first: batch[0] });
      return out;
    },
    dispose() {},
  };
  return { ex, batches };
}

const demo = demoAsPng(generateDemo({ size: 48, counts: { real: 9, holdout: 0, faithful: 0, copies: 0, collapsed: 0, 'low-fidelity': 0, shifted: 0 } }));
// plain Uint8Arrays, as src/imaging/node.ts reads them (not Node Buffers)
const fixture = (p: string) => new Uint8Array(readFileSync(join(ROOT, 'tests/fixtures/images', p)));
const files: { path: string; bytes: Uint8Array | null }[] = [
  ...demo.slice(0, 2).map((f) => ({ path: f.path, bytes: f.bytes })),
  { path: 'early-copy-of-first.png', bytes: demo[0].bytes },
  ...demo.slice(2, 4).map((f) => ({ path: f.path, bytes: f.bytes })),
  { path: 'bad/corrupt.png', bytes: fixture('bad/corrupt.png') },
  { path: 'multiframe.dcm', bytes: fixture('dicom/multiframe.dcm') },
  { path: 'bad/empty.png', bytes: new Uint8Array(0) },
  { path: 'gone.png', bytes: null },
  ...demo.slice(4, 7).map((f) => ({ path: f.path, bytes: f.bytes })),
  { path: 'copy-of-first.png', bytes: demo[0].bytes },
  { path: 'bad/truncated.dcm', bytes: fixture('bad/truncated.dcm') },
  { path: 'rgb.dcm', bytes: fixture('dicom/rgb-explicit-le.dcm') },
  ...demo.slice(7).map((f) => ({ path: f.path, bytes: f.bytes })),
];
// a fresh copy on each read (the pool takes the buffer it is given)
const items = (): FileItem[] =>
  files.map((f) => ({
    path: f.path,
    label: null,
    read: async () => {
      if (!f.bytes) throw new Error('ENOENT: no such file');
      return new Uint8Array(f.bytes);
    },
  }));

/** Counts gets, hits and puts around a memory cache. */
class CountingCache implements FeatureCache {
  readonly writable = true;
  readonly inner = new MemoryFeatureCache();
  gets = 0;
  hits = 0;
  readonly puts: string[] = [];
  async get(key: string) {
    this.gets++;
    const r = await this.inner.get(key);
    if (r) this.hits++;
    return r;
  }
  async put(r: CacheRecord) {
    this.puts.push(r.key);
    await this.inner.put(r);
  }
  clear() { return this.inner.clear(); }
  size() { return this.inner.size(); }
}

async function run(pool: DecodePool | null, opts: PipelineOptions, cache: FeatureCache | null = null) {
  const { ex, batches } = recordingExtractor();
  const results: ItemResult[] = [];
  const counts = await processItems(items(), ex, cache, opts, { onItem: (r) => results.push(r), preparer: pool });
  return { results, counts, batches };
}

/** The results as plain data, typed arrays as byte lists (bit for bit). */
const plain = (rs: ItemResult[]) =>
  rs.map((r) =>
    'skipped' in r
      ? r
      : {
          ...r,
          frames: r.frames.map((f) => ({
            ...f,
            feature: [...new Uint8Array(f.feature.buffer, f.feature.byteOffset, f.feature.byteLength)],
            thumb: { ...f.thumb, data: [...f.thumb.data] },
            gray: f.gray ? [...f.gray] : null,
          })),
        },
  );

const opts: PipelineOptions = { ...DEFAULT_PIPELINE_OPTIONS, batchSize: 4, varietySize: 24, thumbSize: 16 };

describe('decode pool', () => {
  const pool = new DecodePool(2);
  afterAll(() => pool.close());

  it('gives the single-thread results, order, counts and batches (no cache)', async () => {
    const one = await run(null, opts);
    const two = await run(pool, opts);
    expect(one.results.map((r) => r.path)).toEqual(files.map((f) => f.path));
    expect(two.results.map((r) => r.path)).toEqual(files.map((f) => f.path));
    expect(plain(two.results)).toEqual(plain(one.results));
    expect(two.counts).toEqual(one.counts);
    expect(two.batches).toEqual(one.batches);
    // the folder's cases are there: skips with their reasons, the multi-frame file's frames
    const skipped = one.results.filter((r) => 'skipped' in r).map((r) => r.path);
    expect(skipped).toEqual(['bad/corrupt.png', 'bad/empty.png', 'gone.png', 'bad/truncated.dcm']);
    const multi = one.results.find((r) => r.path === 'multiframe.dcm')!;
    expect('frames' in multi && multi.frames.length).toBeGreaterThan(1);
    expect(one.counts).toEqual({ cached: 0, embedded: files.length - 4, skipped: 4 });
  }, 20_000);

  it('gives the single-thread results with augmentation', async () => {
    const aug = { ...opts, augment: { seed: 5 } };
    const one = await run(null, aug);
    const two = await run(pool, aug);
    expect(plain(two.results)).toEqual(plain(one.results));
    expect(two.batches).toEqual(one.batches);
  }, 20_000);

  it('writes the same cache records, finds the copy in the cache at its turn, and resumes from the cache', async () => {
    const o = { ...opts, batchSize: 2 }; // the first PNG's batch is written before its copy's turn
    const c1 = new CountingCache();
    const c2 = new CountingCache();
    const one = await run(null, o, c1);
    const two = await run(pool, o, c2);
    expect(plain(two.results)).toEqual(plain(one.results));
    expect(two.counts).toEqual(one.counts);
    // both copies come from the cache: the early one is read while the first file is still being prepared
    expect(one.counts.cached).toBe(2);
    expect(two.results.find((r) => r.path === 'early-copy-of-first.png')).toMatchObject({ fromCache: true });
    expect(two.results.find((r) => r.path === 'copy-of-first.png')).toMatchObject({ fromCache: true });
    expect([c2.gets, c2.hits]).toEqual([c1.gets, c1.hits]);
    expect(c2.puts).toEqual(c1.puts);
    for (const k of c1.puts) expect(plain([{ path: '', label: null, frames: (await c2.inner.get(k))!.frames, fromCache: true }])).toEqual(plain([{ path: '', label: null, frames: (await c1.inner.get(k))!.frames, fromCache: true }]));
    // a second run over the filled cache: everything readable from the cache
    const again = await run(pool, o, c2);
    expect(again.counts).toEqual({ cached: one.counts.embedded + 2, embedded: 0, skipped: 4 });
    expect(plain(again.results.filter((r) => !('skipped' in r)))).toEqual(plain(one.results.filter((r) => !('skipped' in r))).map((r) => ({ ...r, fromCache: true })));
  }, 20_000);

  it('stops promptly on abort, and the pool serves the next run', async () => {
    const { ex } = recordingExtractor();
    const ac = new AbortController();
    let seen = 0;
    const t0 = performance.now();
    const p = processItems(items(), ex, null, opts, {
      signal: ac.signal,
      preparer: pool,
      onItem: () => {
        if (++seen === 2) ac.abort();
      },
    });
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toBeLessThan(files.length);
    expect(performance.now() - t0).toBeLessThan(5_000);
    const after = await run(pool, opts);
    expect(after.results).toHaveLength(files.length);
  }, 20_000);
});

describe('decode pool failures', () => {
  it('a decode thread that exits fails the run (no hang)', async () => {
    const script = join(tmp, 'exits.mjs');
    writeFileSync(script, "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => process.exit(7));\n");
    const pool = new DecodePool(1, { script: pathToFileURL(script) });
    try {
      await expect(run(pool, opts)).rejects.toThrow(/decode thread exited \(code 7\)/);
      // later requests fail at once too
      await expect(run(pool, opts)).rejects.toThrow(/decode thread exited/);
    } finally {
      await pool.close();
    }
  }, 10_000);

  it('a decode thread whose script fails to load fails the run (no hang)', async () => {
    const script = join(tmp, 'throws.mjs');
    writeFileSync(script, "throw new Error('boot failed');\n");
    const pool = new DecodePool(2, { script: pathToFileURL(script) });
    try {
      await expect(run(pool, opts)).rejects.toThrow(/boot failed|decode thread/);
    } finally {
      await pool.close();
    }
  }, 10_000);
});

describe('bundled CLI', () => {
  it('synthlens evaluate with 2 decode threads reports exactly what it reports with none', async () => {
    const bundle: string | null = await cliBundleDir();
    expect(bundle).not.toBeNull();
    for (const f of ['decodeWorker.js', 'decodeWorkerBoot.mjs']) expect(existsSync(join(bundle!, f)), f).toBe(true);
    const data = join(tmp, 'folders');
    makeFolders(data, { broken: true, counts: { real: 8, holdout: 0, faithful: 6, copies: 0 } });
    const report = (threads: string) => {
      const out = join(tmp, `report-${threads}.json`);
      const r = spawnSync(process.execPath, [
        join(ROOT, 'bin/synthlens.js'), 'evaluate', '--real', join(data, 'real'), '--synthetic', join(data, 'faithful'),
        '--extractor', 'pixels', '--variety-size', '32', '--k', '3', '--json', out,
      ], { env: { ...process.env, SYNTHLENS_DECODE_THREADS: threads }, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const rep = JSON.parse(readFileSync(out, 'utf8'));
      delete rep.timings;
      delete rep.createdAt;
      return rep;
    };
    const two = report('2');
    // the broken files are skipped with their reasons, the run goes on
    expect((two.skipped as { path: string; reason: string }[]).map((x) => x.reason)).toEqual([
      expect.stringMatching(/^corrupt PNG/), 'empty file (0 bytes)', 'not an image (no known image signature)',
    ]);
    expect(two).toEqual(report('0'));
  }, 30_000);
});

describe('decodeThreadsFromEnv', () => {
  it('one per core but one, at most 8, none on one core; SYNTHLENS_DECODE_THREADS overrides', () => {
    expect(decodeThreadsFromEnv({}, 1)).toBe(0);
    expect(decodeThreadsFromEnv({}, 2)).toBe(1);
    expect(decodeThreadsFromEnv({}, 16)).toBe(8);
    expect(decodeThreadsFromEnv({}, 5)).toBe(4);
    expect(decodeThreadsFromEnv({ SYNTHLENS_DECODE_THREADS: '0' }, 16)).toBe(0);
    expect(decodeThreadsFromEnv({ SYNTHLENS_DECODE_THREADS: '3' }, 2)).toBe(3);
    expect(() => decodeThreadsFromEnv({ SYNTHLENS_DECODE_THREADS: '-1' }, 2)).toThrow(/non-negative integer/);
    expect(() => decodeThreadsFromEnv({ SYNTHLENS_DECODE_THREADS: 'x' }, 2)).toThrow(/non-negative integer/);
  });
});

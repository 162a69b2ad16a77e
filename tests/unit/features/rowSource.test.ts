/**
 * Feature sets streamed from their .npy file (src/core/features/rowSource.ts, src/cli/rowFile.ts):
 * the rows read a block at a time are the file's rows; every statistic computed block by block
 * equals the in-memory one bit for bit (the blocks are multiples of gemm's inner slice); and
 * evaluate() gives the same report for streamed and in-memory sets, on this thread and on two
 * worker_threads that open the files themselves, on the wasm backend (tiles built in reused
 * buffers, products read from the WebAssembly heap), with labels (per-class copies), a holdout
 * set, KID from the passes and in float64 (which reads the sets whole), and the exact JS geometry.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeFeatureSet, subsetRows, type FeatureSet } from '../../../src/core/features/featureSet.ts';
import { writeNpy } from '../../../src/core/features/npy.ts';
import {
  RowAccess, forEachRowBlock, gatherRows, inMemory, isStreamed, rowsInMemory, streamedRows,
} from '../../../src/core/features/rowSource.ts';
import { openNpyRows } from '../../../src/cli/rowFile.ts';
import { validateFeatureSet } from '../../../src/core/neighbours/exact.ts';
import { loadFeatureFile } from '../../../src/cli/loadFeatures.ts';
import { FileError } from '../../../src/cli/errors.ts';
import { columnMeans, columnMeansOf, crossProduct, crossProductOf, momentBlockRows } from '../../../src/core/linalg/crossprod.ts';
import { gaussianStats } from '../../../src/core/metrics/fid.ts';
import { vendiScore } from '../../../src/core/metrics/vendi.ts';
import { featureStd } from '../../../src/core/metrics/featureStd.ts';
import { evaluate, type EvaluateInput } from '../../../src/core/evaluate.ts';
import { setNodeBackend } from '../../../src/cli/engineBackend.ts';
import { NodeEnginePool } from '../../../src/cli/enginePool.ts';
import { createRng } from '../../../src/core/random.ts';

const dir = mkdtempSync(join(tmpdir(), 'synthlens-rows-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function gaussianRows(n: number, d: number, seed: number, shift = 0): Float32Array {
  const rng = createRng(seed);
  const x = new Float32Array(n * d);
  for (let i = 0; i < x.length; i++) x[i] = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng()) + shift + (i % d) * 0.01;
  return x;
}

/** The rows written as an .npy, and the set both in memory and streamed from that file. */
function both(name: string, x: Float32Array, n: number, d: number): { mem: FeatureSet; file: FeatureSet; path: string } {
  const path = join(dir, `${name}.npy`);
  writeFileSync(path, writeNpy(x, [n, d]));
  const file = openNpyRows(path);
  if (!file) throw new Error('not streamed');
  return { mem: makeFeatureSet(x, n, d), file, path };
}

/** The same rows with other ids and labels, streamed or not. */
function withIds(fs: FeatureSet, ids: string[], labels: string[] | null): FeatureSet {
  return isStreamed(fs) ? streamedRows(fs.rows, fs.n, fs.dim, ids, labels) : { ...fs, ids, labels };
}

function sameBits(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

describe('rows read from the file', () => {
  const n = 1_337, d = 37;
  const x = gaussianRows(n, d, 5);
  const { mem, file } = both('small', x, n, d);

  it('is streamed, holds no data, and says so when data is read', () => {
    expect(isStreamed(file)).toBe(true);
    expect(isStreamed(mem)).toBe(false);
    expect(file.n).toBe(n);
    expect(file.dim).toBe(d);
    expect(file.ids[5]).toBe('5');
    expect(() => file.data).toThrow(/read from the file a block at a time/);
    // structured cloning (as to a worker) carries the file reference, not the throwing property
    const clone = structuredClone({ ...file });
    expect(clone.rows).toEqual(file.rows);
  });

  it('blocks, single rows, gathers and the whole set are the file rows', () => {
    const seen = new Float32Array(n * d);
    let calls = 0;
    forEachRowBlock(file, 100, (block, first, count) => {
      expect(block.length).toBe(count * d);
      seen.set(block, first * d);
      calls++;
    });
    expect(calls).toBe(14);
    expect(sameBits(seen, x)).toBe(true);
    expect(sameBits(rowsInMemory(file), x)).toBe(true);
    expect(sameBits(inMemory(file).data, x)).toBe(true);
    const acc = new RowAccess(file);
    const buf = new Float32Array(50 * d);
    expect(sameBits(acc.blockInto(1_287, 50, buf), x.subarray(1_287 * d))).toBe(true);
    expect(sameBits(acc.row(700, new Float32Array(d)), x.subarray(700 * d, 701 * d))).toBe(true);
    acc.close();
    const idx = [3, 4, 5, 900, 2, 2, 1_336, 0];
    const g = gatherRows(file, idx);
    expect(sameBits(g, gatherRows(mem, idx))).toBe(true);
    expect(gatherRows(file, idx, true).buffer).toBeInstanceOf(SharedArrayBuffer);
    const sub = subsetRows(withIds(file, file.ids.map((s) => `r${s}`), file.ids.map((_, i) => (i % 2 ? 'a' : 'b'))), idx);
    expect(sub.ids).toEqual(idx.map((i) => `r${i}`));
    expect(sub.labels).toEqual(idx.map((i) => (i % 2 ? 'a' : 'b')));
    expect(sameBits(sub.data, g)).toBe(true);
  });

  it('the engine and the reader both check a streamed set for non-finite values', () => {
    const y = Float32Array.from(x);
    y[40 * d + 2] = Infinity;
    const p = join(dir, 'inf.npy');
    writeFileSync(p, writeNpy(y, [n, d]));
    const start = file.rows!.byteOffset;
    expect(() => validateFeatureSet(streamedRows({ path: p, byteOffset: start }, n, d), 'real set')).toThrow(/non-finite feature value at row 40/);
    expect(() => openNpyRows(p)).toThrow(/row 41, column 3: value Infinity/);
  });

  it('a file that no longer holds its rows fails the read instead of giving short rows', () => {
    const p = join(dir, 'shrinks.npy');
    writeFileSync(p, writeNpy(x, [n, d]));
    const fs = openNpyRows(p)!;
    writeFileSync(p, writeNpy(x.subarray(0, 10 * d), [10, d]));
    expect(() => rowsInMemory(fs)).toThrow(/ended early/);
  });
});

describe('statistics block by block equal the in-memory ones bit for bit', () => {
  it('means and cross products across several blocks (n not a multiple of the block)', () => {
    const d = 64;
    const n = 2 * momentBlockRows(d) + 77; // three blocks, the last one partial
    const { mem, file } = both('moments', gaussianRows(n, d, 9, 0.5), n, d);
    const mean = columnMeans(mem.data, n, d);
    expect(sameBits(columnMeansOf(file), mean)).toBe(true);
    expect(sameBits(crossProductOf(file, { center: mean }), crossProduct(mem.data, n, d, { center: mean }))).toBe(true);
    const scale = Float64Array.from({ length: n }, (_, i) => 1 / (1 + (i % 13)));
    expect(sameBits(crossProductOf(file, { rowScale: scale }), crossProduct(mem.data, n, d, { rowScale: scale }))).toBe(true);
  });

  it('Gaussian fit, Vendi score and feature STD, with n above and below d', () => {
    for (const [n, d] of [[700, 24], [30, 48]]) {
      const { mem, file } = both(`stats-${n}`, gaussianRows(n, d, n, 0.2), n, d);
      const a = gaussianStats(mem), b = gaussianStats(file);
      expect(sameBits(b.mean, a.mean)).toBe(true);
      expect(sameBits(b.cov, a.cov)).toBe(true);
      expect(Object.is(vendiScore(file).score, vendiScore(mem).score)).toBe(true);
      expect(Object.is(featureStd(file), featureStd(mem))).toBe(true);
    }
  });
});

describe('evaluate() on streamed sets', () => {
  let pool: NodeEnginePool;
  beforeAll(async () => {
    await setNodeBackend('wasm');
    pool = new NodeEnginePool(2, 'wasm');
  });
  afterAll(() => pool.close());

  const d = 24;
  const sets = {
    real: both('real', gaussianRows(900, d, 1), 900, d),
    a: both('a', gaussianRows(700, d, 2, 0.2), 700, d),
    b: both('b', gaussianRows(650, d, 3, 0.4), 650, d),
    hold: both('hold', gaussianRows(300, d, 4), 300, d),
  };
  const label = (n: number) => Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 'x' : 'y'));
  const input = (pick: 'mem' | 'file'): EvaluateInput => {
    const at = (s: { mem: FeatureSet; file: FeatureSet }) => withIds(s[pick], s.mem.ids, label(s.mem.n));
    return {
      real: at(sets.real),
      synthetic: [{ name: 'a', features: at(sets.a) }, { name: 'b', features: at(sets.b) }],
      holdout: sets.hold[pick],
      config: { backend: 'wasm', kidSubsets: 5, kidSubsetSize: 200 },
    };
  };
  const comparable = (r: Awaited<ReturnType<typeof evaluate>>) =>
    r.report.sets.map((s) => ({
      metrics: s.metrics, perClass: s.perClass, warnings: s.warnings,
      engine: s.engine ? { ...s.engine, exactPairs: 0 } : s.engine,
    }));

  for (const [what, engine, kidProducts] of [
    ['this thread, KID from the passes', { pool: null }, 'float32'],
    ['two worker threads, KID from the passes', { parallelMinFlops: 0 }, 'float32'],
    ['two worker threads, KID in float64 (sets read whole)', { parallelMinFlops: 0 }, 'float64'],
    ['the exact JS geometry (sets read whole)', { compute: 'js', pool: null }, 'auto'],
  ] as const) {
    it(`gives the in-memory report: ${what}`, async () => {
      const eng = { ...engine, ...('pool' in engine ? {} : { pool }) };
      const mem = await evaluate({ ...input('mem'), engine: eng, kidProducts });
      const file = await evaluate({ ...input('file'), engine: eng, kidProducts });
      expect(comparable(file)).toEqual(comparable(mem));
      expect(file.report.sets[0].metrics.fid).toBeGreaterThan(0);
      expect(Object.keys(file.report.sets[0].perClass)).toEqual(['x', 'y']);
      expect(file.report.holdout).toEqual(mem.report.holdout);
      expect(file.report.holdout?.count).toBe(300);
      expect(file.holdoutAssignments).toEqual(mem.holdoutAssignments);
      expect(file.syntheticDcrDistances).toEqual(mem.syntheticDcrDistances);
      expect(file.assignments).toEqual(mem.assignments);
      if (what.startsWith('two worker')) expect(file.report.sets[0].engine?.workers).toBe(2);
    }, 120_000);
  }
});

describe('loadFeatureFile with stream', () => {
  it('streams a float32 .npy with its ids file, and reads other files into memory', async () => {
    const x = gaussianRows(40, 6, 11);
    const p = join(dir, 'named.npy');
    writeFileSync(p, writeNpy(x, [40, 6]));
    writeFileSync(join(dir, 'named.ids.csv'), 'filename,label\n' + Array.from({ length: 40 }, (_, i) => `img${i}.png,${i % 2 ? 'a' : 'b'}`).join('\n') + '\n');
    const fs = await loadFeatureFile(p, 'continuous', { stream: true });
    expect(isStreamed(fs)).toBe(true);
    expect(fs.ids[3]).toBe('img3.png');
    expect(fs.labels?.[3]).toBe('a');
    expect(sameBits(rowsInMemory(fs), x)).toBe(true);
    expect(isStreamed(await loadFeatureFile(p, 'continuous'))).toBe(false);
    // other dtypes, and discrete codes, are read into memory
    const pi = join(dir, 'codes.npy');
    writeFileSync(pi, writeNpy(Int32Array.from({ length: 60 }, (_, i) => i % 7), [20, 3]));
    const ints = await loadFeatureFile(pi, 'continuous', { stream: true });
    expect(isStreamed(ints)).toBe(false);
    expect(ints.data[8]).toBe(1);
    expect(isStreamed(await loadFeatureFile(pi, 'discrete', { stream: true }))).toBe(false);
  });

  it('names the row and column of a value that is not finite, and an ids file of the wrong length', async () => {
    const x = gaussianRows(30, 5, 12);
    x[17 * 5 + 3] = NaN;
    const p = join(dir, 'nan.npy');
    writeFileSync(p, writeNpy(x, [30, 5]));
    await expect(loadFeatureFile(p, 'continuous', { stream: true })).rejects.toThrow(/nan\.npy.*row 18, column 4: value NaN is not a finite number/);
    await expect(loadFeatureFile(p, 'continuous', { stream: true })).rejects.toBeInstanceOf(FileError);
    const q = join(dir, 'short.npy');
    writeFileSync(q, writeNpy(gaussianRows(30, 5, 13), [30, 5]));
    writeFileSync(join(dir, 'short.ids.csv'), 'filename\na.png\nb.png\n');
    await expect(loadFeatureFile(q, 'continuous', { stream: true })).rejects.toThrow(/short\.ids\.csv.*has 2 rows, short\.npy has 30/);
  });
});

/**
 * src/pipeline/extract.ts: frames per forward pass. On the CPU backends the pipeline workers embed at most
 * CPU_BATCH_SIZE frames at a time (a smaller wasm heap; see the constant's note), elsewhere the requested batch;
 * processItems hands the extractor at most opts.batchSize frames of single-frame files per pass (a multi-frame
 * file's frames stay in one pass), and the features do not depend on it.
 * The extractor here is a stand-in that records each pass and returns, per frame, the sum and first value of its
 * input (hand-checkable).
 */
import { describe, expect, it } from 'vitest';
import { batchSizeFor, CPU_BATCH_SIZE, DEFAULT_PIPELINE_OPTIONS, processItems, type ItemResult } from '../../../src/pipeline/extract.ts';
import { PIXELS_SPEC, type Extractor } from '../../../src/extractors/specs.ts';
import { encodePngGray8 } from '../../../src/core/png/encode.ts';

describe('batchSizeFor', () => {
  it('caps the batch on wasm and cpu only', () => {
    expect(CPU_BATCH_SIZE).toBe(4);
    expect(batchSizeFor('wasm', 16)).toBe(4);
    expect(batchSizeFor('cpu', 16)).toBe(4);
    expect(batchSizeFor('wasm', 2)).toBe(2);
    expect(batchSizeFor('webgpu', 16)).toBe(16);
    expect(batchSizeFor('webgl', 16)).toBe(16);
  });
});

describe('processItems batches', () => {
  const size = 4;
  const files = Array.from({ length: 11 }, (_, i) => {
    const png = encodePngGray8(Uint8Array.from({ length: size * size }, (_, p) => (i * 20 + p) % 256), size, size);
    return { path: `f${i}.png`, label: null, read: async () => png };
  });
  const stand = (passes: number[]): Extractor => ({
    ...PIXELS_SPEC,
    id: 'stand-in',
    inputSize: size,
    channels: 1,
    dim: 2,
    async embed(batch: Float32Array, n: number) {
      passes.push(n);
      const out = new Float32Array(2 * n);
      for (let f = 0; f < n; f++) {
        const x = batch.subarray(f * size * size, (f + 1) * size * size);
        out[2 * f] = x.reduce((a, v) => a + v, 0);
        out[2 * f + 1] = x[0];
      }
      return out;
    },
    dispose() {},
  });

  it('hands the extractor at most batchSize single-frame files per pass, with the same features for any batch', async () => {
    const features = async (batchSize: number) => {
      const passes: number[] = [];
      const out: ItemResult[] = [];
      await processItems(files, stand(passes), null, { ...DEFAULT_PIPELINE_OPTIONS, varietySize: null, batchSize }, { onItem: (r) => out.push(r) });
      return { passes, rows: out.map((r) => ('frames' in r ? Array.from(r.frames[0].feature) : null)) };
    };
    const b16 = await features(16);
    const b4 = await features(batchSizeFor('wasm', 16));
    expect(b16.passes).toEqual([11]);
    expect(b4.passes).toEqual([4, 4, 3]);
    expect(b4.rows).toEqual(b16.rows);
    // file 0: pixels p / 255 for p = 0..15, sum 120 / 255, first 0
    expect(b4.rows[0]![0]).toBeCloseTo(120 / 255, 6);
    expect(b4.rows[0]![1]).toBe(0);
  });
});

/**
 * src/pipeline/extract.ts reuses its batch arrays and the frames' model inputs from one forward pass to the next
 * (and across runs on the same thread). The stand-in extractor below gets every pass as the real ones do, checks
 * each value of it against the file's pixels (a 4 x 4 gray PNG at input size 4: the input is pixel / 255, since an
 * area pass at the same size keeps every value), returns per frame the sum and the first value, and then scribbles
 * NaN over the array it was given, so any value a later pass did not write would show. Two runs go at once, their
 * passes interleaved (each embed waits a macrotask), each with its own files and batch size.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_PIPELINE_OPTIONS, processItems, type ItemResult } from '../../../src/pipeline/extract.ts';
import { PIXELS_SPEC, type Extractor } from '../../../src/extractors/specs.ts';
import { encodePngGray8 } from '../../../src/core/png/encode.ts';

const size = 4;
const pixels = (i: number) => Uint8Array.from({ length: size * size }, (_, p) => (i * 29 + p * 7) % 256);
const files = Array.from({ length: 13 }, (_, i) => {
  const png = encodePngGray8(pixels(i), size, size);
  return { path: `f${i}.png`, label: null, read: async () => png };
});
const input = (i: number) => Float32Array.from(pixels(i), (v) => v / 255);

/** Checks each pass against the files it expects next (in order), and leaves NaN behind. */
function standIn(order: number[], problems: string[]): Extractor {
  let next = 0;
  return {
    ...PIXELS_SPEC, id: 'stand-in', inputSize: size, channels: 1, dim: 2,
    async embed(batch: Float32Array, n: number) {
      await new Promise((r) => setTimeout(r, 0));
      if (batch.length !== n * size * size) problems.push(`pass of ${n} frames has ${batch.length} values`);
      const out = new Float32Array(2 * n);
      for (let f = 0; f < n; f++) {
        const x = batch.subarray(f * size * size, (f + 1) * size * size);
        const want = input(order[next++]);
        if (x.some((v, k) => !Object.is(v, want[k]))) problems.push(`frame ${f} of a pass of ${n} is not file ${order[next - 1]}`);
        out[2 * f] = x.reduce((a, v) => a + v, 0);
        out[2 * f + 1] = x[0];
      }
      batch.fill(NaN);
      return out;
    },
    dispose() {},
  };
}

async function run(order: number[], batchSize: number, problems: string[]): Promise<number[][]> {
  const out: ItemResult[] = [];
  const c = await processItems(order.map((i) => files[i]), standIn(order, problems), null, { ...DEFAULT_PIPELINE_OPTIONS, varietySize: null, batchSize }, {
    onItem: (r) => out.push(r),
  });
  expect(c.embedded).toBe(order.length);
  return out.map((r) => ('frames' in r ? Array.from(r.frames[0].feature) : []));
}

const expected = (i: number) => {
  const x = input(i);
  return [Math.fround(x.reduce((a, v) => a + v, 0)), x[0]];
};

describe('processItems with reused batch and input arrays', () => {
  it('gives every pass exactly its files, run after run and with two runs at once', async () => {
    const problems: string[] = [];
    const forward = files.map((_, i) => i);
    const backward = [...forward].reverse();
    expect(await run(forward, 5, problems)).toEqual(forward.map(expected));
    const [a, b] = await Promise.all([run(backward, 3, problems), run(forward, 4, problems)]);
    expect(a).toEqual(backward.map(expected));
    expect(b).toEqual(forward.map(expected));
    expect(await run(forward.slice(0, 6), 16, problems)).toEqual(forward.slice(0, 6).map(expected));
    expect(problems).toEqual([]);
  });
});

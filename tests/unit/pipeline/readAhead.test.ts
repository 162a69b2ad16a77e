/**
 * src/pipeline/extract.ts processItems without a preparer reads (and hashes) one file ahead: while file i is
 * embedded, file i + 1 has been asked for, and no further one (one file's bytes held in advance, no more). A file
 * that cannot be read is still reported at its turn, in input order, and a cancelled run does not go on reading.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_PIPELINE_OPTIONS, processItems, type ItemResult } from '../../../src/pipeline/extract.ts';
import { PIXELS_SPEC, type Extractor } from '../../../src/extractors/specs.ts';
import { encodePngGray8 } from '../../../src/core/png/encode.ts';

const png = (i: number) => encodePngGray8(Uint8Array.from({ length: 4 }, (_, p) => i * 10 + p), 2, 2);

describe('processItems reads one file ahead', () => {
  it('has asked for file i + 1, and not i + 2, when file i is embedded; a failed read is reported at its turn', async () => {
    let reads = 0;
    const asked: number[] = [];
    const files = Array.from({ length: 6 }, (_, i) => ({
      path: `f${i}.png`,
      label: null,
      read: async () => {
        reads++;
        if (i === 3) throw new Error('gone');
        return png(i);
      },
    }));
    const ex: Extractor = {
      ...PIXELS_SPEC, id: 'stand-in', inputSize: 2, channels: 1, dim: 4,
      async embed(batch: Float32Array, n: number) {
        asked.push(reads);
        await new Promise((r) => setTimeout(r, 1));
        return batch.slice(0, n * 4);
      },
      dispose() {},
    };
    const out: ItemResult[] = [];
    const c = await processItems(files, ex, null, { ...DEFAULT_PIPELINE_OPTIONS, varietySize: null, batchSize: 1 }, { onItem: (r) => out.push(r) });
    expect(c).toEqual({ cached: 0, embedded: 5, skipped: 1 });
    // Embeds of files 0, 1, 2, 4, 5: file i + 1 asked for (file 3's read was asked for before file 2's embed).
    expect(asked).toEqual([2, 3, 4, 6, 6]);
    expect(out.map((r) => r.path)).toEqual(files.map((f) => f.path));
    expect(out[3]).toEqual({ path: 'f3.png', label: null, skipped: 'cannot be read: gone' });
    expect(Array.from((out[4] as { frames: { feature: Float32Array }[] }).frames[0].feature, (v) => Math.round(v * 255))).toEqual([40, 41, 42, 43]);
  });

  it('stops reading when the run is cancelled', async () => {
    let reads = 0;
    const controller = new AbortController();
    const files = Array.from({ length: 5 }, (_, i) => ({ path: `f${i}.png`, label: null, read: async () => (reads++, png(i)) }));
    const ex: Extractor = {
      ...PIXELS_SPEC, id: 'stand-in', inputSize: 2, channels: 1, dim: 4,
      async embed(batch: Float32Array, n: number) {
        controller.abort();
        return batch.slice(0, n * 4);
      },
      dispose() {},
    };
    await expect(processItems(files, ex, null, { ...DEFAULT_PIPELINE_OPTIONS, varietySize: null, batchSize: 1 }, { signal: controller.signal })).rejects.toThrow(/cancelled/);
    expect(reads).toBe(2);
  });
});

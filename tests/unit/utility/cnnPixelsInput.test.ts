/**
 * The pixels extractor at another side (src/extractors/specs.ts pixelsSpec / pixelsExtractor, reached
 * through loadExtractor('pixels', undefined, { inputSize })): the cnn utility tier's S x S inputs. Checks
 * ids (cache keys never mix sizes), dims, that embed() returns the preprocessed image unchanged, and that
 * the pipeline delivers exactly preprocess(decoded image) at that size.
 */
import { describe, expect, it } from 'vitest';
import { loadExtractor, PIXELS_SPEC, pixelsSpec } from '../../../src/extractors/registry.ts';
import { pipelineCacheKey, processItems, DEFAULT_PIPELINE_OPTIONS, type ItemResult } from '../../../src/pipeline/extract.ts';
import { generateDemoSet } from '../../../src/demo/phantoms.ts';
import { demoSetAsPng } from '../../../src/demo/png.ts';
import { preprocess } from '../../../src/imaging/preprocess.ts';

describe('pixels extractor sizes', () => {
  it('64 is the default pixels spec; other sizes have their own id and dimension', async () => {
    expect(pixelsSpec(64)).toBe(PIXELS_SPEC);
    expect(pixelsSpec(128)).toMatchObject({ id: 'pixels-128', inputSize: 128, channels: 1, dim: 16384, weightsHash: 'none', label: 'Pixels (128 x 128 grayscale, 16384-d)' });
    expect(() => pixelsSpec(0)).toThrow(/positive integer/);
    const ex = await loadExtractor('pixels', undefined, { inputSize: 32, channels: 1, normalise: 'zero-one' });
    expect(ex.id).toBe('pixels-32');
    expect((await loadExtractor('pixels')).id).toBe('pixels');
    const batch = Float32Array.from({ length: 2 * 32 * 32 }, (_, i) => (i % 255) / 255);
    expect(await ex.embed(batch, 2)).toEqual(batch);
    await expect(ex.embed(batch, 3)).rejects.toThrow(/expected 3 x 32 x 32 x 1 = 3072/);
    const opts = DEFAULT_PIPELINE_OPTIONS;
    expect(pipelineCacheKey('ab'.repeat(32), ex, opts)).not.toBe(pipelineCacheKey('ab'.repeat(32), PIXELS_SPEC, opts));
  });

  it('through the pipeline, each file becomes its decoded image area-resized to S x S', async () => {
    const set = generateDemoSet('real', { counts: { real: 3 } });
    const files = demoSetAsPng(set);
    const ex = await loadExtractor('pixels', undefined, { inputSize: 32, channels: 1, normalise: 'zero-one' });
    const results: ItemResult[] = [];
    await processItems(
      files.map((f) => ({ path: f.path, label: null, read: async () => f.bytes })),
      ex,
      null,
      { ...DEFAULT_PIPELINE_OPTIONS, varietySize: null },
      { onItem: (r) => results.push(r) },
    );
    expect(results).toHaveLength(3);
    results.forEach((r, i) => {
      if (!('frames' in r)) throw new Error('skipped');
      const im = set.images[i];
      const img = { width: set.width, height: set.height, channels: 1 as const, data: Float32Array.from(im.pixels, (v) => v / 255), meta: { format: 'png', bitDepth: 8 } };
      const want = preprocess(img, { size: 32, channels: 1, aspect: 'stretch', filter: 'area' });
      expect(Array.from(r.frames[0].feature)).toEqual(Array.from(want));
    });
  });
});

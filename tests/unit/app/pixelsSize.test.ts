/**
 * The pixels extractor's image side, from the run settings to the features (issue #6): src/app/runner.ts
 * pipelineInitFor (what every pipeline worker loads), the registry's loadExtractor (what the worker does with it),
 * src/pipeline/extract.ts processItems (features and cache key) and runner.ts extractorRecord (the report's
 * config.extractor). References are hand-computed: a 16 x 16 PNG whose 2 x 2 blocks are constant, area-averaged
 * to 8 x 8, gives exactly those block values / 255.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, pipelineInitFor, type RunSettings } from '../../../src/app/runner.ts';
import { extractorRecord } from '../../../src/extractors/specs.ts';
import { loadExtractor, type ExtractorSpec } from '../../../src/extractors/registry.ts';
import { PIXELS_SIDES, PIXELS_SPEC } from '../../../src/extractors/specs.ts';
import { DEFAULT_PIPELINE_OPTIONS, pipelineCacheKey, processItems, type ItemResult } from '../../../src/pipeline/extract.ts';
import { MemoryFeatureCache } from '../../../src/store/featureCache.ts';
import { encodePngGray8 } from '../../../src/core/png/encode.ts';

const opts = DEFAULT_PIPELINE_OPTIONS;
const settings = (over: Partial<RunSettings>): RunSettings => ({ ...DEFAULT_SETTINGS, ...over });

/** What a pipeline worker loads for these settings (src/workers/pipeline.worker.ts init, without the backend). */
function load(s: RunSettings) {
  const init = pipelineInitFor(s, opts);
  return loadExtractor(init.extractorId, undefined, init.customOptions);
}

describe('pixels image side in the run settings', () => {
  it('defaults to 64, the existing `pixels` extractor (4096-d, same cache id)', async () => {
    expect(DEFAULT_SETTINGS.pixelsSize).toBe(64);
    expect(PIXELS_SIDES).toEqual([8, 16, 32, 64]);
    const ex = await load(settings({ extractorId: 'pixels' }));
    expect(ex.id).toBe('pixels');
    expect(ex.dim).toBe(4096);
    expect(ex.inputSize).toBe(64);
    expect(ex.description).toBe(PIXELS_SPEC.description);
  });

  it.each([8, 16, 32])('side %i loads pixels-<side> with d = side², recorded so in the report', async (side) => {
    const init = pipelineInitFor(settings({ extractorId: 'pixels', pixelsSize: side }), opts);
    expect(init.customOptions).toEqual({ inputSize: side, channels: 1, normalise: 'zero-one' });
    const ex = await loadExtractor(init.extractorId, undefined, init.customOptions);
    expect(ex.id).toBe(`pixels-${side}`);
    expect(ex.dim).toBe(side * side);
    const { embed: _e, dispose: _d, ...spec } = ex;
    expect(extractorRecord(spec as ExtractorSpec)).toEqual({
      id: `pixels-${side}`,
      weightsSha256: 'none',
      label: expect.stringContaining(`${side}`),
      dim: side * side,
      inputSize: side,
      channels: 1,
      normalise: 'zero-one',
      layer: null,
      format: 'none',
      description: `The grayscale image resized to ${side} x ${side} and flattened row by row; values in [0,1]. No model, exact.`,
    });
  });

  it('leaves other extractors alone and refuses a side the app does not offer', () => {
    expect(pipelineInitFor(settings({ extractorId: 'mobilenet-v2', pixelsSize: 8 }), opts).customOptions).toBeUndefined();
    const custom = { files: new Map<string, Uint8Array>(), options: { inputSize: 96, channels: 3 as const, normalise: 'imagenet' as const } };
    expect(pipelineInitFor(settings({ extractorId: 'custom', custom, pixelsSize: 8 }), opts).customOptions).toBe(custom.options);
    expect(() => pipelineInitFor(settings({ extractorId: 'pixels', pixelsSize: 12 }), opts)).toThrow(/8, 16, 32, 64/);
    // a side is only checked when pixels is the extractor
    expect(() => pipelineInitFor(settings({ extractorId: 'mobilenet-v2', pixelsSize: 12 }), opts)).not.toThrow();
  });

  it('gives side x side features of the image and a cache key of its own', async () => {
    // 16 x 16 image of constant 2 x 2 blocks: block (r, c) = 3 * (8r + c) (0..189)
    const px = new Uint8Array(256);
    for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) px[y * 16 + x] = 3 * (8 * (y >> 1) + (x >> 1));
    const png = encodePngGray8(px, 16, 16);
    const item = { path: 'a.png', label: null, read: async () => png };
    const run = async (side: number, cache: MemoryFeatureCache) => {
      const ex = await load(settings({ extractorId: 'pixels', pixelsSize: side }));
      const out: ItemResult[] = [];
      const counts = await processItems([item], ex, cache, opts, { onItem: (r) => out.push(r) });
      const r = out[0];
      if ('skipped' in r) throw new Error(r.skipped);
      return { counts, feature: r.frames[0].feature, ex };
    };
    const cache = new MemoryFeatureCache();
    const at8 = await run(8, cache);
    expect(at8.counts).toEqual({ cached: 0, embedded: 1, skipped: 0 });
    expect(at8.feature.length).toBe(64);
    const want = Float32Array.from({ length: 64 }, (_, i) => (3 * i) / 255);
    for (let i = 0; i < 64; i++) expect(at8.feature[i]).toBeCloseTo(want[i], 6);
    // 64 x 64 of the same file: another key, so nothing is taken from the 8 x 8 entry
    const at64 = await run(64, cache);
    expect(at64.counts).toEqual({ cached: 0, embedded: 1, skipped: 0 });
    expect(at64.feature.length).toBe(4096);
    expect(pipelineCacheKey('f', at8.ex, opts)).not.toBe(pipelineCacheKey('f', at64.ex, opts));
    // 8 x 8 again: from the cache
    expect((await run(8, cache)).counts).toEqual({ cached: 1, embedded: 0, skipped: 0 });
  });
});

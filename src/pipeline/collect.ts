/**
 * Collects the per-file results of one image set into what the metrics need: a FeatureSet (ids, labels,
 * features), the variety accumulator, audit thumbnails, and the list of skipped files with reasons.
 * Memory grows with the number of images (features, thumbnails), never with its square.
 */
import { makeFeatureSet, type FeatureSet } from '../core/features/featureSet.ts';
import { VarietyAccumulator, type VarietyResult } from '../core/metrics/variety.ts';
import type { CachedFrame } from '../store/featureCache.ts';
import type { ItemResult } from './extract.ts';

export interface Skipped {
  path: string;
  reason: string;
}

export interface SetCollection {
  name: string;
  ids: string[];
  labels: (string | null)[];
  features: Float32Array[];
  thumbs: Map<string, CachedFrame['thumb']>;
  skipped: Skipped[];
  cached: number;
  embedded: number;
  variety: VarietyAccumulator | null;
  /**
   * With `deferVariety`, the grayscale variety images are kept here instead of being summed, so that a page can
   * hand them to a worker (varietyInWorker) rather than average and encode on its main thread.
   */
  grays: { id: string; gray: Uint8Array; label: string | null }[] | null;
}

export function newCollection(name: string, varietySize: number | null, opts: { deferVariety?: boolean } = {}): SetCollection {
  return {
    name,
    ids: [],
    labels: [],
    features: [],
    thumbs: new Map(),
    skipped: [],
    cached: 0,
    embedded: 0,
    variety: varietySize && !opts.deferVariety ? new VarietyAccumulator(varietySize) : null,
    grays: varietySize && opts.deferVariety ? [] : null,
  };
}

export function addResult(c: SetCollection, r: ItemResult): void {
  if ('skipped' in r) {
    c.skipped.push({ path: r.path, reason: r.skipped });
    return;
  }
  if (r.fromCache) c.cached++;
  else c.embedded++;
  for (const f of r.frames) {
    const id = r.path + f.idSuffix;
    c.ids.push(id);
    c.labels.push(r.label);
    c.features.push(f.feature);
    c.thumbs.set(id, f.thumb);
    if (f.gray) {
      if (c.variety) c.variety.add(f.gray, r.label);
      else c.grays?.push({ id, gray: f.gray, label: r.label });
    }
  }
}

/** The set's features; labels are kept only when every image has one (class subfolders). */
export function toFeatureSet(c: SetCollection, dim: number): FeatureSet {
  const n = c.ids.length;
  const data = new Float32Array(n * dim);
  c.features.forEach((f, i) => data.set(f, i * dim));
  const labelled = n > 0 && c.labels.every((l) => l !== null);
  return makeFeatureSet(data, n, dim, { ids: c.ids.slice(), labels: labelled ? (c.labels as string[]).slice() : null, kind: 'continuous' });
}

export function varietyOf(c: SetCollection): VarietyResult | null {
  return c.variety && c.variety.count > 0 ? c.variety.result() : null;
}

/** The variety result of images kept by a deferred collection (run this in a worker). */
export function varietyOfImages(images: { gray: Uint8Array; label: string | null }[], size: number): VarietyResult | null {
  if (images.length === 0) return null;
  const acc = new VarietyAccumulator(size);
  for (const im of images) acc.add(im.gray, im.label);
  return acc.result();
}

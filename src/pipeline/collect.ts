/**
 * Collects the per-file results of one image set into what the metrics need: a FeatureSet (ids, labels,
 * features), the variety accumulator, audit thumbnails, and the list of skipped files with reasons.
 * Memory grows with the number of images (features, thumbnails), never with its square, and per image it
 * is the feature vector plus, within a budget, the audit thumbnail: the variety images are summed as they
 * arrive (VarietyAccumulator) and dropped, thumbnails beyond the budget are dropped (the app redraws the
 * few it shows from the file, see src/app/thumbs.ts).
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
  /** Thumbnails not kept because the run's thumbnail budget was spent. */
  thumbsDropped: number;
  /** Shared by every collection of a run: caps the bytes of thumbnails held in memory. */
  thumbBudget: ThumbBudget | null;
  skipped: Skipped[];
  cached: number;
  embedded: number;
  variety: VarietyAccumulator | null;
}

/** Bytes of audit thumbnails a run may hold in memory (shared across its sets). */
export class ThumbBudget {
  used = 0;
  constructor(readonly maxBytes: number) {}
  take(bytes: number): boolean {
    if (this.used + bytes > this.maxBytes) return false;
    this.used += bytes;
    return true;
  }
}

/** Default thumbnail budget of an app run: 128 MiB, about 14,000 grayscale or 4,600 RGB 96 px thumbnails. */
export const DEFAULT_THUMB_BUDGET_BYTES = 128 * 1024 * 1024;

export function newCollection(
  name: string,
  varietySize: number | null,
  opts: { thumbBudget?: ThumbBudget | null } = {},
): SetCollection {
  return {
    name,
    ids: [],
    labels: [],
    features: [],
    thumbs: new Map(),
    thumbsDropped: 0,
    thumbBudget: opts.thumbBudget ?? null,
    skipped: [],
    cached: 0,
    embedded: 0,
    variety: varietySize ? new VarietyAccumulator(varietySize) : null,
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
    if (!c.thumbBudget || c.thumbBudget.take(f.thumb.data.byteLength)) c.thumbs.set(id, f.thumb);
    else c.thumbsDropped++;
    if (f.gray && c.variety) c.variety.add(f.gray, r.label);
  }
}

/**
 * Adds results that arrive in any order (a worker pool) to `c` in input order, holding only the results that
 * wait for an earlier one: each result is released as soon as it is added.
 */
export class OrderedAdder {
  private readonly waiting = new Map<number, ItemResult>();
  private next = 0;
  constructor(private readonly c: SetCollection) {}
  add(index: number, r: ItemResult): void {
    if (index < this.next || this.waiting.has(index)) throw new Error(`result ${index} delivered twice`);
    this.waiting.set(index, r);
    while (this.waiting.has(this.next)) {
      addResult(this.c, this.waiting.get(this.next)!);
      this.waiting.delete(this.next);
      this.next++;
    }
  }
  /** Number of results added so far (all of them once every index up to count - 1 arrived). */
  get added(): number {
    return this.next;
  }
}

/** Whether this context can put values on a SharedArrayBuffer that workers may read (in browsers: cross-origin isolated). */
export function canShareFeatures(): boolean {
  const g = globalThis as { SharedArrayBuffer?: unknown; crossOriginIsolated?: boolean };
  return typeof g.SharedArrayBuffer === 'function' && g.crossOriginIsolated !== false;
}

/**
 * The set's features; labels are kept only when every image has one (class subfolders). With `release`, the
 * per-image vectors are let go as they are copied (the collection's `features` is empty afterwards), so the
 * peak is one copy of the set's features, not two.
 *
 * With `shared` (and where canShareFeatures()), the values are put on a SharedArrayBuffer: the neighbour
 * engine's threads then read them in place, without the set-sized copy that shareSet() otherwise makes in the
 * engine worker. Such a set is shared, not transferred, when posted to a worker (transferableBuffers leaves it
 * out; a transfer list naming its buffer throws), and the page and the worker then see the same values.
 */
export function toFeatureSet(c: SetCollection, dim: number, opts: { release?: boolean; shared?: boolean } = {}): FeatureSet {
  const n = c.ids.length;
  const data = opts.shared && canShareFeatures() ? new Float32Array(new SharedArrayBuffer(n * dim * 4)) : new Float32Array(n * dim);
  c.features.forEach((f, i) => {
    data.set(f, i * dim);
    if (opts.release) c.features[i] = EMPTY;
  });
  if (opts.release) c.features = [];
  const labelled = n > 0 && c.labels.every((l) => l !== null);
  return makeFeatureSet(data, n, dim, { ids: c.ids.slice(), labels: labelled ? (c.labels as string[]).slice() : null, kind: 'continuous' });
}

export function varietyOf(c: SetCollection): VarietyResult | null {
  return c.variety && c.variety.count > 0 ? c.variety.result() : null;
}

const EMPTY = new Float32Array(0);


/**
 * Collects the per-file results of one image set into what the metrics need: a FeatureSet (ids, labels,
 * features), the variety accumulator, audit thumbnails, and the list of skipped files with reasons.
 * Memory grows with the number of images, never with its square. Per image it is the feature row, written on
 * arrival into one packed buffer per set (FeatureRows: no typed array per image, no second copy when the
 * FeatureSet is made), its id and label, and, within a budget shared by the run's sets, the audit thumbnail,
 * copied into the budget's packed chunks (ThumbBudget.keep). The variety images are summed as they arrive
 * (VarietyAccumulator) and dropped; thumbnails beyond the budget are dropped (the app redraws the few it shows
 * from the file, see src/app/thumbs.ts).
 */
import { makeFeatureSet, type FeatureSet } from '../core/features/featureSet.ts';
import { VarietyAccumulator, type VarietyResult, type VarietyState } from '../core/metrics/variety.ts';
import type { CachedFrame } from '../store/featureCache.ts';
import type { RowSpill } from '../store/featureSpill.ts';
import type { ItemResult } from './extract.ts';

export interface Skipped {
  path: string;
  reason: string;
}

export interface SetCollection {
  name: string;
  ids: string[];
  labels: (string | null)[];
  /** The feature rows, in the order of `ids`, packed (see FeatureRows), or spilled (SpilledRows). */
  rows: FeatureRows | SpilledRows;
  /** Audit thumbnails kept in memory, by image id (their bytes on the budget's packed chunks). */
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

type Thumb = CachedFrame['thumb'];

/**
 * Bytes of audit thumbnails a run may hold in memory (shared across its sets). Kept thumbnails are copied into
 * packed chunks (CHUNK_BYTES each) rather than kept as the typed arrays they arrived in: a typed array per
 * thumbnail costs a few hundred bytes of bookkeeping in the browser besides its pixels.
 */
export class ThumbBudget {
  static readonly CHUNK_BYTES = 1 << 20;
  used = 0;
  private chunk: Uint8Array | null = null;
  private offset = 0;
  constructor(readonly maxBytes: number) {}
  take(bytes: number): boolean {
    if (this.used + bytes > this.maxBytes) return false;
    this.used += bytes;
    return true;
  }
  /** A copy of `thumb` on the budget's chunks, or null when the budget is spent. */
  keep(thumb: Thumb): Thumb | null {
    const n = thumb.data.byteLength;
    if (!this.take(n)) return null;
    if (!this.chunk || this.offset + n > this.chunk.length) {
      this.chunk = new Uint8Array(Math.max(n, Math.min(ThumbBudget.CHUNK_BYTES, this.maxBytes)));
      this.offset = 0;
    }
    const data = this.chunk.subarray(this.offset, this.offset + n);
    data.set(thumb.data);
    this.offset += n;
    return { width: thumb.width, height: thumb.height, channels: thumb.channels, data };
  }
}

/**
 * Default thumbnail budget of an app run: 32 MiB, about 3,600 grayscale or 1,200 RGB 96 px thumbnails (every
 * thumbnail of a small run); the audit redraws the others from their files when it shows them.
 */
export const DEFAULT_THUMB_BUDGET_BYTES = 32 * 1024 * 1024;

/** Whether this context can put values on a SharedArrayBuffer that workers may read (in browsers: cross-origin isolated). */
export function canShareFeatures(): boolean {
  const g = globalThis as { SharedArrayBuffer?: unknown; crossOriginIsolated?: boolean };
  return typeof g.SharedArrayBuffer === 'function' && g.crossOriginIsolated !== false;
}

/**
 * A set's feature rows, appended in order into packed Float32Array chunks: the first holds `capacity` rows (the
 * set's file count, when known: one row per file, so usually the only chunk), later ones grow with the rows
 * (multi-frame files). With `shared` (where canShareFeatures()), the chunks are on SharedArrayBuffers, so the
 * FeatureSet made from a single chunk needs no copy and the engine's threads read it in place.
 */
export class FeatureRows {
  private chunks: Float32Array[] = [];
  /** Rows in every chunk but the last (full), and in the last. */
  private before = 0;
  private inLast = 0;
  private lastRows = 0;
  private _dim: number | null;
  readonly shared: boolean;
  private readonly capacity: number;

  constructor(opts: { dim?: number | null; capacity?: number; shared?: boolean } = {}) {
    this._dim = opts.dim ?? null;
    this.capacity = Math.max(1, Math.floor(opts.capacity ?? 4096));
    this.shared = !!opts.shared && canShareFeatures();
  }

  get length(): number {
    return this.before + this.inLast;
  }

  /** The row length (the first row's, when it was not given). */
  get dim(): number | null {
    return this._dim;
  }

  private alloc(rows: number): Float32Array {
    const n = rows * this._dim!;
    return this.shared ? new Float32Array(new SharedArrayBuffer(n * 4)) : new Float32Array(n);
  }

  push(row: Float32Array): void {
    if (this._dim === null) this._dim = row.length;
    const d = this._dim;
    if (row.length !== d) throw new Error(`feature row has ${row.length} values, expected ${d}`);
    if (this.chunks.length === 0 || this.inLast === this.lastRows) {
      if (this.chunks.length) this.before += this.inLast;
      // Past the expected rows, grow by a quarter of them at a time (at least 256 rows).
      const rows = this.chunks.length === 0 ? this.capacity : Math.max(256, Math.ceil(this.capacity / 4));
      this.chunks.push(this.alloc(rows));
      this.lastRows = rows;
      this.inLast = 0;
    }
    this.chunks[this.chunks.length - 1].set(row, this.inLast * d);
    this.inLast++;
  }

  /** Row i (a view, valid until take()). */
  row(i: number): Float32Array {
    if (!(i >= 0 && i < this.length)) throw new RangeError(`row ${i} of ${this.length}`);
    const d = this._dim!;
    let k = 0;
    let r = i;
    const first = this.chunks[0].length / d;
    if (r >= first) {
      r -= first;
      const later = Math.max(256, Math.ceil(this.capacity / 4));
      k = 1 + Math.floor(r / later);
      r -= (k - 1) * later;
    }
    return this.chunks[k].subarray(r * d, (r + 1) * d);
  }

  /**
   * Every row, packed (length * dim values), and the store emptied. A single chunk is handed over as it is (a
   * view of its first rows when some stayed unused, unless they are more than a sixteenth of it and over 1 MiB:
   * then copied, so no large unused tail stays allocated); several chunks are copied into one.
   */
  take(dim: number): Float32Array {
    if (this._dim !== null && this._dim !== dim) throw new Error(`feature rows have ${this._dim} values, expected ${dim}`);
    this._dim = dim;
    const n = this.length;
    const chunks = this.chunks;
    this.chunks = [];
    this.before = this.inLast = this.lastRows = 0;
    if (chunks.length === 1) {
      const c = chunks[0];
      const unusedBytes = c.byteLength - n * dim * 4;
      if (unusedBytes === 0) return c;
      if (unusedBytes <= Math.max(1 << 20, c.byteLength / 16)) return c.subarray(0, n * dim);
    }
    const out = this.alloc(n);
    let at = 0;
    for (const c of chunks) {
      const take = Math.min(c.length, out.length - at);
      out.set(take === c.length ? c : c.subarray(0, take), at);
      at += take;
    }
    return out;
  }

  /** take(), for callers that also take SpilledRows. */
  async takeAsync(dim: number): Promise<Float32Array> {
    return this.take(dim);
  }

  /**
   * The rows at `keep` (ascending, distinct row indices), packed in that order, and the store emptied: the kept rows
   * are moved forward within the buffer take() hands over, not copied into a new one, so the set's values are held
   * once (a copy would hold them twice until the store is collected).
   */
  takeRows(keep: readonly number[], dim: number): Float32Array {
    const n = this.length;
    let prev = -1;
    for (const r of keep) {
      if (!(Number.isInteger(r) && r > prev && r < n)) throw new RangeError(`rows to keep must be ascending row indices below ${n}, got ${r} after ${prev}`);
      prev = r;
    }
    const all = this.take(dim);
    keep.forEach((r, j) => {
      if (r !== j) all.copyWithin(j * dim, r * dim, (r + 1) * dim);
    });
    return keep.length === n ? all : all.subarray(0, keep.length * dim);
  }
}

/** Bytes of one spilled chunk (SpilledRows): about 1 MiB of rows. */
export const SPILL_CHUNK_BYTES = 1 << 20;

/**
 * A set's feature rows, spilled (src/store/featureSpill.ts): appended in order into a chunk of about 1 MiB, which
 * goes to the spill store when full; only the chunk being filled and those still being written stay in memory.
 * takeAsync() reads every chunk back into one packed buffer (shared, as FeatureRows with `shared`) and deletes
 * them from the store. A chunk the store fails to take (quota, storage gone) stays in memory, and so do the rows
 * after it: nothing is lost, the set is then held as FeatureRows would hold it.
 */
export class SpilledRows {
  readonly dim: number;
  readonly shared: boolean;
  readonly chunkRows: number;
  /** Chunks, in order: in memory (being written, or kept after a failed write), or null once stored. */
  private chunks: (Float32Array | null)[] = [];
  private writes: Promise<void>[] = [];
  private filling: Float32Array;
  private inFilling = 0;
  private failed: unknown = null;
  private taken = false;

  constructor(
    private readonly spill: RowSpill,
    opts: { dim: number; shared?: boolean; chunkBytes?: number },
  ) {
    if (!(Number.isInteger(opts.dim) && opts.dim > 0)) throw new Error(`spilled rows need the row length, got ${opts.dim}`);
    this.dim = opts.dim;
    this.shared = !!opts.shared && canShareFeatures();
    this.chunkRows = Math.max(1, Math.floor((opts.chunkBytes ?? SPILL_CHUNK_BYTES) / (4 * opts.dim)));
    this.filling = new Float32Array(this.chunkRows * this.dim);
  }

  get length(): number {
    return this.chunks.length * this.chunkRows + this.inFilling;
  }

  /** Chunks written to the store and no longer held in memory. */
  get spilledChunks(): number {
    return this.chunks.filter((c) => c === null).length;
  }

  /** Why a chunk could not be spilled (it and the rows after it stayed in memory), or null. */
  get spillError(): unknown {
    return this.failed;
  }

  push(row: Float32Array): void {
    if (this.taken) throw new Error('spilled rows were already taken');
    if (row.length !== this.dim) throw new Error(`feature row has ${row.length} values, expected ${this.dim}`);
    this.filling.set(row, this.inFilling * this.dim);
    if (++this.inFilling === this.chunkRows) this.flush();
  }

  private flush(): void {
    const full = this.filling;
    const index = this.chunks.length;
    this.chunks.push(full);
    this.filling = new Float32Array(this.chunkRows * this.dim);
    this.inFilling = 0;
    if (this.failed !== null) return;
    this.writes.push(
      this.spill.put(index, full).then(
        () => {
          this.chunks[index] = null;
        },
        (e: unknown) => {
          this.failed ??= e;
        },
      ),
    );
  }

  /** Every row, packed (length * dim values, on shared memory with `shared`), and the spilled chunks deleted. */
  async takeAsync(dim: number): Promise<Float32Array> {
    if (dim !== this.dim) throw new Error(`feature rows have ${this.dim} values, expected ${dim}`);
    if (this.taken) throw new Error('spilled rows were already taken');
    this.taken = true;
    await Promise.all(this.writes);
    const n = this.length;
    const out = this.shared ? new Float32Array(new SharedArrayBuffer(n * dim * 4)) : new Float32Array(n * dim);
    const size = this.chunkRows * dim;
    try {
      for (let k = 0; k < this.chunks.length; k++) {
        const c = this.chunks[k] ?? (await this.spill.get(k));
        if (c.length !== size) throw new Error(`spilled feature rows: chunk ${k} holds ${c.length} values, expected ${size}`);
        out.set(c, k * size);
        this.chunks[k] = null;
      }
    } finally {
      this.chunks = [];
      await this.spill.drop().catch(() => {});
    }
    out.set(this.filling.subarray(0, this.inFilling * dim), (n - this.inFilling) * dim);
    this.filling = new Float32Array(0);
    this.inFilling = 0;
    return out;
  }
}

/**
 * An empty collection. `capacity`: the rows expected (the set's file count) and `dim`, when known, size the packed
 * feature buffer up front; `shared` puts it on shared memory (see FeatureRows). With `spill` (and `dim`), the rows
 * go there as they arrive (SpilledRows): take them with toFeatureSetAsync().
 */
export function newCollection(
  name: string,
  varietySize: number | null,
  opts: { thumbBudget?: ThumbBudget | null; capacity?: number; dim?: number | null; shared?: boolean; spill?: RowSpill | null; spillChunkBytes?: number } = {},
): SetCollection {
  return {
    name,
    ids: [],
    labels: [],
    rows:
      opts.spill && opts.dim
        ? new SpilledRows(opts.spill, { dim: opts.dim, shared: opts.shared, chunkBytes: opts.spillChunkBytes })
        : new FeatureRows({ capacity: opts.capacity, dim: opts.dim, shared: opts.shared }),
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
    c.rows.push(f.feature);
    if (!c.thumbBudget) c.thumbs.set(id, f.thumb);
    else {
      const kept = c.thumbBudget.keep(f.thumb);
      if (kept) c.thumbs.set(id, kept);
      else c.thumbsDropped++;
    }
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

/**
 * The set's features; labels are kept only when every image has one (class subfolders). The packed rows are
 * handed over (the collection's `rows` is empty afterwards), so the tab holds one copy of the set's features.
 *
 * With `shared` (and where canShareFeatures()), the values are on a SharedArrayBuffer: the neighbour engine's
 * threads then read them in place, without the set-sized copy that shareSet() otherwise makes in the engine
 * worker. Such a set is shared, not transferred, when posted to a worker (transferableBuffers leaves it out; a
 * transfer list naming its buffer throws), and the page and the worker then see the same values. A collection
 * made with `shared` rows is on shared memory already; otherwise the rows are copied onto it here.
 * (`release` is accepted for callers of the per-image version: the rows are always handed over.)
 */
export function toFeatureSet(c: SetCollection, dim: number, opts: { release?: boolean; shared?: boolean } = {}): FeatureSet {
  if (c.rows instanceof SpilledRows) throw new Error('internal error: spilled rows are read back with toFeatureSetAsync()');
  checkRowCount(c);
  return finishFeatureSet(c, c.rows.take(dim), dim, opts);
}

/** toFeatureSet(), for collections whose rows may be spilled (read back from the spill store here). */
export async function toFeatureSetAsync(c: SetCollection, dim: number, opts: { release?: boolean; shared?: boolean } = {}): Promise<FeatureSet> {
  checkRowCount(c);
  return finishFeatureSet(c, await c.rows.takeAsync(dim), dim, opts);
}

function checkRowCount(c: SetCollection): void {
  if (c.rows.length !== c.ids.length) throw new Error(`internal error: ${c.rows.length} feature rows for ${c.ids.length} images`);
}

function finishFeatureSet(c: SetCollection, data: Float32Array, dim: number, opts: { shared?: boolean }): FeatureSet {
  const n = c.ids.length;
  if (opts.shared && canShareFeatures() && !(data.buffer instanceof SharedArrayBuffer)) {
    const s = new Float32Array(new SharedArrayBuffer(n * dim * 4));
    s.set(data);
    data = s;
  }
  const labelled = n > 0 && c.labels.every((l) => l !== null);
  return makeFeatureSet(data, n, dim, { ids: c.ids.slice(), labels: labelled ? (c.labels as string[]).slice() : null, kind: 'continuous' });
}

/**
 * One set of variety sums from several (the pipeline workers' parts of a set, the page's): per class, the sums
 * added and the counts too (integer sums in float64: exact, so the same as adding every image in one place).
 * Throws, as VarietyAccumulator.add does, when some parts are labelled and others not. Null when there is none.
 */
export function mergeVarietyStates(states: (VarietyState | null | undefined)[]): VarietyState | null {
  const parts = states.filter((x): x is VarietyState => !!x && x.groups.some((g) => g.count > 0));
  if (parts.length === 0) return null;
  const { width, height } = parts[0];
  const groups = new Map<string | null, { sum: Float64Array; count: number }>();
  for (const st of parts) {
    if (st.width !== width || st.height !== height) throw new Error(`variety sums of ${st.width} x ${st.height} and ${width} x ${height} cannot be merged`);
    for (const g of st.groups) {
      if (g.count === 0) continue;
      const acc = groups.get(g.label);
      if (!acc) groups.set(g.label, { sum: Float64Array.from(g.sum), count: g.count });
      else {
        for (let i = 0; i < acc.sum.length; i++) acc.sum[i] += g.sum[i];
        acc.count += g.count;
      }
    }
  }
  if (groups.has(null) && groups.size > 1) throw new Error('variety images must be all labelled or all unlabelled');
  return { width, height, groups: [...groups].map(([label, { sum, count }]) => ({ label, sum, count })) };
}

/** Adds sums made elsewhere (the pipeline workers') to the collection's variety accumulator. */
export function addVarietyState(c: SetCollection, st: VarietyState | null): void {
  if (!st || !c.variety) return;
  c.variety = VarietyAccumulator.fromState(mergeVarietyStates([c.variety.state(), st])!);
}

export function varietyOf(c: SetCollection): VarietyResult | null {
  return c.variety && c.variety.count > 0 ? c.variety.result() : null;
}


/**
 * The per-file pipeline, shared by the browser workers and the Node CLI:
 *   read bytes ─► SHA-256 ─► cache hit? ─► decode (all frames) ─► [augment] ─► preprocess ─► batch ─► embed ─► cache put
 *
 * A file that cannot be used is reported with its reason and the run goes on. Work is checked against the
 * AbortSignal between files and between batches, so cancellation is prompt. Nothing here touches the DOM or
 * Node modules: the caller supplies the file readers, the extractor and the cache.
 */
import { AUGMENT_VERSION, applyAugmentation, augmentationParams, augmentationSeed } from '../imaging/augment.ts';
import { decodeImage } from '../imaging/decode.ts';
import { PREPROCESS_VERSION, preprocess, thumbnail, toGray8 } from '../imaging/preprocess.ts';
import type { DecodedImage } from '../imaging/types.ts';
import type { Extractor } from '../extractors/registry.ts';
import { sha256Hex } from '../extractors/sha256.ts';
import { cacheKey, recordBytes, type CachedFrame, type FeatureCache } from '../store/featureCache.ts';

export type Aspect = 'stretch' | 'pad';

export interface PipelineOptions {
  aspect: Aspect;
  /** Size of the 8-bit grayscale image kept for the file-size variety metric; null to skip it. */
  varietySize: number | null;
  /** Longest side of the audit thumbnail. */
  thumbSize: number;
  /** Frames per forward pass. */
  batchSize: number;
  /**
   * Simple augmentation (src/imaging/augment.ts) of every decoded frame before preprocessing, for the utility
   * evaluator's reference protocol: each frame gets augmentImage(frame, augmentationSeed(file SHA-256, seed,
   * frame index)). Part of the cache key; absent or null: images as decoded.
   */
  augment?: { seed: number } | null;
}

export const DEFAULT_PIPELINE_OPTIONS: PipelineOptions = { aspect: 'stretch', varietySize: 256, thumbSize: 96, batchSize: 16 };

/**
 * Most frames per forward pass on the CPU backends (wasm, cpu). A batch's activations set the high-water mark of
 * a worker's wasm heap, which never shrinks: MobileNetV2 at 224 px in a tab with two pipeline workers peaked at
 * 838 MiB (largest renderer) with 16 frames per pass and 618 MiB with 4, at the same speed (each frame's work is
 * the same; the features are bit-identical whatever the batch: checked on wasm with 8, 4, 2 and 1).
 */
export const CPU_BATCH_SIZE = 4;

/** Frames per forward pass for `backend`: the requested size, capped at CPU_BATCH_SIZE on wasm and cpu. */
export function batchSizeFor(backend: string, requested: number): number {
  return backend === 'wasm' || backend === 'cpu' ? Math.min(requested, CPU_BATCH_SIZE) : requested;
}

export interface FileItem {
  path: string;
  label: string | null;
  read(): Promise<Uint8Array>;
}

export type ItemResult =
  | { path: string; label: string | null; frames: CachedFrame[]; fromCache: boolean }
  | { path: string; label: string | null; skipped: string };

export type Stage = 'reading' | 'decoding' | 'embedding';

export interface PipelineHooks {
  signal?: AbortSignal;
  /** Called once per file, in input order, when its result is final. */
  onItem?(result: ItemResult): void;
  onStage?(stage: Stage): void;
  /** Decode and preprocess files in other threads (see processItems); absent: all on this thread. */
  preparer?: FilePreparer | null;
}

/** Describes the preprocessing in words and numbers, for the report. */
export function describePreprocessing(extractor: Extractor, opts: PipelineOptions) {
  return {
    version: PREPROCESS_VERSION,
    inputSize: extractor.inputSize,
    channels: extractor.channels === 3 ? 'grayscale replicated to 3 channels; RGB kept' : 'RGB to luminance (BT.601)',
    resize: 'area average when shrinking, bilinear (half-pixel centres) when enlarging',
    aspect: opts.aspect,
    normalisation: extractor.normalise ?? 'zero-one',
    dicomWindowing: 'file VOI window (first value) after rescale slope/intercept, else min-max; MONOCHROME1 inverted',
    varietySize: opts.varietySize,
  };
}

/**
 * The feature-cache key of one file for this extractor and these options (the key processItems reads and writes).
 * Exported so a caller can tell which files are already cached without running the pipeline.
 */
export function pipelineCacheKey(fileSha256: string, extractor: Pick<Extractor, 'id' | 'weightsHash'>, opts: PipelineOptions): string {
  const augment = opts.augment ? `;augment=${AUGMENT_VERSION}:${opts.augment.seed}` : '';
  const preprocessVersion = `${PREPROCESS_VERSION};aspect=${opts.aspect};variety=${opts.varietySize ?? 'off'};thumb=${opts.thumbSize}${augment}`;
  return cacheKey({ fileSha256, extractorId: extractor.id, weightsHash: extractor.weightsHash, preprocessVersion });
}

export function abortError(): Error {
  return Object.assign(new Error('The run was cancelled.'), { name: 'AbortError' });
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortError();
}

function reasonOf(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

/** One frame of a file, ready for the model: its input, audit thumbnail, variety image and metadata. */
export interface PreparedFrame {
  idSuffix: string;
  input: Float32Array;
  thumb: CachedFrame['thumb'];
  gray: Uint8Array | null;
  meta: Record<string, unknown>;
}

/** What prepareFile makes of one file: its frames, or why the file is skipped. */
export type Prepared = { frames: PreparedFrame[] } | { skipped: string };

/** The extractor's part in preparing a file (plain data, so a worker thread can receive it). */
export type PrepareSpec = Pick<Extractor, 'inputSize' | 'channels'>;

/**
 * Prepares files off the caller's thread (the Node CLI's decode pool, src/cli/decodePool.ts): each call must
 * return exactly what prepareFile(bytes, path, sha256, spec, opts) returns; a rejection fails the run. The
 * caller gives up `bytes` (they may be transferred).
 */
export interface FilePreparer {
  /** Files read, hashed and prepared ahead of the model at most (back-pressure). */
  readonly window: number;
  prepare(bytes: Uint8Array, path: string, sha256: string, spec: PrepareSpec, opts: PipelineOptions): Promise<Prepared>;
}

interface Pending {
  path: string;
  label: string | null;
  key: string;
  frames: PreparedFrame[];
}

/**
 * Model inputs already copied into a batch, for the next frames of this thread to be preprocessed into: a fresh
 * 602 KB array per MobileNetV2 frame costs chromium about as much again as filling it. flush() gives a frame's
 * input back once it is in the batch (nothing else holds it); prepareFrame takes one of the right length.
 */
const spareInputs: Float32Array[] = [];
const MAX_SPARE_INPUTS = 16;

function takeInput(length: number): Float32Array | undefined {
  const i = spareInputs.findIndex((a) => a.length === length);
  return i < 0 ? undefined : spareInputs.splice(i, 1)[0];
}

function giveBackInput(a: Float32Array): void {
  if (spareInputs.length < MAX_SPARE_INPUTS) spareInputs.push(a);
}

function prepareFrame(img: DecodedImage, spec: PrepareSpec, opts: PipelineOptions) {
  const enlarge = Math.max(img.width, img.height) < spec.inputSize;
  const input = preprocess(
    img,
    { size: spec.inputSize, channels: spec.channels, aspect: opts.aspect, filter: enlarge ? 'bilinear' : 'area' },
    takeInput(spec.inputSize * spec.inputSize * spec.channels),
  );
  const t = thumbnail(img, opts.thumbSize);
  return {
    input,
    thumb: { width: t.width, height: t.height, channels: (t.data.length === t.width * t.height ? 1 : 3) as 1 | 3, data: t.data },
    gray: opts.varietySize ? toGray8(img, opts.varietySize) : null,
  };
}

/**
 * The CPU work on one file that is not in the cache: decode all frames, [augment], preprocess, thumbnail,
 * variety image. A file that does not decode is `skipped` with the reason; any other error throws (and fails
 * the run). Runs on the pipeline's thread or in a decode worker thread (src/cli/decodeWorker.ts).
 */
export async function prepareFile(bytes: Uint8Array, path: string, sha256: string, spec: PrepareSpec, opts: PipelineOptions): Promise<Prepared> {
  let images: DecodedImage[];
  try {
    images = await decodeImage(bytes, path);
    if (images.length === 0) throw new Error('no image frames in file');
  } catch (e) {
    return { skipped: reasonOf(e) };
  }
  const multi = images.length > 1;
  const frames = images.map((decoded, fi): PreparedFrame => {
    const augmentation = opts.augment ? augmentationParams(augmentationSeed(sha256, opts.augment.seed, fi)) : null;
    const img = augmentation ? applyAugmentation(decoded, augmentation) : decoded;
    const prepared = prepareFrame(img, spec, opts);
    const meta: Record<string, unknown> = { ...img.meta, width: img.width, height: img.height, channels: img.channels };
    if (augmentation) meta.augmentation = augmentation;
    const frameNo = img.meta.frame ?? fi + 1;
    return {
      idSuffix: multi ? `#${frameNo}` : '',
      ...prepared,
      meta,
    };
  });
  return { frames };
}

/**
 * Batch arrays free for the next flush. A batch is n x size x size x channels floats (9.6 MB for 16 MobileNetV2
 * frames); a fresh zero-filled one per batch cost about 0.7 ms per image in chromium (DevTools profile of the
 * page-thread pipeline). A flush takes one and gives it back once the batch's features are copied out; the
 * extractors keep no reference to the array after embed() resolves (the TF.js extractors dispose of the input
 * tensors before, the pixels extractor copies). Every value a batch passes to embed() is written by its flush.
 */
const spareBatches: Float32Array[] = [];
const MAX_SPARE_BATCHES = 2;

function takeBatch(length: number): Float32Array {
  const i = spareBatches.findIndex((b) => b.length >= length);
  return i < 0 ? new Float32Array(length) : spareBatches.splice(i, 1)[0];
}

function giveBackBatch(b: Float32Array): void {
  if (spareBatches.length < MAX_SPARE_BATCHES) spareBatches.push(b);
}

/** A file after reading, hashing and the cache lookup (and preparing, on a miss). */
type Loaded =
  | { kind: 'skip'; reason: string }
  | { kind: 'hit'; frames: CachedFrame[] }
  | { kind: 'ready'; key: string; prepared: Prepared; recheck: boolean }
  | { kind: 'fail'; error: unknown };

/** `p`, or an AbortError as soon as `signal` aborts. */
function untilAborted<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(abortError());
    const onAbort = () => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/**
 * Runs the pipeline over `items` and reports each file through hooks.onItem, in input order.
 * Returns counts: files served from the cache, files embedded, files skipped.
 *
 * Without hooks.preparer, the next file is read and hashed while this one is prepared and embedded.
 * With hooks.preparer, files are read and hashed several at once and looked up in the cache one after another,
 * in input order, while their decoding and preprocessing (prepareFile) run in the preparer's threads, at most
 * max(preparer.window, 2 x batchSize) files ahead of the model. The batches, features, cache records, skip
 * reasons and the order of onItem are those of the single-thread path: files are batched in input order, and a
 * file whose cache key an earlier file of the run already had is looked up when its turn comes, as it would be
 * on one thread.
 */
export async function processItems(
  items: FileItem[],
  extractor: Extractor,
  cache: FeatureCache | null,
  opts: PipelineOptions,
  hooks: PipelineHooks = {},
): Promise<{ cached: number; embedded: number; skipped: number }> {
  const { signal, preparer } = hooks;
  const counts = { cached: 0, embedded: 0, skipped: 0 };
  // Results wait here until every earlier file is final, so onItem sees input order.
  const ready = new Map<number, ItemResult>();
  let nextToEmit = 0;
  const emit = (i: number, r: ItemResult) => {
    ready.set(i, r);
    while (ready.has(nextToEmit)) {
      hooks.onItem?.(ready.get(nextToEmit)!);
      ready.delete(nextToEmit);
      nextToEmit++;
    }
  };

  let pending: { index: number; item: Pending }[] = [];
  let pendingFrames = 0;

  const flush = async () => {
    if (pending.length === 0) return;
    throwIfAborted(signal);
    hooks.onStage?.('embedding');
    const frameSize = extractor.inputSize * extractor.inputSize * extractor.channels;
    const spare = takeBatch(pendingFrames * frameSize);
    const batch = spare.subarray(0, pendingFrames * frameSize);
    let f = 0;
    for (const p of pending) {
      for (const fr of p.item.frames) {
        batch.set(fr.input, f * frameSize);
        // A short input leaves zeros after it, as in a fresh array.
        if (fr.input.length < frameSize) batch.fill(0, f * frameSize + fr.input.length, (f + 1) * frameSize);
        giveBackInput(fr.input);
        f++;
      }
    }
    let feats: Float32Array;
    try {
      feats = await extractor.embed(batch, pendingFrames);
    } catch (e) {
      giveBackBatch(spare);
      // The model failed on this batch: report every file in it, keep going.
      for (const p of pending) {
        counts.skipped++;
        emit(p.index, { path: p.item.path, label: p.item.label, skipped: `feature extraction failed: ${reasonOf(e)}` });
      }
      pending = [];
      pendingFrames = 0;
      return;
    }
    f = 0;
    const batchFrames = pending.map((p) =>
      p.item.frames.map((fr): CachedFrame => {
        const feature = feats.slice(f * extractor.dim, (f + 1) * extractor.dim);
        f++;
        return { idSuffix: fr.idSuffix, feature, thumb: fr.thumb, gray: fr.gray, meta: fr.meta };
      }),
    );
    giveBackBatch(spare);
    for (const [i, p] of pending.entries()) {
      const frames = batchFrames[i];
      if (cache) await cache.put({ key: p.item.key, frames, createdAt: Date.now(), bytes: recordBytes(frames) });
      counts.embedded++;
      emit(p.index, { path: p.item.path, label: p.item.label, frames, fromCache: false });
    }
    pending = [];
    pendingFrames = 0;
  };

  const spec: PrepareSpec = { inputSize: extractor.inputSize, channels: extractor.channels };
  // Cache keys seen so far (threaded path with a cache only): a repeated key is looked up at its turn.
  const seen = preparer && cache ? new Set<string>() : null;

  type Hashed = { kind: 'hashed'; key: string; bytes: Uint8Array; sha: string };
  type Front = Loaded | { kind: 'prepare'; key: string; bytes: Uint8Array; sha: string; recheck: boolean };

  /** Read and hash: done on this thread, several files at once in the threaded path. */
  const readAndHash = async (item: FileItem): Promise<Loaded | Hashed> => {
    let bytes: Uint8Array;
    try {
      bytes = await item.read();
    } catch (e) {
      return { kind: 'skip', reason: `cannot be read: ${reasonOf(e)}` };
    }
    if (bytes.length === 0) return { kind: 'skip', reason: 'empty file (0 bytes)' };
    const sha = await sha256Hex(bytes);
    return { kind: 'hashed', key: pipelineCacheKey(sha, extractor, opts), bytes, sha };
  };

  /** The cache lookup: one file after another, in input order. */
  const lookup = async (h: Loaded | Hashed): Promise<Front> => {
    if (h.kind !== 'hashed') return h;
    const recheck = seen !== null && seen.has(h.key);
    seen?.add(h.key);
    if (cache && !recheck) {
      const hit = await cache.get(h.key);
      if (hit) return { kind: 'hit', frames: hit.frames };
    }
    return { kind: 'prepare', key: h.key, bytes: h.bytes, sha: h.sha, recheck };
  };

  /** Reports or batches file i once it is loaded; embeds when a batch is full. */
  const consume = async (i: number, l: Loaded) => {
    const item = items[i];
    if (l.kind === 'fail') throw l.error;
    if (l.kind === 'skip') {
      counts.skipped++;
      emit(i, { path: item.path, label: item.label, skipped: l.reason });
      return;
    }
    let hitFrames = l.kind === 'hit' ? l.frames : null;
    if (l.kind === 'ready' && l.recheck && cache) hitFrames = (await cache.get(l.key))?.frames ?? null;
    if (hitFrames) {
      counts.cached++;
      emit(i, { path: item.path, label: item.label, frames: hitFrames, fromCache: true });
      return;
    }
    if (l.kind !== 'ready') return;
    if ('skipped' in l.prepared) {
      counts.skipped++;
      emit(i, { path: item.path, label: item.label, skipped: l.prepared.skipped });
      return;
    }
    const frames = l.prepared.frames;
    pending.push({ index: i, item: { path: item.path, label: item.label, key: l.key, frames } });
    pendingFrames += frames.length;
    if (pendingFrames >= opts.batchSize) await flush();
  };

  if (!preparer) {
    // One file ahead: the next file is read and hashed while this one is decoded and embedded (a pipeline worker
    // waits about 1.5 ms per file for the page to send a file's bytes). A rejection is kept for its turn.
    const ahead = (i: number) => {
      const p = readAndHash(items[i]);
      p.catch(() => {});
      return p;
    };
    let next: ReturnType<typeof ahead> | null = null;
    for (let i = 0; i < items.length; i++) {
      throwIfAborted(signal);
      hooks.onStage?.('reading');
      const hashed = await (next ?? ahead(i));
      next = i + 1 < items.length ? ahead(i + 1) : null;
      const f = await lookup(hashed);
      if (f.kind !== 'prepare') {
        await consume(i, f);
        continue;
      }
      hooks.onStage?.('decoding');
      await consume(i, { kind: 'ready', key: f.key, prepared: await prepareFile(f.bytes, items[i].path, f.sha, spec, opts), recheck: false });
    }
    await flush();
    return counts;
  }

  // Threaded: files in the window are read and hashed at once, looked up one after another (a chain), and
  // prepared in the preparer's threads.
  const window = Math.max(1, preparer.window, 2 * opts.batchSize);
  let stopped = false;
  let chain: Promise<unknown> = Promise.resolve();
  const start = (i: number): Promise<Loaded> => {
    const hashed = readAndHash(items[i]);
    const f = chain.then(() => hashed).then((h) => (stopped ? ({ kind: 'fail', error: abortError() } as const) : lookup(h)));
    chain = f.catch(() => {});
    return f
      .then(async (r): Promise<Loaded> => {
        if (r.kind !== 'prepare') return r;
        if (stopped) return { kind: 'fail', error: abortError() };
        return { kind: 'ready', key: r.key, prepared: await preparer.prepare(r.bytes, items[i].path, r.sha, spec, opts), recheck: r.recheck };
      })
      .catch((error: unknown): Loaded => ({ kind: 'fail', error }));
  };
  const inFlight: Promise<Loaded>[] = [];
  let next = 0;
  const fill = () => {
    while (next < items.length && inFlight.length < window) inFlight.push(start(next++));
  };
  try {
    for (let i = 0; i < items.length; i++) {
      throwIfAborted(signal);
      fill();
      const p = inFlight.shift()!;
      hooks.onStage?.('decoding');
      const l = await untilAborted(p, signal);
      fill();
      await consume(i, l);
    }
    await flush();
  } finally {
    stopped = true;
  }
  return counts;
}

/**
 * Audit thumbnails on demand. A run keeps thumbnails in memory only within a budget (src/pipeline/collect.ts
 * ThumbBudget), so a set of 100,000 images does not hold 100,000 pictures; the privacy audit shows a few dozen
 * pairs at a time and asks here for any thumbnail that was not kept: the file is read and decoded again (the
 * same decoder and the same thumbnail filter as the pipeline, so the picture is identical; in the app, in a worker:
 * src/workers/thumbDrawer.ts), and the result is kept in a small least-recently-used cache.
 */
import { decodeImage } from '../imaging/decode.ts';
import { thumbnail } from '../imaging/preprocess.ts';
import type { Thumb } from './types.ts';
import type { FileSource } from './fileSource.ts';

/** Image id (`path` or `path#frame`) split into the file path and the frame number (null: single frame). */
export function splitImageId(id: string, hasPath: (p: string) => boolean): { path: string; frame: number | null } | null {
  if (hasPath(id)) return { path: id, frame: null };
  const m = /^(.*)#(\d+)$/.exec(id);
  if (m && hasPath(m[1])) return { path: m[1], frame: Number(m[2]) };
  return null;
}

/** The thumbnail of one image of a file (frame: as numbered in its id, null for a single-frame file). */
export async function thumbFromBytes(bytes: Uint8Array, path: string, frame: number | null, maxSide: number): Promise<Thumb | undefined> {
  const images = await decodeImage(bytes, path);
  const idx = frame === null ? 0 : images.findIndex((img, i) => (img.meta.frame ?? i + 1) === frame);
  const img = images[idx];
  if (!img) return undefined;
  return thumbnail(img, maxSide);
}

export interface ThumbSource {
  /** Files of each set by path (what the user dropped). */
  files(setName: string): FileSource | undefined;
  maxSide: number;
  /** Draws the thumbnail of a file (e.g. in a worker); absent: read and decoded here (thumbFromBytes). */
  draw?(file: Blob, path: string, frame: number | null, maxSide: number): Promise<Thumb | undefined>;
}

/** Loads thumbnails from the files on demand, at most `capacity` kept (least recently used dropped). */
export class OnDemandThumbs {
  private readonly cache = new Map<string, Promise<Thumb | undefined>>();
  constructor(
    private readonly source: ThumbSource,
    private readonly capacity = 256,
  ) {}

  load(setName: string, id: string): Promise<Thumb | undefined> {
    const key = `${setName}\u0000${id}`;
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const p = this.read(setName, id).catch(() => undefined);
    this.cache.set(key, p);
    while (this.cache.size > this.capacity) this.cache.delete(this.cache.keys().next().value!);
    return p;
  }

  private async read(setName: string, id: string): Promise<Thumb | undefined> {
    const files = this.source.files(setName);
    if (!files) return undefined;
    const where = splitImageId(id, (p) => files.has(p));
    if (!where) return undefined;
    const file = await files.open(where.path);
    if (this.source.draw) return this.source.draw(file, where.path, where.frame, this.source.maxSide);
    return thumbFromBytes(new Uint8Array(await file.arrayBuffer()), where.path, where.frame, this.source.maxSide);
  }
}

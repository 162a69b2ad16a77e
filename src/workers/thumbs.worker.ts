/**
 * Draws audit thumbnails from the user's files off the page's main thread (src/app/thumbs.ts OnDemandThumbs asks
 * here for the thumbnails a run did not keep in memory): the file is read and decoded with the pipeline's decoder
 * and thumbnail filter, so the picture is the one the pipeline made.
 */
import * as Comlink from 'comlink';
import { thumbFromBytes } from '../app/thumbs.ts';
import type { Thumb } from '../app/types.ts';

const api = {
  /** The thumbnail of a file's bytes (read on the page and transferred: see thumbDrawer.ts). */
  async draw(bytes: Uint8Array, path: string, frame: number | null, maxSide: number): Promise<Thumb | undefined> {
    const t = await thumbFromBytes(bytes, path, frame, maxSide);
    return t ? Comlink.transfer(t, [t.data.buffer as ArrayBuffer]) : undefined;
  },
};

export type ThumbsWorkerApi = typeof api;
Comlink.expose(api);

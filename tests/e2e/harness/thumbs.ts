/**
 * Test-only page (served by the Vite dev server in the e2e suite, never built into the app): the audit's
 * on-demand thumbnails drawn in the thumbnail worker (src/workers/thumbDrawer.ts, as the app does) and on this
 * page with the pipeline's own code (src/app/thumbs.ts thumbFromBytes), for the tests to compare.
 */
import { OnDemandThumbs, thumbFromBytes } from '../../../src/app/thumbs';
import { workerThumbDrawer } from '../../../src/workers/thumbDrawer';
import { BlobFiles } from '../../../src/app/fileSource.ts';

type Plain = { width: number; height: number; channels: number; data: number[] } | null;
const plain = (t: { width: number; height: number; channels: number; data: Uint8Array } | undefined): Plain =>
  t ? { width: t.width, height: t.height, channels: t.channels, data: Array.from(t.data) } : null;

async function draw(bytes: number[], path: string, id: string, maxSide: number): Promise<{ worker: Plain; page: Plain }> {
  const file = new Blob([new Uint8Array(bytes)]);
  const thumbs = new OnDemandThumbs({ files: () => new BlobFiles(new Map([[path, file]])), maxSide, draw: workerThumbDrawer(5000) });
  const frame = id === path ? null : Number(id.slice(path.length + 1));
  return { worker: plain(await thumbs.load('set', id)), page: plain(await thumbFromBytes(new Uint8Array(bytes), path, frame, maxSide)) };
}

Object.assign(window, { synthlensThumbs: { draw } });
document.body.dataset.ready = '1';

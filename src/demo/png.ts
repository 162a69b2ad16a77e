/**
 * PNG files of the demo sets (deterministic encoder, src/core/png/encode.ts), for writing
 * the demo to folders or offering it as a download.
 */
import { encodePngGray8 } from '../core/png/encode.ts';
import { demoSets, type DemoDataset, type DemoSet } from './phantoms.ts';

export interface DemoPngFile {
  /** `<set>/<class>/img_0001.png` */
  path: string;
  bytes: Uint8Array;
}

/** PNG files of one set; paths are relative to the set's folder (`normal/img_0001.png`). */
export function demoSetAsPng(set: DemoSet): DemoPngFile[] {
  return set.images.map((im) => ({ path: im.id, bytes: encodePngGray8(im.pixels, set.width, set.height) }));
}

/** PNG files of every set, paths `<set>/<class>/img_0001.png`. */
export function demoAsPng(ds: DemoDataset): DemoPngFile[] {
  return demoSets(ds).flatMap((set) => demoSetAsPng(set).map((f) => ({ path: `${set.name}/${f.path}`, bytes: f.bytes })));
}

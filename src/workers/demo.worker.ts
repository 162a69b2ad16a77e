/**
 * Generates the built-in demo data (chest-X-ray-like phantoms, src/demo) in a worker and encodes every image
 * as PNG, so the demo goes through exactly the same pipeline as the user's own folders.
 */
import * as Comlink from 'comlink';
import { demoSets, generateDemo, type DemoOptions, type DemoRole, type DemoSetName } from '../demo/phantoms.ts';
import { encodePngGray8 } from '../core/png/encode.ts';

export interface DemoSetFiles {
  name: DemoSetName;
  role: DemoRole;
  description: string;
  expected: string;
  files: { path: string; bytes: Uint8Array }[];
}

const api = {
  async generate(opts: DemoOptions = {}, onSet?: (name: string, done: number, total: number) => void): Promise<DemoSetFiles[]> {
    const out: DemoSetFiles[] = [];
    const sets = demoSets(generateDemo(opts));
    for (let i = 0; i < sets.length; i++) {
      const set = sets[i];
      out.push({
        name: set.name,
        role: set.role,
        description: set.description,
        expected: set.expected,
        files: set.images.map((im) => ({ path: im.id, bytes: encodePngGray8(im.pixels, set.width, set.height) })),
      });
      onSet?.(set.name, i + 1, sets.length);
    }
    // Transfer the PNG buffers: copying 720 arrays into the page would block its main thread.
    return Comlink.transfer(out, out.flatMap((s) => s.files.map((f) => f.bytes.buffer as ArrayBuffer)));
  },
};

export type DemoWorkerApi = typeof api;
Comlink.expose(api);

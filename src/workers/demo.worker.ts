/**
 * Generates the built-in demo data (chest-X-ray-like phantoms, src/demo) in a worker and encodes every image
 * as PNG, so the demo goes through exactly the same pipeline as the user's own folders.
 */
import * as Comlink from 'comlink';
import { DEMO_SET_NAMES, generateDemoSet, type DemoOptions, type DemoRole, type DemoSetName } from '../demo/phantoms.ts';
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
    for (let i = 0; i < DEMO_SET_NAMES.length; i++) {
      const set = generateDemoSet(DEMO_SET_NAMES[i], opts);
      out.push({
        name: set.name,
        role: set.role,
        description: set.description,
        expected: set.expected,
        files: set.images.map((im) => ({ path: im.id, bytes: encodePngGray8(im.pixels, set.width, set.height) })),
      });
      onSet?.(set.name, i + 1, DEMO_SET_NAMES.length);
    }
    return out;
  },
};

export type DemoWorkerApi = typeof api;
Comlink.expose(api);

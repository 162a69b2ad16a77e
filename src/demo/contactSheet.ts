/**
 * Contact sheet of demo sets: one row per set, a few images of each class side by side,
 * as one 8-bit grayscale image (for a quick visual check and the README).
 */
import type { DemoSet } from './phantoms.ts';

export interface GrayImage {
  width: number;
  height: number;
  pixels: Uint8Array;
}

/**
 * Lays out `perClass` images of each class of every set (normal first, then effusion),
 * one row per set, separated by `gap` pixels of `background`.
 */
export function contactSheet(sets: DemoSet[], perClass = 3, gap = 4, background = 0): GrayImage {
  if (sets.length === 0) throw new Error('contact sheet needs at least one set');
  const size = sets[0].width;
  for (const s of sets) if (s.width !== size || s.height !== size) throw new Error(`set ${s.name} is ${s.width} x ${s.height}, expected ${size} x ${size}`);
  const labels = [...new Set(sets.flatMap((s) => s.images.map((im) => im.label)))];
  const cols = perClass * labels.length;
  const width = cols * size + (cols + 1) * gap;
  const height = sets.length * size + (sets.length + 1) * gap;
  const pixels = new Uint8Array(width * height).fill(background);
  sets.forEach((set, row) => {
    let col = 0;
    for (const label of labels) {
      const ims = set.images.filter((im) => im.label === label).slice(0, perClass);
      for (let c = 0; c < perClass; c++, col++) {
        const im = ims[c];
        if (!im) continue;
        const x0 = gap + col * (size + gap);
        const y0 = gap + row * (size + gap);
        for (let y = 0; y < size; y++) pixels.set(im.pixels.subarray(y * size, (y + 1) * size), (y0 + y) * width + x0);
      }
    }
  });
  return { width, height, pixels };
}

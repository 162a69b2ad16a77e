/**
 * bench/scaleBrowser.ts image generation: files in the class subfolders asked for (or none), each file unique
 * (distinct SHA-256 counted by the generator and here, independently), each a size x size 8-bit grayscale PNG
 * whose first three pixels hold its index (decoded back with the app's own decoder), the same bytes for the same
 * seed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate, phantom } from '../../../bench/scaleBrowser.ts';
import { decodeImage } from '../../../src/imaging/decode.ts';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'synthlens-scale-browser-test-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function files(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
    .sort();
}

describe('scale-browser images', () => {
  it('writes n unique PNGs per set into the class subfolders, index in the first pixels', async () => {
    const root = tmp();
    const g = generate(root, 30, 16, 3, 2);
    const all = files(root);
    expect(all.length).toBe(60);
    expect(all.filter((p) => p.startsWith('real/benign/')).length).toBe(15);
    expect(all.filter((p) => p.startsWith('synthetic/malignant/')).length).toBe(15);
    expect(all).toContain('synthetic/malignant/img_000029.png');
    const hashes = new Set(all.map((p) => createHash('sha256').update(readFileSync(join(root, p))).digest('hex')));
    expect(hashes.size).toBe(60);
    expect(g.distinct).toBe(60);
    const [frame] = await decodeImage(new Uint8Array(readFileSync(join(root, 'real/malignant/img_000027.png'))), 'img_000027.png');
    expect([frame.width, frame.height, frame.channels, frame.meta.bitDepth]).toEqual([16, 16, 1, 8]);
    // values in [0, 1]: 8-bit levels / 255
    expect(Array.from(frame.data.slice(0, 3), (v) => Math.round(v * 255))).toEqual([27, 0, 0]);
  });

  it('writes no class folders with classes = 0, and the same bytes for the same seed', () => {
    const a = tmp();
    const b = tmp();
    generate(a, 5, 16, 9, 0);
    generate(b, 5, 16, 9, 0);
    expect(files(a)).toEqual(['real/img_000000.png', 'real/img_000001.png', 'real/img_000002.png', 'real/img_000003.png', 'real/img_000004.png',
      'synthetic/img_000000.png', 'synthetic/img_000001.png', 'synthetic/img_000002.png', 'synthetic/img_000003.png', 'synthetic/img_000004.png']);
    for (const p of files(a)) expect(readFileSync(join(a, p)).equals(readFileSync(join(b, p)))).toBe(true);
  });

  it('puts index bits 0-23 into pixels 0, 1, 2', () => {
    let t = 0;
    const r = () => ((t = (t * 9301 + 49297) % 233280) / 233280);
    expect(Array.from(phantom(8, 0x0a0b0c, false, r).slice(0, 3))).toEqual([0x0c, 0x0b, 0x0a]);
  });
});

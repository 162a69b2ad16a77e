/**
 * src/cli/loadFeatures.ts: .npy features land on a SharedArrayBuffer, so the engine's worker
 * threads read them without shareSet() making a second copy; values and errors are unchanged.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadFeatureFile, readBytesShared } from '../../../src/cli/loadFeatures.ts';
import { writeNpy } from '../../../src/core/features/npy.ts';
import { shareSet } from '../../../src/core/neighbours/parallel.ts';

const dir = mkdtempSync(join(tmpdir(), 'synthlens-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadFeatureFile (.npy)', () => {
  it('reads float32 rows onto shared memory, which shareSet then uses as is', async () => {
    const n = 37, d = 11;
    const v = new Float32Array(n * d).map((_, i) => Math.sin(i) * 10);
    const path = join(dir, 'f.npy');
    writeFileSync(path, writeNpy(v, [n, d]));
    const fs = await loadFeatureFile(path, 'continuous');
    expect(fs.n).toBe(n);
    expect(fs.dim).toBe(d);
    expect(Array.from(fs.data)).toEqual(Array.from(v));
    expect(fs.data.buffer).toBeInstanceOf(SharedArrayBuffer);
    const before = fs.data;
    const shared = shareSet(fs);
    expect(shared.data).toBe(before); // no copy
    expect(fs.data).toBe(before);
  });

  it('reads a file larger than one read call in full', async () => {
    const bytes = new Uint8Array((1 << 26) + 12345).map((_, i) => (i * 7919) & 255);
    const path = join(dir, 'big.bin');
    writeFileSync(path, bytes);
    const got = await readBytesShared(path);
    expect(got.length).toBe(bytes.length);
    expect(got.buffer).toBeInstanceOf(SharedArrayBuffer);
    let same = true;
    for (let i = 0; i < bytes.length; i += 4099) if (got[i] !== bytes[i]) same = false;
    expect(got[bytes.length - 1]).toBe(bytes[bytes.length - 1]);
    expect(same).toBe(true);
  });

  it('names the file when it cannot be read', async () => {
    await expect(loadFeatureFile(join(dir, 'missing.npy'), 'continuous')).rejects.toThrow(/missing\.npy/);
  });
});

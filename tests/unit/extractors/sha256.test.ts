import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Sha256, sha256Hex, sha256HexSync } from '../../../src/extractors/sha256.ts';

const enc = new TextEncoder();
const nodeHash = (chunks: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const c of chunks) h.update(c);
  return h.digest('hex');
};

describe('sha256', () => {
  // FIPS 180-4 / NIST CAVS example vectors
  const vectors: [string, string][] = [
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'],
    ['abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu',
      'cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1'],
  ];
  it.each(vectors)('FIPS vector %#', async (msg, want) => {
    expect(sha256HexSync(enc.encode(msg))).toBe(want);
    expect(await sha256Hex(enc.encode(msg), true)).toBe(want);
    expect(await sha256Hex(enc.encode(msg))).toBe(want);
  });

  it('one million "a" (pure implementation, fed in uneven chunks)', () => {
    const h = new Sha256();
    const a = new Uint8Array(1000).fill(0x61);
    let left = 1_000_000;
    let step = 1;
    while (left > 0) {
      const n = Math.min(left, step);
      h.update(a.subarray(0, Math.min(n, 1000)));
      left -= Math.min(n, 1000);
      step = (step * 7 + 3) % 997 + 1;
    }
    expect(h.digestHex()).toBe('cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
  });

  it('matches node:crypto on chunked pseudo-random data around block boundaries', async () => {
    let s = 12345;
    const rnd = () => (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
    for (const sizes of [[55], [56], [63], [64], [65], [119, 1], [1, 63, 64, 0, 129], [4096, 3, 77]]) {
      const chunks = sizes.map((n) => Uint8Array.from({ length: n }, rnd));
      const want = nodeHash(chunks);
      expect(sha256HexSync(chunks)).toBe(want);
      expect(await sha256Hex(chunks, true)).toBe(want);
      expect(await sha256Hex(chunks)).toBe(want);
    }
  });

  it('refuses to be reused after digest', () => {
    const h = new Sha256().update(enc.encode('x'));
    h.digest();
    expect(() => h.update(enc.encode('y'))).toThrow();
    expect(() => h.digest()).toThrow();
  });
});

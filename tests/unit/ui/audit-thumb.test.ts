import { describe, expect, it } from 'vitest';
import { thumbToRgba } from '../../../src/ui/audit/thumb.ts';

describe('thumbToRgba', () => {
  it('spreads 8-bit gray to RGB with opaque alpha (hand case)', () => {
    const out = thumbToRgba({ width: 3, height: 1, channels: 1, data: Uint8Array.from([0, 128, 255]) });
    expect([...out]).toEqual([0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 255, 255]);
  });

  it('copies RGB and adds opaque alpha (hand case)', () => {
    const out = thumbToRgba({ width: 1, height: 2, channels: 3, data: Uint8Array.from([1, 2, 3, 250, 251, 252]) });
    expect([...out]).toEqual([1, 2, 3, 255, 250, 251, 252, 255]);
  });

  it('rejects a byte count that does not match the size, and an empty size', () => {
    expect(() => thumbToRgba({ width: 2, height: 2, channels: 3, data: new Uint8Array(4) })).toThrow(/needs 12 bytes, got 4/);
    expect(() => thumbToRgba({ width: 0, height: 2, channels: 1, data: new Uint8Array(0) })).toThrow(/not valid/);
  });
});

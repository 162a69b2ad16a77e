import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseNpy, readFeaturesNpy, writeNpy, writeFeaturesNpy, InputError } from '../../../src/core/features/npy.ts';
import { makeFeatureSet } from '../../../src/core/features/featureSet.ts';

const dir = join(__dirname, '../../fixtures/features');
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as {
  npy: Record<string, { shape: number[]; values: number[]; dtype: string }>;
};
const load = (name: string) => new Uint8Array(readFileSync(join(dir, 'npy', name + '.npy')));

describe('parseNpy on files written by numpy', () => {
  for (const [name, ref] of Object.entries(expected.npy)) {
    it(`${name} (${ref.dtype})`, () => {
      const arr = parseNpy(load(name));
      expect(arr.shape).toEqual(ref.shape);
      expect(Array.from(arr.values)).toEqual(ref.values);
    });
  }
});

describe('readFeaturesNpy', () => {
  it('2-D float32 as n x d, values exact', () => {
    const fs = readFeaturesNpy(load('f4_le'));
    expect([fs.n, fs.dim, fs.kind]).toEqual([4, 3, 'continuous']);
    expect(fs.data).toBeInstanceOf(Float32Array);
    expect(Array.from(fs.data)).toEqual(expected.npy.f4_le.values);
    expect(fs.ids).toEqual(['0', '1', '2', '3']);
    expect(fs.labels).toBeNull();
  });
  it('big-endian float64 is rounded to float32', () => {
    const fs = readFeaturesNpy(load('f8_be'));
    expect(Array.from(fs.data)).toEqual(expected.npy.f8_be.values.map(Math.fround));
  });
  it('1-D array becomes n x 1', () => {
    const fs = readFeaturesNpy(load('f4_1d'));
    expect([fs.n, fs.dim]).toEqual([7, 1]);
  });
  it('integers: float32 when continuous, Int32 codes when discrete', () => {
    const c = readFeaturesNpy(load('i8_be'));
    expect(c.data).toBeInstanceOf(Float32Array);
    expect(Array.from(c.data)).toEqual(expected.npy.i8_be.values);
    const d = readFeaturesNpy(load('i2_be'), { kind: 'discrete' });
    expect(d.data).toBeInstanceOf(Int32Array);
    expect(d.kind).toBe('discrete');
    expect(Array.from(d.data)).toEqual(expected.npy.i2_be.values);
    const b = readFeaturesNpy(load('bool'), { kind: 'discrete' });
    expect(Array.from(b.data)).toEqual(expected.npy.bool.values);
  });
  it('ids and labels from the caller', () => {
    const fs = readFeaturesNpy(load('f4_le'), { ids: ['a', 'b', 'c', 'd'], labels: ['x', 'y', 'x', 'y'] });
    expect(fs.ids).toEqual(['a', 'b', 'c', 'd']);
    expect(fs.labels).toEqual(['x', 'y', 'x', 'y']);
    expect(() => readFeaturesNpy(load('f4_le'), { ids: ['a'] })).toThrow('1 ids for 4 rows');
  });
  const errors: [string, RegExp, object?][] = [
    ['err_fortran', /Fortran order/],
    ['err_3d', /shape \(2, 2, 2\); expected 1-D/],
    ['err_empty', /no rows \(empty set\)/],
    ['err_complex', /unsupported \.npy dtype '<c8'/],
    ['err_nan', /row 2, column 3: value NaN is not a finite number/],
    ['err_inf', /row 3, column 1: value -Infinity is not a finite number/],
    ['discrete_frac', /row 1, column 2: value 2.5 is not an integer code/, { kind: 'discrete' }],
  ];
  for (const [name, re, opts] of errors) {
    it(`error: ${name}`, () => {
      let err: unknown;
      try { readFeaturesNpy(load(name), opts); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toMatch(re);
      expect((err as Error).message).not.toContain('\n');
    });
  }
  it('error: not an npy file, truncated data', () => {
    expect(() => readFeaturesNpy(new TextEncoder().encode('filename,a\nx,1\n'))).toThrow(/not a \.npy file/);
    const good = load('f4_le');
    expect(() => readFeaturesNpy(good.subarray(0, good.length - 4))).toThrow(/truncated: shape \(4, 3\) needs 48 data bytes, found 44/);
  });
  it('reads from an unaligned subarray', () => {
    const good = load('f8_le');
    const buf = new Uint8Array(good.length + 3);
    buf.set(good, 3);
    const fs = readFeaturesNpy(buf.subarray(3));
    expect(Array.from(fs.data)).toEqual(expected.npy.f8_le.values.map(Math.fround));
  });
});

describe('writeNpy', () => {
  it('writes the same bytes numpy writes for a float32 2-D array', () => {
    const ref = load('f4_le');
    const fs = readFeaturesNpy(ref);
    expect(Buffer.from(writeFeaturesNpy(fs)).equals(Buffer.from(ref))).toBe(true);
  });
  it('writes the same bytes numpy writes for a 1-D array and for a wide array', () => {
    for (const name of ['f4_1d', 'f4_wide']) {
      const ref = load(name);
      const fs = readFeaturesNpy(ref);
      const shape: [number] | [number, number] = name === 'f4_1d' ? [fs.n] : [fs.n, fs.dim];
      expect(Buffer.from(writeNpy(fs.data, shape)).equals(Buffer.from(ref))).toBe(true);
    }
  });
  it('round-trips int32 and uint16 codes', () => {
    const i = makeFeatureSet(Int32Array.from([1, -2, 3, 2147483647, -2147483648, 0]), 3, 2);
    expect(Array.from(readFeaturesNpy(writeFeaturesNpy(i), { kind: 'discrete' }).data)).toEqual(Array.from(i.data));
    const u = writeNpy(Uint16Array.from([0, 65535, 7]), [3]);
    expect(parseNpy(u).descr).toBe('<u2');
    expect(Array.from(parseNpy(u).values)).toEqual([0, 65535, 7]);
    expect((10 + (u[8] | (u[9] << 8))) % 64).toBe(0);
  });
});

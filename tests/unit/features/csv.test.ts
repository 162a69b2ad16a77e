import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFeaturesCsv, readIdsCsv, writeFeaturesCsv, writeIdsCsv, toCsv, InputError } from '../../../src/core/features/csv.ts';
import { makeFeatureSet } from '../../../src/core/features/featureSet.ts';

const dir = join(__dirname, '../../fixtures/features');
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));

function errorOf(fn: () => unknown): Error {
  try { fn(); } catch (e) { expect(e).toBeInstanceOf(InputError); return e as Error; }
  throw new Error('no error thrown');
}

describe('readFeaturesCsv', () => {
  it('reads a pandas-style file (index column, filename, label) exactly', () => {
    const ref = expected.csv.pandas_style;
    const fs = readFeaturesCsv(readFileSync(join(dir, 'csv/pandas_style.csv'), 'utf8'));
    expect([fs.n, fs.dim]).toEqual(ref.shape);
    expect(fs.ids).toEqual(ref.ids);
    expect(fs.labels).toEqual(ref.labels);
    expect(Array.from(fs.data)).toEqual(ref.values);
  });
  it('header names are case-insensitive; no id column gives row numbers; no label column gives null', () => {
    const a = readFeaturesCsv('FileName,LABEL,v\nx.png,c1,1\ny.png,c2,2\n');
    expect(a.ids).toEqual(['x.png', 'y.png']);
    expect(a.labels).toEqual(['c1', 'c2']);
    const b = readFeaturesCsv('a,b\n1,2\n3,4');
    expect(b.ids).toEqual(['0', '1']);
    expect(b.labels).toBeNull();
    expect(Array.from(b.data)).toEqual([1, 2, 3, 4]);
  });
  it('quoted fields, doubled quotes, commas and line breaks inside quotes, CRLF, BOM, blank lines', () => {
    const text = '\ufefffilename,label,"f,1",f2\r\n"a ""q"", b.png","x",1.5,-2e-3\r\n\r\n"multi\nline.png",y,  3 ,".5"\r\n';
    const fs = readFeaturesCsv(text);
    expect(fs.ids).toEqual(['a "q", b.png', 'multi\nline.png']);
    expect(fs.labels).toEqual(['x', 'y']);
    expect(Array.from(fs.data)).toEqual([1.5, Math.fround(-2e-3), 3, 0.5]);
  });
  it('ragged row names the line and both counts', () => {
    const rows = ['filename,label,a,b,c,d'];
    for (let i = 2; i <= 16; i++) rows.push(`f${i},l,1,2,3,4`);
    rows.push('f17,l,1,2,3');
    expect(errorOf(() => readFeaturesCsv(rows.join('\n'))).message).toBe('line 17 has 5 fields, header has 6');
  });
  it('line numbers count the line breaks inside quoted fields', () => {
    const text = 'filename,a\n"x\ny",1\nz,1,2\n';
    expect(errorOf(() => readFeaturesCsv(text)).message).toBe('line 4 has 3 fields, header has 2');
  });
  it('non-numeric, NaN, Infinity and empty values name the line, row and column', () => {
    expect(errorOf(() => readFeaturesCsv('filename,a,b\nx,1,2\ny,3,abc\n')).message).toBe('line 3 (row 2), column "b": value "abc" is not a number');
    expect(errorOf(() => readFeaturesCsv('a,b\n1,NaN\n')).message).toMatch(/^line 2 \(row 1\), column "b": value "NaN" is not a finite number/);
    expect(errorOf(() => readFeaturesCsv('a,b\n1,2\n-inf,2\n')).message).toMatch(/^line 3 \(row 2\), column "a": value "-inf" is not a finite number/);
    expect(errorOf(() => readFeaturesCsv('a,b\n1,Infinity\n')).message).toMatch(/column "b": value "Infinity" is not a finite/);
    expect(errorOf(() => readFeaturesCsv('a,b\n1,\n')).message).toBe('line 2 (row 1), column "b": empty value');
    expect(errorOf(() => readFeaturesCsv('a,b\n1,0x10\n')).message).toMatch(/value "0x10" is not a number/);
    expect(errorOf(() => readFeaturesCsv('a\n1e39\n')).message).toMatch(/not a finite float32 number/);
  });
  it('empty file, header only, no feature columns', () => {
    expect(errorOf(() => readFeaturesCsv('')).message).toMatch(/empty/);
    expect(errorOf(() => readFeaturesCsv('filename,a,b\n')).message).toMatch(/no data rows \(empty set\)/);
    expect(errorOf(() => readFeaturesCsv('filename,label\nx,y\n')).message).toMatch(/no feature columns/);
    expect(errorOf(() => readFeaturesCsv('a,"unclosed\n1,2\n')).message).toMatch(/not closed/);
  });
  it('discrete: integer codes as Int32Array; fractions rejected', () => {
    const fs = readFeaturesCsv('a,b\n1,2\n-3,40000\n', { kind: 'discrete' });
    expect(fs.data).toBeInstanceOf(Int32Array);
    expect(fs.kind).toBe('discrete');
    expect(Array.from(fs.data)).toEqual([1, 2, -3, 40000]);
    expect(errorOf(() => readFeaturesCsv('a,b\n1,2.5\n', { kind: 'discrete' })).message).toMatch(/line 2 \(row 1\), column "b": value "2.5" is not an integer code/);
  });
});

describe('writers', () => {
  it('writeFeaturesCsv round-trips float32 values, ids with commas and quotes, labels', () => {
    const data = Float32Array.from([0.1, -1e-7, 3.4028234663852886e38, 1 / 3, 0, -0.5]);
    const fs = makeFeatureSet(data, 3, 2, { ids: ['a,b', 'say "hi"', ' lead'], labels: ['x', 'y', 'x'] });
    const back = readFeaturesCsv(writeFeaturesCsv(fs));
    expect(Array.from(back.data)).toEqual(Array.from(data));
    expect(back.ids).toEqual(['a,b', 'say "hi"', ' lead']);
    expect(back.labels).toEqual(['x', 'y', 'x']);
  });
  it('writeIdsCsv / readIdsCsv', () => {
    const text = writeIdsCsv(['a.png', 'b,c.png'], ['0', '1']);
    expect(text).toBe('filename,label\na.png,0\n"b,c.png",1\n');
    expect(readIdsCsv(text)).toEqual({ ids: ['a.png', 'b,c.png'], labels: ['0', '1'] });
    expect(readIdsCsv(writeIdsCsv(['x'], null))).toEqual({ ids: ['x'], labels: null });
    expect(() => readIdsCsv('name\nx\n')).toThrow(/no "filename" column/);
  });
  it('toCsv writes null as empty', () => {
    expect(toCsv(['a', 'b'], [[1, null], ['x', 2.5]])).toBe('a,b\n1,\nx,2.5\n');
  });
});

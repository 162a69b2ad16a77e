/**
 * src/app/runner.ts splitRealFilesForUtility: without a held-out set the app splits the real FILES (not rows)
 * before extraction, stratified by class subfolder and seeded, exactly like `synthlens evaluate`.
 */
import { describe, expect, it } from 'vitest';
import { splitRealFilesForUtility, type SetInput } from '../../../src/app/runner.ts';
import { stratifiedSplit } from '../../../src/core/utility/split.ts';
import { BlobFiles } from '../../../src/app/fileSource.ts';

function realSet(labels: (string | null)[]): SetInput {
  const files = labels.map((label, i) => ({ path: `${label ?? 'x'}/img${i}.dcm`, label, size: 1 }));
  return { name: 'real', role: 'real', dataset: { files, skipped: [] } as never, files: new BlobFiles(new Map()) };
}

describe('splitRealFilesForUtility', () => {
  const labels = [...Array(10).fill('a'), ...Array(5).fill('b')];
  it('holds out round(20%) of each class by file, seeded, disjoint and complete', () => {
    const sp = splitRealFilesForUtility(realSet(labels), false, { utility: 'probe', seed: 7 })!;
    const test = sp.test.dataset.files;
    const train = sp.train.dataset.files;
    expect(test.filter((f) => f.label === 'a')).toHaveLength(2);
    expect(test.filter((f) => f.label === 'b')).toHaveLength(1);
    expect(train).toHaveLength(12);
    const paths = new Set([...train, ...test].map((f) => f.path));
    expect(paths.size).toBe(15);
    // the same partition as the CLI's (stratifiedSplit over the listed files' labels, same seed)
    const { testIdx } = stratifiedSplit(labels, 0.2, 7);
    expect(test.map((f) => f.path)).toEqual(Array.from(testIdx, (i) => `${labels[i]}/img${i}.dcm`));
    expect(sp.test.name).toBe('real (utility test part)');
    expect(sp.warning).toMatch(/3 of 15, seed 7/);
    // another seed, another split; the same seed, the same split
    const again = splitRealFilesForUtility(realSet(labels), false, { utility: 'probe', seed: 7 })!;
    expect(again.test.dataset.files.map((f) => f.path)).toEqual(test.map((f) => f.path));
    const other = splitRealFilesForUtility(realSet(labels), false, { utility: 'probe', seed: 8 })!;
    expect(other.test.dataset.files.map((f) => f.path)).not.toEqual(test.map((f) => f.path));
  });
  it('does not split with a held-out set, with utility off, unlabelled files or a single class', () => {
    expect(splitRealFilesForUtility(realSet(labels), true, { utility: 'probe', seed: 1 })).toBeNull();
    expect(splitRealFilesForUtility(realSet(labels), false, { utility: 'off', seed: 1 })).toBeNull();
    expect(splitRealFilesForUtility(realSet([...labels, null]), false, { utility: 'probe', seed: 1 })).toBeNull();
    expect(splitRealFilesForUtility(realSet(['a', 'a', 'a']), false, { utility: 'probe', seed: 1 })).toBeNull();
  });
});

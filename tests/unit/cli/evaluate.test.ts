/**
 * `synthlens evaluate` end to end through child_process (`node bin/synthlens.js evaluate ...`) on image
 * folders written from the demo phantoms into a temporary folder (tests/fixtures/folders/makeFolders.ts),
 * with broken files in the real folder. Independent references: the pixels extractor's features must be
 * the PNG pixels / 255 of the generated images; the variety size must be that of the mean image of exactly
 * the images used; `synthlens metrics` on the written feature files must give the same numbers; weight
 * hashes are recomputed here with node:crypto.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Report, SetMetrics } from '../../../src/core/report/schema.ts';
import { readFeaturesNpy } from '../../../src/core/features/npy.ts';
import { readIdsCsv } from '../../../src/core/features/csv.ts';
import { VarietyAccumulator } from '../../../src/core/metrics/variety.ts';
import { generateDemo } from '../../../src/demo/phantoms.ts';
import { BROKEN_FILES, makeFolders } from '../../fixtures/folders/makeFolders.ts';
import { writeTinyModel } from '../../fixtures/models/writeLayersModel.ts';

const ROOT = resolve(__dirname, '../../..');
const BIN = join(ROOT, 'bin/synthlens.js');

interface Run { code: number; stdout: string; stderr: string }
function cli(args: string[]): Promise<Run> {
  return new Promise((res) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, maxBuffer: 1 << 26 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      res({ code: typeof code === 'number' ? code : 1, stdout, stderr });
    });
  });
}

const tmp = mkdtempSync(join(tmpdir(), 'synthlens-evaluate-'));
const D = join(tmp, 'data');
const d = (name: string) => join(D, name);
const out = (name: string) => join(tmp, name);
const demo = generateDemo({ size: 64, counts: { real: 12, holdout: 8, faithful: 8, copies: 8, collapsed: 0, 'low-fidelity': 0, shifted: 0 } });

let A: Run; // pixels, holdout, features-out, csv, assignments
let M: Run; // synthlens metrics on A's feature files
let C1: Run; // a custom TF.js model (4-d features, cheap metrics) with a disk cache
let C2: Run; // the same command again: everything from the cache
let U: Run; // utility with the real-set split and a cross-task set (custom model)
let N: Run; // mobilenet-v2 on 6 images
let E: Run[]; // user errors
let reportA: Report;
let tinyHash = '';

beforeAll(async () => {
  makeFolders(D, { broken: true, crossTaskPerClass: 5 });
  // six images for the mobilenet run
  for (const [from, to] of [['real/normal/img_0001.png', 'six/real/normal/a.png'], ['real/normal/img_0002.png', 'six/real/normal/b.png'],
    ['real/effusion/img_0001.png', 'six/real/effusion/a.png'], ['real/effusion/img_0002.png', 'six/real/effusion/b.png'],
    ['faithful/normal/img_0001.png', 'six/syn/normal/a.png'], ['faithful/effusion/img_0001.png', 'six/syn/effusion/a.png']]) {
    mkdirSync(join(tmp, to, '..'), { recursive: true });
    copyFileSync(d(from), join(tmp, to));
  }
  mkdirSync(d('only-broken'));
  writeFileSync(d('only-broken/x.png'), 'not a png');
  tinyHash = await writeTinyModel(out('tiny-model'));
  const tiny = ['--extractor', 'custom', '--model', out('tiny-model'), '--output-layer', 'gap', '--input-size', '16', '--channels', '1', '--normalise', 'minus-one-one'];
  const cached = ['evaluate', '--real', d('real'), '--synthetic', d('copies'), ...tiny, '--variety-size', '64', '--cache', out('cache'), '--json', '-'];

  const runA = cli(['evaluate', '--real', d('real'), '--synthetic', d('faithful'), '--synthetic', d('copies'), '--holdout', d('holdout'),
    '--extractor', 'pixels', '--variety-size', '64', '--json', '-', '--features-out', out('feats'), '--csv', out('m.csv'), '--assignments', out('a.csv')])
    .then(async (r) => {
      A = r;
      M = await cli(['metrics', '--real', out('feats/real.npy'), '--synthetic', out('feats/faithful.npy'), '--synthetic', out('feats/copies.npy'),
        '--holdout', out('feats/holdout.npy'), '--json', '-']);
    });
  const runC = cli(cached).then(async (r) => {
    C1 = r;
    C2 = await cli(cached);
  });
  [, , U, N, ...E] = await Promise.all([
    runA,
    runC,
    cli(['evaluate', '--real', d('real'), '--synthetic', d('faithful'), ...tiny, '--variety-size', '64', '--utility', 'probe',
      '--seeds', '2', '--probe-steps', '10', '--cross-task', d('cross-task'), '--json', out('u.json'), '--features-out', out('ufeats')]),
    cli(['evaluate', '--real', join(tmp, 'six/real'), '--synthetic', join(tmp, 'six/syn'), '--k', '2', '--json', '-', '--extractor', 'mobilenet-v2']),
    cli(['evaluate', '--real', d('no-such-folder'), '--synthetic', d('faithful')]),
    cli(['evaluate', '--real', d('real'), '--synthetic', d('faithful'), '--extractor', 'resnet']),
    cli(['evaluate', '--real', join(tmp, 'six/real'), '--synthetic', d('only-broken'), '--k', '2', '--extractor', 'pixels', '--variety-size', '16']),
  ]);
  reportA = JSON.parse(A.stdout);
}, 240_000);

const setOf = (r: Report, name: string) => r.sets.find((s) => s.name === name)!;

describe('synthlens evaluate: pixels run', () => {
  it('exits 0 with only JSON on stdout, reports the backend and extractor', () => {
    expect(A.code, A.stderr).toBe(0);
    expect(A.stdout.trimStart().startsWith('{')).toBe(true);
    expect(reportA.config.backend).toBe('wasm');
    expect(reportA.config.extractionBackend).toBe('wasm');
    expect(reportA.config.extractor).toMatchObject({ id: 'pixels', weightsSha256: 'none', dim: 4096, inputSize: 64, channels: 1 });
    expect(reportA.config.preprocessing).toMatchObject({ inputSize: 64, aspect: 'stretch', varietySize: 64 });
    expect(reportA.config.dim).toBe(4096);
    expect(A.stderr).toMatch(/pixels features \(4096-d\), TF\.js backend wasm/);
  });

  it('counts images per set and class, and lists skipped files with reasons', () => {
    expect(reportA.real).toMatchObject({ count: 12, classes: { effusion: 6, normal: 6 } });
    expect(reportA.holdout).toMatchObject({ count: 8, classes: { effusion: 4, normal: 4 } });
    expect(reportA.sets.map((s) => [s.name, s.count, s.classes])).toEqual([
      ['faithful', 8, { effusion: 4, normal: 4 }],
      ['copies', 8, { effusion: 4, normal: 4 }],
    ]);
    const skipped = Object.fromEntries(reportA.skipped.map((s) => [s.path, s.reason]));
    expect(Object.keys(skipped).sort()).toEqual([BROKEN_FILES.truncated, BROKEN_FILES.empty, BROKEN_FILES.text].map((p) => join(d('real'), p)).sort());
    expect(skipped[join(d('real'), BROKEN_FILES.empty)]).toMatch(/empty/);
    expect(skipped[join(d('real'), BROKEN_FILES.text)]).toMatch(/not an image/);
    expect(skipped[join(d('real'), BROKEN_FILES.truncated)]).toMatch(/corrupt|truncated/i);
    // each named on stderr; the system file is ignored, not skipped
    for (const p of Object.keys(skipped)) expect(A.stderr).toContain(`skipped ${p}: `);
    expect(A.stderr).not.toContain('.DS_Store');
    expect(reportA.config.extraction).toMatchObject({ files: 15 + 8 + 8 + 8, images: 36, embedded: 36, cached: 0, skipped: 3, ignored: 1 });
    // plain progress lines when stderr is not a terminal, no control sequences
    expect(A.stderr).toMatch(/extracting real: 14 files/);
    expect(A.stderr).not.toContain('\x1b[');
  });

  it('features are the PNG pixels / 255 (pixels extractor), in path order with labels', () => {
    const fs = readFeaturesNpy(new Uint8Array(readFileSync(out('feats/real.npy'))));
    const { ids, labels } = readIdsCsv(readFileSync(out('feats/real.ids.csv'), 'utf8'));
    const expected = [...demo.real.images].sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(ids).toEqual(expected.map((im) => im.id));
    expect(labels).toEqual(expected.map((im) => im.label));
    expect(fs.n).toBe(12);
    expect(fs.dim).toBe(4096);
    let maxErr = 0;
    expected.forEach((im, r) => {
      for (let j = 0; j < 4096; j++) maxErr = Math.max(maxErr, Math.abs(fs.data[r * 4096 + j] - im.pixels[j] / 255));
    });
    expect(maxErr).toBeLessThan(1e-6);
  });

  it('variety is the PNG size of the mean image of exactly the images used', () => {
    const bytes = (images: { pixels: Uint8Array; label: string }[]) => {
      const acc = new VarietyAccumulator(64);
      for (const im of images) acc.add(im.pixels, im.label);
      return acc.result().pngBytes;
    };
    expect(reportA.real.variety?.pngBytes).toBe(bytes(demo.real.images));
    expect(setOf(reportA, 'faithful').metrics.variety?.pngBytes).toBe(bytes(demo.synthetic.find((s) => s.name === 'faithful')!.images));
    expect(setOf(reportA, 'copies').metrics.variety?.pngBytes).toBe(bytes(demo.synthetic.find((s) => s.name === 'copies')!.images));
    expect(reportA.warnings.join('\n')).not.toMatch(/variety.*null/);
  });

  it('the near-copies get lower privacy than the faithful set, and the memorisation test flags them', () => {
    const faithful = setOf(reportA, 'faithful').metrics;
    const copies = setOf(reportA, 'copies').metrics;
    expect(copies.privacy).toBeLessThan(faithful.privacy);
    expect(copies.privacy).toBeLessThanOrEqual(0.25);
    expect(copies.memorizationRate!).toBeGreaterThan(faithful.memorizationRate!);
    expect(faithful.holdoutPrivacy).not.toBeNull();
  });

  it('writes the CSV exports', () => {
    expect(readFileSync(out('m.csv'), 'utf8').split('\n')[0]).toMatch(/^set,class,count,fidelity,privacy/);
    const a = readFileSync(out('a.csv'), 'utf8').trim().split('\n');
    expect(a[0]).toMatch(/^set,id,label,nearest_real_id/);
    expect(a).toHaveLength(1 + 16);
  });
});

describe('synthlens evaluate: features round trip through synthlens metrics', () => {
  it('writes <set>.npy and <set>.ids.csv for every set', () => {
    expect(readdirSync(out('feats')).sort()).toEqual(['copies', 'faithful', 'holdout', 'real'].flatMap((s) => [`${s}.ids.csv`, `${s}.npy`]));
  });

  it('metrics on the written files gives the same numbers (all but variety, which needs the images)', () => {
    expect(M.code, M.stderr).toBe(0);
    const r = JSON.parse(M.stdout) as Report;
    const strip = (m: SetMetrics) => ({ ...m, variety: null });
    for (const name of ['faithful', 'copies']) {
      expect(strip(setOf(r, name).metrics)).toEqual(strip(setOf(reportA, name).metrics));
      const pcA = setOf(reportA, name).perClass;
      const pcM = setOf(r, name).perClass;
      expect(Object.keys(pcM).sort()).toEqual(['effusion', 'normal']);
      for (const c of Object.keys(pcA)) expect(strip(pcM[c])).toEqual(strip(pcA[c]));
    }
    expect(r.holdout).toEqual(reportA.holdout);
  });
});

describe('synthlens evaluate: disk cache (custom model)', () => {
  let r1: Report;
  let r2: Report;
  beforeAll(() => {
    expect(C1.code, C1.stderr).toBe(0);
    expect(C2.code, C2.stderr).toBe(0);
    r1 = JSON.parse(C1.stdout);
    r2 = JSON.parse(C2.stdout);
  });

  it('the first run embeds everything and writes the cache', () => {
    expect(r1.config.extraction).toMatchObject({ embedded: 20, cached: 0, images: 20 });
    expect(r1.config.cache).toMatchObject({ hits: 0, misses: 22, writes: 20, resumed: 0 });
    expect(existsSync(join(out('cache'), 'SYNTHLENS-CACHE'))).toBe(true);
    expect(C1.stderr).not.toMatch(/resuming/);
  });

  it('a second run decodes and embeds nothing already done, says so, and gives the same report', () => {
    expect(r2.config.extraction).toMatchObject({ embedded: 0, cached: 20, images: 20 });
    // the two undecodable files are looked up (miss) and skipped again; nothing is written
    expect(r2.config.cache).toMatchObject({ hits: 20, misses: 2, writes: 0, resumed: 20 });
    expect(C2.stderr).toMatch(/resuming: 20 of 22 images already embedded/);
    expect(r2.sets).toEqual(r1.sets);
    expect(r2.real).toEqual(r1.real);
    expect(r2.skipped).toEqual(r1.skipped);
  });

  it('records the custom model: output layer, input size, channels, normalisation, weights hash', () => {
    expect(r1.config.extractor).toMatchObject({ id: 'custom', dim: 4, inputSize: 16, channels: 1, normalise: 'minus-one-one', layer: 'gap', weightsSha256: tinyHash });
    expect(r1.config.preprocessing).toMatchObject({ inputSize: 16, normalisation: 'minus-one-one' });
  });
});

describe('synthlens evaluate: utility', () => {
  let u: Report;
  beforeAll(() => {
    expect(U.code, U.stderr).toBe(0);
    u = JSON.parse(readFileSync(out('u.json'), 'utf8'));
  });

  it('splits 20% of the real files off as test data, says so, and leaves them out of every other metric', () => {
    expect(u.warnings.join('\n')).toMatch(/stratified 20% of the real files .* excluded from every other metric/);
    const test = readIdsCsv(readFileSync(out('ufeats/test.ids.csv'), 'utf8'));
    const real = readIdsCsv(readFileSync(out('ufeats/real.ids.csv'), 'utf8'));
    expect(real.ids.filter((id) => test.ids.includes(id))).toEqual([]);
    expect(real.ids.length + test.ids.length).toBe(12);
    expect(u.real.count).toBe(real.ids.length);
    expect(u.utility!.settings.testSource).toEqual({ kind: 'split', testFraction: 0.2, seed: 2020 });
    expect(Object.values(u.utility!.counts.test).reduce((a, b) => a + b, 0)).toBe(test.ids.length);
    // the real variety is the mean of the training part only
    const acc = new VarietyAccumulator(64);
    for (const im of demo.real.images) if (real.ids.includes(im.id)) acc.add(im.pixels, im.label);
    expect(u.real.variety?.pngBytes).toBe(acc.result().pngBytes);
  });

  it('puts the utility report at the top level and per set, and prints a utility table', () => {
    const ur = u.utility!;
    expect(ur.tier).toBe('probe');
    expect(ur.settings.seeds).toEqual([1, 2]);
    expect(ur.settings.budget.steps).toBe(10);
    expect(ur.counts.crossTask).toEqual({ shifted: 5, standard: 5 });
    const s = u.sets[0].utility!;
    expect(s.name).toBe('faithful');
    expect(s).toEqual(ur.sets[0]);
    expect(s.baseline!.accuracy.perSeed).toHaveLength(2);
    expect(s.intraTask!.gainPercent).toHaveProperty('mean');
    expect(s.intraTask!.gainPercent.perSeed).toHaveLength(2);
    expect(s.intraTask).toHaveProperty('pValue');
    expect(s.tstr!.accuracy.perSeed).toHaveLength(2);
    expect(s.crossTask!.gainPercent.perSeed).toHaveLength(2);
    expect(s.crossTask!.folds).toBe(5);
    // simple augmentation: one augmented copy of each real training image (the split's training part only)
    expect(s.simpleAugmentation!.gainPercent.perSeed).toHaveLength(2);
    expect(ur.simpleAugmentation).toEqual(s.simpleAugmentation);
    expect(ur.skipped.map((k) => k.protocol)).not.toContain('simpleAugmentation');
    expect(ur.counts.augmented).toEqual(ur.counts.realTrain);
    expect(ur.settings.augmentations!.join(' ')).toMatch(/horizontal flip.*each of the \d+ real training image/);
    expect(U.stdout).toMatch(/^utility \(probe: /m);
    expect(U.stdout).toMatch(/intra-task gain % \(R\+S\)/);
    expect(U.stdout).toMatch(/cross-task gain %/);
  });
});

describe('synthlens evaluate: a model extractor in Node', () => {
  it('mobilenet-v2 runs on 6 images and records its weights hash', () => {
    expect(N.code, N.stderr).toBe(0);
    const r = JSON.parse(N.stdout) as Report;
    const shard = readFileSync(join(ROOT, 'models/mobilenet-v2/group1-shard1of1.bin'));
    expect(r.config.extractor).toMatchObject({ id: 'mobilenet-v2', dim: 1280, inputSize: 224, channels: 3, weightsSha256: createHash('sha256').update(shard).digest('hex') });
    expect(r.config.dim).toBe(1280);
    expect(r.real.count).toBe(4);
    expect(r.sets[0].count).toBe(2);
    expect(r.sets[0].metrics.featureStd).toBeGreaterThan(0);
    expect(Number.isFinite(r.sets[0].metrics.dcr.min)).toBe(true);
  });
});

describe('synthlens evaluate: user errors exit 2 with one line', () => {
  const oneLine = (r: Run) => {
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  };
  it('a missing folder', () => {
    oneLine(E[0]);
    expect(E[0].stderr).toBe(`synthlens evaluate: ${d('no-such-folder')}: no such folder\n`);
  });
  it('an unknown extractor', () => {
    oneLine(E[1]);
    expect(E[1].stderr).toMatch(/--extractor must be one of mobilenet-v2, inception-v3, pixels, custom; got "resnet"/);
  });
  it('a synthetic folder where no file can be used (after naming the skipped file)', () => {
    expect(E[2].code).toBe(2);
    const lines = E[2].stderr.trim().split('\n');
    expect(lines.at(-1)).toBe(`synthlens evaluate: ${d('only-broken')}: no usable images (1 of 1 file(s) skipped)`);
    expect(E[2].stderr).toContain(`skipped ${join(d('only-broken'), 'x.png')}: not an image`);
  });
});

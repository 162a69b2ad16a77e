/**
 * `synthlens evaluate --utility cnn` end to end (node bin/synthlens.js, as a user runs it) on small phantom
 * folders (tests/fixtures/folders/makeFolders.ts, broken files in the real folder): the JSON report carries
 * the cnn tier's utility per set (baseline, intraTask, simpleAugmentation, tstr, crossTask) with its
 * settings (input size, layers, budget, epochs, augmentations, seeds, backend); the images reach the network
 * through the same pipeline (broken files skipped, counts equal those of the features); a second run
 * with --cache takes the images from the cache and gives identical utility numbers; option errors exit 2.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Report } from '../../../src/core/report/schema.ts';
import type { UtilityReport } from '../../../src/core/utility/types.ts';
import { makeFolders } from '../../fixtures/folders/makeFolders.ts';

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

const tmp = mkdtempSync(join(tmpdir(), 'synthlens-evaluate-cnn-'));
const d = (name: string) => join(tmp, 'data', name);
let R1: Run;
let R2: Run;
let E: Run[];
let report: Report;

beforeAll(async () => {
  makeFolders(join(tmp, 'data'), { broken: true, crossTaskPerClass: 5 });
  const args = ['evaluate', '--real', d('real'), '--synthetic', d('faithful'), '--synthetic', d('copies'), '--holdout', d('holdout'),
    '--extractor', 'pixels', '--variety-size', '32', '--utility', 'cnn', '--cnn-size', '32', '--cnn-steps', '4', '--seeds', '2',
    '--cross-task', d('cross-task'), '--cache', join(tmp, 'cache'), '--json', '-'];
  R1 = await cli(args);
  [R2, ...E] = await Promise.all([
    cli(args),
    cli(['evaluate', '--real', d('real'), '--synthetic', d('faithful'), '--utility', 'cnn', '--cnn-size', '36']),
    cli(['evaluate', '--real', d('real'), '--synthetic', d('faithful'), '--utility', 'probe', '--cnn-steps', '4']),
    cli(['evaluate', '--real', d('real'), '--synthetic', d('faithful'), '--utility', 'cnn', '--probe-steps', '4']),
  ]);
  report = JSON.parse(R1.stdout);
}, 240_000);

describe('synthlens evaluate --utility cnn', () => {
  it('reports the cnn tier for every set with its settings', () => {
    expect(R1.code, R1.stderr).toBe(0);
    const u = report.utility as UtilityReport;
    expect(u.tier).toBe('cnn');
    expect(u.skipped).toEqual([]);
    expect(u.settings).toMatchObject({
      tier: 'cnn',
      architecture: 'cnn',
      budget: { kind: 'gradient steps', steps: 4, batchSize: 16 },
      seeds: [1, 2],
      backend: 'TF.js wasm',
      testSource: { kind: 'held-out' },
      projection: null,
    });
    expect(u.settings.cnn!.inputSize).toBe(32);
    expect(u.settings.cnn!.layers[1]).toBe('conv 4 x 4, stride 4, 4 filters, ReLU -> 8 x 8 x 4');
    expect(u.settings.augmentations!.join(' ')).toMatch(/horizontal flip.*each of the 12 real training image/);
    // 12 usable real images (the empty file refused when listing, 2 broken files skipped), 8 held-out, 8 per synthetic set, 10 cross-task
    expect(u.counts).toEqual({ realTrain: { effusion: 6, normal: 6 }, test: { effusion: 4, normal: 4 }, augmented: { effusion: 6, normal: 6 }, crossTask: { shifted: 5, standard: 5 } });
    expect(u.settings.cnn!.images).toBe(12 + 8 + 8 + 8 + 12 + 10);
    for (const name of ['faithful', 'copies']) {
      const s = report.sets.find((x) => x.name === name)!.utility!;
      expect(s.baseline!.trainRows).toBe(12);
      expect(s.baseline!.epochs).toBeCloseTo((4 * 12) / 12, 12);
      expect(s.intraTask!.trainRows).toBe(20);
      expect(s.intraTask!.gainPercent.perSeed).toHaveLength(2);
      expect(s.simpleAugmentation!.trainRows).toBe(24);
      expect(s.tstr!.trainRows).toBe(8);
      expect(s.crossTask!.folds).toBe(5);
    }
    expect(report.timings.cnnInputs).toBeGreaterThan(0);
    expect(report.timings.utility).toBeGreaterThan(0);
    // the metrics still use the chosen extractor (64 px pixels), not the cnn inputs
    expect(report.config.extractor).toMatchObject({ id: 'pixels', dim: 4096 });
    expect(R1.stderr).toMatch(/utility: training convolutional networks \(32 px, TF\.js wasm\) with seeds 1, 2/);
    expect(R1.stderr).toMatch(/cnn inputs real \(32 px\): 14 files/);
  });

  it('a second run takes the images from the cache and gives the same utility', () => {
    expect(R2.code, R2.stderr).toBe(0);
    expect(R2.stderr).toMatch(/real \(32 px\): 12 images \(0 computed, 12 from the cache, 2 skipped\)/);
    const u1 = report.utility as UtilityReport;
    const u2 = (JSON.parse(R2.stdout) as Report).utility as UtilityReport;
    expect(u2.sets).toEqual(u1.sets);
  });

  it('rejects bad cnn options with exit status 2', () => {
    expect(E.map((e) => e.code)).toEqual([2, 2, 2]);
    expect(E[0].stderr).toMatch(/--cnn-size must be a multiple of 32 .*got 36/);
    expect(E[1].stderr).toMatch(/--cnn-steps needs --utility cnn/);
    expect(E[2].stderr).toMatch(/--probe-steps needs --utility probe/);
  });
});

/**
 * `synthlens metrics` end to end through child_process on the fixtures in tests/fixtures/cli:
 * the JSON has the documented shape, its numbers equal a direct evaluate() call and the
 * numpy/scipy references (make_fixtures.py), the exports are written, and every user error exits
 * 2 with one line on stderr and no stack trace.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { evaluate } from '../../../src/core/evaluate.ts';
import { readFeaturesCsv } from '../../../src/core/features/csv.ts';
import type { Report } from '../../../src/core/report/schema.ts';

const ROOT = resolve(__dirname, '../../..');
const FIX = join(ROOT, 'tests/fixtures/cli');
const BIN = join(ROOT, 'bin/synthlens.js');
const f = (name: string) => join(FIX, name);
const ref = JSON.parse(readFileSync(f('reference.json'), 'utf8'));

interface Run { code: number; stdout: string; stderr: string }
function cli(args: string[]): Promise<Run> {
  return new Promise((res) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, maxBuffer: 1 << 26 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      res({ code: typeof code === 'number' ? code : 1, stdout, stderr });
    });
  });
}

const close = (a: number | null, b: number, rel = 1e-9, abs = 1e-12) => {
  expect(a).not.toBeNull();
  expect(Math.abs((a as number) - b)).toBeLessThanOrEqual(abs + rel * Math.abs(b));
};

const tmp = mkdtempSync(join(tmpdir(), 'synthlens-cli-'));
const BASE = ['metrics', '--real', f('real.csv'), '--synthetic', f('synth.csv'), '--synthetic', f('collapsed.csv'), '--name', 'gen', '--holdout', f('holdout.csv'), '--backend', 'cpu'];
let run: Run;
let report: Report;

beforeAll(async () => {
  run = await cli([...BASE, '--json', '-', '--csv', join(tmp, 'm.csv'), '--assignments', join(tmp, 'a.csv')]);
  report = JSON.parse(run.stdout);
});

describe('synthlens metrics: success', () => {
  it('exits 0 and prints only JSON on stdout with --json -', () => {
    expect(run.stderr).not.toMatch(/error/i);
    expect(run.code).toBe(0);
    expect(run.stdout.trimStart().startsWith('{')).toBe(true);
  });

  it('has the documented shape', () => {
    expect(Object.keys(report)).toEqual(expect.arrayContaining(['version', 'config', 'real', 'holdout', 'sets', 'skipped', 'timings', 'app']));
    expect(report.config).toMatchObject({ k: 5, tau: 0.05, seed: 2020, featureKind: 'continuous', kidSubsetSize: 1000, kidSubsets: 100, backend: 'cpu' });
    expect(report.real).toMatchObject({ count: 60, classes: { a: 30, b: 30 } });
    expect(report.holdout).toMatchObject({ count: 40, classes: { a: 20, b: 20 } });
    expect(report.sets.map((s) => [s.name, s.count, s.classes])).toEqual([['gen', 60, { a: 30, b: 30 }], ['collapsed', 30, { a: 30 }]]);
    const m = report.sets[0].metrics;
    for (const key of ['fidelity', 'privacy', 'fidelityPrivacy', 'modeCollapseRuleApplied', 'featureStd', 'precision', 'recall', 'density', 'coverage', 'fid', 'kid', 'dcr', 'holdoutDcr', 'memorizationRate', 'vendi', 'holdoutPrivacy', 'holdoutFidelity', 'holdoutFidelityPrivacy']) {
      expect(m).toHaveProperty(key);
    }
    expect(Object.keys(m.kid!).sort()).toEqual(expect.arrayContaining(['mean', 'std', 'subsetSize', 'subsets']));
    expect(Object.keys(m.dcr).sort()).toEqual(['median', 'min', 'p5']);
    expect(Object.keys(report.sets[0].perClass).sort()).toEqual(['a', 'b']);
    expect(Object.keys(report.sets[1].perClass)).toEqual(['a']);
    expect(report.sets[1].warnings.join('\n')).toMatch(/class "b": no synthetic rows; class skipped/);
    expect(m.variety).toBeNull();
    expect(report.warnings.join('\n')).toMatch(/variety/);
    expect(report.app.name).toBe('synthlens');
    expect(report.timings.read).toBeGreaterThan(0);
    expect(Object.keys(report.timings)).toEqual(expect.arrayContaining(['realRadii', 'realGaussian', 'holdout', 'neighbours:gen', 'fid:gen', 'kid:gen', 'vendi:gen', 'total']));
  });

  it('numbers equal the numpy/scipy reference (pooled)', () => {
    for (const [i, key] of [[0, 'synth'], [1, 'collapsed']] as const) {
      const m = report.sets[i].metrics;
      const r = ref[key];
      for (const k of ['fidelity', 'privacy', 'fidelityPrivacy', 'precision', 'recall', 'density', 'coverage', 'memorizationRate']) close(m[k as keyof typeof m] as number, r[k]);
      expect(m.modeCollapseRuleApplied).toBe(r.modeCollapseRuleApplied);
      close(m.featureStd, r.featureStd, 1e-6);
      close(m.dcr.min, r.dcr.min, 1e-9);
      close(m.dcr.median, r.dcr.median, 1e-9);
      close(m.fid, r.fid, 1e-6, 1e-9);
      close(m.vendi, r.vendi, 1e-8);
      close(m.holdoutPrivacy, ref.holdout.privacy);
      close(m.holdoutFidelity, ref.holdout.fidelity);
      close(m.holdoutFidelityPrivacy, ref.holdout.fidelityPrivacy);
    }
    // N = M = 60 <= 1000: the KID subset is the whole set, so the value does not depend on the draw
    close(report.sets[0].metrics.kid!.mean, ref.synth.kid, 1e-9, 1e-12);
    expect(report.sets[0].metrics.kid!.subsetSize).toBe(60);
    expect(report.sets[1].metrics.modeCollapseRuleApplied).toBe(true);
  });

  it('numbers equal the numpy/scipy reference (per class)', () => {
    for (const c of ['a', 'b']) {
      const m = report.sets[0].perClass[c];
      const r = ref.synth_perClass[c];
      for (const k of ['fidelity', 'privacy', 'fidelityPrivacy', 'precision', 'recall', 'density', 'coverage', 'memorizationRate']) close(m[k as keyof typeof m] as number, r[k]);
      close(m.holdoutPrivacy, r.holdoutPrivacy);
      close(m.fid, r.fid, 1e-6, 1e-9);
      close(m.kid!.mean, r.kid, 1e-9, 1e-12);
      close(m.vendi, r.vendi, 1e-8);
    }
  });

  it('numbers equal a direct evaluate() call on the same features', async () => {
    await tf.setBackend('cpu');
    const load = (n: string) => readFeaturesCsv(readFileSync(f(n), 'utf8'));
    const direct = await evaluate({
      real: load('real.csv'), synthetic: [{ name: 'gen', features: load('synth.csv') }, { name: 'collapsed', features: load('collapsed.csv') }],
      holdout: load('holdout.csv'), config: { backend: 'cpu' },
    });
    expect(JSON.parse(JSON.stringify(direct.report.sets))).toEqual(report.sets);
    expect(JSON.parse(JSON.stringify(direct.report.holdout))).toEqual(report.holdout);
  });

  it('--kid-products: float32 takes KID from the neighbour passes (pooled and per class), float64 computes it; the same within float32 precision', async () => {
    const run = async (p: string) => {
      const r = await cli([...BASE, '--kid-subset-size', '20', '--kid-subsets', '5', '--kid-products', p, '--json', '-']);
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout) as Report;
    };
    const [a, b] = await Promise.all([run('float32'), run('float64')]);
    for (let i = 0; i < 2; i++) {
      const pairs = [[a.sets[i].metrics.kid!, b.sets[i].metrics.kid!], ...Object.keys(a.sets[i].perClass).map((c) => [a.sets[i].perClass[c].kid!, b.sets[i].perClass[c].kid!])];
      for (const [x, y] of pairs) {
        expect(x.products).toBe('float32');
        expect(y.products).toBe('float64');
        expect(x.subsetSize).toBe(20);
        close(x.mean, y.mean, 1e-4, 1e-6);
      }
      expect(a.sets[i].metrics.density).toBe(b.sets[i].metrics.density);
    }
  });

  it('writes the metrics CSV and the per-image assignments CSV', () => {
    const metrics = readFileSync(join(tmp, 'm.csv'), 'utf8').trimEnd().split('\n');
    expect(metrics[0].startsWith('set,class,count,fidelity,privacy,')).toBe(true);
    expect(metrics.slice(1).map((l) => l.split(',').slice(0, 3).join(','))).toEqual(['gen,,60', 'gen,a,30', 'gen,b,30', 'collapsed,,30', 'collapsed,a,30']);
    const rows = readFileSync(join(tmp, 'a.csv'), 'utf8').trimEnd().split('\n').map((l) => l.split(','));
    expect(rows[0]).toEqual(['set', 'id', 'label', 'nearest_real_id', 'nearest_real_label', 'distance', 'rho1', 'rhoK', 'assignment', 'copy_of_real_id']);
    expect(rows.length).toBe(1 + 60 + 30);
    const realIds = readFeaturesCsv(readFileSync(f('real.csv'), 'utf8')).ids;
    for (let i = 0; i < 60; i++) {
      const r = rows[1 + i];
      expect(r[0]).toBe('gen');
      expect(r[1]).toBe(`gen_${String(i).padStart(3, '0')}.png`);
      expect(r[3]).toBe(realIds[ref.synth.nearestReal[i]]);
      close(Number(r[5]), ref.synth.distance[i], 1e-9);
      expect(['copy', 'real', 'non-real']).toContain(r[8]);
      expect(r[9] !== '').toBe(r[8] === 'copy');
    }
    const copies = rows.slice(1, 61).filter((r) => r[8] === 'copy').length;
    close(1 - copies / 60, ref.synth.privacy);
  });

  it('.npy input with a sibling .ids.csv gives the same report as the CSV input', async () => {
    const r = await cli(['metrics', '--real', f('real.npy'), '--synthetic', f('synth.npy'), '--synthetic', f('collapsed.csv'), '--name', 'gen', '--holdout', f('holdout.csv'), '--backend', 'cpu', '--json', '-']);
    expect(r.code).toBe(0);
    const npy = JSON.parse(r.stdout) as Report;
    expect(npy.sets).toEqual(report.sets);
    expect(npy.real).toEqual(report.real);
  });

  it('prints a readable table by default (wasm backend) and writes --json to a file', async () => {
    const out = join(tmp, 'r.json');
    const r = await cli(['metrics', '--real', f('real.csv'), '--synthetic', f('synth.csv'), '--json', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^SynthLens /);
    expect(r.stdout).toMatch(/fidelity F\s+0\.9167/);
    expect(r.stdout).toMatch(/class "a"/);
    expect(r.stderr).toBe('');
    expect(existsSync(out)).toBe(true);
    const j = JSON.parse(readFileSync(out, 'utf8')) as Report;
    expect(j.config.backend).toBe('wasm');
    close(j.sets[0].metrics.fidelity, ref.synth.fidelity);
    close(j.sets[0].metrics.fid, ref.synth.fid, 1e-6, 1e-9);
  });
});

describe('synthlens: help and user errors', () => {
  it('--help and metrics --help exit 0', async () => {
    const [a, b, c] = await Promise.all([cli(['--help']), cli(['metrics', '--help']), cli([])]);
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/Commands:\n\s+metrics/);
    expect(b.code).toBe(0);
    expect(b.stdout).toMatch(/--real FILE/);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/Usage: synthlens/);
  });

  const cases: [string, string[], RegExp][] = [
    ['unreadable file', ['--real', f('missing.csv'), '--synthetic', f('synth.csv')], /missing\.csv: cannot read the file: no such file$/],
    ['ragged row', ['--real', f('err_ragged.csv'), '--synthetic', f('synth.csv')], /err_ragged\.csv: line 17 has 9 fields, header has 10$/],
    ['non-numeric value', ['--real', f('real.csv'), '--synthetic', f('err_nonnumeric.csv')], /err_nonnumeric\.csv: line 10 \(row 9\), column "f2": value "abc" is not a number$/],
    ['NaN value', ['--real', f('real.csv'), '--synthetic', f('err_nan.csv')], /err_nan\.csv: line 6 \(row 5\), column "f5": value "NaN" is not a finite number/],
    ['dimension mismatch', ['--real', f('real.csv'), '--synthetic', f('err_dim.csv')], /err_dim\.csv: 7 feature columns, but the real set \(.*real\.csv\) has 8$/],
    ['fewer than k + 1 real rows', ['--real', f('err_few.csv'), '--synthetic', f('synth.csv')], /err_few\.csv: 5 real rows; k = 5 needs at least 6$/],
    ['empty set', ['--real', f('real.csv'), '--synthetic', f('err_empty.csv')], /err_empty\.csv: the file has a header but no data rows \(empty set\)$/],
    ['unknown option', ['--real', f('real.csv'), '--synthetic', f('synth.csv'), '--kk', '3'], /unknown option --kk for "synthlens metrics"/],
    ['bad --k', ['--real', f('real.csv'), '--synthetic', f('synth.csv'), '--k', 'two'], /--k must be an integer, got "two"$/],
    ['missing --real', ['--synthetic', f('synth.csv')], /--real FILE is required/],
    ['bad --kid-products', ['--real', f('real.csv'), '--synthetic', f('synth.csv'), '--kid-products', 'float16'], /--kid-products must be one of auto, float64, float32; got "float16"$/],
    ['unsupported extension', ['--real', f('make_fixtures.py'), '--synthetic', f('synth.csv')], /make_fixtures\.py: unsupported file type "\.py"; expected \.csv or \.npy$/],
  ];
  it.concurrent.each(cases)('%s: exit 2, one line on stderr, no stack trace', async (_name, args, re) => {
    const r = await cli(['metrics', ...args, '--backend', 'cpu']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^synthlens metrics: /);
    expect(lines[0]).toMatch(re);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
  it('unknown command: exit 2, one line', async () => {
    const r = await cli(['evaluatee']);
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^synthlens: unknown command "evaluatee" \(commands: .*metrics.*; see synthlens --help\)$/);
  });
});

/**
 * bin/cliBundle.js: the CLI runs as an esbuild bundle of src/ (no tsx in the process or its engine threads),
 * and gives the same report as the TypeScript sources run through tsx.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript module without types
import { cliBundleDir } from '../../../bin/cliBundle.js';

const ROOT = resolve(__dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'synthlens-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function metrics(out: string, env: Record<string, string>) {
  const r = spawnSync(process.execPath, [
    join(ROOT, 'bin/synthlens.js'), 'metrics',
    '--real', join(ROOT, 'tests/fixtures/cli/real.npy'), '--synthetic', join(ROOT, 'tests/fixtures/cli/synth.npy'), '--json', out,
  ], { env: { ...process.env, ...env }, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const report = JSON.parse(readFileSync(out, 'utf8'));
  delete report.timings;
  delete report.createdAt;
  return report;
}

describe('bundled CLI', () => {
  it('builds a bundle for the current sources with the engine thread entry beside it', async () => {
    const d: string | null = await cliBundleDir();
    expect(d).not.toBeNull();
    for (const f of ['main.js', 'engineWorker.js', 'engineWorkerBoot.mjs']) expect(existsSync(join(d!, f)), f).toBe(true);
    expect(await cliBundleDir()).toBe(d); // same sources, same bundle
  });

  it('reports exactly what the tsx run reports', () => {
    const bundled = metrics(join(dir, 'bundled.json'), {});
    const tsx = metrics(join(dir, 'tsx.json'), { SYNTHLENS_CLI_BUNDLE: '0' });
    expect(bundled).toEqual(tsx);
    expect(bundled.sets.length).toBeGreaterThan(0);
  });
});

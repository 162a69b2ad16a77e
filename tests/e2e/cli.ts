/** The CLI beside the app: `synthlens evaluate` on the folders a test picked, and the metrics both must agree on. */
import { expect } from 'vitest';
import { execFileSync } from 'node:child_process';

// Loosely typed: the exported report's JSON, as a test reads it.
type Json = Record<string, any>;

/** `synthlens evaluate --json -` on the folders; the report it prints. `more`: further options (a custom model's). */
export function cliEvaluate(folders: { real: string; holdout?: string; synthetic: string[] }, extractor = 'pixels', more: string[] = []): Json {
  const args = ['bin/synthlens.js', 'evaluate', '--real', folders.real];
  if (folders.holdout) args.push('--holdout', folders.holdout);
  for (const s of folders.synthetic) args.push('--synthetic', s);
  args.push('--extractor', extractor, ...more, '--json', '-');
  return JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 }));
}

/** The app's metrics of one synthetic set equal the CLI's: decisions exactly, the rest to 9 decimals. */
export function expectSameMetrics(app: Json, cli: Json, opts: { holdout?: boolean; variety?: boolean } = {}): void {
  const exact = ['fidelity', 'privacy', 'precision', 'recall', 'density', 'coverage', 'memorizationRate'];
  if (opts.holdout) exact.push('fidelityPrivacy', 'holdoutPrivacy');
  for (const key of exact) expect(app[key], key).toBe(cli[key]);
  for (const key of ['featureStd', 'fid', 'vendi']) expect(app[key], key).toBeCloseTo(cli[key], 9);
  expect(app.dcr.median).toBeCloseTo(cli.dcr.median, 9);
  expect(app.kid.mean).toBeCloseTo(cli.kid.mean, 9);
  if (opts.variety) expect(app.variety.pngBytes).toBe(cli.variety.pngBytes);
}

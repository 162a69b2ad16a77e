/**
 * A user's own folders: pick the real, held-out and synthetic folders (class subfolders, a few broken
 * files), run with the exact `pixels` extractor and the probe utility tier, read results, audit and export.
 * The exported JSON must match `synthlens evaluate` on the same folders; a second run must come entirely
 * from the feature cache; no request may leave the app's origin.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { generateDemo } from '../../src/demo/phantoms';
import { demoAsPng } from '../../src/demo/png';
import { downloadText, launch, outsideRequests, recordRequests, watchErrors } from './browser';
import { cliEvaluate, expectSameMetrics } from './cli';

const SETS = ['real', 'holdout', 'faithful', 'copies'] as const;

function writeFolders(root: string): void {
  const ds = generateDemo({ seed: 7, size: 64, counts: { real: 24, holdout: 12, faithful: 12, copies: 12, collapsed: 2, 'low-fidelity': 2, shifted: 2 } });
  for (const f of demoAsPng(ds)) {
    if (!SETS.some((s) => f.path.startsWith(`${s}/`))) continue;
    const p = join(root, f.path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.bytes);
  }
  // Files that must be skipped with a reason, or ignored silently.
  writeFileSync(join(root, 'real/normal/empty.png'), new Uint8Array(0));
  writeFileSync(join(root, 'real/normal/notes.png'), 'this is not an image');
  writeFileSync(join(root, 'real/.DS_Store'), 'junk');
}

describe('evaluating folders in the app', () => {
  let browser: Browser;
  let root: string;
  beforeAll(async () => {
    browser = await launch();
    root = mkdtempSync(join(tmpdir(), 'synthlens-e2e-'));
    writeFolders(root);
    mkdirSync('test-results', { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('matches the CLI, explains skipped files, audits pairs, and reruns from the cache', async () => {
    const base = inject('baseUrl');
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    const requests = recordRequests(context);
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(base);

    await page.setInputFiles('[data-testid=drop-real-input]', join(root, 'real'));
    await page.setInputFiles('[data-testid=drop-holdout-input]', join(root, 'holdout'));
    await page.setInputFiles('[data-testid=drop-synthetic-input]', join(root, 'faithful'));
    await page.setInputFiles('[data-testid=drop-synthetic-input]', join(root, 'copies'));
    await page.selectOption('[data-testid=setting-extractor]', 'pixels');
    await expect(page.locator('[data-testid="set-panel-real"] [data-testid=class-counts]').innerText()).resolves.toMatch(/effusion: 12.*normal: 14/s); // listing counts every file; empty, text and truncated ones are refused when read
    await page.screenshot({ path: 'test-results/folders-setup.png', fullPage: true });

    await page.click('[data-testid=start-run]');
    await page.locator('[data-testid=results-view]').waitFor({ timeout: 300_000 });
    await page.screenshot({ path: 'test-results/folders-results.png', fullPage: true });
    const report = JSON.parse((await downloadText(page, '[data-testid=export-json]')).text);

    // Skipped with reasons (the empty file when read, the text file at decoding); .DS_Store ignored.
    const skipped = report.skipped.map((s: { path: string }) => s.path).sort();
    expect(skipped).toEqual(['real/normal/empty.png', 'real/normal/notes.png']);
    for (const s of report.skipped) expect(s.reason.length).toBeGreaterThan(5);

    // The same numbers as the CLI on the same folders.
    const cli = cliEvaluate({ real: join(root, 'real'), holdout: join(root, 'holdout'), synthetic: [join(root, 'faithful'), join(root, 'copies')] });
    expect(report.real.count).toBe(cli.real.count);
    expect(report.holdout.count).toBe(cli.holdout.count);
    expect(report.sets.map((s: { name: string }) => s.name)).toEqual(['faithful', 'copies']);
    for (const [i, set] of report.sets.entries()) {
      expect(set.count).toBe(cli.sets[i].count);
      expectSameMetrics(set.metrics, cli.sets[i].metrics, { holdout: true, variety: true });
    }
    expect(report.sets[1].metrics.privacy).toBeLessThan(report.sets[0].metrics.privacy);

    // Utility (probe tier) ran in the browser.
    await page.locator('[data-testid=utility-section]').waitFor();

    // Privacy audit: copies first.
    const firstPair = page.locator('[data-testid=audit-pair]').first();
    await expect(firstPair.getAttribute('data-assignment')).resolves.toBe('copy');

    // Second run: everything comes from the cache.
    await page.click('[data-testid=new-run]');
    await page.click('[data-testid=start-run]');
    // 62 files were listed (24 + 1 undecodable + 1 empty in real, 12 in each other set); 60 decode and are cached.
    // The note counts cache hits live: it grows to 60 as the files are looked up.
    const note = page.locator('[data-testid=resume-note]');
    await note.waitFor({ timeout: 120_000 });
    await expect.poll(() => note.innerText(), { timeout: 120_000, interval: 100 }).toMatch(/Resuming: 60 of 62 /);
    await page.locator('[data-testid=results-view]').waitFor({ timeout: 300_000 });
    const again = JSON.parse((await downloadText(page, '[data-testid=export-json]')).text);
    expect(again.sets[0].metrics.fidelity).toBe(report.sets[0].metrics.fidelity);
    expect(again.config.cache).toEqual({ hits: 60, misses: 0 });

    expect(outsideRequests(requests, new URL(base).origin)).toEqual([]);
    expect(requests.filter((r) => r.postBytes > 0)).toEqual([]);
    expect(errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
    await context.close();
  });
});

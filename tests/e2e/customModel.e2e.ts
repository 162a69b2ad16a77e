/**
 * A user's own feature extractor: a TF.js layers model folder (model.json + weights.bin) loaded through the
 * settings' custom-model input, with its output layer, input size, channels and normalisation typed in the
 * Advanced panel, then Evaluate pressed once. The report must name the model as it was set up (dimension, input,
 * weights hash recomputed here with node:crypto) and its metrics must equal `synthlens evaluate --extractor
 * custom` on the same folders with the same model and options.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeFolders } from '../fixtures/folders/makeFolders';
import { writeTinyModel } from '../fixtures/models/writeLayersModel';
import { downloadText, launch, watchErrors } from './browser';
import { cliEvaluate, expectSameMetrics } from './cli';
import { loadCustomModel } from './settings';

describe('a custom TF.js model as the feature extractor', () => {
  let browser: Browser;
  let root: string;
  let weightsSha256: string;
  beforeAll(async () => {
    browser = await launch();
    root = mkdtempSync(join(tmpdir(), 'synthlens-e2e-custom-'));
    makeFolders(root, { seed: 5, counts: { real: 20, holdout: 0, faithful: 10, copies: 10 } });
    weightsSha256 = await writeTinyModel(join(root, 'model'));
    mkdirSync('test-results', { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('runs on the first press of Evaluate after the options are typed, and matches the CLI', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(inject('baseUrl'));

    await page.setInputFiles('[data-testid=drop-real-input]', join(root, 'real'));
    await page.setInputFiles('[data-testid=drop-synthetic-input]', join(root, 'faithful'));
    await page.setInputFiles('[data-testid=drop-synthetic-input]', join(root, 'copies'));
    await page.selectOption('[data-testid=setting-utility]', 'off');

    await loadCustomModel(page, join(root, 'model'), { layer: 'gap', inputSize: 16, channels: 1, normalise: 'minus-one-one' });
    // A folder without model.json is refused by name; the model already loaded stays the extractor.
    await page.setInputFiles('[data-testid=custom-model-input]', join(root, 'copies'));
    await expect(page.locator('[data-testid=settings] [role=alert]').innerText()).resolves.toBe('no model.json in copies');
    await expect(page.locator('[data-testid=setting-extractor]').inputValue()).resolves.toBe('custom');
    await expect(page.locator('[data-testid=setting-extractor] option[value=custom]').innerText()).resolves.toBe('Custom model (model)');
    // Not a full-page screenshot here: in headless chromium one taken while a text field has focus leaves the page
    // scrolled back where it was on the next mouse press, so Playwright's press on Evaluate lands elsewhere.
    await page.locator('[data-testid=settings]').screenshot({ path: 'test-results/custom-model-settings.png' });

    await page.click('[data-testid=start-run]');
    await page.locator('[data-testid=results-view]').waitFor({ timeout: 300_000 });
    const report = JSON.parse((await downloadText(page, '[data-testid=export-json]')).text);

    expect(report.config.extractor).toMatchObject({ id: 'custom', dim: 4, inputSize: 16, channels: 1, normalise: 'minus-one-one', layer: 'gap', weightsSha256 });
    const cli = cliEvaluate({ real: join(root, 'real'), synthetic: [join(root, 'faithful'), join(root, 'copies')] }, 'custom', [
      '--model', join(root, 'model'), '--output-layer', 'gap', '--input-size', '16', '--channels', '1', '--normalise', 'minus-one-one',
    ]);
    expect(cli.config.extractor).toMatchObject(report.config.extractor);
    expect(report.sets.map((s: { name: string }) => s.name)).toEqual(['faithful', 'copies']);
    for (const [i, set] of report.sets.entries()) {
      expect(set.count).toBe(cli.sets[i].count);
      expectSameMetrics(set.metrics, cli.sets[i].metrics, { variety: true });
    }
    expect(errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
    await context.close();
  });
});

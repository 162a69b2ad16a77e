import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { launch, watchErrors } from './browser';

describe('app shell', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('shows the product name, its promise and the compute backend it found', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors = watchErrors(page);
    await page.goto(inject('baseUrl'));
    await expect(page.locator('h1').textContent()).resolves.toContain('SynthLens');
    await expect(page.locator('header').textContent()).resolves.toMatch(/Nothing is uploaded/);
    const backend = page.locator('[data-backend]');
    await backend.waitFor({ timeout: 60_000 });
    const id = await backend.getAttribute('data-backend');
    expect(['webgpu', 'webgl', 'wasm', 'cpu']).toContain(id);
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/shell.png' });
    expect(errors).toEqual([]);
  });
});

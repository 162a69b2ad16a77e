/**
 * What the tab holds per image (issue #6; docs/scale.md, "Tab memory per image"):
 *  - a finished run of 2 x 1,000 images in the built app leaves a bounded number of ArrayBuffers on the page
 *    (kept thumbnails share a few packed chunks; the feature sets are let go once the results are shown), not one
 *    or more per image as when every thumbnail and feature vector was a typed array of its own, and no pipeline or
 *    engine worker is left running;
 *  - while the sets are extracted their feature rows wait in IndexedDB (src/store/featureSpill.ts), not beside the
 *    pipeline workers' models; they are read back and deleted before the metrics, which equal the CLI's;
 *  - the thumbnails the audit draws on demand (past the run's memory budget) are drawn in a worker and are the
 *    pipeline's thumbnails, pixel for pixel (PNG, JPEG, and a frame of a multi-frame DICOM).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePngGray8 } from '../../src/core/png/encode';
import { downloadText, launch, liveObjects, watchErrors } from './browser';
import { cliEvaluate, expectSameMetrics } from './cli';

const N = 1000;

/** n distinct 24 x 24 gray PNGs per set: a gradient, with the image's index written into its first pixels. */
function writeSets(root: string, n = N): void {
  for (const [set, shift] of [['real', 0], ['synthetic', 40]] as const) {
    mkdirSync(join(root, set), { recursive: true });
    for (let i = 0; i < n; i++) {
      const g = Uint8Array.from({ length: 24 * 24 }, (_, p) => ((p % 24) * 7 + Math.floor(p / 24) * 3 + shift + ((i * 31) % 50)) & 255);
      g[0] = i & 255;
      g[1] = i >> 8;
      writeFileSync(join(root, set, `img_${String(i).padStart(4, '0')}.png`), encodePngGray8(g, 24, 24));
    }
  }
}

describe('tab memory per image', () => {
  let browser: Browser;
  let root: string;
  beforeAll(async () => {
    browser = await launch();
    root = mkdtempSync(join(tmpdir(), 'synthlens-e2e-tabmem-'));
    writeSets(root);
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('a finished run of 2 x 1,000 images holds a bounded number of typed-array buffers on the page', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(inject('baseUrl'));
    const cdp = await context.newCDPSession(page);
    const kinds = ['ArrayBuffer', 'SharedArrayBuffer', 'Float32Array', 'Uint8Array'];
    const before = await liveObjects(cdp, kinds);

    await page.setInputFiles('[data-testid=drop-real-input]', join(root, 'real'));
    await page.setInputFiles('[data-testid=drop-synthetic-input]', join(root, 'synthetic'));
    await page.selectOption('[data-testid=setting-extractor]', 'pixels');
    await page.selectOption('[data-testid=setting-pixels-size]', '8');
    await page.selectOption('[data-testid=setting-utility]', 'off');
    await page.click('[data-testid=start-run]');
    await page.locator('[data-testid=results-view]').waitFor({ timeout: 300_000 });
    await expect(page.locator('[data-testid=audit-pair]').first().getAttribute('data-assignment')).resolves.toMatch(/copy|real|non-real/);

    const after = await liveObjects(cdp, kinds);
    // The run's workers are closed once the results are shown (the engine worker and its threads hold the shared
    // feature sets and their TF.js heaps until then).
    const workers = page.workers().map((w) => w.url());
    expect(workers.filter((u) => /(engine|engineThread|pipeline)\.worker/.test(u))).toEqual([]);
    console.log(`tab memory, live objects on the page before the run -> on the results page (${2 * N} images): ${kinds.map((k) => `${k} ${before[k]} -> ${after[k]}`).join(', ')}`);
    // 2,000 thumbnails of 576 bytes fit in 2 chunks of the budget; a buffer per thumbnail would be 2,000 more.
    expect(after.ArrayBuffer - before.ArrayBuffer).toBeLessThan(150);
    // No feature vector (a Float32Array per image, or the sets' packed arrays) outlives the run on the page.
    expect(after.Float32Array - before.Float32Array).toBeLessThan(50);
    expect(after.SharedArrayBuffer - before.SharedArrayBuffer).toBeLessThan(5);
    expect(errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
    await context.close();
  });

  it('keeps the feature rows in IndexedDB while the sets are extracted, and the numbers are the CLI\'s', async () => {
    // 150 images per set at pixels 64 x 64 (d = 4,096): 64 rows fill a 1 MiB chunk, so each set spills 2 chunks
    // and keeps 22 rows in memory until the pipeline workers are gone.
    const spillRoot = mkdtempSync(join(tmpdir(), 'synthlens-e2e-spill-'));
    try {
      writeSets(spillRoot, 150);
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      const errors = watchErrors(page);
      await page.goto(inject('baseUrl'));
      // Chunks in the spill store now (0 before the app makes its database: opening one here would make it).
      const chunks = () =>
        page.evaluate(async () => {
          const dbs = await indexedDB.databases();
          if (!dbs.some((d) => d.name === 'synthlens-spill')) return 0;
          return new Promise<number>((resolve) => {
            const open = indexedDB.open('synthlens-spill');
            open.onerror = () => resolve(-1);
            open.onsuccess = () => {
              const db = open.result;
              if (!db.objectStoreNames.contains('chunks')) {
                db.close();
                resolve(-2);
                return;
              }
              const q = db.transaction('chunks').objectStore('chunks').count();
              q.onsuccess = () => {
                db.close();
                resolve(q.result);
              };
              q.onerror = () => resolve(-3);
            };
          });
        });
      await page.setInputFiles('[data-testid=drop-real-input]', join(spillRoot, 'real'));
      await page.setInputFiles('[data-testid=drop-synthetic-input]', join(spillRoot, 'synthetic'));
      await page.selectOption('[data-testid=setting-extractor]', 'pixels');
      await page.selectOption('[data-testid=setting-pixels-size]', '64');
      await page.selectOption('[data-testid=setting-utility]', 'off');
      await page.click('[data-testid=start-run]');
      const results = page.locator('[data-testid=results-view]');
      const seen: number[] = [];
      for (const t0 = Date.now(); Date.now() - t0 < 300_000 && !(await results.isVisible()); ) {
        seen.push(await chunks());
        await page.waitForTimeout(50);
      }
      await results.waitFor({ timeout: 1000 });
      console.log(`spill store during the run (2 x 150 images, d = 4,096, 64 rows a chunk): chunk counts seen ${[...new Set(seen)].join(', ')}`);
      // the real set's 2 chunks wait while the synthetic set is extracted; all 4 at its end
      expect(Math.max(...seen), `chunk counts seen: ${[...new Set(seen)].join(', ')}`).toBeGreaterThanOrEqual(2);
      expect(seen.filter((c) => c < 0)).toEqual([]);
      // read back and deleted once the run had them
      expect(await chunks()).toBe(0);
      const report = JSON.parse((await downloadText(page, '[data-testid=export-json]')).text);
      expect(report.real.count).toBe(150);
      const cli = cliEvaluate({ real: join(spillRoot, 'real'), synthetic: [join(spillRoot, 'synthetic')] });
      expectSameMetrics(report.sets[0].metrics, cli.sets[0].metrics);
      expect(errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
      await context.close();
    } finally {
      rmSync(spillRoot, { recursive: true, force: true });
    }
  });

  it('says so, and still gives the CLI\'s numbers, when another tab keeps the spill store from opening', async () => {
    const root = mkdtempSync(join(tmpdir(), 'synthlens-e2e-nospill-'));
    try {
      writeSets(root, 40);
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
      // Another tab of the origin made the spill database without its store (as an older build would have) and keeps
      // its connection open, deaf to version changes: the upgrade the run needs stays blocked.
      const other = await context.newPage();
      await other.goto(inject('baseUrl'));
      await other.evaluate(
        () =>
          new Promise<void>((resolve, reject) => {
            const del = indexedDB.deleteDatabase('synthlens-spill');
            del.onsuccess = () => {
              const open = indexedDB.open('synthlens-spill', 1);
              open.onsuccess = () => {
                (window as unknown as { __held: IDBDatabase }).__held = open.result;
                resolve();
              };
              open.onerror = () => reject(open.error);
            };
            del.onerror = () => reject(del.error);
          }),
      );
      const page = await context.newPage();
      const errors = watchErrors(page);
      await page.goto(inject('baseUrl'));
      await page.setInputFiles('[data-testid=drop-real-input]', join(root, 'real'));
      await page.setInputFiles('[data-testid=drop-synthetic-input]', join(root, 'synthetic'));
      await page.selectOption('[data-testid=setting-extractor]', 'pixels');
      await page.selectOption('[data-testid=setting-utility]', 'off');
      await page.click('[data-testid=start-run]');
      await page.locator('[data-testid=results-view]').waitFor({ timeout: 300_000 });
      const warning = /Feature rows were held in this tab's memory through the extraction, not in the browser's storage: another SynthLens tab keeps an older version of the browser's storage open; close the other SynthLens tabs before the next run\./;
      await expect(page.locator('[data-testid=run-warnings]').innerText()).resolves.toMatch(warning);
      mkdirSync('test-results', { recursive: true });
      await page.locator('[data-testid=run-warnings]').screenshot({ path: 'test-results/spill-not-opened-warning.png' });
      const report = JSON.parse((await downloadText(page, '[data-testid=export-json]')).text);
      expect(report.warnings.some((w: string) => warning.test(w))).toBe(true);
      // it gave up about BLOCKED_TIMEOUT_MS (5 s) after the open reported the block, not at the 60 s limit
      expect(report.timings.spillOpen).toBeGreaterThan(4_000);
      expect(report.timings.spillOpen).toBeLessThan(30_000);
      const cli = cliEvaluate({ real: join(root, 'real'), synthetic: [join(root, 'synthetic')] });
      expectSameMetrics(report.sets[0].metrics, cli.sets[0].metrics);
      expect(errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
      await context.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('draws on-demand thumbnails in a worker, identical to the pipeline\'s', async () => {
    const page = await browser.newPage();
    const errors = watchErrors(page);
    await page.goto(new URL('tests/e2e/harness/thumbs.html', inject('devUrl')).href);
    await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 120_000 });
    const cases: [string, string, string][] = [
      ['tests/fixtures/images/formats/png-rgb8.png', 'a/rgb.png', 'a/rgb.png'],
      ['tests/fixtures/images/formats/jpeg-gray.jpg', 'b.jpg', 'b.jpg'],
      ['tests/fixtures/images/dicom/multiframe-rle.dcm', 'c.dcm', 'c.dcm#2'],
    ];
    for (const [fixture, path, id] of cases) {
      const bytes = Array.from(readFileSync(fixture));
      const got = await page.evaluate(
        ([b, p, i]) => (window as unknown as { synthlensThumbs: { draw(b: number[], p: string, i: string, s: number): Promise<{ worker: unknown; page: unknown }> } }).synthlensThumbs.draw(b, p, i, 48),
        [bytes, path, id] as const,
      );
      expect(got.page, id).not.toBeNull();
      expect(got.worker, id).toEqual(got.page);
    }
    const workers = page.workers().map((w) => w.url());
    expect(workers.some((u) => /thumbs\.worker/.test(u))).toBe(true);
    // (the dev server has no favicon)
    expect(errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
    await page.close();
  });
});

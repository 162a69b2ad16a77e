/**
 * Resume after a reload (issue #6): start a run on the user's folders, reload the page in the middle of
 * extraction (after some but not all images are embedded), pick the same folders again and run. Nothing already
 * embedded is embedded again:
 *  - before the reload, the real set's progress row shows 1 <= done < total;
 *  - after the reload, the app's IndexedDB feature cache ('synthlens-features', store 'features') holds E records
 *    (counted twice, a second apart, to be sure nothing from the reloaded page is still landing), with
 *    done-before-reload <= E < total (a file is written to the cache before its progress is reported);
 *  - the rerun's resume note counts up as cached files come back and ends at "Resuming: E of T images were
 *    already embedded (cache)." (every text it shows is recorded), and its exported report says
 *    config.cache = { hits: E, misses: T - E } exactly; afterwards the cache holds T records.
 * Images: 256 x 256 demo phantom PNGs (a few rendered per set, each file made unique by a tEXt chunk with its
 * index, so every file has its own SHA-256 and cache key); the pixels extractor; utility off.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { generateDemoSet } from '../../src/demo/phantoms';
import { crc32, encodePngGray8 } from '../../src/core/png/encode';
import { downloadText, launch, watchErrors } from './browser';

const SIZE = 256;
const COUNTS = { real: 240, faithful: 120 } as const;
const TOTAL = COUNTS.real + COUNTS.faithful;
/** Reload once the real set's progress shows at least this many files done. */
const RELOAD_AFTER = 24;

/** `png` with a tEXt chunk (keyword "Comment") inserted after IHDR: same pixels, different bytes. */
function withText(png: Uint8Array, text: string): Uint8Array {
  const body = new TextEncoder().encode(`Comment\0${text}`);
  const chunk = new Uint8Array(12 + body.length);
  const dv = new DataView(chunk.buffer);
  dv.setUint32(0, body.length);
  chunk.set(new TextEncoder().encode('tEXt'), 4);
  chunk.set(body, 8);
  dv.setUint32(8 + body.length, crc32(chunk, 4, 8 + body.length));
  const ihdrEnd = 8 + 25; // signature + IHDR (4 length + 4 type + 13 data + 4 CRC)
  const out = new Uint8Array(png.length + chunk.length);
  out.set(png.subarray(0, ihdrEnd), 0);
  out.set(chunk, ihdrEnd);
  out.set(png.subarray(ihdrEnd), ihdrEnd + chunk.length);
  return out;
}

/** Writes <root>/<set>/<class>/img_<k>_<n>.png; returns the number of distinct SHA-256 over all files. */
function writeFolders(root: string): number {
  const hashes = new Set<string>();
  for (const [name, count] of Object.entries(COUNTS)) {
    const set = generateDemoSet(name as keyof typeof COUNTS, { seed: 5, size: SIZE, counts: { real: 16, [name]: 16 } });
    const pngs = set.images.map((im) => ({ im, png: encodePngGray8(im.pixels, set.width, set.height) }));
    for (let i = 0; i < count; i++) {
      const { im, png } = pngs[i % pngs.length];
      const bytes = withText(png, `${name} ${i}`);
      // im.id is "<class>/img_0001.png": class subfolders, as the demo writes them.
      const path = join(root, name, `${im.id.replace(/\.png$/, '')}_${String(i).padStart(4, '0')}.png`);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, bytes);
      hashes.add(createHash('sha256').update(bytes).digest('hex'));
    }
  }
  return hashes.size;
}

/** Records in the app's IndexedDB feature cache (0 when the database does not exist yet). */
function cacheRecords(page: Page): Promise<number> {
  return page.evaluate(async () => {
    if (!(await indexedDB.databases()).some((d) => d.name === 'synthlens-features')) return 0;
    return new Promise<number>((resolve, reject) => {
      const req = indexedDB.open('synthlens-features');
      req.onerror = () => reject(req.error);
      req.onsuccess = () => {
        const db = req.result;
        if (!db.objectStoreNames.contains('features')) {
          db.close();
          resolve(0);
          return;
        }
        const c = db.transaction('features').objectStore('features').count();
        c.onsuccess = () => {
          db.close();
          resolve(c.result);
        };
        c.onerror = () => reject(c.error);
      };
    });
  });
}

async function pickFoldersAndSettings(page: Page, root: string): Promise<void> {
  await page.setInputFiles('[data-testid=drop-real-input]', join(root, 'real'));
  await page.setInputFiles('[data-testid=drop-synthetic-input]', join(root, 'faithful'));
  await page.selectOption('[data-testid=setting-extractor]', 'pixels');
  await page.selectOption('[data-testid=setting-utility]', 'off');
}

/** "done/total" of a set's progress row. */
async function progressOf(page: Page, set: string): Promise<{ done: number; total: number } | null> {
  const text = await page.locator(`[data-testid="progress-${set}"] .nums`).innerText({ timeout: 1000 }).catch(() => null);
  const m = text ? /([\d,]+)\/([\d,]+)/.exec(text) : null;
  const num = (v: string) => Number(v.replace(/,/g, ''));
  return m ? { done: num(m[1]), total: num(m[2]) } : null;
}

describe('resuming a run after a reload', () => {
  let browser: Browser;
  let root: string;
  let distinct = 0;
  beforeAll(async () => {
    browser = await launch();
    root = mkdtempSync(join(tmpdir(), 'synthlens-e2e-resume-'));
    distinct = writeFolders(root);
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('embeds only the images missing after a reload in the middle of extraction', async () => {
    expect(distinct).toBe(TOTAL);
    const base = inject('baseUrl');
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(base);
    expect(await cacheRecords(page)).toBe(0);

    // First run: reload while the real set is part-way through.
    await pickFoldersAndSettings(page, root);
    await page.click('[data-testid=start-run]');
    let before: { done: number; total: number } | null = null;
    const t0 = Date.now();
    while (Date.now() - t0 < 300_000) {
      before = await progressOf(page, 'real');
      if (before && before.done >= RELOAD_AFTER) break;
      await page.waitForTimeout(50);
    }
    expect(before).not.toBeNull();
    const firstRunS = (Date.now() - t0) / 1000;
    await page.reload();
    expect(before!.total).toBe(COUNTS.real);
    expect(before!.done).toBeGreaterThanOrEqual(1);
    expect(before!.done).toBeLessThan(before!.total);

    // What the cache holds now is what the rerun must find.
    const embedded = await cacheRecords(page);
    await page.waitForTimeout(1000);
    expect(await cacheRecords(page)).toBe(embedded);
    expect(embedded).toBeGreaterThanOrEqual(before!.done);
    expect(embedded).toBeLessThan(TOTAL);

    // Rerun on the same folders, recording every text the resume note shows.
    await page.evaluate(() => {
      const seen: string[] = ((window as unknown as { __resumeNotes: string[] }).__resumeNotes = []);
      const record = () => {
        const t = document.querySelector('[data-testid=resume-note]')?.textContent?.replace(/\s+/g, ' ').trim();
        if (t && t !== seen.at(-1)) seen.push(t);
      };
      new MutationObserver(record).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await pickFoldersAndSettings(page, root);
    const t1 = Date.now();
    await page.click('[data-testid=start-run]');
    await page.locator('[data-testid=results-view]').waitFor({ timeout: 300_000 });
    const rerunS = (Date.now() - t1) / 1000;
    // The note counts up as cached files come back; its last text is the total over every set.
    const notes = await page.evaluate(() => (window as unknown as { __resumeNotes: string[] }).__resumeNotes);
    expect(notes.length).toBeGreaterThan(0);
    expect(notes.at(-1)).toBe(`Resuming: ${embedded.toLocaleString('en')} of ${TOTAL.toLocaleString('en')} images were already embedded (cache).`);
    const counts = notes.map((n) => Number(/^Resuming: ([\d,]+) of/.exec(n)?.[1].replace(/,/g, '')));
    expect(counts.every((c, i) => c >= 1 && c <= embedded && (i === 0 || c >= counts[i - 1]))).toBe(true);
    const report = JSON.parse((await downloadText(page, '[data-testid=export-json]')).text);
    expect(report.config.cache).toEqual({ hits: embedded, misses: TOTAL - embedded });
    expect(report.real.count).toBe(COUNTS.real);
    expect(report.sets[0].count).toBe(COUNTS.faithful);
    expect(await cacheRecords(page)).toBe(TOTAL);
    console.log(
      `resume: reloaded at ${before!.done}/${before!.total} real images done; ${embedded} of ${TOTAL} cached before the rerun; ` +
      `${firstRunS.toFixed(1)} s from start to reload, rerun ${rerunS.toFixed(1)} s; resume note texts: ${notes.length}`);

    expect(errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
    await context.close();
  });
});

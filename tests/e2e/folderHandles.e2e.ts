/**
 * Folders chosen with the browser's folder picker (File System Access API, `showDirectoryPicker`): the app holds
 * each set as one directory handle and its paths, and opens each file when it reads it (src/app/fileSource.ts),
 * so the page keeps no File object per picked file (issue #6: a picked File costs the tab about 2.6 KiB for the
 * session; docs/scale.md).
 *
 * Playwright cannot drive the picker, so the test stands in for it: `showDirectoryPicker` returns a real
 * FileSystemDirectoryHandle of the origin private file system, into which the test copied the same folders it
 * hands the CLI. Everything after the pick is the app's own path.
 *
 * The same handles are kept in IndexedDB for the next visit (src/store/lastSetup.ts): after a reload the start page
 * offers to reopen them. Handles of the private file system never lose their read permission, so the test scripts
 * the permission methods (PERMISSIONS) to stand in for a lapsed one.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { generateDemo } from '../../src/demo/phantoms';
import { demoAsPng } from '../../src/demo/png';
import { downloadText, launch, liveObjects, watchErrors } from './browser';
import { cliEvaluate, expectSameMetrics } from './cli';
import { loadCustomModel } from './settings';
import { writeTinyModel } from '../fixtures/models/writeLayersModel';

const SETS = ['real', 'holdout', 'faithful', 'copies'] as const;

function writeFolders(root: string): void {
  const ds = generateDemo({ seed: 11, size: 64, counts: { real: 30, holdout: 12, faithful: 16, copies: 16, collapsed: 2, 'low-fidelity': 2, shifted: 2 } });
  for (const f of demoAsPng(ds)) {
    if (!SETS.some((s) => f.path.startsWith(`${s}/`))) continue;
    const p = join(root, f.path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.bytes);
  }
  writeFileSync(join(root, 'real/normal/notes.png'), 'this is not an image');
  writeFileSync(join(root, 'real/.DS_Store'), 'junk');
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? filesUnder(join(dir, n)) : [join(dir, n)]));
}

/** Copies `root`'s folders into the page origin's private file system, one top-level folder per set. */
async function copyToOpfs(page: Page, root: string): Promise<void> {
  const files = filesUnder(root).map((p) => ({ path: relative(root, p).split('\\').join('/'), b64: readFileSync(p).toString('base64') }));
  await page.evaluate(async (files) => {
    const top = await navigator.storage.getDirectory();
    for (const f of files) {
      const parts = f.path.split('/');
      let dir = top;
      for (const d of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(d, { create: true });
      const w = await (await dir.getFileHandle(parts.at(-1)!, { create: true })).createWritable();
      await w.write(Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0)));
      await w.close();
    }
  }, files);
}

/** The picker's stand-in: resolves to the private file system's folder named in window.__pick, and records its options. */
const PICKER = `
  window.__pickerCalls = [];
  window.showDirectoryPicker = async (opts) => {
    window.__pickerCalls.push(opts ?? null);
    const name = window.__pick; // read now: the test may name the next folder before this one resolves
    if (!name) throw new DOMException('The user aborted a request.', 'AbortError');
    const top = await navigator.storage.getDirectory();
    return top.getDirectoryHandle(name);
  };
`;

/**
 * Read permission for kept handles, scripted: handles of the private file system always have it, so the test stands
 * in for a lapsed one. queryPermission answers window.__perm.query; requestPermission takes the next scripted
 * answer ('needs-click': the browser refuses to prompt without a fresh user gesture). Every call is recorded.
 */
const PERMISSIONS = `
  window.__perm = { query: 'granted', answers: [], asked: [] };
  FileSystemHandle.prototype.queryPermission = async function (d) {
    window.__perm.asked.push(['query', this.name, d && d.mode]);
    return window.__perm.query;
  };
  FileSystemHandle.prototype.requestPermission = async function (d) {
    window.__perm.asked.push(['request', this.name, d && d.mode]);
    const a = window.__perm.answers.shift() || 'denied';
    if (a === 'needs-click') throw new DOMException('User activation is required to request permissions.', 'SecurityError');
    return a;
  };
`;

async function pick(page: Page, zone: string, folder: string | null): Promise<void> {
  await page.evaluate((f) => ((window as unknown as { __pick: string | null }).__pick = f), folder);
  await page.click(`[data-testid=${zone}-choose]`);
}

/** real, faithful and copies through the picker (held as handles); the held-out set through the folder input, as other browsers pick (its Files are held). */
async function pickSets(page: Page, root: string): Promise<void> {
  await pick(page, 'drop-real', 'real');
  await page.locator('[data-testid="set-panel-real"]').waitFor();
  await pick(page, 'drop-synthetic', 'faithful');
  await page.locator('[data-testid="set-panel-faithful"]').waitFor();
  await pick(page, 'drop-synthetic', 'copies');
  await page.locator('[data-testid="set-panel-copies"]').waitFor();
  await page.setInputFiles('[data-testid=drop-holdout-input]', join(root, 'holdout'));
}

/** A fresh context and page on the app with the picker's stand-in, the test's folders copied into its private file system. */
async function openWithFolders(browser: Browser, root: string) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  await context.addInitScript({ content: PICKER });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(inject('baseUrl'));
  await copyToOpfs(page, root);
  return { context, page, errors };
}

describe('folders chosen with the folder picker (held as directory handles)', () => {
  let browser: Browser;
  let root: string;
  beforeAll(async () => {
    browser = await launch();
    root = mkdtempSync(join(tmpdir(), 'synthlens-e2e-handles-'));
    writeFolders(root);
    mkdirSync('test-results', { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('reads each file through the handle, holds no File per file, skips a file deleted since the pick, and matches the CLI', async () => {
    const { context, page, errors } = await openWithFolders(browser, root);
    const cdp = await context.newCDPSession(page);

    // A closed picker changes nothing and says nothing.
    await pick(page, 'drop-real', null);
    await expect.poll(() => page.evaluate(() => (window as unknown as { __pickerCalls: unknown[] }).__pickerCalls.length)).toBe(1);
    await expect(page.locator('[data-testid="set-panel-real"]').count()).resolves.toBe(0);

    await pickSets(page, root);
    await page.selectOption('[data-testid=setting-extractor]', 'pixels');
    const calls = await page.evaluate(() => (window as unknown as { __pickerCalls: { mode?: string; id?: string }[] }).__pickerCalls);
    expect(calls.map((c) => c.mode)).toEqual(['read', 'read', 'read', 'read']);
    expect(calls.map((c) => c.id)).toEqual(['synthlens-drop-real', 'synthlens-drop-real', 'synthlens-drop-synthetic', 'synthlens-drop-synthetic']);

    // Listing: every file (.DS_Store ignored); previews opened through the handle.
    await expect(page.locator('[data-testid="set-panel-real"] [data-testid=class-counts]').innerText()).resolves.toMatch(/effusion: \d+.*normal: \d+/s);
    const real = page.locator('[data-testid="set-panel-real"]');
    await expect.poll(() => real.locator('img').evaluateAll((imgs) => imgs.filter((i) => (i as HTMLImageElement).naturalWidth > 0).length), { timeout: 20_000 }).toBeGreaterThan(0);
    await expect(real.locator('[data-testid=linked-folder]').count()).resolves.toBe(1);
    await expect(page.locator('[data-testid="set-panel-holdout"] [data-testid=linked-folder]').count()).resolves.toBe(0);
    await page.screenshot({ path: 'test-results/handles-setup.png', fullPage: true });

    // The page holds the 12 held-out Files (picked through the input) and none for the 3 sets behind handles.
    const held = (await liveObjects(cdp, ['File'], 'native')).File;
    expect(held).toBeGreaterThanOrEqual(12);
    expect(held).toBeLessThan(12 + 8);

    // A file deleted after the pick is skipped with the browser's reason; the run goes on.
    const gone = 'real/normal/' + readdirSync(join(root, 'real/normal')).filter((n) => n.endsWith('.png') && n !== 'notes.png').sort()[0];
    await page.evaluate(async (p) => {
      const parts = p.split('/');
      let dir = await navigator.storage.getDirectory();
      for (const d of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(d);
      await dir.removeEntry(parts.at(-1)!);
    }, gone);
    rmSync(join(root, gone));

    await page.click('[data-testid=start-run]');
    await page.locator('[data-testid=results-view]').waitFor({ timeout: 300_000 });
    await page.screenshot({ path: 'test-results/handles-results.png', fullPage: true });
    const report = JSON.parse((await downloadText(page, '[data-testid=export-json]')).text);
    const skipped = Object.fromEntries(report.skipped.map((s: { path: string; reason: string }) => [s.path, s.reason]));
    expect(Object.keys(skipped).sort()).toEqual([gone, 'real/normal/notes.png'].sort());
    expect(skipped[gone]).toMatch(/cannot be read: .*could not be found/);

    const cli = cliEvaluate({ real: join(root, 'real'), holdout: join(root, 'holdout'), synthetic: [join(root, 'faithful'), join(root, 'copies')] });
    expect(report.real.count).toBe(cli.real.count);
    expect(report.holdout.count).toBe(cli.holdout.count);
    for (const [i, set] of report.sets.entries()) {
      expect(set.count).toBe(cli.sets[i].count);
      expectSameMetrics(set.metrics, cli.sets[i].metrics, { holdout: true, variety: true });
    }

    // Audit thumbnails of the handle-backed sets are shown.
    await page.locator('[data-testid=audit-pair]').first().waitFor();
    // Still no File per picked file once the run is over (each was read and let go).
    expect((await liveObjects(cdp, ['File'], 'native')).File).toBeLessThan(12 + 8);
    expect(errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
    await context.close();
  });

  it('reopens the last run\'s folders after a reload with its settings, asking for read permission, and the rerun comes from the cache', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    await context.addInitScript({ content: PICKER + PERMISSIONS });
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(inject('baseUrl'));
    // Nothing kept yet: no card.
    await page.locator('[data-testid=drop-real-choose]').waitFor();
    await expect(page.locator('[data-testid=last-setup]').count()).resolves.toBe(0);
    await copyToOpfs(page, root);

    await pickSets(page, root);
    // Not the defaults, so that restoring them shows.
    await page.selectOption('[data-testid=setting-extractor]', 'pixels');
    await page.selectOption('[data-testid=setting-pixels-size]', '32');
    await page.selectOption('[data-testid=setting-utility]', 'off');
    await page.click('[data-testid=start-run]');
    await page.locator('[data-testid=results-view]').waitFor({ timeout: 300_000 });
    const first = JSON.parse((await downloadText(page, '[data-testid=export-json]')).text);
    expect(first.config.cache.hits).toBe(0);

    await page.reload();
    const card = page.locator('[data-testid=last-setup]');
    await card.waitFor();
    const rows = card.locator('[data-testid=last-set]');
    await expect(rows.allInnerTexts()).resolves.toHaveLength(4);
    const texts = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, ' '));
    const realFiles = Number(/^Real real (\d+) image files$/.exec(texts[0])?.[1]);
    expect(realFiles).toBe(first.real.count + first.skipped.length);
    expect(texts[1]).toMatch(/^Held-out holdout 12 image files holdout was picked through the folder input or dropped where this browser gives no folder handle, which a page cannot keep: choose it again\.$/);
    expect(texts[2]).toMatch(/^Synthetic faithful 16 image files$/);
    expect(texts[3]).toMatch(/^Synthetic copies 16 image files$/);
    await expect(card.innerText()).resolves.toMatch(/Extractor: Pixels \(32 x 32 grayscale, 1024-d\); utility: off\./);
    // Defaults until the card is used.
    await expect(page.locator('[data-testid=setting-extractor]').inputValue()).resolves.toBe('mobilenet-v2');

    // The permission lapsed (as after the browser restarts). First click: the real folder is allowed; the
    // browser refuses the next prompt for want of a fresh click.
    await page.evaluate(() => {
      const p = (window as unknown as { __perm: { query: string; answers: string[] } }).__perm;
      p.query = 'prompt';
      p.answers = ['granted', 'needs-click', 'granted', 'denied'];
    });
    await page.click('[data-testid=reopen-last]');
    await page.locator('[data-testid="set-panel-real"]').waitFor();
    await expect.poll(() => rows.nth(2).getAttribute('data-status')).toBe('needs-click');
    await expect(page.locator('[data-testid=reopen-last]').innerText()).resolves.toBe('Allow the next folder (2 left)');
    await expect(page.locator('[data-testid=setting-extractor]').inputValue()).resolves.toBe('pixels');
    await expect(page.locator('[data-testid=setting-pixels-size]').inputValue()).resolves.toBe('32');
    await expect(page.locator('[data-testid=setting-utility]').inputValue()).resolves.toBe('off');
    await card.locator('[data-testid=last-settings-restored]').waitFor();

    // Second click: faithful is allowed, copies is not.
    await page.click('[data-testid=reopen-last]');
    await page.locator('[data-testid="set-panel-faithful"]').waitFor();
    await expect.poll(() => rows.nth(3).getAttribute('data-status')).toBe('failed');
    await expect(rows.nth(3).innerText()).resolves.toMatch(/Reading copies was not allowed/);
    await expect(page.locator('[data-testid="set-panel-copies"]').count()).resolves.toBe(0);
    await expect(page.locator('[data-testid=reopen-last]').count()).resolves.toBe(0);
    await expect(rows.nth(0).innerText()).resolves.toMatch(new RegExp(`reopened: ${realFiles} image files now$`));
    await expect(card.locator('[data-testid=last-setup-done]').innerText()).resolves.toBe(
      'Choose the 2 sets marked above again, then press Evaluate to resume: images already embedded come from the cache.');
    const asked = await page.evaluate(() => (window as unknown as { __perm: { asked: string[][] } }).__perm.asked);
    expect(asked).toEqual([
      ['query', 'real', 'read'], ['request', 'real', 'read'],
      ['query', 'faithful', 'read'], ['request', 'faithful', 'read'],
      ['query', 'faithful', 'read'], ['request', 'faithful', 'read'],
      ['query', 'copies', 'read'], ['request', 'copies', 'read'],
    ]);
    // The reopened sets are listed again, through their handles.
    await expect(page.locator('[data-testid="set-panel-real"] [data-testid=linked-folder]').count()).resolves.toBe(1);
    await expect(page.locator('[data-testid="set-panel-real"] [data-testid=class-counts]').innerText()).resolves.toMatch(new RegExp(`^${realFiles}\\s+image files`));
    await page.screenshot({ path: 'test-results/handles-reopen.png', fullPage: true });

    // The denied and the input-picked sets are chosen again as usual; the rerun comes whole from the cache.
    await page.evaluate(() => ((window as unknown as { __perm: { query: string } }).__perm.query = 'granted'));
    await pick(page, 'drop-synthetic', 'copies');
    await page.locator('[data-testid="set-panel-copies"]').waitFor();
    await page.setInputFiles('[data-testid=drop-holdout-input]', join(root, 'holdout'));
    await page.click('[data-testid=start-run]');
    await page.locator('[data-testid=results-view]').waitFor({ timeout: 300_000 });
    const again = JSON.parse((await downloadText(page, '[data-testid=export-json]')).text);
    const total = first.config.cache.misses;
    expect(total).toBeGreaterThan(0);
    expect(again.config.cache).toEqual({ hits: total, misses: 0 });
    expect(again.config.extractor.id).toBe(first.config.extractor.id);
    expect(again.sets.map((s: { name: string }) => s.name)).toEqual(['faithful', 'copies']);
    for (const [i, set] of again.sets.entries()) expectSameMetrics(set.metrics, first.sets[i].metrics, { holdout: true, variety: true });

    // The next reload offers this run; Forget removes it for good.
    await page.reload();
    await card.waitFor();
    await page.click('[data-testid=forget-last]');
    await expect(card.count()).resolves.toBe(0);
    await page.reload();
    await page.locator('[data-testid=drop-real-choose]').waitFor();
    await page.waitForTimeout(500);
    await expect(card.count()).resolves.toBe(0);
    expect(errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
    await context.close();
  });

  it('keeps the custom model a run used: after a reload the card restores it with its options, and the rerun comes from the cache', async () => {
    const modelDir = mkdtempSync(join(tmpdir(), 'synthlens-e2e-model-'));
    try {
      const weightsSha256 = await writeTinyModel(join(modelDir, 'encoder'));
      const { context, page, errors } = await openWithFolders(browser, root);
      await pick(page, 'drop-real', 'real');
      await page.locator('[data-testid="set-panel-real"]').waitFor();
      await pick(page, 'drop-synthetic', 'faithful');
      await page.locator('[data-testid="set-panel-faithful"]').waitFor();
      await page.selectOption('[data-testid=setting-utility]', 'off');
      await loadCustomModel(page, join(modelDir, 'encoder'), { layer: 'gap', inputSize: 16, channels: 1, normalise: 'minus-one-one' });
      await page.click('[data-testid=start-run]');
      await page.locator('[data-testid=results-view]').waitFor({ timeout: 300_000 });
      const first = JSON.parse((await downloadText(page, '[data-testid=export-json]')).text);
      expect(first.config.extractor).toMatchObject({ id: 'custom', dim: 4, inputSize: 16, channels: 1, normalise: 'minus-one-one', layer: 'gap', weightsSha256 });

      await page.reload();
      const card = page.locator('[data-testid=last-setup]');
      await card.waitFor();
      const modelBytes = filesUnder(join(modelDir, 'encoder')).reduce((a, f) => a + statSync(f).size, 0);
      await expect(card.innerText()).resolves.toContain(`Extractor: the custom model "encoder" (${(modelBytes / 1024).toFixed(1)} KiB); utility: off.`);
      await page.click('[data-testid=reopen-last]');
      await card.locator('[data-testid=last-setup-done]').waitFor();
      await expect(card.locator('[data-testid=last-settings-restored]').innerText()).resolves.toBe('These settings and the model are restored below.');
      // The settings show the model and its options as they were typed.
      await expect(page.locator('[data-testid=setting-extractor]').inputValue()).resolves.toBe('custom');
      await expect(page.locator('[data-testid=setting-extractor] option[value=custom]').innerText()).resolves.toBe('Custom model (encoder)');
      await page.click('[data-testid=settings] summary');
      await expect(page.getByLabel('Output layer / node').inputValue()).resolves.toBe('gap');
      await expect(page.getByLabel('Input size (px)').inputValue()).resolves.toBe('16');
      await expect(page.getByLabel('Channels').inputValue()).resolves.toBe('1');
      await expect(page.getByLabel('Input normalisation').inputValue()).resolves.toBe('minus-one-one');
      await page.locator('[data-testid=last-setup]').screenshot({ path: 'test-results/handles-reopen-model.png' });

      await page.click('[data-testid=start-run]');
      await page.locator('[data-testid=results-view]').waitFor({ timeout: 300_000 });
      const again = JSON.parse((await downloadText(page, '[data-testid=export-json]')).text);
      expect(again.config.extractor).toEqual(first.config.extractor);
      expect(again.config.cache).toEqual({ hits: first.config.cache.misses, misses: 0 });
      expectSameMetrics(again.sets[0].metrics, first.sets[0].metrics, { variety: true });
      expect(errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
      await context.close();
    } finally {
      rmSync(modelDir, { recursive: true, force: true });
    }
  });

  it('holds a folder dropped where the browser gives no handles (FileSystemEntry API, as Firefox and Safari) by its entry, not by File', async () => {
    // A real drop of folders on disk (CDP Input.dispatchDragEvent, as the OS gives one), in a page whose drop items
    // lack getAsFileSystemHandle, as in Firefox and Safari: the app falls back to webkitGetAsEntry.
    const drop = mkdtempSync(join(tmpdir(), 'synthlens-e2e-entries-'));
    try {
      for (const set of ['real', 'faithful']) cpSync(join(root, set), join(drop, set), { recursive: true });
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
      await context.addInitScript({ content: 'delete DataTransferItem.prototype.getAsFileSystemHandle;' });
      const page = await context.newPage();
      const errors = watchErrors(page);
      await page.goto(inject('baseUrl'));
      const cdp = await context.newCDPSession(page);
      const dropOn = async (zone: string, folder: string) => {
        const box = (await page.locator(`[data-testid=${zone}]`).boundingBox())!;
        const at = { x: box.x + box.width / 2, y: box.y + box.height / 2, data: { items: [], files: [folder], dragOperationsMask: 1 } };
        for (const type of ['dragEnter', 'dragOver', 'drop'] as const) await cdp.send('Input.dispatchDragEvent', { type, ...at });
      };
      await dropOn('drop-real', join(drop, 'real'));
      await page.locator('[data-testid="set-panel-real"]').waitFor();
      await dropOn('drop-synthetic', join(drop, 'faithful'));
      await page.locator('[data-testid="set-panel-faithful"]').waitFor();
      await expect(page.evaluate(() => 'getAsFileSystemHandle' in DataTransferItem.prototype)).resolves.toBe(false);
      await expect(page.locator('[data-testid=linked-folder]').count()).resolves.toBe(2);
      const listed = filesUnder(join(drop, 'real')).filter((f) => !f.endsWith('.DS_Store')).length;
      await expect(page.locator('[data-testid="set-panel-real"] [data-testid=class-counts]').innerText()).resolves.toMatch(new RegExp(`^${listed}\\s+image files`));
      // No File held per dropped file (a few for the previews at most).
      expect((await liveObjects(cdp, ['File'], 'native')).File).toBeLessThan(8);

      // A file deleted after the drop is skipped with the browser's reason; the run goes on.
      const gone = readdirSync(join(drop, 'faithful/normal')).sort()[0];
      rmSync(join(drop, 'faithful/normal', gone));
      await page.selectOption('[data-testid=setting-extractor]', 'pixels');
      await page.selectOption('[data-testid=setting-utility]', 'off');
      await page.click('[data-testid=start-run]');
      await page.locator('[data-testid=results-view]').waitFor({ timeout: 300_000 });
      const report = JSON.parse((await downloadText(page, '[data-testid=export-json]')).text);
      expect(report.skipped.map((k: { path: string }) => k.path).sort()).toEqual([`faithful/normal/${gone}`, 'real/normal/notes.png']);
      expect(report.skipped.find((k: { path: string }) => k.path.startsWith('faithful/')).reason).toMatch(/cannot be read: .*(could not be found|not found)/i);
      const cli = cliEvaluate({ real: join(drop, 'real'), synthetic: [join(drop, 'faithful')] });
      expect(report.real.count).toBe(cli.real.count);
      expect(report.sets[0].count).toBe(cli.sets[0].count);
      expectSameMetrics(report.sets[0].metrics, cli.sets[0].metrics, { variety: true });

      // An entry cannot be kept for the next visit: no card after a reload.
      await page.reload();
      await page.locator('[data-testid=drop-real-choose]').waitFor();
      await page.waitForTimeout(500);
      await expect(page.locator('[data-testid=last-setup]').count()).resolves.toBe(0);
      expect(errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
      await context.close();
    } finally {
      rmSync(drop, { recursive: true, force: true });
    }
  });

  it('takes dropped files where the drop has neither handles nor entries (loose files held as files)', async () => {
    // A drop made by a script: chromium gives its items getAsFileSystemHandle, which resolves to null, and no
    // FileSystemEntry; the files themselves must still arrive.
    const page = await browser.newPage();
    const errors = watchErrors(page);
    await page.goto(inject('baseUrl'));
    const pngs = readdirSync(join(root, 'faithful/normal')).slice(0, 3);
    const files = pngs.map((n) => ({ name: n, b64: readFileSync(join(root, 'faithful/normal', n)).toString('base64') }));
    const support = await page.evaluate((files) => {
      const dt = new DataTransfer();
      for (const f of files) dt.items.add(new File([Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))], f.name, { type: 'image/png' }));
      const item = dt.items[0] as DataTransferItem & { getAsFileSystemHandle?: unknown };
      const zone = document.querySelector('[data-testid=drop-synthetic]')!;
      zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      return typeof item.getAsFileSystemHandle;
    }, files);
    expect(support).toBe('function');
    const panel = page.locator('[data-testid="set-panel-dropped files"]');
    await panel.waitFor({ timeout: 20_000 });
    await expect(panel.locator('[data-testid=class-counts]').innerText()).resolves.toMatch(/^3\s+image files/);
    await expect(panel.locator('[data-testid=linked-folder]').count()).resolves.toBe(0);
    await expect.poll(() => panel.locator('img').evaluateAll((imgs) => imgs.filter((i) => (i as HTMLImageElement).naturalWidth > 0).length), { timeout: 20_000 }).toBe(3);
    expect(errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
    await page.close();
  });
});

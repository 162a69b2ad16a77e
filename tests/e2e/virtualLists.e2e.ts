/**
 * The lists that grow with the number of images stay responsive at 100,000 items: the harness page
 * (tests/e2e/harness/virtual.html, fixtures in dev/virtual.fixture.ts) mounts the set panel with
 * 100,000 skipped files, a run's 100,000 skipped files and the privacy audit of 100,000 synthetic-real
 * pairs with thumbnails. For each list: only a bounded number of rows is in the page, the full count
 * is shown and given to assistive technology (aria-setsize), the last item is rendered, visible and
 * operable after scrolling to the end, scrolling (wheel steps and scrollbar-like jumps) gives no
 * main-thread task over 50 ms, thumbnail canvases exist only for rendered rows, and axe finds nothing,
 * at 1280 x 800 and 390 x 844.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { axeViolations, launch, takeLongTasks, watchErrors, watchLongTasks } from './browser';

const N = 100_000;
/** Most row elements a list may have in the page at once. */
const MAX_ROWS = 200;
/**
 * The target is no main-thread task over 50 ms while scrolling. It is always checked on thread
 * (CPU) time, from a trace. The wall-clock length of a task (what PerformanceObserver 'longtask'
 * reports) grows with the load of the machine: on a shared 2-core machine with a load average of
 * 10, a 20 ms task takes 50-500 ms of wall time. So the wall-clock check is strict (no long task at
 * all) when the machine is not oversubscribed (1-minute load average at most the number of cores),
 * and otherwise only fails on a freeze over BUSY_WALL_MS; the long tasks are printed either way.
 */
const BUSY_WALL_MS = 1000;
const busy = () => loadavg()[0] > cpus().length;

async function harness(browser: Browser, width: number, height: number): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width, height } });
  const errors = watchErrors(page);
  await page.goto(new URL(`tests/e2e/harness/virtual.html?n=${N}`, inject('devUrl')).href);
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 120_000 });
  expect(await page.evaluate(() => document.body.dataset.error ?? document.body.dataset.ready)).toBe('1');
  return { page, errors };
}

const items = (list: Locator) => list.locator('[role=listitem]');

interface Scrolled {
  /** Wall-clock durations (ms) of the page's long tasks (PerformanceObserver 'longtask', over 50 ms) while scrolling. */
  longTasks: number[];
  /** The renderer main thread's tasks over 16 ms while scrolling: wall-clock and thread (CPU) time, ms. */
  tasks: { wall: number; thread: number }[];
}

/**
 * Runs `f` while tracing the renderer main thread ('toplevel' trace category: each task's wall
 * and thread time); returns the main-thread tasks longer than 16 ms of wall time.
 */
async function traceMainThread(page: Page, f: () => Promise<void>): Promise<Scrolled['tasks']> {
  const cdp = await page.context().newCDPSession(page);
  type TraceEvent = { name: string; ph: string; pid: number; tid: number; dur?: number; tdur?: number; args?: { name?: string } };
  const events: TraceEvent[] = [];
  cdp.on('Tracing.dataCollected', (e) => events.push(...(e.value as unknown as TraceEvent[])));
  const complete = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
  await cdp.send('Tracing.start', { categories: 'toplevel', transferMode: 'ReportEvents' });
  await f();
  await cdp.send('Tracing.end');
  await complete;
  await cdp.detach();
  const mains = new Set(events.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  return events
    .filter((e) => e.ph === 'X' && e.name === 'ThreadControllerImpl::RunTask' && mains.has(`${e.pid}:${e.tid}`) && (e.dur ?? 0) > 16_000)
    .map((e) => ({ wall: Math.round((e.dur ?? 0) / 1000), thread: Math.round((e.tdur ?? 0) / 1000) }));
}

/** Wheel steps over the list, then jumps through it like a dragged scrollbar, to the end. */
async function scrollThrough(page: Page, list: Locator, tag: string): Promise<Scrolled> {
  await list.scrollIntoViewIfNeeded();
  const box = (await list.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const tasks = await traceMainThread(page, async () => {
    await page.evaluate((t) => performance.mark(`${t}:start`), tag);
    for (let k = 0; k < 25; k++) {
      await page.mouse.wheel(0, 500);
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
    }
    await list.evaluate(async (el) => {
      const frame = () => new Promise((r) => requestAnimationFrame(() => r(null)));
      for (let k = 1; k <= 40; k++) {
        el.scrollTop = (k / 40) * (el.scrollHeight - el.clientHeight);
        await frame();
        await frame();
      }
      // Measured heights may have changed the total: land on the real end.
      for (let k = 0; k < 5 && el.scrollTop + el.clientHeight < el.scrollHeight - 1; k++) {
        el.scrollTop = el.scrollHeight;
        await frame();
      }
    });
    // Let progressive rendering finish.
    await page.waitForFunction(() => !document.querySelector('[data-placeholder]'));
    await page.evaluate((t) => performance.mark(`${t}:end`), tag);
  });
  return { longTasks: await takeLongTasks(page, `${tag}:start`, `${tag}:end`), tasks };
}

/** The checks on one scroll (see BUSY_WALL_MS). */
function expectResponsive(name: string, s: Scrolled): void {
  expect(s.tasks.filter((t) => t.thread > 50), `${name}: main-thread tasks over 50 ms of CPU time while scrolling`).toEqual([]);
  const bound = busy() ? BUSY_WALL_MS : 50;
  expect(s.longTasks.filter((d) => d > bound), `${name}: long tasks (wall clock, load ${loadavg()[0].toFixed(1)}) while scrolling`).toEqual([]);
}

/** The item at 1-based position `pos`: present, inside the list's visible box. */
async function expectVisible(list: Locator, pos: number): Promise<void> {
  const item = list.locator(`[role=listitem][aria-posinset="${pos}"]`);
  await expect(item.count()).resolves.toBe(1);
  const [l, i] = [(await list.boundingBox())!, (await item.boundingBox())!];
  expect(i.y + i.height, `item ${pos} bottom inside the list`).toBeLessThanOrEqual(l.y + l.height + 1);
  expect(i.y + 1, `item ${pos} top inside the list`).toBeGreaterThanOrEqual(l.y);
}

async function domSize(page: Page): Promise<{ all: number; canvases: number; auditItems: number }> {
  return page.evaluate(() => ({
    all: document.getElementsByTagName('*').length,
    canvases: document.getElementsByTagName('canvas').length,
    auditItems: document.querySelectorAll('[data-testid=audit-list] [role=listitem]').length,
  }));
}

describe('virtualised lists at 100,000 items', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
    mkdirSync('test-results', { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
  });

  for (const [width, height] of [
    [1280, 800],
    [390, 844],
  ] as const) {
    it(`renders only what is visible, reaches the end, stays responsive, passes axe (${width} x ${height})`, async () => {
      const { page, errors } = await harness(browser, width, height);
      const timings = await page.evaluate(() => (window as unknown as { __timings: Record<string, number> }).__timings);
      await watchLongTasks(page);

      // Skipped files of the set panel: the count in full, closed until asked.
      const panel = page.locator('[data-testid=set-skipped]');
      const toggle = panel.locator('[data-testid=skipped-toggle]');
      await expect(toggle.innerText()).resolves.toBe('Skipped 100,000 files — show reasons');
      await expect(toggle.getAttribute('aria-expanded')).resolves.toBe('false');
      await toggle.click();
      await expect(toggle.getAttribute('aria-expanded')).resolves.toBe('true');
      const panelList = panel.locator('[data-testid=skipped-list]');
      await expect(panelList.getAttribute('aria-label')).resolves.toMatch(/Skipped files of real/);

      // The run's skipped files (opened from the start).
      const runList = page.locator('[data-testid=run-skipped] [data-testid=skipped-list]');
      await expect(page.locator('[data-testid=run-skipped] [data-testid=skipped-toggle]').innerText()).resolves.toMatch(/^Skipped 100,000 files/);

      const report: Record<string, unknown> = { width, timings };
      for (const [name, list] of [
        ['set panel skipped', panelList],
        ['run skipped', runList],
      ] as const) {
        const before = await items(list).count();
        expect(before).toBeGreaterThan(0);
        expect(before).toBeLessThan(MAX_ROWS);
        await expect(items(list).first().getAttribute('aria-setsize')).resolves.toBe(String(N));
        await expect(items(list).first().getAttribute('aria-posinset')).resolves.toBe('1');
        const scrolled = await scrollThrough(page, list, name.replace(/ /g, '-'));
        const after = await items(list).count();
        expect(after).toBeLessThan(MAX_ROWS);
        await expectVisible(list, N);
        await expect(list.locator(`[aria-posinset="${N}"]`).innerText()).resolves.toMatch(/patient_099999\.png: /);
        // Keyboard: the list takes focus; Home and End scroll it.
        await list.focus();
        await page.keyboard.press('Home');
        await page.waitForFunction((el) => el!.scrollTop === 0, await list.elementHandle());
        await page.waitForTimeout(100);
        await expectVisible(list, 1);
        await page.keyboard.press('End');
        await page.waitForFunction((el) => el!.scrollTop + el!.clientHeight >= el!.scrollHeight - 1, await list.elementHandle());
        await page.waitForTimeout(100);
        await expectVisible(list, N);
        report[name] = { rowsBefore: before, rowsAfter: after, longTasks: scrolled.longTasks, maxThreadMs: Math.max(0, ...scrolled.tasks.map((t) => t.thread)), tasksOver16ms: scrolled.tasks };
        expectResponsive(name, scrolled);
      }

      // The privacy audit: 50 pairs first, then all 100,000 on request.
      const audit = page.locator('[data-testid=audit-list]');
      await expect(items(audit).count()).resolves.toBeLessThanOrEqual(50);
      await expect(page.locator('[data-testid=audit-count]').innerText()).resolves.toMatch(/Showing 50 of 100,000 images/);
      await page.evaluate(() => performance.mark('show-all:start'));
      await page.click('[data-testid=audit-show-all]');
      await page.waitForFunction(() => /Showing 100,000 of 100,000/.test(document.querySelector('[data-testid=audit-count]')!.textContent!));
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
      await page.evaluate(() => performance.mark('show-all:end'));
      await page.waitForFunction(() => !document.querySelector('[data-placeholder]'));
      const showAll = await takeLongTasks(page, 'show-all:start', 'show-all:end');
      const auditBefore = await domSize(page);
      expect(auditBefore.auditItems).toBeGreaterThan(0);
      expect(auditBefore.auditItems).toBeLessThan(MAX_ROWS);
      // Two thumbnails per rendered pair, none for pairs that are not rendered.
      expect(auditBefore.canvases).toBe(2 * auditBefore.auditItems);
      await expect(items(audit).first().getAttribute('aria-setsize')).resolves.toBe(String(N));
      await expect(items(audit).first().locator('[data-testid=audit-pair]').getAttribute('data-assignment')).resolves.toBe('copy');

      const auditLong = await scrollThrough(page, audit, 'audit');
      const auditAfter = await domSize(page);
      expect(auditAfter.auditItems).toBeLessThan(MAX_ROWS);
      expect(auditAfter.canvases).toBe(2 * auditAfter.auditItems);
      await expectVisible(audit, N);
      // The last pair is operable: Enter on its card opens the enlarged view; Escape closes it and focus returns.
      const last = audit.locator(`[role=listitem][aria-posinset="${N}"]`);
      const lastId = (await last.innerText()).match(/sample_\d+\.png/)![0];
      await last.locator('button.open').focus();
      await page.keyboard.press('Enter');
      const dialog = page.locator('[data-testid=audit-dialog]');
      await expect(dialog.evaluate((d) => (d as HTMLDialogElement).open)).resolves.toBe(true);
      await expect(dialog.innerText()).resolves.toContain(lastId);
      await page.keyboard.press('Escape');
      await expect(dialog.evaluate((d) => (d as HTMLDialogElement).open)).resolves.toBe(false);
      await expect(last.locator('button.open').evaluate((b) => b === document.activeElement)).resolves.toBe(true);
      report.audit = {
        before: auditBefore,
        after: auditAfter,
        showAllLongTasks: showAll,
        scrollLongTasks: auditLong.longTasks,
        maxThreadMs: Math.max(0, ...auditLong.tasks.map((t) => t.thread)),
        tasksOver16ms: auditLong.tasks,
      };
      console.log(`virtual lists (load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores) ${JSON.stringify(report)}`);
      expectResponsive('audit', auditLong);

      await page.screenshot({ path: `test-results/virtual-lists-${width}.png` });
      expect(await axeViolations(page)).toEqual([]);
      // The whole page stays small: three lists of 100,000 items.
      expect((await domSize(page)).all).toBeLessThan(3000);
      expect(errors).toEqual([]);
      await page.close();
    });
  }
});

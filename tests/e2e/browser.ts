/** Playwright (playwright-core) driving Debian's chromium, as every e2e test does. */
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/lib/chromium/chromium';

export async function launch(opts: { webgpu?: boolean } = {}): Promise<Browser> {
  const args = [
    '--no-sandbox',
    '--disable-dev-shm-usage',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-quic',
    '--no-first-run',
  ];
  if (opts.webgpu) args.push('--enable-unsafe-webgpu', '--enable-features=Vulkan');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args });
}

/** Collects console errors and uncaught exceptions so a test can assert there were none. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return errors;
}

/** Every request a context makes (pages, workers, service worker), for the privacy proof. */
export interface RecordedRequest {
  url: string;
  method: string;
  resourceType: string;
  postBytes: number;
}

export function recordRequests(context: BrowserContext): RecordedRequest[] {
  const out: RecordedRequest[] = [];
  context.on('request', (r) => out.push({ url: r.url(), method: r.method(), resourceType: r.resourceType(), postBytes: r.postDataBuffer()?.length ?? 0 }));
  return out;
}

/** Requests that leave the app's origin (blob: and data: URLs never leave the device). */
export function outsideRequests(requests: RecordedRequest[], origin: string): RecordedRequest[] {
  return requests.filter((r) => !r.url.startsWith(origin) && !r.url.startsWith('blob:') && !r.url.startsWith('data:'));
}

/** Starts collecting main-thread long tasks (PerformanceObserver 'longtask'); read them with takeLongTasks. */
export async function watchLongTasks(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __longTasks: { start: number; duration: number }[] };
    w.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask' });
  });
}

/** Durations of the long tasks seen so far; with marks, only those that started between the two performance marks. */
export async function takeLongTasks(page: Page, fromMark?: string, toMark?: string): Promise<number[]> {
  return page.evaluate(
    ([from, to]) => {
      const at = (name: string | undefined, fallback: number) =>
        name ? (performance.getEntriesByName(name).at(-1)?.startTime ?? fallback) : fallback;
      const t0 = at(from, -Infinity);
      const t1 = at(to, Infinity);
      const all = (window as unknown as { __longTasks: { start: number; duration: number }[] }).__longTasks.splice(0);
      return all.filter((t) => t.start >= t0 && t.start < t1).map((t) => Math.round(t.duration));
    },
    [fromMark, toMark] as const,
  );
}

/** Downloads what clicking `selector` saves, as text. */
export async function downloadText(page: Page, selector: string): Promise<{ name: string; text: string }> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  const path = await download.path();
  const { readFileSync } = await import('node:fs');
  return { name: download.suggestedFilename(), text: readFileSync(path!, 'utf8') };
}

/** Runs axe-core in the page (evaluated through the driver, so the app's CSP is not weakened). */
export async function axeViolations(page: Page): Promise<{ id: string; impact: string | null; nodes: number; help: string }[]> {
  const { readFileSync } = await import('node:fs');
  const { createRequire } = await import('node:module');
  const src = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(`${src};0`);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(o?: unknown): Promise<{ violations: { id: string; impact: string | null; nodes: unknown[]; help: string }[] }> } }).axe;
    const r = await axe.run({ resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help }));
  });
}

/**
 * Live JS objects on the page's main thread by constructor name, from a heap snapshot (taken after a full garbage
 * collection). Runtime.queryObjects would be simpler, but V8 leaves ArrayBuffers and typed arrays out of it.
 * `kind` 'native' counts Blink's own objects instead (a `File` is one per picked file; the JS wrappers are not).
 */
export async function liveObjects(cdp: CDPSession, names: string[], kind: 'object' | 'native' = 'object'): Promise<Record<string, number>> {
  const chunks: string[] = [];
  const onChunk = (e: { chunk: string }) => chunks.push(e.chunk);
  cdp.on('HeapProfiler.addHeapSnapshotChunk', onChunk);
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  cdp.off('HeapProfiler.addHeapSnapshotChunk', onChunk);
  const snap = JSON.parse(chunks.join('')) as { snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[]; strings: string[] };
  const fields = snap.snapshot.meta.node_fields;
  const stride = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const objectType = snap.snapshot.meta.node_types[0].indexOf(kind);
  const counts = Object.fromEntries(names.map((n) => [n, 0]));
  for (let i = 0; i < snap.nodes.length; i += stride) {
    if (snap.nodes[i + typeAt] !== objectType) continue;
    const name = snap.strings[snap.nodes[i + nameAt]];
    if (name in counts) counts[name]++;
  }
  return counts;
}

/**
 * Node side of the browser benchmarks (never loaded by a page): the Vite dev server that serves the bench
 * harness pages (bench/harness/*.html, like the e2e suite's tests/e2e/harness), Debian's chromium driven by
 * playwright-core, and what /proc says about the chromium processes this Node process started (CPU time,
 * peak resident memory), since a page can time itself but cannot see its own CPU time or RSS.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
// Types only at the top: vite and playwright-core load when a server or browser starts, so a child process
// that only reads /proc (bench/utility.ts --child) stays small.
import type { Browser, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/lib/chromium/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
] as const;

/** Why the browser half cannot run here, or null when it can. */
export function chromiumUnavailable(): string | null {
  return existsSync(CHROMIUM) ? null : `no chromium at ${CHROMIUM} (Debian: apt-get install chromium; or set CHROMIUM_PATH)`;
}

/** Starts the Vite dev server (the repository's vite.config.ts) on a free loopback port; returns it and its URL. */
export async function startDevServer(): Promise<{ server: ViteDevServer; url: string }> {
  const { createServer } = await import('vite');
  const server = await createServer({ server: { port: 0, host: '127.0.0.1', strictPort: false, hmr: false }, logLevel: 'warn' });
  await server.listen();
  const url = server.resolvedUrls?.local[0];
  if (!url) {
    await server.close();
    throw new Error('vite dev server did not report a URL');
  }
  return { server, url };
}

/** Headless chromium with the benchmark's flags; `webgpu` adds --enable-unsafe-webgpu. */
export async function launchChromium(opts: { webgpu?: boolean } = {}): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  const args: string[] = [...CHROMIUM_ARGS];
  if (opts.webgpu) args.push('--enable-unsafe-webgpu');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args });
}

/** Opens `path` (relative to the dev server's root) and waits for the page to set body[data-ready="1"]. */
export async function openHarness(browser: Browser, baseUrl: string, path: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 404/.test(m.text())) errors.push(m.text());
  });
  // The browser asks for /favicon.ico, which the dev server does not have; any other missing file is an error.
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) errors.push(`HTTP ${r.status()} ${r.url()}`);
  });
  await page.goto(new URL(path, baseUrl).href);
  await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 180_000 });
  return { page, errors };
}

// ---- /proc -----------------------------------------------------------------------------------------

const CLK_TCK = 100; // Linux USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s

interface ProcInfo { pid: number; ppid: number; cpuTicks: number }

function readProc(pid: number): ProcInfo | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: split after the last ')'.
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // f[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
    return { pid, ppid: Number(f[1]), cpuTicks: Number(f[11]) + Number(f[12]) };
  } catch {
    return null;
  }
}

/** Every live process below `root` (not `root` itself), from /proc. */
export function descendants(root = process.pid): ProcInfo[] {
  const all: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = readProc(Number(name));
    if (p) all.push(p);
  }
  const children = new Map<number, ProcInfo[]>();
  for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const out: ProcInfo[] = [];
  const stack = [root];
  while (stack.length) {
    for (const c of children.get(stack.pop()!) ?? []) {
      out.push(c);
      stack.push(c.pid);
    }
  }
  return out;
}

/**
 * CPU seconds used so far by the processes below this one (the chromium processes it started: browser,
 * renderers with their workers, GPU process). Other users' browsers are not counted. Resolution 10 ms.
 */
export function childCpuSeconds(): number {
  return descendants().reduce((a, p) => a + p.cpuTicks, 0) / CLK_TCK;
}

/** CPU seconds per descendant pid. */
export function cpuByPid(): Map<number, number> {
  return new Map(descendants().map((p) => [p.pid, p.cpuTicks / CLK_TCK]));
}

function isRenderer(pid: number): boolean {
  try {
    // chromium rewrites its process title, so the arguments may be joined by spaces rather than NULs.
    return /(^|[\0 ])--type=renderer([\0 ]|$)/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return false;
  }
}

/** The chromium renderer processes below this process. */
export function rendererPids(): number[] {
  return descendants().map((p) => p.pid).filter(isRenderer);
}

/** A /proc/<pid>/status field in KiB (VmHWM: peak resident set, VmRSS: resident set), or null. */
export function statusKiB(pid: number | 'self', field: 'VmHWM' | 'VmRSS'): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Resets the peak resident set (VmHWM) of a process to its current RSS (Linux >= 4.0); false when refused. */
export function resetPeakRss(pid: number | 'self'): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

// ---- figures ---------------------------------------------------------------------------------------

export const median = (v: number[]): number => {
  if (v.length === 0) return NaN;
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export const fmt = (x: number, digits = 1): string => (Number.isFinite(x) ? x.toFixed(digits) : '-');

/** A plain text table: first `left` columns left-aligned, the others right-aligned. */
export function table(header: string[], rows: string[][], left = 2): string[] {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => (r[j] ?? '').length)));
  const line = (c: string[]) => c.map((x, j) => (j < left ? (x ?? '').padEnd(widths[j]) : (x ?? '').padStart(widths[j]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

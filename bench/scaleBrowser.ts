/**
 * `npm run bench -- scale-browser`: the app itself, in Debian's chromium, on N real and N synthetic images
 * (default 100,000 each), with a page reload halfway through extraction (issue #6, "a 100k run in the browser
 * survives a reload").
 *
 *  1. Generation (Node): N + N small grayscale phantom PNGs (default 32 x 32: a soft ellipse on a gradient, with
 *     noise, from a seeded generator; the synthetic set's ellipses are a little larger and brighter), each file
 *     unique (its index is written into three corner pixels; the SHA-256 of every file is checked distinct),
 *     encoded with fast-png into <tmp>/real/<class>/ and <tmp>/synthetic/<class>/ (two class subfolders).
 *  2. The production build (the same as npm run build, into the bench's own folder BUILD_DIR, redone when it is
 *     missing or older than the sources) served by vite preview; chromium headless with the e2e flags; a fresh profile, so the feature cache starts empty.
 *  3. First run: both folders picked with Playwright setInputFiles on the folder inputs, the pixels extractor at
 *     a small image side (--side, default 8: d = 64, see SIDE_WHY), utility off, Evaluate. When the progress
 *     rows show --reload-at (default 0.5) of the 2N images done, the page is reloaded.
 *  4. The IndexedDB feature cache is counted (until two counts a second apart agree): E records.
 *  5. Second run: the same folders and settings, run to the end. Checks: the resume note's last text is
 *     "Resuming: E of 2N images were already embedded (cache).", the exported report's config.cache is
 *     { hits: E, misses: 2N - E }, its sets hold N and N images with metrics, and the cache then holds 2N records.
 *  6. Every second: RSS (VmRSS) and PSS (/proc/<pid>/smaps_rollup) of the chromium renderer processes (the
 *     page, its dedicated workers live in the same process), of the GPU and utility processes and the browser
 *     process (separately), and the page's main-thread JS heap (CDP Performance.getMetrics). The peak renderer
 *     RSS is compared with the 2 GiB budget (PASS/FAIL). RSS counts shared pages in full; PSS shares them out.
 *  7. Screenshots in --out (default scratch/scale-browser/): the first run's progress just before the reload,
 *     the second run's progress with the resume note, the results page (viewport and full page).
 *
 * Phases timed (wall): generation, build (if any), folder picking, extraction before the reload, extraction
 * after it (to the start of the metrics), metrics (to the results page). Options: --n, --side, --reload-at,
 * --image-size, --out, --keep (keep the generated folder), --tmp <dir> (parent of the generated folder),
 * --seed, --rebuild, --max-hours (give up after this long; default 12), --dumps (the largest renderer by allocator
 * at the end of each phase, from chromium memory-infra dumps: V8 heaps of the page and of the workers, Blink, PartitionAlloc,
 * malloc, File objects), --pick input|handles (input: setInputFiles on the folder inputs, the page holds a File per
 * image; handles: the folder picker's directory handles, each file opened when read: see PICKER_STUB; after the
 * reload the folders are reopened with the start page's "Reopen these folders" card, as a user would),
 * --dense <d> (instead of the pixels extractor's d = side², a custom TF.js layers model loaded through the settings'
 * custom-model folder input: the side x side grayscale image flattened and projected to d values by a seeded random
 * matrix (DENSE_WHY). Its features have MobileNetV2's size at --dense 1280, which the tab's memory follows from the
 * spill on; the extraction's model memory is not MobileNetV2's), --mobilenet (MobileNetV2 itself, d = 1,280: the
 * extraction's model memory as a user's; about 20 images/s on 2 cores, so for thousands of images, not 100,000).
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { encode } from 'fast-png';
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import type { PreviewServer } from 'vite';
import { CHROMIUM, chromiumUnavailable, descendants, fmt, table } from './harness/driver.ts';
import { PIXELS_SIDES } from '../src/extractors/specs.ts';
import { writeLayersModel } from '../tests/fixtures/models/writeLayersModel.ts';

const SIDE_WHY =
  'pixels extractor at a small side: the neighbour passes over N x N pairs cost in proportion to d, so d = side² ' +
  'decides whether 100,000 x 100,000 fits in hours on 2 cores (d = 4,096 at the default 64 x 64 would take ' +
  '64 times longer than d = 64)';
const DENSE_WHY =
  'a random linear projection of the pixels to d values: the feature rows, the spill and the metrics phase have the ' +
  "size of a d-dimensional CNN embedding's, at the pixels extractor's extraction cost (MobileNetV2 over 200,000 " +
  'images would take about 2.6 h of extraction on 2 cores)';
const BUDGET_BYTES = 2 * 1024 ** 3;
/** Class subfolder names (--classes k uses the first k; 0 writes the images straight into the set's folder). */
const CLASS_NAMES = ['benign', 'malignant', 'normal', 'other'] as const;
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

// ---- generation --------------------------------------------------------------------------------------

/** mulberry32: small seeded generator (uniform in [0, 1)). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * One phantom: a vertical gradient, a soft ellipse (random centre, radii, angle, brightness; synthetic ones a
 * little larger and brighter), uniform noise of +-12 grey levels; index `i` in the first three pixels (unique files).
 */
export function phantom(size: number, i: number, synthetic: boolean, r: () => number): Uint8Array {
  const px = new Uint8Array(size * size);
  const cx = size * (0.35 + 0.3 * r());
  const cy = size * (0.35 + 0.3 * r());
  const scale = synthetic ? 1.1 : 1;
  const rx = size * (0.12 + 0.18 * r()) * scale;
  const ry = size * (0.12 + 0.18 * r()) * scale;
  const th = Math.PI * r();
  const c = Math.cos(th);
  const s = Math.sin(th);
  const bright = 110 + 100 * r() + (synthetic ? 15 : 0);
  const g0 = 20 + 40 * r();
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const u = (dx * c + dy * s) / rx;
      const v = (-dx * s + dy * c) / ry;
      const e = u * u + v * v;
      const inside = e < 1 ? 1 : e < 1.4 ? (1.4 - e) / 0.4 : 0;
      const val = g0 + (40 * y) / size + inside * bright + (r() - 0.5) * 24;
      px[y * size + x] = val < 0 ? 0 : val > 255 ? 255 : val;
    }
  }
  px[0] = i & 255;
  px[1] = (i >>> 8) & 255;
  px[2] = (i >>> 16) & 255;
  return px;
}

/**
 * Writes <root>/<set>/<class>/img_<i>.png (image i in class i mod classes; no class folder when classes = 0) for
 * both sets; returns the number of distinct SHA-256 and the bytes written.
 */
export function generate(root: string, n: number, size: number, seed: number, classes = 2): { distinct: number; bytes: number } {
  const hashes = new Set<string>();
  let bytes = 0;
  const dirs = classes > 0 ? CLASS_NAMES.slice(0, classes) : [''];
  for (const set of ['real', 'synthetic'] as const) {
    for (const cls of dirs) mkdirSync(join(root, set, cls), { recursive: true });
    const r = rng(seed + (set === 'real' ? 0 : 7919));
    for (let i = 0; i < n; i++) {
      const png = encode({ width: size, height: size, data: phantom(size, i, set === 'synthetic', r), channels: 1, depth: 8 });
      writeFileSync(join(root, set, dirs[i % dirs.length], `img_${String(i).padStart(6, '0')}.png`), png);
      hashes.add(createHash('sha256').update(png).digest('base64'));
      bytes += png.length;
    }
  }
  return { distinct: hashes.size, bytes };
}

// ---- build and serve -----------------------------------------------------------------------------------

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let t = st.mtimeMs;
  for (const name of readdirSync(path)) t = Math.max(t, newestMtime(join(path, name)));
  return t;
}

/**
 * The bench's own production build (not dist/: other engineers' e2e runs rebuild dist/ at any time, which would
 * pull the files from under a run of hours).
 */
const BUILD_DIR = 'node_modules/.cache/synthlens-scale-browser/dist';

/** Why the bench's build must be redone, or null when it is newer than every source of the build. */
function staleBuild(root: string): string | null {
  const built = join(root, BUILD_DIR, 'index.html');
  if (!existsSync(built)) return `${BUILD_DIR}/index.html is missing`;
  const t = statSync(built).mtimeMs;
  for (const p of ['src', 'public', 'index.html', 'vite.config.ts', 'package.json']) {
    if (newestMtime(join(root, p)) > t) return `${p} changed since the last build`;
  }
  return null;
}

async function buildApp(root: string): Promise<void> {
  const { build } = await import('vite');
  const env = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    await build({ root, mode: 'production', logLevel: 'warn', build: { outDir: join(root, BUILD_DIR), emptyOutDir: true } });
  } finally {
    process.env.NODE_ENV = env;
  }
}

// ---- disk ------------------------------------------------------------------------------------------------

/** Bytes of the files below `path` (allocated blocks, as du counts them). */
function diskBytes(path: string): number {
  let b = 0;
  const stack = [path];
  while (stack.length) {
    const p = stack.pop()!;
    let st;
    try {
      st = lstatSync(p);
    } catch {
      continue;
    }
    if (st.isDirectory()) {
      try {
        for (const name of readdirSync(p)) stack.push(join(p, name));
      } catch {
        /* unreadable: not counted */
      }
    } else b += st.blocks * 512;
  }
  return b;
}

/**
 * Disk the feature cache takes per image: its record holds the variety image (256 x 256 bytes at the app's
 * default variety size), the thumbnail and the features (src/store/featureCache.ts), plus IndexedDB's overhead.
 */
const CACHE_BYTES_PER_IMAGE = 80 * 1024;

// ---- memory sampling ----------------------------------------------------------------------------------

type ProcKind = 'renderer' | 'gpu' | 'utility' | 'browser' | 'other';

function kindOf(pid: number): ProcKind {
  let cmd: string;
  try {
    cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return 'other';
  }
  const m = /--type=([a-z-]+)/.exec(cmd);
  if (!m) return /chrom/.test(cmd) ? 'browser' : 'other';
  if (m[1] === 'renderer') return 'renderer';
  if (m[1] === 'gpu-process') return 'gpu';
  if (m[1] === 'utility') return 'utility';
  return 'other'; // zygote, crashpad
}

function kib(path: string, field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(path, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

interface Sample {
  t: number;
  phase: string;
  rss: Record<ProcKind, number>;
  pss: Record<ProcKind, number>;
  /** CPU seconds used so far by the live processes of each kind. */
  cpu: Record<ProcKind, number>;
  /** RSS of the largest renderer process. */
  rendererMax: number;
  renderers: number;
  heapUsed: number | null;
  heapTotal: number | null;
}
interface Peak { bytes: number; t: number; phase: string }

class MemorySampler {
  private timer: NodeJS.Timeout | null = null;
  private pendingHeap = false;
  private heap: { used: number; total: number } | null = null;
  phase = 'setup';
  readonly samples: Sample[] = [];
  readonly peaks: Record<string, Peak> = {};
  private kinds = new Map<number, ProcKind>();

  constructor(private readonly t0: number, private cdp: CDPSession | null) {}

  setCdp(cdp: CDPSession | null): void {
    this.cdp = cdp;
  }

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), 1000);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private peak(name: string, bytes: number, t: number): void {
    const p = this.peaks[name];
    if (!p || bytes > p.bytes) this.peaks[name] = { bytes, t, phase: this.phase };
  }

  sample(): void {
    const t = (performance.now() - this.t0) / 1000;
    const zero = (): Record<ProcKind, number> => ({ renderer: 0, gpu: 0, utility: 0, browser: 0, other: 0 });
    const rss = zero();
    const pss = zero();
    const cpu = zero();
    let renderers = 0;
    let rendererMax = 0;
    for (const p of descendants()) {
      let k = this.kinds.get(p.pid);
      if (!k) this.kinds.set(p.pid, (k = kindOf(p.pid)));
      const r = kib(`/proc/${p.pid}/status`, 'VmRSS') * 1024;
      if (k === 'renderer') {
        renderers++;
        rendererMax = Math.max(rendererMax, r);
      }
      rss[k] += r;
      pss[k] += kib(`/proc/${p.pid}/smaps_rollup`, 'Pss') * 1024;
      cpu[k] += p.cpuTicks / 100;
    }
    this.peak('rss.renderer1', rendererMax, t);
    for (const k of Object.keys(rss) as ProcKind[]) {
      this.peak(`rss.${k}`, rss[k], t);
      this.peak(`pss.${k}`, pss[k], t);
    }
    this.peak('rss.all', Object.values(rss).reduce((a, b) => a + b, 0), t);
    this.peak('pss.all', Object.values(pss).reduce((a, b) => a + b, 0), t);
    const h = this.heap;
    if (h) {
      this.peak('heap.used', h.used, t);
      this.peak('heap.total', h.total, t);
    }
    this.samples.push({ t, phase: this.phase, rss, pss, cpu, rendererMax, renderers, heapUsed: h?.used ?? null, heapTotal: h?.total ?? null });
    // The page's JS heap: asked without waiting (a busy main thread answers late; the next sample uses it).
    if (this.cdp && !this.pendingHeap) {
      this.pendingHeap = true;
      const cdp = this.cdp;
      cdp
        .send('Performance.getMetrics')
        .then((r) => {
          const get = (name: string) => r.metrics.find((m) => m.name === name)?.value ?? 0;
          this.heap = { used: get('JSHeapUsedSize'), total: get('JSHeapTotalSize') };
        })
        .catch(() => {})
        .finally(() => (this.pendingHeap = false));
    }
  }
}

// ---- allocator dumps (--dumps) ------------------------------------------------------------------------

/** One renderer's memory by allocator (MiB), from a chromium memory-infra dump. */
export interface AllocatorDump {
  phase: string;
  t: number;
  /** RSS of the dumped (largest) renderer process. */
  rss: number;
  /** Bytes per allocator (see ALLOCATORS); `objects` where chromium counts them. */
  bytes: Record<string, number>;
  objects: Record<string, number>;
}

/**
 * The allocators a dump is summarised by: the page's and the workers' V8 heaps, Blink's garbage-collected heap,
 * PartitionAlloc's partitions (array_buffer: typed arrays' and wasm-free ArrayBuffers' bytes; buffer: strings and
 * Blink buffers), malloc, and the File objects Blink holds (one per picked file).
 */
const ALLOCATOR_LABELS: Record<string, string> = {
  'v8/main/heap': 'V8 page',
  'v8/workers/heap': 'V8 workers',
  blink_gc: 'Blink GC',
  'partition_alloc/allocated_objects/partitions/array_buffer': 'PA array_buffer',
  'partition_alloc/allocated_objects/partitions/buffer': 'PA buffer',
  'malloc/allocated_objects': 'malloc',
  'blink_objects/ArrayBufferContents': 'ArrayBufferContents',
  'blink_objects/blink_gc/main/File': 'File',
  canvas: 'canvas',
};
const ALLOCATORS = Object.keys(ALLOCATOR_LABELS);

/** Reads a memory-infra dump of every chromium process through `cdp` and summarises the renderer `pid`. */
export async function allocatorDump(cdp: CDPSession, pid: number): Promise<{ bytes: Record<string, number>; objects: Record<string, number> } | null> {
  const events: { ph?: string; pid?: number; args?: { dumps?: { allocators?: Record<string, { attrs?: Record<string, { value: string }> }> } } }[] = [];
  const onData = (e: { value: unknown[] }) => events.push(...(e.value as typeof events));
  cdp.on('Tracing.dataCollected', onData);
  const complete = new Promise<void>((r) => cdp.once('Tracing.tracingComplete', () => r()));
  try {
    await cdp.send('Tracing.start', {
      transferMode: 'ReportEvents',
      traceConfig: { includedCategories: ['disabled-by-default-memory-infra'], excludedCategories: ['*'], memoryDumpConfig: { triggers: [] } },
    } as never);
    await cdp.send('Tracing.requestMemoryDump' as never, { deterministic: true, levelOfDetail: 'detailed' } as never);
    await cdp.send('Tracing.end');
    await complete;
  } finally {
    cdp.off('Tracing.dataCollected', onData);
  }
  const bytes: Record<string, number> = {};
  const objects: Record<string, number> = {};
  for (const e of events) {
    const allocators = e.ph === 'v' && e.pid === pid ? e.args?.dumps?.allocators : undefined;
    if (!allocators) continue;
    for (const [name, a] of Object.entries(allocators)) {
      // File objects are named 'File (0x1ba)' (a type id): match by prefix
      const key = ALLOCATORS.find((k) => name === k || (k.endsWith('/File') && name.startsWith(`${k} (`)));
      if (!key) continue;
      const size = a.attrs?.size ? parseInt(a.attrs.size.value, 16) : 0;
      const count = a.attrs?.object_count ? parseInt(a.attrs.object_count.value, 16) : null;
      bytes[key] = (bytes[key] ?? 0) + size;
      if (count !== null) objects[key] = (objects[key] ?? 0) + count;
    }
  }
  return Object.keys(bytes).length ? { bytes, objects } : null;
}

/** The pid of the largest renderer process below this one (by RSS). */
function largestRenderer(): number | null {
  let best: { pid: number; rss: number } | null = null;
  for (const p of descendants()) {
    if (kindOf(p.pid) !== 'renderer') continue;
    const rss = kib(`/proc/${p.pid}/status`, 'VmRSS');
    if (!best || rss > best.rss) best = { pid: p.pid, rss };
  }
  return best?.pid ?? null;
}

// ---- the page ------------------------------------------------------------------------------------------

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

/** Counts the cache until two counts a second apart agree (nothing from the reloaded page is still landing). */
async function settledCacheRecords(page: Page): Promise<number> {
  let last = await cacheRecords(page);
  for (;;) {
    await page.waitForTimeout(1000);
    const now = await cacheRecords(page);
    if (now === last) return now;
    last = now;
  }
}

/**
 * Picks both folders (chromium lists each folder itself, as for a user's pick) and sets the run's settings;
 * returns the seconds per folder (until the app has taken the pick) and in all, until Evaluate is enabled.
 */
async function pickFolders(
  page: Page,
  root: string,
  side: number,
  how: 'input' | 'handles' | 'reopen',
  dense: number,
  mobilenet = false,
): Promise<{ real: number; synthetic: number; all: number }> {
  const t = performance.now();
  if (how === 'reopen') {
    // After the reload: the start page's card reopens both folders (their handles kept in IndexedDB).
    await page.click('[data-testid=reopen-last]', { timeout: 0 });
    await page.locator('[data-testid="set-panel-real"]').waitFor({ timeout: 0 });
  } else if (how === 'handles') await pickByHandle(page, 'real');
  else await page.setInputFiles('[data-testid=drop-real-input]', join(root, 'real'), { timeout: 0 });
  await page.locator('[data-testid=drop-synthetic-input]').waitFor({ state: 'attached', timeout: 0 });
  const real = (performance.now() - t) / 1000;
  if (how === 'reopen') await page.locator('[data-testid="set-panel-synthetic"]').waitFor({ timeout: 0 });
  else if (how === 'handles') await pickByHandle(page, 'synthetic');
  else await page.setInputFiles('[data-testid=drop-synthetic-input]', join(root, 'synthetic'), { timeout: 0 });
  await page.locator('[data-testid=start-run]:enabled').waitFor({ timeout: 0 });
  const synthetic = (performance.now() - t) / 1000 - real;
  if (how === 'reopen' && (dense || mobilenet)) {
    // The card restored the settings, the custom model with them (kept across the reload since session 11).
    const want = dense ? 'custom' : 'mobilenet-v2';
    const got = await page.locator('[data-testid=setting-extractor]').inputValue();
    if (got !== want) throw new Error(`the Reopen card did not restore the extractor: ${got}, want ${want}`);
  } else if (mobilenet) {
    await page.selectOption('[data-testid=setting-extractor]', 'mobilenet-v2');
  } else if (dense) {
    await page.locator('[data-testid=settings] details').evaluate((d) => ((d as HTMLDetailsElement).open = true));
    await page.setInputFiles('[data-testid=custom-model-input]', join(root, 'model'));
    await page.getByLabel('Input size (px)').fill(String(side));
    await page.getByLabel('Channels').selectOption('1');
    await page.getByLabel('Input normalisation').selectOption('zero-one');
    await page.locator('[data-testid=setting-extractor]').evaluate((el) => (el as HTMLSelectElement).value === 'custom' || Promise.reject(new Error('the custom model was not taken')));
  } else {
    await page.selectOption('[data-testid=setting-extractor]', 'pixels');
    await page.selectOption('[data-testid=setting-pixels-size]', String(side));
  }
  await page.selectOption('[data-testid=setting-utility]', 'off');
  return { real, synthetic, all: (performance.now() - t) / 1000 };
}

/**
 * --pick handles: the folders as the app holds them when they are chosen with the browser's folder picker (File
 * System Access API; src/app/fileSource.ts DirectoryFiles): one directory handle per set, each file opened when it
 * is read. Playwright cannot drive that picker, so the generated folders are copied into the origin's private file
 * system (OPFS, in the profile on disk) and `showDirectoryPicker` is replaced by one that returns those folders'
 * handles (PICKER_STUB, installed before the page loads). The app's code from the handle on is its own.
 */
const PICKER_STUB = `
  window.showDirectoryPicker = async () => {
    const name = window.__synthlensPick;
    const top = await navigator.storage.getDirectory();
    return top.getDirectoryHandle(name);
  };
`;

/**
 * --dense: a TF.js layers model (side x side x 1 -> flatten -> dense(dim), no bias, weights N(0, 1 / side²) from a
 * seeded initialiser) saved as model.json + weights.bin in `dir`, as a user's converted model folder.
 */
async function writeDenseModel(dir: string, side: number, dim: number, seed: number): Promise<void> {
  const tf = await import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  const model = tf.sequential({
    layers: [
      tf.layers.flatten({ inputShape: [side, side, 1], name: 'flat' }),
      tf.layers.dense({ units: dim, useBias: false, name: 'project', kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 1 / side, seed }) }),
    ],
  });
  try {
    await writeLayersModel(dir, model, 'bench/scaleBrowser.ts --dense');
  } finally {
    model.dispose();
  }
}

/** Copies every file under root/real and root/synthetic into the page origin's private file system; seconds taken. */
async function copyToOpfs(page: Page, root: string, onProgress?: (done: number) => void): Promise<number> {
  const t = performance.now();
  const files: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      if (statSync(join(root, r)).isDirectory()) walk(r);
      else files.push(r);
    }
  };
  walk('real');
  walk('synthetic');
  for (let i = 0; i < files.length; i += 2000) {
    const batch = files.slice(i, i + 2000).map((path) => ({ path, b64: readFileSync(join(root, path)).toString('base64') }));
    // (No named functions inside: tsx would wrap them in a helper the page does not have.)
    await page.evaluate(async (batch) => {
      const top = await navigator.storage.getDirectory();
      const dirs = new Map<string, FileSystemDirectoryHandle>();
      for (const f of batch) {
        const rel = f.path.slice(0, f.path.lastIndexOf('/'));
        if (dirs.has(rel)) continue;
        let d = top;
        for (const part of rel.split('/')) d = await d.getDirectoryHandle(part, { create: true });
        dirs.set(rel, d);
      }
      for (let j = 0; j < batch.length; j += 64) {
        await Promise.all(
          batch.slice(j, j + 64).map(async (f) => {
            const cut = f.path.lastIndexOf('/');
            const w = await (await dirs.get(f.path.slice(0, cut))!.getFileHandle(f.path.slice(cut + 1), { create: true })).createWritable();
            await w.write(Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0)));
            await w.close();
          }),
        );
      }
    }, batch);
    onProgress?.(Math.min(files.length, i + 2000));
  }
  return (performance.now() - t) / 1000;
}

/** Picks one set's folder through the (stubbed) folder picker and waits until the app has listed it. */
async function pickByHandle(page: Page, zone: 'real' | 'synthetic'): Promise<void> {
  await page.evaluate((f) => ((window as unknown as { __synthlensPick: string }).__synthlensPick = f), zone);
  await page.click(`[data-testid=drop-${zone}-choose]`, { timeout: 0 });
  await page.locator(`[data-testid="set-panel-${zone}"]`).waitFor({ timeout: 0 });
}

/** "done/total" of every set's progress row, the phase heading, the resume note and any run error. */
async function readProgress(page: Page): Promise<{ sets: Record<string, { done: number; total: number }>; heading: string; note: string | null; error: string | null; metrics: boolean; results: boolean }> {
  return page.evaluate(() => {
    const sets: Record<string, { done: number; total: number }> = {};
    for (const li of document.querySelectorAll('[data-testid^="progress-"]')) {
      const name = li.getAttribute('data-testid')!.slice('progress-'.length);
      const m = /([\d,]+)\/([\d,]+)/.exec(li.querySelector('.nums')?.textContent ?? '');
      if (m) sets[name] = { done: Number(m[1].replace(/,/g, '')), total: Number(m[2].replace(/,/g, '')) };
    }
    // (no local functions here: tsx's keepNames would wrap them in a helper the page does not have)
    const [heading, note, error] = ['#run-title', '[data-testid=resume-note]', '[data-testid=run-error]'].map(
      (sel) => document.querySelector(sel)?.textContent?.replace(/\s+/g, ' ').trim() ?? null,
    );
    return {
      sets,
      heading: heading ?? '',
      note,
      error,
      metrics: !!document.querySelector('[data-testid=progress-metrics]'),
      results: !!document.querySelector('[data-testid=results-view]'),
    };
  });
}

const doneOf = (p: { sets: Record<string, { done: number }> }) => (p.sets.real?.done ?? 0) + (p.sets.synthetic?.done ?? 0);

async function downloadJson(page: Page): Promise<unknown> {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 600_000 }), page.click('[data-testid=export-json]')]);
  const path = await download.path();
  return JSON.parse(readFileSync(path!, 'utf8'));
}

// ---- main ----------------------------------------------------------------------------------------------

const mib = (b: number) => `${fmt(b / 1024 ** 2, 0)} MiB`;
const secs = (s: number) => (s >= 120 ? `${fmt(s, 0)} s (${fmt(s / 60, 1)} min)` : `${fmt(s, 1)} s`);
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      n: { type: 'string', default: '100000' },
      side: { type: 'string', default: '8' },
      'reload-at': { type: 'string', default: '0.5' },
      'image-size': { type: 'string', default: '32' },
      out: { type: 'string', default: 'scratch/scale-browser' },
      tmp: { type: 'string' },
      seed: { type: 'string', default: '6' },
      classes: { type: 'string', default: '2' },
      keep: { type: 'boolean', default: false },
      rebuild: { type: 'boolean', default: false },
      'max-hours': { type: 'string', default: '12' },
      dumps: { type: 'boolean', default: false },
      pick: { type: 'string', default: 'input' },
      dense: { type: 'string', default: '0' },
      mobilenet: { type: 'boolean', default: false },
    },
  });
  const pickHow = values.pick as 'input' | 'handles';
  if (pickHow !== 'input' && pickHow !== 'handles') throw new Error('--pick must be input or handles');
  const n = Number(values.n);
  const side = Number(values.side);
  const reloadAt = Number(values['reload-at']);
  const size = Number(values['image-size']);
  const seed = Number(values.seed);
  const dense = Number(values.dense);
  if (!Number.isInteger(dense) || dense < 0 || dense > 8192) throw new Error('--dense must be an integer in [0, 8192] (0: the pixels extractor)');
  const mobilenet = !!values.mobilenet;
  if (mobilenet && dense) throw new Error('--mobilenet and --dense exclude each other');
  const dim = mobilenet ? 1280 : dense || side * side;
  const classes = Number(values.classes);
  if (!Number.isInteger(classes) || classes < 0 || classes > CLASS_NAMES.length) throw new Error(`--classes must be 0 to ${CLASS_NAMES.length}`);
  const deadline = Date.now() + Number(values['max-hours']) * 3600_000;
  if (!Number.isInteger(n) || n < 10) throw new Error(`--n must be an integer >= 10, got ${values.n}`);
  if (!(PIXELS_SIDES as readonly number[]).includes(side)) throw new Error(`--side must be one of ${PIXELS_SIDES.join(', ')}`);
  if (!(reloadAt > 0 && reloadAt < 1)) throw new Error('--reload-at must be in (0, 1)');
  if (!Number.isInteger(size) || size < side || size > 1024) throw new Error(`--image-size must be an integer in [side, 1024]`);
  const why = chromiumUnavailable();
  if (why) {
    console.error(`scale-browser: ${why}`);
    return 1;
  }
  const repo = resolve(import.meta.dirname, '..');
  const out = resolve(values.out!);
  mkdirSync(out, { recursive: true });
  const total = 2 * n;
  const log = (s: string) => console.log(s);
  log(`scale-browser: ${n.toLocaleString('en')} real x ${n.toLocaleString('en')} synthetic images, ${size} x ${size} PNG, in ${CHROMIUM} (headless)`);
  log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${load()}`);
  log(`folders: real/ and synthetic/, ${classes ? `${classes} class subfolders each (${CLASS_NAMES.slice(0, classes).join(', ')}; per-class metrics run too)` : 'no class subfolders'}`);
  log(
    mobilenet
      ? `extractor: MobileNetV2 (the shipped nsfwjs weights; d = 1,280; each ${size} x ${size} image resized to 224 x 224). Utility off. Reload at ${reloadAt * 100}% of the images.`
      : dense
      ? `extractor: a custom layers model, the ${side} x ${side} pixels projected to d = ${dense}: ${DENSE_WHY}. Utility off. Reload at ${reloadAt * 100}% of the images.`
      : `extractor: pixels ${side} x ${side} (d = ${side * side}); ${SIDE_WHY}. Utility off. Reload at ${reloadAt * 100}% of the images.`,
  );
  log(
    pickHow === 'handles'
      ? 'pick: the folder picker (directory handles; the folders copied into the origin private file system first, the picker stubbed to return them)'
      : 'pick: the folder inputs (setInputFiles; the page holds a File per image)',
  );

  const free = (dir: string) => {
    const f = statfsSync(dir);
    return f.bavail * f.bsize;
  };
  const needCache = total * CACHE_BYTES_PER_IMAGE;
  log(`disk: the feature cache will take about ${mib(needCache)} in chromium's profile, a temporary folder in ${tmpdir()} (${mib(free(tmpdir()))} free)`);
  if (free(tmpdir()) < needCache * 1.2) log(`WARNING: less than 1.2 x that is free in ${tmpdir()}; the cache may hit its quota (it then stops writing and the resume checks fail)`);

  const phases: [string, number, string][] = [];
  const t0 = performance.now();
  const root = mkdtempSync(join(values.tmp ?? tmpdir(), 'synthlens-scale-browser-'));
  let server: PreviewServer | undefined;
  let context: BrowserContext | undefined;
  // A profile on disk, as a user's browser has (a plain Playwright context is off the record: IndexedDB in memory).
  const profile = mkdtempSync(join(tmpdir(), 'synthlens-scale-browser-profile-'));
  let sampler: MemorySampler | undefined;
  let ok = true;
  const check = (cond: boolean, what: string) => {
    log(`${cond ? 'OK  ' : 'FAIL'} ${what}`);
    if (!cond) ok = false;
  };
  try {
    // 1. generation
    let t = performance.now();
    const gen = generate(root, n, size, seed, classes);
    const genS = (performance.now() - t) / 1000;
    phases.push(['generation', genS, `${fmt(total / genS, 0)} files/s, ${mib(gen.bytes)} in ${root}`]);
    log(`generated ${total.toLocaleString('en')} PNGs in ${secs(genS)} (${mib(gen.bytes)}; load ${load()})`);
    check(gen.distinct === total, `every file unique (${gen.distinct.toLocaleString('en')} distinct SHA-256 of ${total.toLocaleString('en')})`);
    if (dense) await writeDenseModel(join(root, 'model'), side, dense, seed);

    // 2. build and serve
    const stale = values.rebuild ? '--rebuild' : staleBuild(repo);
    if (stale) {
      log(`building the app (${stale})...`);
      t = performance.now();
      await buildApp(repo);
      phases.push(['build', (performance.now() - t) / 1000, stale]);
    }
    const { preview } = await import('vite');
    server = await preview({ root: repo, build: { outDir: join(repo, BUILD_DIR) }, preview: { port: 0, host: '127.0.0.1', strictPort: false }, logLevel: 'warn' });
    const base = server.resolvedUrls?.local[0];
    if (!base) throw new Error('vite preview did not report a URL');
    const { chromium } = await import('playwright-core');
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
      acceptDownloads: true,
    });
    if (pickHow === 'handles') {
      // In a page (and renderer process) of its own, closed before the app's page opens: the copy's memory is not
      // the tab's. Spare renderers come and go, so the wait below may run its full 30 s.
      const renderers = () => new Set(descendants().map((p) => p.pid).filter((pid) => kindOf(pid) === 'renderer'));
      const before = renderers();
      const copier = await context.newPage();
      // a plain file of the app's origin (the same private file system), not the app: the copier's renderer then
      // holds neither the app nor its service worker, and exits when closed
      await copier.goto(new URL('manifest.webmanifest', base).href);
      const s = await copyToOpfs(copier, root, (done) => done % 20_000 === 0 && log(`  ${done.toLocaleString('en')} / ${total.toLocaleString('en')} copied into OPFS`));
      await copier.close();
      // until its renderer process has gone (up to 30 s), so that the samples do not count it
      for (let i = 0; i < 60 && [...renderers()].some((pid) => !before.has(pid)); i++) await new Promise((r) => setTimeout(r, 500));
      phases.push(['copy into OPFS', s, `${fmt(total / s, 0)} files/s (the stand-in for the user's folders on disk; not the app's time)`]);
      log(`copied ${total.toLocaleString('en')} files into the origin private file system in ${secs(s)}`);
      await context.addInitScript({ content: PICKER_STUB });
    }
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()}`);
    });
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    sampler = new MemorySampler(t0, cdp);
    sampler.start();
    // --dumps: the largest renderer's memory by allocator at the end of each phase (after the picks, just before
    // the reload, at the start of the metrics, on the results page).
    const dumps: AllocatorDump[] = [];
    const dump = async (phase: string) => {
      if (!values.dumps) return;
      const pid = largestRenderer();
      const d = pid === null ? null : await allocatorDump(cdp, pid).catch((e) => (log(`memory dump failed: ${(e as Error).message}`), null));
      if (pid === null || !d) return;
      dumps.push({ phase, t: (performance.now() - t0) / 1000, rss: kib(`/proc/${pid}/status`, 'VmRSS') * 1024, ...d });
    };
    await page.goto(base);
    check((await cacheRecords(page)) === 0, 'feature cache empty at the start (fresh profile)');

    // 3. first run, reloaded part-way
    sampler.phase = 'pick 1';
    const pick1 = await pickFolders(page, root, side, pickHow, dense, mobilenet);
    await dump('after pick 1');
    phases.push(['pick folders (1st)', pick1.all, `${pickHow === 'handles' ? 'folder picker (handles)' : 'setInputFiles on the folder inputs'}: real ${fmt(pick1.real)} s, synthetic ${fmt(pick1.synthetic)} s, then the settings`]);
    log(`folders picked in ${secs(pick1.all)}`);
    sampler.phase = 'extract 1';
    t = performance.now();
    await page.click('[data-testid=start-run]');
    const reloadAfter = Math.ceil(reloadAt * total);
    let before = await readProgress(page);
    let lastLog = performance.now();
    while (doneOf(before) < reloadAfter) {
      if (before.error) throw new Error(`run error: ${before.error}`);
      if (before.results) throw new Error('the run ended before the reload point');
      if (Date.now() > deadline) throw new Error('--max-hours passed');
      await page.waitForTimeout(1000);
      before = await readProgress(page);
      if (performance.now() - lastLog > 30_000) {
        lastLog = performance.now();
        log(`  ${doneOf(before).toLocaleString('en')} / ${total.toLocaleString('en')} done (${fmt((performance.now() - t) / 1000, 0)} s, load ${load()})`);
      }
    }
    await dump('before reload');
    await page.screenshot({ path: join(out, 'progress-before-reload.png') });
    const extract1 = (performance.now() - t) / 1000;
    const done1 = doneOf(before);
    phases.push(['extraction before reload', extract1, `${done1.toLocaleString('en')} images, ${fmt(done1 / extract1, 0)} images/s`]);
    log(`reloading at ${done1.toLocaleString('en')} / ${total.toLocaleString('en')} done (${secs(extract1)})`);
    sampler.phase = 'reload';
    await page.reload();
    const embedded = await settledCacheRecords(page);
    log(`cache after the reload: ${embedded.toLocaleString('en')} records`);
    check(embedded >= done1 && embedded < total, `cache records after reload (${embedded}) >= done before it (${done1}) and < ${total}`);

    // 4. second run to the end
    await page.evaluate(() => {
      const w = window as unknown as { __resume: { last: string | null; texts: number; monotonic: boolean; prev: number } };
      w.__resume = { last: null, texts: 0, monotonic: true, prev: 0 };
      new MutationObserver(() => {
        const tx = document.querySelector('[data-testid=resume-note]')?.textContent?.replace(/\s+/g, ' ').trim();
        if (!tx || tx === w.__resume.last) return;
        const c = Number(/^Resuming: ([\d,]+) of/.exec(tx)?.[1].replace(/,/g, ''));
        if (!(c >= w.__resume.prev)) w.__resume.monotonic = false;
        w.__resume.prev = c;
        w.__resume.last = tx;
        w.__resume.texts++;
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    sampler.phase = 'pick 2';
    const pick2 = await pickFolders(page, root, side, pickHow === 'handles' ? 'reopen' : pickHow, dense, mobilenet);
    phases.push(['pick folders (2nd)', pick2.all, `${pickHow === 'handles' ? 'the "Reopen these folders" card: ' : ''}real ${fmt(pick2.real)} s, synthetic ${fmt(pick2.synthetic)} s`]);
    sampler.phase = 'extract 2';
    t = performance.now();
    await page.click('[data-testid=start-run]');
    const midway = embedded + Math.ceil((total - embedded) / 2);
    let shotProgress = false;
    let tMetrics: number | null = null;
    let p = await readProgress(page);
    lastLog = performance.now();
    while (!p.results) {
      if (p.error) throw new Error(`run error: ${p.error}`);
      if (Date.now() > deadline) throw new Error('--max-hours passed');
      if (!shotProgress && p.note && doneOf(p) >= midway) {
        await page.screenshot({ path: join(out, 'progress-resumed.png') });
        shotProgress = true;
      }
      if (tMetrics === null && p.metrics) {
        tMetrics = performance.now();
        sampler.phase = 'metrics';
        await dump('metrics start');
        if (!shotProgress) {
          await page.screenshot({ path: join(out, 'progress-resumed.png') });
          shotProgress = true;
        }
      }
      if (performance.now() - lastLog > 30_000) {
        lastLog = performance.now();
        log(`  ${tMetrics === null ? `${doneOf(p).toLocaleString('en')} / ${total.toLocaleString('en')} done` : p.heading} (${fmt((performance.now() - t) / 1000, 0)} s, load ${load()})`);
      }
      await page.waitForTimeout(1000);
      p = await readProgress(page);
    }
    const tEnd = performance.now();
    sampler.phase = 'results';
    await page.waitForTimeout(2000);
    await dump('results');
    tMetrics ??= tEnd;
    const extract2 = (tMetrics - t) / 1000;
    phases.push(['extraction after reload', extract2, `${(total - embedded).toLocaleString('en')} embedded + ${embedded.toLocaleString('en')} from the cache, ${fmt((total - embedded) / extract2, 0)} images/s embedded`]);
    phases.push(['metrics', (tEnd - tMetrics) / 1000, `${n.toLocaleString('en')} x ${n.toLocaleString('en')}, d = ${dim} (from the metrics row to the results page)`]);

    await page.screenshot({ path: join(out, 'results.png') });
    await page.screenshot({ path: join(out, 'results-full.png'), fullPage: true });
    const resume = await page.evaluate(() => (window as unknown as { __resume: { last: string | null; texts: number; monotonic: boolean } }).__resume);
    const wantNote = `Resuming: ${embedded.toLocaleString('en')} of ${total.toLocaleString('en')} images were already embedded (cache).`;
    check(resume.last === wantNote, `resume note "${resume.last}" (${resume.texts} texts, counting up: ${resume.monotonic}) equals "${wantNote}"`);
    check(resume.monotonic, 'resume note only counted up');
    const report = (await downloadJson(page)) as {
      config: { cache: { hits: number; misses: number } | null; extractor?: { id: string; dim: number } };
      real: { count: number };
      sets: { name: string; count: number; [k: string]: unknown }[];
      timings?: Record<string, number>;
      warnings?: string[];
    };
    // The run after the reload spilled its rows (the store opened; timings.spillOpen says how long it took).
    const notSpilled = (report.warnings ?? []).filter((w) => /^Feature rows (were held|stayed) in/.test(w));
    check(notSpilled.length === 0, `second run spilled its rows (store opened in ${fmt((report.timings?.spillOpen ?? NaN) / 1000)} s)${notSpilled.length ? `: ${notSpilled.join(' | ')}` : ''}`);
    check(report.config.cache?.hits === embedded && report.config.cache?.misses === total - embedded,
      `report config.cache ${JSON.stringify(report.config.cache)} = { hits: ${embedded}, misses: ${total - embedded} }`);
    check(
      mobilenet
        ? report.config.extractor?.id === 'mobilenet-v2' && report.config.extractor?.dim === 1280
        : dense
        ? report.config.extractor?.id === 'custom' && report.config.extractor?.dim === dense
        : report.config.extractor?.id === `pixels-${side}` || (side === 64 && report.config.extractor?.id === 'pixels'),
      `report extractor ${report.config.extractor?.id} (d = ${report.config.extractor?.dim})`,
    );
    check(report.real.count === n && report.sets.length === 1 && report.sets[0].count === n,
      `report: real ${report.real.count}, synthetic ${report.sets.map((s) => s.count).join(', ')} (want ${n} and ${n})`);
    const set = report.sets[0] as Record<string, unknown>;
    const metrics = Object.entries(set).filter(([, v]) => typeof v === 'number' || (v && typeof v === 'object' && !Array.isArray(v)));
    log(`report: synthetic set "${report.sets[0].name}" fields: ${metrics.map(([k]) => k).join(', ')}`);
    log(`report timings (s): ${Object.entries(report.timings ?? {}).map(([k, v]) => `${k} ${fmt(v / 1000)}`).join(', ')}`);
    log(`engine: ${JSON.stringify((report.sets[0] as { engine?: unknown }).engine ?? null)}`);
    writeFileSync(join(out, 'report.json'), JSON.stringify(report, null, 1));
    const profileBytes = diskBytes(profile);
    const estimate = await page.evaluate(() => navigator.storage.estimate());
    log(`chromium profile on disk: ${mib(profileBytes)}, ${fmt(profileBytes / total / 1024)} KiB per image; storage.estimate(): usage ${mib(estimate.usage ?? 0)} of quota ${mib(estimate.quota ?? 0)}`);
    const finalRecords = await cacheRecords(page);
    check(finalRecords === total, `cache holds ${finalRecords} records at the end (want ${total})`);
    check(errors.length === 0, `no page errors${errors.length ? `: ${errors.slice(0, 5).join(' | ')}` : ''}`);
    sampler.sample();
    sampler.stop();

    // figures
    log('');
    log(`Phases (wall; load average now ${load()}):`);
    for (const l of table(['phase', 'wall', 'notes'], phases.map(([a, s, c]) => [a, secs(s), c]), 1)) log(`  ${l}`);
    // CPU seconds per phase and process kind (from the first to the last sample of each phase).
    const phaseCpu: string[][] = [];
    for (const ph of [...new Set(sampler.samples.map((x) => x.phase))]) {
      const xs = sampler.samples.filter((x) => x.phase === ph);
      const i0 = sampler.samples.indexOf(xs[0]);
      const a = sampler.samples[Math.max(0, i0 - 1)];
      const b = xs[xs.length - 1];
      const wall = b.t - a.t;
      const d = (k: ProcKind) => Math.max(0, b.cpu[k] - a.cpu[k]);
      phaseCpu.push([ph, fmt(wall, 0), ...(['renderer', 'gpu', 'utility', 'browser'] as ProcKind[]).map((k) => fmt(d(k), 0)),
        wall > 0 ? fmt((d('renderer') + d('gpu') + d('utility') + d('browser')) / wall, 2) : '-']);
    }
    log('');
    log('CPU seconds per phase (chromium processes, from /proc; cores busy = CPU s / wall s, of 2 shared):');
    for (const l of table(['phase', 'wall s', 'renderer', 'GPU', 'utility', 'browser', 'cores busy'], phaseCpu, 1)) log(`  ${l}`);
    const pk = sampler.peaks;
    const row = (name: string, key: string) => {
      const r = pk[`rss.${key}`];
      const q = pk[`pss.${key}`];
      return [name, r ? mib(r.bytes) : '-', r ? `${fmt(r.t, 0)} s (${r.phase})` : '-', q ? mib(q.bytes) : '-', q ? `${fmt(q.t, 0)} s (${q.phase})` : '-'];
    };
    log('');
    log(`Peak memory (sampled every second, ${sampler.samples.length} samples; up to ${Math.max(...sampler.samples.map((s) => s.renderers))} renderer processes):`);
    for (const l of table(['processes', 'peak RSS', 'at', 'peak PSS', 'at'], [
      row('renderers, all (page + its workers)', 'renderer'),
      row('largest renderer', 'renderer1'),
      row('GPU process', 'gpu'),
      row('utility processes', 'utility'),
      row('browser process', 'browser'),
      row('all chromium', 'all'),
    ], 1)) log(`  ${l}`);
    // The largest renderer (the page and its workers) by phase: its peak and its RSS at the phase's end.
    const byPhase: string[][] = [];
    for (const ph of [...new Set(sampler.samples.map((x) => x.phase))]) {
      const xs = sampler.samples.filter((x) => x.phase === ph);
      byPhase.push([ph, mib(Math.max(...xs.map((x) => x.rendererMax))), mib(xs[xs.length - 1].rendererMax), mib(Math.max(...xs.map((x) => x.rss.renderer)))]);
    }
    log('');
    log('Largest renderer by phase (RSS):');
    for (const l of table(['phase', 'peak', 'at the end', 'all renderers, peak'], byPhase, 1)) log(`  ${l}`);
    if (dumps.length) {
      log('');
      log('Largest renderer by allocator (--dumps; MiB, objects where counted):');
      const cols = ALLOCATORS.filter((k) => dumps.some((d) => k in d.bytes));
      for (const l of table(['phase', 'RSS', ...cols.map((k) => ALLOCATOR_LABELS[k])], dumps.map((d) => [
        d.phase, fmt(d.rss / 2 ** 20, 0),
        ...cols.map((k) => `${fmt((d.bytes[k] ?? 0) / 2 ** 20, 1)}${k in d.objects ? ` (${d.objects[k]})` : ''}`),
      ]), 1)) log(`  ${l}`);
      log(`  allocators: ${cols.map((k) => `${ALLOCATOR_LABELS[k]} = ${k}`).join(', ')}`);
    }
    const hu = pk['heap.used'];
    const ht = pk['heap.total'];
    log(`  page main-thread JS heap (CDP Performance.getMetrics): used ${hu ? mib(hu.bytes) : '-'} (${hu?.phase ?? '-'}), allocated ${ht ? mib(ht.bytes) : '-'}`);
    // The page's renderer cannot be told apart from chromium's spare renderers in /proc: all of them are counted.
    const peakTab = pk['rss.renderer']?.bytes ?? 0;
    const pass = peakTab <= BUDGET_BYTES;
    log(`  tab peak (RSS of every renderer process: the page, its workers, chromium's spare renderers) ${mib(peakTab)} vs budget ${mib(BUDGET_BYTES)}: ${pass ? 'PASS' : 'FAIL'}`);
    if (!pass) ok = false;
    writeFileSync(join(out, 'memory.json'), JSON.stringify({ peaks: pk, samples: sampler.samples, dumps }, null, 0));
    log(`screenshots, report.json and memory.json in ${out}`);
    return ok ? 0 : 1;
  } finally {
    sampler?.stop();
    await context?.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
    await server?.close().catch(() => {});
    if (values.keep) log(`kept the images in ${root}`);
    else rmSync(root, { recursive: true, force: true });
  }
}

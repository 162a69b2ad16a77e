/**
 * Fixtures and mounting for the virtualised lists at scale (dev harness dev/virtual.html and the
 * e2e harness tests/e2e/harness/virtual.html; not part of the app build):
 * - a set panel (start screen) with `n` image files and `n` skipped files with realistic reasons;
 * - the skipped-file list of a finished run (`n` files, opened);
 * - the privacy audit of one synthetic set of `n` images against `n` real ones, with random
 *   copy / real / non-real assignments and procedural 64 x 64 thumbnails made on demand (none kept).
 * The Report is written by hand (the audit reads its set names, classes, privacy, k and distance);
 * privacy is the share of non-copies of the random assignment, as METRICS.md defines it.
 */
import { mount } from 'svelte';
import type { RunResult, SetAssignments, SetSummary, Thumb } from '../src/app/types.ts';
import { encodePngGray8 } from '../src/core/png/encode.ts';
import { createRng } from '../src/core/random.ts';
import { DEFAULT_CONFIG, REPORT_VERSION, type Report, type SetMetrics } from '../src/core/report/schema.ts';
import type { Dataset, DatasetFile, SkippedFile } from '../src/imaging/dataset.ts';
import PrivacyAudit from '../src/ui/audit/PrivacyAudit.svelte';
import SkippedFiles from '../src/ui/common/SkippedFiles.svelte';
import SetPanel from '../src/ui/setup/SetPanel.svelte';
import type { ChosenSet } from '../src/ui/setup/setModel.ts';
import { BlobFiles } from '../src/app/fileSource.ts';

const REASONS: [SkippedFile['code'], string][] = [
  ['empty', 'empty file (0 bytes)'],
  ['too-large', 'too large to decode: 412.7 MB file'],
  ['corrupt', 'could not be read: PNG chunk IDAT has a bad CRC (the file is damaged or was cut short)'],
  ['unsupported', 'not supported: DICOM transfer syntax 1.2.840.10008.1.2.4.90 (JPEG 2000) cannot be decoded in the browser'],
  ['corrupt', 'could not be read: JPEG data ends early'],
];

/** `n` skipped files, sorted by path, with a mix of short and long paths and reasons. */
export function skippedFixture(n: number, root = 'real'): SkippedFile[] {
  const out: SkippedFile[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const [code, reason] = REASONS[i % REASONS.length];
    const cls = i % 3 === 0 ? 'effusion' : 'normal';
    const deep = i % 7 === 0 ? `/site_${(i % 13) + 1}/scanner_GE_Optima_XR646/series_${String(i % 97).padStart(3, '0')}` : '';
    out[i] = { path: `${root}/${cls}${deep}/patient_${String(i).padStart(6, '0')}.png`, code, reason };
  }
  return out;
}

/** A deterministic 64 x 64 gray "radiograph-like" pattern for image `key` (two lung fields and a number-dependent texture). */
export function procThumb(key: string): Thumb {
  let h = 2166136261;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  const S = 64;
  const data = new Uint8Array(S * S);
  const shift = ((h >>> 4) & 7) - 3;
  const tex = ((h >>> 8) & 15) + 4;
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const lx = (x - 20 - shift) / 11;
      const rx = (x - 44 - shift) / 11;
      const yy = (y - 32) / 20;
      const lung = lx * lx + yy * yy < 1 || rx * rx + yy * yy < 1;
      const base = lung ? 50 : 150 + (y >> 1);
      data[y * S + x] = Math.max(0, Math.min(255, base + (((x * tex + y * 3 + (h & 255)) & 31) - 16)));
    }
  }
  return { width: S, height: S, channels: 1, data };
}

function metrics(privacy: number): SetMetrics {
  const dcr = { min: 0.01, p5: 0.2, median: 0.7 };
  return {
    fidelity: 0.7, privacy, fidelityPrivacy: 0.7 * privacy, modeCollapseRuleApplied: false, featureStd: 0.3,
    precision: 0.8, recall: 0.6, density: 0.9, coverage: 0.7, fid: 12.34, kid: null, dcr, holdoutDcr: null,
    memorizationRate: null, vendi: null, holdoutPrivacy: null, holdoutFidelity: null, holdoutFidelityPrivacy: null, variety: null,
  };
}

/** A RunResult whose audit has `n` synthetic images (one set) against `n` real ones. */
export function auditFixture(n: number): RunResult {
  const rand = createRng(17);
  const realIds = Array.from({ length: n }, (_, i) => `real/${i % 2 ? 'effusion' : 'normal'}/img_${String(i).padStart(6, '0')}.png`);
  const realLabels = realIds.map((_, i) => (i % 2 ? 'effusion' : 'normal'));
  const set = new Uint8Array(n);
  const nearestReal = new Int32Array(n);
  const copyOf = new Int32Array(n);
  const distance = new Float64Array(n);
  const rho1 = new Float64Array(n);
  const rhoK = new Float64Array(n);
  let copies = 0;
  for (let i = 0; i < n; i++) {
    const u = rand();
    set[i] = u < 0.03 ? 0 : u < 0.7 ? 1 : 2;
    if (set[i] === 0) copies++;
    nearestReal[i] = Math.floor(rand() * n);
    copyOf[i] = set[i] === 0 ? (rand() < 0.2 ? Math.floor(rand() * n) : nearestReal[i]) : -1;
    distance[i] = 0.05 + rand() * 2;
    rho1[i] = 0.3 + rand() * 0.2;
    rhoK[i] = rho1[i] + 0.5;
  }
  const name = 'diffusion-v2';
  const ids = Array.from({ length: n }, (_, i) => `${name}/${i % 2 ? 'effusion' : 'normal'}/sample_${String(i).padStart(6, '0')}.png`);
  const labels = ids.map((_, i) => (i % 2 ? 'effusion' : 'normal'));
  const assignments: SetAssignments = { set, nearestReal, copyOf, distance, rho1, rhoK, ids, labels, realIds, realLabels };
  const classes = { effusion: Math.floor(n / 2), normal: n - Math.floor(n / 2) };
  const privacy = 1 - copies / n;
  const report: Report = {
    version: REPORT_VERSION,
    config: { ...DEFAULT_CONFIG, featureKind: 'continuous', distance: 'euclidean', dim: 1280, backend: 'cpu', extractor: { id: 'fixture' } },
    real: { count: n, classes, variety: null },
    holdout: null,
    sets: [{ name, count: n, classes, metrics: metrics(privacy), perClass: {}, warnings: [] }],
    skipped: [],
    timings: {},
    app: { name: 'synthlens', version: '0' },
    warnings: [],
    createdAt: new Date(0).toISOString(),
  };
  const summary = (nm: string, role: SetSummary['role']): SetSummary => ({ name: nm, role, count: n, classes, skipped: [], cached: 0, embedded: n, meanImage: null });
  return {
    report,
    sets: [summary('real', 'real'), summary(name, 'synthetic')],
    assignments: { [name]: assignments },
    dcr: { sets: { [name]: distance }, holdout: null },
    // Like an app run past its thumbnail budget: the real images' thumbnails were not kept and are drawn on
    // demand (a promise), the synthetic ones are in memory.
    thumb: (s, id) => (s === 'real' ? undefined : procThumb(`${s}\u0000${id}`)),
    loadThumb: (s, id) => new Promise((resolve) => setTimeout(() => resolve(procThumb(`${s}\u0000${id}`)), 5)),
    utility: null,
  };
}

/** A chosen set of `n` image files (the first 8 are real PNG blobs, for the previews) and `n` skipped files. */
export function chosenSetFixture(n: number): ChosenSet {
  const noRead = async () => new Uint8Array(0);
  const files: DatasetFile[] = new Array(n);
  const blobs = new Map<string, Blob>();
  for (let i = 0; i < n; i++) {
    const label = i % 3 === 0 ? 'effusion' : 'normal';
    const path = `${label}/img_${String(i).padStart(6, '0')}.png`;
    files[i] = { path, label, size: 4096, entry: { path, size: 4096, read: noRead } };
    if (i < 8) {
      const t = procThumb(path);
      blobs.set(path, new Blob([encodePngGray8(t.data, t.width, t.height) as Uint8Array<ArrayBuffer>], { type: 'image/png' }));
    }
  }
  const dataset: Dataset = { name: 'real', files, skipped: skippedFixture(n, 'scans'), classes: ['effusion', 'normal'], hasUnlabelled: false, ignored: 0 };
  return { key: 'fixture-real', name: 'real', dataset, files: new BlobFiles(blobs) };
}

/**
 * Mounts, into `target`: the set panel, the run's skipped files (opened) and the privacy audit, each
 * with `n` items. Returns the time each mount took (ms, to the next frame).
 */
export async function mountLists(target: HTMLElement, n: number): Promise<Record<string, number>> {
  const times: Record<string, number> = {};
  const frame = () => new Promise((r) => requestAnimationFrame(() => r(null)));
  const section = (title: string, testid: string) => {
    const s = document.createElement('section');
    s.dataset.testid = testid;
    const h = document.createElement('h2');
    h.textContent = title;
    s.append(h);
    target.append(s);
    return s;
  };

  let t = performance.now();
  const chosen = chosenSetFixture(n);
  const skipped = skippedFixture(n, 'synthetic');
  times.listFixtures = performance.now() - t;
  t = performance.now();
  mount(SetPanel, { target: section('Start screen: a real set', 'harness-setpanel'), props: { set: chosen, role: 'real (reference)' } });
  await frame();
  times.setPanel = performance.now() - t;

  t = performance.now();
  mount(SkippedFiles, { target: section('Results: files skipped in this run', 'harness-skipped'), props: { files: skipped, setName: 'this run', open: true, testid: 'run-skipped' } });
  await frame();
  times.skipped = performance.now() - t;

  t = performance.now();
  const result = auditFixture(n);
  times.auditFixture = performance.now() - t;
  t = performance.now();
  mount(PrivacyAudit, { target: section('Results: privacy audit', 'harness-audit'), props: { result } });
  await frame();
  times.audit = performance.now() - t;
  return times;
}

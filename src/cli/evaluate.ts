/**
 * `synthlens evaluate`: image folders in, the same report as `synthlens metrics` out.
 *
 * Each folder is listed (src/imaging/node.ts, src/imaging/dataset.ts: a class is a first-level
 * subfolder), run through the shared image pipeline (src/pipeline/extract.ts: hash, cache, decode,
 * preprocess, batch, embed; TF.js wasm backend in Node), collected (src/pipeline/collect.ts) and scored
 * by evaluate() (src/core/evaluate.ts); optionally the utility protocols run: `--utility probe`
 * (src/core/utility/runUtility.ts) on the same features plus features of one augmented copy of each real
 * training image (src/imaging/augment.ts via PipelineOptions.augment) for the simple-augmentation
 * reference; `--utility cnn` (src/core/utility/cnnUtility.ts) on the images themselves, S x S grayscale
 * from the same pipeline with the pixels extractor at size S (cached like features), augmented copies
 * likewise, a convolutional network trained on the TF.js backend in use. A file that
 * cannot be used is named on stderr with its reason, the run goes on, and the report lists it in `skipped`.
 * See docs/cli.md for the options and the report fields.
 */
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { FeatureSet } from '../core/features/featureSet.ts';
import { writeFeaturesNpy } from '../core/features/npy.ts';
import { writeIdsCsv } from '../core/features/csv.ts';
import type { EvaluateProgress } from '../core/evaluate.ts';
import { DEFAULT_CONFIG as DEFAULTS, type Report } from '../core/report/schema.ts';
import { reportToJson } from '../core/report/json.ts';
import { assignmentsToCsv, metricsToCsv } from '../core/report/csv.ts';
import { DEFAULT_PROBE_CONFIG } from '../core/utility/probe.ts';
import { cnnMemoryIssue, DEFAULT_CNN_CONFIG } from '../core/utility/cnnConfig.ts';
import type { EvalStats, GainResult, SeedStats, TestSource, UtilityProgress, UtilityReport } from '../core/utility/types.ts';
import { stratifiedSplit } from '../core/utility/split.ts';
import { buildDataset, compareCodePoints, type Dataset, type DatasetFile } from '../imaging/dataset.ts';
import { walkDirectory } from '../imaging/node.ts';
import { describeAugmentationRun } from '../imaging/augment.ts';
import type { CustomExtractorOptions, Extractor, ExtractorId, ModelSource, Normalise } from '../extractors/registry.ts';
import { extractorRecord } from '../extractors/specs.ts';
import { DEFAULT_PIPELINE_OPTIONS, describePreprocessing, pipelineCacheKey, type Aspect, type FileItem, type PipelineOptions, type Stage } from '../pipeline/extract.ts';
import { addResult, newCollection, toFeatureSet, varietyOf, type SetCollection } from '../pipeline/collect.ts';
import { CacheDirError, DiskFeatureCache, sha256Bytes } from './diskCache.ts';
import { decodePoolFromEnv, type DecodePool } from './decodePool.ts';
import { EXIT_OK, FileError, UsageError, choice, floatOption, fsProblem, intOption, oneLine } from './errors.ts';
import { parseCommandArgs } from './metrics.ts';
import { formatReport } from './table.ts';
import type { CliIO } from './io.ts';

/** Fraction of the real set held out for utility testing when there is neither --test nor --holdout. */
export const UTILITY_SPLIT_FRACTION = 0.2;
/** At most this many "skipped" lines on stderr; the report lists every skipped file. */
const MAX_SKIP_LINES = 50;
/** Without a terminal, a plain progress line at most this often (ms). */
const PLAIN_PROGRESS_MS = 10_000;

const EXTRACTORS = ['mobilenet-v2', 'inception-v3', 'pixels', 'custom'] as const;
const NORMALISE: Normalise[] = ['zero-one', 'minus-one-one', 'imagenet'];
/** Set names the CLI uses itself (feature files, messages). */
const RESERVED = ['real', 'holdout', 'test', 'cross-task'];

export const EVALUATE_USAGE = `Usage: synthlens evaluate --real DIR --synthetic DIR [--synthetic DIR ...] [options]

Run the image pipeline (decode, preprocess, embed) over image folders and
compute every metric of "synthlens metrics", plus the file-size variety of the
images and, optionally, the utility of each synthetic set for a classifier.
A class is a first-level subfolder; files directly in a folder have no class.

Inputs (folders of PNG, JPEG, WebP, BMP, TIFF or DICOM files):
  --real DIR            real reference images (the generator's training images)
  --synthetic DIR       a synthetic set; repeat for several sets
  --name NAME           name of the synthetic set at the same position (repeatable;
                        default: the folder name)
  --holdout DIR         held-out real images: privacy calibration, memorisation
                        test, and the utility test set when --test is not given

Feature extractor:
  --extractor ID        mobilenet-v2 (default), inception-v3, pixels, or custom
  --model DIR           custom: folder with a TF.js model.json and weight files
  --output-layer NAME   custom: layer (layers model) or node (graph model) to use
  --input-size N        custom: input side in pixels (required for custom)
  --channels 1|3        custom: input channels (default 3)
  --normalise MODE      custom: zero-one (default), minus-one-one or imagenet
  --aspect MODE         stretch (default) or pad (keep the aspect ratio, pad with 0)
  --variety-size N      side of the grayscale images averaged for variety (default 256)
  --backend NAME        TF.js backend: wasm (default), cpu, or webgpu (a GPU through Dawn
                        and Vulkan; falls back to wasm without one)

Parameters:
  --k N                 neighbours for the radii (default ${DEFAULTS.k})
  --tau X               mode-collapse threshold in feature units (default ${DEFAULTS.tau})
  --seed N              seed of the KID subsets and of the utility split (default ${DEFAULTS.seed})
  --kid-subset-size N   largest KID subset size (default ${DEFAULTS.kidSubsetSize})
  --kid-subsets N       number of KID subsets (default ${DEFAULTS.kidSubsets})
  --kid-products P      KID's kernel products: auto (default: float32 products shared
                        with the neighbour search when KID is large, else float64),
                        float64 or float32

Utility (does each synthetic set help a classifier? off by default):
  --utility MODE        off (default); probe: a small classifier on the features
                        (seconds); cnn: a convolutional network trained on the
                        images themselves (minutes)
  --test DIR            labelled real test images (default: --holdout, else a
                        stratified ${UTILITY_SPLIT_FRACTION * 100}% of --real, then left out of every other metric)
  --cross-task DIR      labelled real images of another task (cross-task utility)
  --seeds N             train with seeds 1..N (default 5)
  --probe-steps N       probe: gradient steps per classifier (default ${DEFAULT_PROBE_CONFIG.steps})
  --cnn-size N          cnn: side of the grayscale input images in pixels, a
                        multiple of ${DEFAULT_CNN_CONFIG.stemSize * 2 ** (DEFAULT_CNN_CONFIG.widths.length - 1)} (default ${DEFAULT_CNN_CONFIG.inputSize})
  --cnn-steps N         cnn: gradient steps of ${DEFAULT_CNN_CONFIG.batchSize} images per network (default ${DEFAULT_CNN_CONFIG.steps})

Outputs (the readable table goes to stdout unless --json -):
  --json OUT|-          the JSON report to a file, or alone to stdout with -
  --csv OUT.csv         per-set metrics, one row per set and per set x class
  --assignments OUT.csv per synthetic image: nearest real image, distance, radii,
                        copy / real / non-real
  --features-out DIR    each set's features as <set>.npy plus <set>.ids.csv
                        (readable by "synthlens metrics")
  --cache DIR           keep features on disk; a later run embeds only new files
  -h, --help            this help

Progress goes to stderr. Exit status: 0 success, 2 bad input or options (one
line on stderr), 1 internal error.
`;

const OPTIONS = {
  real: { type: 'string' },
  synthetic: { type: 'string', multiple: true },
  name: { type: 'string', multiple: true },
  holdout: { type: 'string' },
  extractor: { type: 'string' },
  model: { type: 'string' },
  'output-layer': { type: 'string' },
  'input-size': { type: 'string' },
  channels: { type: 'string' },
  normalise: { type: 'string' },
  aspect: { type: 'string' },
  'variety-size': { type: 'string' },
  backend: { type: 'string' },
  k: { type: 'string' },
  tau: { type: 'string' },
  seed: { type: 'string' },
  'kid-subset-size': { type: 'string' },
  'kid-subsets': { type: 'string' },
  'kid-products': { type: 'string' },
  utility: { type: 'string' },
  test: { type: 'string' },
  'cross-task': { type: 'string' },
  seeds: { type: 'string' },
  'probe-steps': { type: 'string' },
  'cnn-size': { type: 'string' },
  'cnn-steps': { type: 'string' },
  json: { type: 'string' },
  csv: { type: 'string' },
  assignments: { type: 'string' },
  'features-out': { type: 'string' },
  cache: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;



async function writeOut(path: string, data: string | Uint8Array): Promise<void> {
  try {
    await writeFile(path, data);
  } catch (e) {
    throw new FileError(path, fsProblem(e).replace('cannot read the file', 'cannot write the file'));
  }
}

/** A folder the user named: exists, is a folder, can be listed; else a one-line FileError. */
async function checkFolder(dir: string): Promise<void> {
  let st;
  try {
    st = await stat(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FileError(dir, code === 'ENOENT' ? 'no such folder' : fsProblem(e).replace('the file', 'the folder'));
  }
  if (!st.isDirectory()) throw new FileError(dir, 'not a folder (give a folder of images)');
  try {
    await readdir(dir);
  } catch (e) {
    throw new FileError(dir, fsProblem(e).replace('the file', 'the folder'));
  }
}

type Role = 'real' | 'holdout' | 'synthetic' | 'test' | 'cross-task';

/** One folder to extract (or the real set's utility-test part, split off before extraction). */
interface PlannedSet {
  name: string;
  role: Role;
  dir: string;
  dataset: Dataset;
  files: DatasetFile[];
  /** The file-size variety is accumulated for real and synthetic sets only. */
  variety: boolean;
}

function clock(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '--:--';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Extraction progress on stderr: a redrawn bar on a terminal, else a plain line now and then. */
class Progress {
  private readonly t0 = performance.now();
  done = 0;
  computed = 0;
  cached = 0;
  skipped = 0;
  stage = 'reading';
  set = '';
  private lastDraw = 0;
  private lastPlain = performance.now();
  private drawn = false;

  constructor(private readonly io: CliIO, readonly total: number) {}

  /** A line of its own (a message), keeping the bar below it. */
  note(text: string): void {
    if (this.io.stderrIsTTY && this.drawn) this.io.stderr('\r\x1b[K');
    this.io.stderr(`${text}\n`);
    if (this.io.stderrIsTTY && this.drawn) this.draw(true);
  }

  private text(): string {
    const secs = (performance.now() - this.t0) / 1000;
    const rate = secs > 0 ? this.done / secs : 0;
    // Files from the cache come fast: the ETA uses the rate of the files computed now.
    const work = this.computed > 0 ? this.computed / secs : rate;
    const eta = work > 0 ? ((this.total - this.done) / work) * 1000 : NaN;
    return `${this.done}/${this.total} files, ${rate.toFixed(1)} images/s, ETA ${clock(eta)} (${this.stage} ${this.set})`;
  }

  draw(force = false): void {
    const t = performance.now();
    if (this.io.stderrIsTTY) {
      if (!force && t - this.lastDraw < 100) return;
      this.lastDraw = t;
      const width = 24;
      const filled = this.total > 0 ? Math.round((width * this.done) / this.total) : width;
      this.io.stderr(`\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.text()}`);
      this.drawn = true;
    } else if (t - this.lastPlain >= PLAIN_PROGRESS_MS) {
      this.lastPlain = t;
      this.io.stderr(`extracting: ${this.text()}\n`);
    }
  }

  end(): void {
    if (this.io.stderrIsTTY && this.drawn) this.io.stderr('\r\x1b[K');
    this.drawn = false;
  }
}

function seedText(s: SeedStats | null | undefined, digits = 3): string {
  if (!s) return '-';
  return s.std === null ? s.mean.toFixed(digits) : `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}`;
}

function gainText(g: GainResult | { gainPercent: GainResult['gainPercent'] } | null | undefined): string {
  if (!g || g.gainPercent.mean === null) return '-';
  const { mean, std } = g.gainPercent;
  const sign = mean >= 0 ? '+' : '';
  return std === null ? `${sign}${mean.toFixed(2)}` : `${sign}${mean.toFixed(2)} ± ${std.toFixed(2)}`;
}

function pText(p: number | null | undefined): string {
  return p === null || p === undefined ? '-' : p < 1e-3 ? p.toExponential(2) : p.toFixed(4);
}

function grid(header: string[], rows: string[][]): string {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const line = (cells: string[]) => cells.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n') + '\n';
}

/** The short utility table printed under the metrics table. */
export function formatUtility(u: UtilityReport): string {
  const s = u.settings;
  const src = s.testSource.kind === 'split' ? `a stratified ${s.testSource.testFraction} split of the real set` : 'held-out real images';
  const testN = Object.values(u.counts.test).reduce((a, b) => a + b, 0);
  const out: string[] = [];
  const model =
    s.tier === 'cnn' && s.cnn
      ? `cnn: ${s.cnn.inputSize} px, ${s.cnn.layers.length - 1} layers, ${s.cnn.parameters} parameters, ${s.backend}`
      : `probe: ${s.architecture}${s.hiddenUnits ? ` ${s.hiddenUnits} hidden` : ''}`;
  out.push(
    `utility (${model}, ${s.budget.steps} steps x ${s.budget.batchSize}, ` +
      `seeds ${s.seeds.join(',')}, test: ${testN} ${src}; accuracy mean ± std over seeds, gains in %)`,
  );
  const acc = (e: EvalStats | null) => seedText(e?.accuracy);
  const rows: [string, (i: number) => string][] = [
    ['baseline accuracy (R)', (i) => acc(u.sets[i].baseline)],
    ['intra-task gain % (R+S)', (i) => gainText(u.sets[i].intraTask)],
    ['  Wilcoxon p', (i) => pText(u.sets[i].intraTask?.pValue)],
    ['simple augmentation gain %', (i) => gainText(u.sets[i].simpleAugmentation)],
    ['TSTR accuracy (S only)', (i) => acc(u.sets[i].tstr)],
    ['cross-task gain %', (i) => gainText(u.sets[i].crossTask)],
    ['  Wilcoxon p', (i) => pText(u.sets[i].crossTask?.pValue)],
  ];
  out.push(grid(['utility', ...u.sets.map((x) => x.name)], rows.map(([name, f]) => [name, ...u.sets.map((_, i) => f(i))])));
  const notes = [...u.skipped.map((k) => `${k.protocol}${k.set ? ` (${k.set})` : ''} not run: ${k.reason}`), ...u.notes];
  if (notes.length) {
    out.push('utility notes:');
    for (const n of [...new Set(notes)]) out.push(`  - ${n}`);
    out.push('');
  }
  return out.join('\n') + '\n';
}

function safeFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_') || '_';
}

/** Writes <name>.npy and <name>.ids.csv into `dir` (the layout `synthlens metrics` reads). */
async function writeFeatureFiles(dir: string, name: string, fs: FeatureSet): Promise<void> {
  const base = join(dir, safeFileName(name));
  await writeOut(`${base}.npy`, writeFeaturesNpy(fs));
  await writeOut(`${base}.ids.csv`, writeIdsCsv(fs.ids, fs.labels));
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function eachLimited<T>(items: T[], limit: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export async function runEvaluate(argv: string[], io: CliIO): Promise<number> {
  // The decode pool (started by the extraction, if any) is stopped however the run ends.
  const decode: { pool: DecodePool | null } = { pool: null };
  try {
    return await evaluateRun(argv, io, decode);
  } finally {
    await decode.pool?.close();
  }
}

async function evaluateRun(argv: string[], io: CliIO, decode: { pool: DecodePool | null }): Promise<number> {
  const { values } = parseCommandArgs(argv, OPTIONS, 'evaluate');
  if (values.help) {
    io.stdout(EVALUATE_USAGE);
    return EXIT_OK;
  }
  const tStart = performance.now();

  // ---- options ------------------------------------------------------------------------------
  if (!values.real) throw new UsageError('--real DIR is required (see synthlens evaluate --help)');
  const synthDirs = values.synthetic ?? [];
  if (synthDirs.length === 0) throw new UsageError('at least one --synthetic DIR is required (see synthlens evaluate --help)');
  const names = values.name ?? [];
  if (names.length > synthDirs.length) throw new UsageError(`${names.length} --name values for ${synthDirs.length} --synthetic folders`);
  const setNames = synthDirs.map((d, i) => names[i] ?? basename(resolve(d)));
  const dup = setNames.find((n, i) => setNames.indexOf(n) !== i);
  if (dup !== undefined) throw new UsageError(`two synthetic sets are named "${dup}"; give each a --name`);
  const reserved = setNames.find((n) => RESERVED.includes(n));
  if (reserved !== undefined) throw new UsageError(`a synthetic set may not be named "${reserved}" (reserved: ${RESERVED.join(', ')}); give it a --name`);
  if (values['features-out'] !== undefined) {
    const files = setNames.map(safeFileName);
    const clash = files.find((n, i) => files.indexOf(n) !== i || RESERVED.includes(n));
    if (clash !== undefined) throw new UsageError(`two sets would share the feature file "${clash}.npy"; give the synthetic sets distinct --name values`);
  }
  const extractorId = choice('extractor', values.extractor, EXTRACTORS, 'mobilenet-v2') as ExtractorId;
  const customOnly = ['model', 'output-layer', 'input-size', 'channels', 'normalise'] as const;
  let custom: CustomExtractorOptions | undefined;
  if (extractorId === 'custom') {
    if (!values.model) throw new UsageError('--extractor custom needs --model DIR (a folder with model.json and its weight files)');
    if (values['input-size'] === undefined) throw new UsageError('--extractor custom needs --input-size N');
    custom = {
      outputLayer: values['output-layer'],
      inputSize: intOption('input-size', values['input-size'], 0, 1),
      channels: choice('channels', values.channels, ['1', '3'] as const, '3') === '1' ? 1 : 3,
      normalise: choice('normalise', values.normalise, NORMALISE, 'zero-one'),
    };
    if (custom.normalise === 'imagenet' && custom.channels !== 3) throw new UsageError('--normalise imagenet needs --channels 3');
  } else {
    const given = customOnly.filter((o) => values[o] !== undefined);
    if (given.length) throw new UsageError(`--${given[0]} is only for --extractor custom`);
  }
  const aspect = choice('aspect', values.aspect, ['stretch', 'pad'] as const, 'stretch') as Aspect;
  const varietySize = intOption('variety-size', values['variety-size'], 256, 1);
  const backendPref = choice('backend', values.backend, ['wasm', 'cpu', 'webgpu'] as const, 'wasm');
  const k = intOption('k', values.k, DEFAULTS.k, 1);
  const tau = floatOption('tau', values.tau, DEFAULTS.tau);
  const seed = intOption('seed', values.seed, DEFAULTS.seed, 0);
  const kidSubsetSize = intOption('kid-subset-size', values['kid-subset-size'], DEFAULTS.kidSubsetSize, 2);
  const kidSubsets = intOption('kid-subsets', values['kid-subsets'], DEFAULTS.kidSubsets, 1);
  const kidProducts = choice('kid-products', values['kid-products'], ['auto', 'float64', 'float32'] as const, 'auto');
  const utilityMode = choice('utility', values.utility, ['off', 'probe', 'cnn'] as const, 'off');
  const utilityOnly = ['test', 'cross-task', 'seeds'] as const;
  if (utilityMode === 'off') {
    const given = utilityOnly.filter((o) => values[o] !== undefined);
    if (given.length) throw new UsageError(`--${given[0]} needs --utility probe or --utility cnn`);
  }
  if (utilityMode !== 'probe' && values['probe-steps'] !== undefined) throw new UsageError('--probe-steps needs --utility probe');
  for (const o of ['cnn-size', 'cnn-steps'] as const) if (utilityMode !== 'cnn' && values[o] !== undefined) throw new UsageError(`--${o} needs --utility cnn`);
  const nSeeds = intOption('seeds', values.seeds, 5, 1);
  const probeSteps = intOption('probe-steps', values['probe-steps'], DEFAULT_PROBE_CONFIG.steps, 1);
  const cnnSize = intOption('cnn-size', values['cnn-size'], DEFAULT_CNN_CONFIG.inputSize, 1);
  const cnnSteps = intOption('cnn-steps', values['cnn-steps'], DEFAULT_CNN_CONFIG.steps, 1);
  const cnnMultiple = DEFAULT_CNN_CONFIG.stemSize * 2 ** (DEFAULT_CNN_CONFIG.widths.length - 1);
  if (utilityMode === 'cnn' && cnnSize % cnnMultiple !== 0) throw new UsageError(`--cnn-size must be a multiple of ${cnnMultiple} (the network halves the image ${Math.log2(cnnMultiple)} times); got ${cnnSize}`);
  const jsonToStdout = values.json === '-';

  // ---- folders: every one must exist before anything heavy starts -------------------------------
  const folders: { dir: string; role: Role; name: string }[] = [
    { dir: values.real, role: 'real', name: 'real' },
    ...(values.holdout ? [{ dir: values.holdout, role: 'holdout' as const, name: 'holdout' }] : []),
    ...synthDirs.map((d, i) => ({ dir: d, role: 'synthetic' as const, name: setNames[i] })),
    ...(values.test ? [{ dir: values.test, role: 'test' as const, name: 'test' }] : []),
    ...(values['cross-task'] ? [{ dir: values['cross-task'], role: 'cross-task' as const, name: 'cross-task' }] : []),
  ];
  for (const f of folders) await checkFolder(f.dir);
  if (values.model) await checkFolder(values.model);

  const tList = performance.now();
  const datasets: Dataset[] = [];
  for (const f of folders) {
    let entries;
    try {
      entries = await walkDirectory(f.dir);
    } catch (e) {
      const p = (e as NodeJS.ErrnoException).path ?? f.dir;
      throw new FileError(p, fsProblem(e).replace('the file', 'the folder'));
    }
    datasets.push(buildDataset(f.name, entries));
  }
  for (let i = 0; i < folders.length; i++) {
    const ds = datasets[i];
    if ((folders[i].role === 'real' || folders[i].role === 'synthetic' || folders[i].role === 'holdout') && ds.files.length === 0) {
      throw new FileError(folders[i].dir, `no image files found (${ds.skipped.length} file(s) refused, ${ds.ignored} hidden or system file(s) ignored)`);
    }
  }

  // ---- the utility test split (before extraction, so the test part is left out of every metric) ----
  const warnings: string[] = [];
  const realDs = datasets[0];
  let realFiles = realDs.files;
  let splitFiles: DatasetFile[] | null = null;
  let testSource: TestSource = { kind: 'held-out' };
  if (utilityMode !== 'off' && !values.test && !values.holdout) {
    if (realDs.hasUnlabelled || realDs.classes.length < 2) {
      warnings.push('utility: the real set needs at least two classes (first-level subfolders) and no files outside them, so no test split was made');
    } else {
      const { trainIdx, testIdx } = stratifiedSplit(realFiles.map((f) => f.label!), UTILITY_SPLIT_FRACTION, seed);
      splitFiles = Array.from(testIdx, (i) => realFiles[i]);
      realFiles = Array.from(trainIdx, (i) => realFiles[i]);
      testSource = { kind: 'split', testFraction: UTILITY_SPLIT_FRACTION, seed };
      warnings.push(
        `No --test or --holdout: a stratified ${UTILITY_SPLIT_FRACTION * 100}% of the real files (${splitFiles.length} of ${realDs.files.length}, seed ${seed}) ` +
          'is the utility test data and is excluded from every other metric (fidelity, privacy, PRDC, FID, KID, DCR, Vendi, variety).',
      );
    }
  }
  const planned: PlannedSet[] = [];
  folders.forEach((f, i) => {
    if (f.role === 'real') {
      planned.push({ name: 'real', role: 'real', dir: f.dir, dataset: datasets[i], files: realFiles, variety: true });
      if (splitFiles) planned.push({ name: 'test', role: 'test', dir: f.dir, dataset: datasets[i], files: splitFiles, variety: false });
    } else {
      planned.push({ name: f.name, role: f.role, dir: f.dir, dataset: datasets[i], files: datasets[i].files, variety: f.role === 'synthetic' });
    }
  });
  const listMs = performance.now() - tList;

  // The cnn tier holds every image it trains or tests on as S x S float32 (plus the augmented real copies): refuse
  // before anything heavy starts when that is too much (multi-frame files may add more; runCnnUtility checks again).
  const cnnPlans = utilityMode === 'cnn' ? planned.filter((p) => p.role !== 'holdout' || !values.test) : [];
  if (utilityMode === 'cnn') {
    const files = cnnPlans.reduce((a, p) => a + p.files.length, 0) + realFiles.length;
    const issue = cnnMemoryIssue(files, cnnSize);
    if (issue) throw new UsageError(`--utility cnn: ${issue}`);
  }

  // Files refused while listing (empty, too large), named now; they are in the report too.
  const skipped: { path: string; reason: string }[] = [];
  let skipLines = 0;
  const skipLine = (path: string, reason: string, say: (t: string) => void) => {
    skipped.push({ path, reason });
    if (skipLines < MAX_SKIP_LINES) say(`synthlens evaluate: skipped ${path}: ${oneLine(reason)}`);
    else if (skipLines === MAX_SKIP_LINES) say('synthlens evaluate: more files skipped; the report lists them all');
    skipLines++;
  };
  folders.forEach((f, i) => {
    for (const s of datasets[i].skipped) skipLine(join(f.dir, s.path), s.reason, (t) => io.stderr(`${t}\n`));
  });

  // ---- backend, extractor, cache ---------------------------------------------------------------
  const tInit = performance.now();
  const [{ initNodeBackend, readModelDir, shippedModelSource, modelsDir }, { loadExtractor }] = await Promise.all([
    import('./tfBackend.ts'),
    import('../extractors/registry.ts'),
  ]);
  const backend = await initNodeBackend(backendPref);
  let extractor: Extractor;
  {
    const modelDir = extractorId === 'custom' ? values.model! : join(modelsDir(), extractorId);
    let source: ModelSource | undefined;
    try {
      if (extractorId === 'custom') source = await readModelDir(modelDir);
      else if (extractorId !== 'pixels') source = await shippedModelSource(extractorId);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new FileError(err.path ?? modelDir, err.code ? fsProblem(e) : `cannot load the model: ${oneLine(err.message)}`);
    }
    try {
      extractor = await loadExtractor(extractorId, source, custom);
    } catch (e) {
      throw new FileError(modelDir, `cannot load the model: ${oneLine((e as Error).message)}`);
    }
  }
  const opts: PipelineOptions = { ...DEFAULT_PIPELINE_OPTIONS, aspect, varietySize };
  let cache: DiskFeatureCache | null = null;
  if (values.cache !== undefined) {
    try {
      cache = await DiskFeatureCache.open(values.cache, (m) => warnings.push(m));
    } catch (e) {
      if (e instanceof CacheDirError) throw new FileError(values.cache, e.message);
      throw e;
    }
  }
  const initMs = performance.now() - tInit;
  io.stderr(`synthlens evaluate: ${extractor.id} features (${extractor.dim}-d), TF.js backend ${backend}\n`);

  // ---- what the cache already holds (from the path index: a stat per file, no reading) ------------
  const totalFiles = planned.reduce((a, p) => a + p.files.length, 0);
  const fileStat = new Map<string, { size: number; mtimeMs: number }>();
  let resumed = 0;
  if (cache) {
    const all = planned.flatMap((p) => p.files.map((f) => resolve(p.dir, f.path)));
    await eachLimited(all, 32, async (abs) => {
      const st = await stat(abs).catch(() => null);
      if (!st) return;
      fileStat.set(abs, { size: st.size, mtimeMs: st.mtimeMs });
      const h = await cache!.knownHash(abs, st.size, st.mtimeMs);
      if (h && (await cache!.has(pipelineCacheKey(h, extractor, opts)))) resumed++;
    });
    if (resumed > 0) io.stderr(`resuming: ${resumed} of ${totalFiles} images already embedded (cache ${cache.dir})\n`);
  }

  // ---- extraction --------------------------------------------------------------------------------
  const { processItems } = await import('../pipeline/extract.ts');
  // Decoding and preprocessing on SYNTHLENS_DECODE_THREADS threads (default: cores - 1, at most 8) while
  // this thread runs the model; none on a single core.
  decode.pool = decodePoolFromEnv();
  const itemsOf = (p: PlannedSet): FileItem[] =>
    p.files.map((f) => {
      const abs = resolve(p.dir, f.path);
      return {
        path: f.path,
        label: f.label,
        read: async () => {
          const bytes = await f.entry.read();
          const st = fileStat.get(abs);
          if (cache && st) await cache.rememberHash(abs, st.size, st.mtimeMs, sha256Bytes(bytes));
          return bytes;
        },
      };
    });
  const progress = new Progress(io, totalFiles);
  const collections: SetCollection[] = [];
  const timings: Record<string, number> = { list: listMs, init: initMs };
  const tExtract = performance.now();
  for (const p of planned) {
    const tSet = performance.now();
    const c = newCollection(p.name, p.variety ? varietySize : null);
    progress.set = p.name;
    if (!io.stderrIsTTY) io.stderr(`extracting ${p.name}: ${p.files.length} files (${p.dir})\n`);
    await processItems(itemsOf(p), extractor, cache, opts, {
      preparer: decode.pool,
      onItem: (r) => {
        addResult(c, r);
        // The CLI shows no audit thumbnails: drop them so memory holds only the features (~9 KiB an image less).
        c.thumbs.clear();
        progress.done++;
        if ('skipped' in r) {
          progress.skipped++;
          skipLine(join(p.dir, r.path), r.skipped, (t) => progress.note(t));
        } else if (r.fromCache) progress.cached++;
        else progress.computed++;
        progress.draw();
      },
      onStage: (s: Stage) => {
        if (progress.stage !== s) {
          progress.stage = s;
          progress.draw();
        }
      },
    });
    collections.push(c);
    timings[`extract:${p.name}`] = performance.now() - tSet;
    if (!io.stderrIsTTY) {
      io.stderr(`${p.name}: ${c.ids.length} images from ${p.files.length} files (${c.embedded} embedded, ${c.cached} from the cache, ${c.skipped.length} skipped)\n`);
    }
  }
  progress.end();
  timings.extract = performance.now() - tExtract;
  // The report's cache counts are those of the sets' features (not of the augmented copies below).
  const cacheCounts = cache ? { hits: cache.hits, misses: cache.misses, writes: cache.writes } : null;

  // ---- simple augmentation (utility reference): one augmented copy of each real TRAINING image ----------
  // The real set's files here are its training part already (the utility test split is made before extraction).
  /** One more pass of a planned set's files through the pipeline (augmented copies, cnn inputs), with its own progress. */
  const extraPass = async (p: PlannedSet, ex: Extractor, passOpts: PipelineOptions, label: string, what: string): Promise<SetCollection> => {
    const pr = new Progress(io, p.files.length);
    pr.set = label;
    if (!io.stderrIsTTY) io.stderr(`${what}: ${p.files.length} files\n`);
    const c = newCollection(label, null);
    await processItems(itemsOf(p), ex, cache, passOpts, {
      preparer: decode.pool,
      onItem: (r) => {
        addResult(c, r);
        c.thumbs.clear();
        pr.done++;
        if ('skipped' in r) pr.skipped++;
        else if (r.fromCache) pr.cached++;
        else pr.computed++;
        pr.draw();
      },
      onStage: (st: Stage) => {
        pr.stage = st;
        pr.draw();
      },
    });
    pr.end();
    if (!io.stderrIsTTY) io.stderr(`${label}: ${c.ids.length} images (${c.embedded} computed, ${c.cached} from the cache, ${c.skipped.length} skipped)\n`);
    return c;
  };
  let augmented: SetCollection | null = null;
  const hasTestData = Boolean(values.test || values.holdout || splitFiles);
  const realPlan = planned.find((p) => p.role === 'real')!;
  const canAugment = hasTestData && !realDs.hasUnlabelled && realDs.classes.length > 0;
  if (utilityMode === 'probe' && canAugment) {
    const tAugment = performance.now();
    augmented = await extraPass(realPlan, extractor, { ...opts, varietySize: null, augment: { seed } }, 'augmented real', 'augmenting real (utility reference)');
    timings.augment = performance.now() - tAugment;
  }
  extractor.dispose();

  // ---- cnn tier: the images themselves, S x S grayscale, through the same pipeline (pixels extractor at size S) ----
  const cnnInputs = new Map<string, FeatureSet>();
  let cnnAugmented: FeatureSet | null = null;
  if (utilityMode === 'cnn') {
    const tInputs = performance.now();
    const pixels = await loadExtractor('pixels', undefined, { inputSize: cnnSize, channels: 1, normalise: 'zero-one' });
    const inputOpts: PipelineOptions = { ...opts, varietySize: null };
    for (const p of cnnPlans) {
      const c = await extraPass(p, pixels, inputOpts, `${p.name} (${cnnSize} px)`, `cnn inputs ${p.name} (${cnnSize} px)`);
      cnnInputs.set(p.name, toFeatureSet(c, pixels.dim));
    }
    if (canAugment) {
      const c = await extraPass(realPlan, pixels, { ...inputOpts, augment: { seed } }, `augmented real (${cnnSize} px)`, 'augmenting real (utility reference, cnn inputs)');
      if (c.ids.length > 0) cnnAugmented = toFeatureSet(c, pixels.dim);
    }
    timings.cnnInputs = performance.now() - tInputs;
  }

  // ---- feature sets --------------------------------------------------------------------------------
  const dim = extractor.dim;
  const fsOf = new Map<string, FeatureSet>();
  planned.forEach((p, i) => fsOf.set(p.name, toFeatureSet(collections[i], dim)));
  planned.forEach((p, i) => {
    const n = fsOf.get(p.name)!.n;
    const c = collections[i];
    const why = `${c.skipped.length} of ${p.files.length} file(s) skipped`;
    if (p.role === 'real' && n < k + 1) throw new FileError(p.dir, `${n} usable real image(s) (${why}); k = ${k} needs at least ${k + 1}`);
    if ((p.role === 'synthetic' || p.role === 'holdout') && n === 0) throw new FileError(p.dir, `no usable images (${why})`);
  });
  const real = fsOf.get('real')!;
  const holdout = values.holdout ? fsOf.get('holdout')! : null;
  const synthetic = setNames.map((name) => ({ name, features: fsOf.get(name)! }));

  if (values['features-out'] !== undefined) {
    const dir = values['features-out'];
    try {
      await mkdir(dir, { recursive: true });
    } catch (e) {
      throw new FileError(dir, fsProblem(e).replace('cannot read the file', 'cannot create the folder'));
    }
    for (const p of planned) await writeFeatureFiles(dir, p.name, fsOf.get(p.name)!);
  }

  // ---- metrics -----------------------------------------------------------------------------------
  const varietyReal = varietyOf(collections[planned.findIndex((p) => p.role === 'real')]);
  const varietySets: Record<string, number> = {};
  planned.forEach((p, i) => {
    if (p.role !== 'synthetic') return;
    const v = varietyOf(collections[i]);
    if (v) varietySets[p.name] = v.pngBytes;
  });
  const perSet: Record<string, { files: number; images: number; embedded: number; cached: number; skipped: number }> = {};
  planned.forEach((p, i) => {
    const c = collections[i];
    // Files refused while listing count with the set that owns the folder (the real set, not its test split).
    const refused = p.role === 'test' && splitFiles ? 0 : p.dataset.skipped.length;
    perSet[p.name] = { files: p.files.length + refused, images: c.ids.length, embedded: c.embedded, cached: c.cached, skipped: c.skipped.length + refused };
  });
  const sum = (key: 'files' | 'images' | 'embedded' | 'cached' | 'skipped') => Object.values(perSet).reduce((a, s) => a + s[key], 0);
  timings.read = listMs + initMs + timings.extract;

  const { evaluate } = await import('../core/evaluate.ts');
  if (!io.stderrIsTTY) io.stderr(`computing metrics for ${synthetic.length} set(s)\n`);
  let lastProgress = 0;
  const onProgress = io.stderrIsTTY
    ? (p: EvaluateProgress) => {
        const t = performance.now();
        if (t - lastProgress < 200 && p.done !== p.total) return;
        lastProgress = t;
        const pct = p.total > 0 ? Math.floor((100 * p.done) / p.total) : 100;
        io.stderr(`\r\x1b[Kmetrics: ${p.stage}${p.set ? ` ${p.set}` : ''}: ${pct}%`);
      }
    : undefined;
  const result = await evaluate({
    kidProducts,
    real,
    synthetic,
    holdout,
    config: {
      k, tau, seed, kidSubsetSize, kidSubsets, backend,
      extractor: extractorRecord(extractor),
      preprocessing: describePreprocessing(extractor, opts),
      extractionBackend: backend,
      inputs: {
        real: values.real, synthetic: synthDirs, holdout: values.holdout ?? null,
        test: values.test ?? null, crossTask: values['cross-task'] ?? null,
      },
      extraction: {
        files: sum('files'), images: sum('images'), embedded: sum('embedded'), cached: sum('cached'), skipped: sum('skipped'),
        ignored: datasets.reduce((a, d) => a + d.ignored, 0), batchSize: opts.batchSize, perSet,
      },
      cache: cache ? { dir: cache.dir, ...cacheCounts, resumed } : null,
    },
    varietyBytes: varietyReal ? { real: varietyReal.pngBytes, sets: varietySets } : null,
    skipped: skipped.sort((a, b) => compareCodePoints(a.path, b.path)),
    timings,
    onProgress,
  });
  if (io.stderrIsTTY) io.stderr('\r\x1b[K');
  const report: Report = result.report;
  report.warnings.push(...warnings);

  // ---- utility -----------------------------------------------------------------------------------
  if (utilityMode !== 'off') {
    const cnn = utilityMode === 'cnn';
    // probe: the features; cnn: the S x S images of the same files
    const sets = cnn ? cnnInputs : fsOf;
    const rowDim = cnn ? cnnSize * cnnSize : dim;
    const realRows = sets.get('real')!;
    const test = values.test || splitFiles ? sets.get('test')! : values.holdout ? (sets.get('holdout') ?? null) : null;
    const crossTask = values['cross-task'] ? sets.get('cross-task')! : undefined;
    const augmentedFs = cnn ? cnnAugmented : augmented && augmented.ids.length > 0 ? toFeatureSet(augmented, dim) : null;
    if (canAugment && (!augmentedFs || augmentedFs.n < realRows.n)) {
      report.warnings.push(`simple augmentation: ${realRows.n - (augmentedFs?.n ?? 0)} of ${realRows.n} real training images could not be augmented`);
    }
    const seeds = Array.from({ length: nSeeds }, (_, i) => i + 1);
    if (!io.stderrIsTTY) io.stderr(`utility: training ${cnn ? `convolutional networks (${cnnSize} px, TF.js ${backend})` : 'probes'} with seeds ${seeds.join(', ')}\n`);
    const tUtility = performance.now();
    let last = 0;
    let lastPlain = performance.now();
    const onProgress = (p: UtilityProgress) => {
      const t = performance.now();
      const tr = p.training;
      const text = tr
        ? `utility: model ${tr.model}/${tr.models} (seed ${tr.seed}) step ${tr.step}/${tr.steps}, epoch ${tr.epoch}/${tr.epochs}, loss ${tr.loss.toFixed(3)}, ETA ${clock(tr.etaSec === null ? NaN : tr.etaSec * 1000)}`
        : `utility: ${p.done}/${p.total} ${p.stage}`;
      if (io.stderrIsTTY) {
        if (t - last < 200 && p.done !== p.total) return;
        last = t;
        io.stderr(`\r\x1b[K${text}`);
      } else if (cnn && tr && t - lastPlain >= PLAIN_PROGRESS_MS) {
        lastPlain = t;
        io.stderr(`${text}\n`);
      }
    };
    const common = {
      realTrain: realRows,
      // With no test data at all the runner records why every protocol was skipped.
      test: test ?? { ids: [], labels: null, n: 0, dim: rowDim, kind: 'continuous' as const, data: new Float32Array(0) },
      synthetic: setNames.map((name) => ({ name, features: sets.get(name)! })),
      ...(augmentedFs ? { augmented: augmentedFs, augmentations: describeAugmentationRun(augmentedFs.n, seed) } : {}),
      crossTask,
      seeds,
      testSource,
      onProgress: io.stderrIsTTY || cnn ? onProgress : undefined,
    };
    const utility = cnn
      ? await (await import('../core/utility/cnnUtility.ts')).runCnnUtility({ ...common, cnn: { inputSize: cnnSize, steps: cnnSteps } })
      : await (await import('../core/utility/runUtility.ts')).runUtility({ ...common, probe: { ...DEFAULT_PROBE_CONFIG, steps: probeSteps } });
    if (io.stderrIsTTY) io.stderr('\r\x1b[K');
    report.timings.utility = performance.now() - tUtility;
    report.utility = utility;
    for (const s of report.sets) s.utility = utility.sets.find((u) => u.name === s.name) ?? null;
  }
  report.timings.wall = performance.now() - tStart;

  // ---- outputs -----------------------------------------------------------------------------------
  if (values.json !== undefined && !jsonToStdout) await writeOut(values.json, reportToJson(report));
  if (values.csv !== undefined) await writeOut(values.csv, metricsToCsv(report));
  if (values.assignments !== undefined) await writeOut(values.assignments, assignmentsToCsv(result.assignments));
  if (jsonToStdout) {
    io.stdout(reportToJson(report));
  } else {
    const ex = report.config.extraction as { files: number; images: number; embedded: number; cached: number; skipped: number };
    const secs = timings.extract / 1000;
    io.stdout(
      `extraction: ${extractor.id}, backend ${backend}; ${ex.files} files -> ${ex.images} images ` +
        `(${ex.embedded} files embedded, ${ex.cached} from the cache, ${ex.skipped} skipped) in ${secs.toFixed(2)} s` +
        `${ex.embedded > 0 && secs > 0 ? `, ${(ex.files / secs).toFixed(1)} files/s` : ''}\n`,
    );
    io.stdout(formatReport(report));
    if (report.utility) io.stdout('\n' + formatUtility(report.utility));
  }
  return EXIT_OK;
}

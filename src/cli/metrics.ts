/**
 * `synthlens metrics`: every metric from feature files (.csv or .npy), no images needed.
 * See docs/cli.md for the options, the input formats and the JSON report.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { writeFile } from 'node:fs/promises';
import { setFlagsFromString } from 'node:v8';
import { basename, extname } from 'node:path';
import type { FeatureKind, FeatureSet } from '../core/features/featureSet.ts';
import type { EvaluateProgress } from '../core/evaluate.ts';
import { DEFAULT_CONFIG as DEFAULTS } from '../core/report/schema.ts';
import { reportToJson } from '../core/report/json.ts';
import { assignmentsToCsv, metricsToCsv } from '../core/report/csv.ts';
import { FileError, UsageError, EXIT_OK, choice, floatOption, fsProblem, intOption } from './errors.ts';
import { loadFeatureFile } from './loadFeatures.ts';
import { formatReport } from './table.ts';
import type { CliIO } from './io.ts';

/**
 * The engine's default column-tile cache (256 MiB) suits GPUs, where uploads are dear; on wasm in
 * Node a re-upload costs little beside the block's matrix product, and the cache sits in the wasm
 * heap, which never shrinks. At N = M = 10,000, d = 2,048 (bench/metrics.ts) peak memory was
 * 688 MiB with the engine default, 594 MiB with 32 MiB and 522 MiB with 0, at no measurable cost
 * in time.
 */
export const CLI_ENGINE_CACHE_MIB = 0;

export const METRICS_USAGE = `Usage: synthlens metrics --real FILE --synthetic FILE [--synthetic FILE ...] [options]

Compute fidelity, privacy, precision/recall/density/coverage, FID, KID, DCR,
Vendi and feature STD of synthetic sets against a real set, from feature files.

Inputs (FILE is .csv or .npy):
  --real FILE           real reference features (the generator's training images)
  --synthetic FILE      a synthetic set's features; repeat for several sets
  --name NAME           name of the synthetic set at the same position (repeatable;
                        default: the file name without extension)
  --holdout FILE        held-out real features: privacy calibration and memorisation test
  --features KIND       continuous (default; Euclidean) or discrete (integer codes; Hamming)

Parameters:
  --k N                 neighbours for the radii (default ${DEFAULTS.k})
  --tau X               mode-collapse threshold in feature units (default ${DEFAULTS.tau})
  --seed N              seed of the KID subsets (default ${DEFAULTS.seed})
  --kid-subset-size N   largest KID subset size (default ${DEFAULTS.kidSubsetSize})
  --kid-subsets N       number of KID subsets (default ${DEFAULTS.kidSubsets})
  --kid-products P      KID's kernel products: auto (default: float32 products shared
                        with the neighbour search when KID is large, else float64),
                        float64 or float32
  --backend NAME        TF.js backend for the neighbour engine: wasm (default), cpu, or webgpu
                        (a GPU through Dawn and Vulkan; falls back to wasm without one)
  --engine-cache-mib N  TF.js memory for cached feature tiles (default ${CLI_ENGINE_CACHE_MIB};
                        more uses more memory and re-uploads less)
  --in-memory           hold float32 .npy features in memory (by default their rows
                        are read from the file a block at a time; holding them costs
                        4 x d bytes per row and lets the engine threads share the
                        Gaussian fits, FID and Vendi score)

Outputs (the readable table goes to stdout unless --json -):
  --json OUT|-          the JSON report to a file, or alone to stdout with -
  --csv OUT.csv         per-set metrics, one row per set and per set x class
  --assignments OUT.csv per synthetic image: nearest real image, distance, radii,
                        copy / real / non-real
  -h, --help            this help

CSV files: a header row; optional "filename" (ids) and "label" (class) columns;
every other column is a feature. An .npy file (1-D or 2-D, C order) may have a
sibling "<name>.ids.csv" with "filename" and "label" columns.
Exit status: 0 success, 2 bad input or options (one line on stderr), 1 internal error.
`;


const OPTIONS = {
  real: { type: 'string' },
  synthetic: { type: 'string', multiple: true },
  name: { type: 'string', multiple: true },
  holdout: { type: 'string' },
  features: { type: 'string' },
  k: { type: 'string' },
  tau: { type: 'string' },
  seed: { type: 'string' },
  'kid-subset-size': { type: 'string' },
  'kid-subsets': { type: 'string' },
  'kid-products': { type: 'string' },
  backend: { type: 'string' },
  'engine-cache-mib': { type: 'string' },
  'in-memory': { type: 'boolean' },
  json: { type: 'string' },
  csv: { type: 'string' },
  assignments: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;



/** Parse argv with node:util parseArgs, turning its errors into one-line UsageErrors. */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, command: string) {
  try {
    return parseArgs({ args: argv, options, strict: true as const, allowPositionals: false as const });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const m = /'([^']+)'/.exec(err.message);
    switch (err.code) {
      case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
        throw new UsageError(`unknown option ${m ? m[1] : ''} for "synthlens ${command}" (see synthlens ${command} --help)`);
      case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
        throw new UsageError(`${err.message.split('\n')[0]} (see synthlens ${command} --help)`);
      case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
        throw new UsageError(`unexpected argument ${m ? `"${m[1]}"` : ''} for "synthlens ${command}" (see synthlens ${command} --help)`);
      default:
        throw new UsageError(err.message.split('\n')[0]);
    }
  }
}

async function writeOut(path: string, text: string): Promise<void> {
  try {
    await writeFile(path, text);
  } catch (e) {
    throw new FileError(path, fsProblem(e).replace('cannot read the file', 'cannot write the file'));
  }
}

export async function runMetrics(argv: string[], io: CliIO): Promise<number> {
  const { values } = parseCommandArgs(argv, OPTIONS, 'metrics');
  if (values.help) {
    io.stdout(METRICS_USAGE);
    return EXIT_OK;
  }
  if (!values.real) throw new UsageError('--real FILE is required (see synthlens metrics --help)');
  const synthPaths = values.synthetic ?? [];
  if (synthPaths.length === 0) throw new UsageError('at least one --synthetic FILE is required (see synthlens metrics --help)');
  const names = values.name ?? [];
  if (names.length > synthPaths.length) throw new UsageError(`${names.length} --name values for ${synthPaths.length} --synthetic files`);
  const kindText = values.features ?? 'continuous';
  if (kindText !== 'continuous' && kindText !== 'discrete') throw new UsageError(`--features must be continuous or discrete, got "${kindText}"`);
  const kind = kindText as FeatureKind;
  const k = intOption('k', values.k, DEFAULTS.k, 1);
  const tau = floatOption('tau', values.tau, DEFAULTS.tau);
  const seed = intOption('seed', values.seed, DEFAULTS.seed, 0);
  const kidSubsetSize = intOption('kid-subset-size', values['kid-subset-size'], DEFAULTS.kidSubsetSize, 2);
  const kidSubsets = intOption('kid-subsets', values['kid-subsets'], DEFAULTS.kidSubsets, 1);
  const kidProducts = choice('kid-products', values['kid-products'], ['auto', 'float64', 'float32'] as const, 'auto');
  const cacheMib = intOption('engine-cache-mib', values['engine-cache-mib'], CLI_ENGINE_CACHE_MIB, 0);
  const backendPref = values.backend ?? 'wasm';
  if (backendPref !== 'wasm' && backendPref !== 'cpu' && backendPref !== 'webgpu') throw new UsageError(`--backend must be wasm, cpu or webgpu, got "${backendPref}"`);
  const setNames = synthPaths.map((p, i) => names[i] ?? basename(p, extname(p)));
  const dup = setNames.find((n, i) => setNames.indexOf(n) !== i);
  if (dup !== undefined) throw new UsageError(`two synthetic sets are named "${dup}"; give each a --name`);
  const jsonToStdout = values.json === '-';

  // A small young generation on this thread (V8's default lets it grow to tens of MiB of RSS;
  // the work here is typed arrays): with ENGINE_YOUNG_GENERATION_MIB on the engine threads, about
  // 50 MiB lower peak at N = M = 10,000, d = 2,048 and no measurable cost in time (docs/scale.md).
  setFlagsFromString('--max-semi-space-size=1');

  // Read and check every input before any computation, so bad input fails fast.
  const t0 = performance.now();
  const load = { stream: !values['in-memory'] };
  const real = await loadFeatureFile(values.real, kind, load);
  if (real.n < k + 1) throw new FileError(values.real, `${real.n} real rows; k = ${k} needs at least ${k + 1}`);
  const checkDims = (path: string, fs: FeatureSet) => {
    if (fs.dim !== real.dim) throw new FileError(path, `${fs.dim} feature columns, but the real set (${values.real}) has ${real.dim}`);
  };
  const synthetic: { name: string; features: FeatureSet }[] = [];
  for (let i = 0; i < synthPaths.length; i++) {
    const fs = await loadFeatureFile(synthPaths[i], kind, load);
    checkDims(synthPaths[i], fs);
    synthetic.push({ name: setNames[i], features: fs });
  }
  let holdout: FeatureSet | null = null;
  if (values.holdout) {
    holdout = await loadFeatureFile(values.holdout, kind, load);
    checkDims(values.holdout, holdout);
  }
  const readMs = performance.now() - t0;

  // TF.js and the metric engine load only now, so help and bad input answer quickly.
  const [{ initNodeBackend }, { evaluate }] = await Promise.all([import('./tfBackend.ts'), import('../core/evaluate.ts')]);
  const backend = await initNodeBackend(backendPref);
  let lastProgress = 0;
  const onProgress = io.stderrIsTTY
    ? (p: EvaluateProgress) => {
        const t = performance.now();
        if (t - lastProgress < 200 && p.done !== p.total) return;
        lastProgress = t;
        const pct = p.total > 0 ? Math.floor((100 * p.done) / p.total) : 100;
        io.stderr(`\r\x1b[K${p.stage}${p.set ? ` ${p.set}` : ''}: ${pct}%`);
      }
    : undefined;
  const result = await evaluate({
    kidProducts,
    real, synthetic, holdout,
    config: { k, tau, seed, kidSubsetSize, kidSubsets, backend, engineCacheMiB: cacheMib, inputs: { real: values.real, synthetic: synthPaths, holdout: values.holdout ?? null } },
    engine: { tensorCacheBytes: cacheMib * 2 ** 20 },
    timings: { read: readMs },
    onProgress,
  });
  if (io.stderrIsTTY) io.stderr('\r\x1b[K');
  const report = result.report;

  if (values.json !== undefined && !jsonToStdout) await writeOut(values.json, reportToJson(report));
  if (values.csv !== undefined) await writeOut(values.csv, metricsToCsv(report));
  if (values.assignments !== undefined) await writeOut(values.assignments, assignmentsToCsv(result.assignments));
  io.stdout(jsonToStdout ? reportToJson(report) : formatReport(report));
  return EXIT_OK;
}

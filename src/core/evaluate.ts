/**
 * evaluate(): every metric of every synthetic set against one real set, pooled and per class,
 * assembled into a versioned Report (./report/schema.ts). Definitions: shared/design/METRICS.md.
 *
 * Work done once per run: the real set's k-NN radii, its Gaussian statistics (FID), and the
 * held-out calibration (P, F, F^p and DCRs of H against R); then once per set. Per class the same
 * is done within each class (real rows of the class against synthetic rows of the class), cached
 * per class across sets. The caller registers a TF.js backend first (the neighbour engine uses it).
 */
import { classNames, rowsOfClass, type FeatureSet } from './features/featureSet.ts';
import { InputError } from './features/csv.ts';
import { computeRealRadii, type RealRadii } from './neighbours/engine.ts';
import { neighbourMetrics, type NeighbourMetrics } from './metrics/neighbourMetrics.ts';
import { frechetDistance, gaussianStats, type GaussianStats } from './metrics/fid.ts';
import { kid } from './metrics/kid.ts';
import { vendiScore } from './metrics/vendi.ts';
import { varietyScores } from './metrics/variety.ts';
import {
  APP_NAME, APP_VERSION, DEFAULT_CONFIG, REPORT_VERSION, classCounts,
  type HoldoutCalibration, type Report, type ReportConfig, type ReportSet, type SetMetrics, type VarietyValue,
} from './report/schema.ts';
import type { SetAssignments } from './report/csv.ts';

export type { SetAssignments };

export interface EvaluateConfig {
  /** Neighbour count for the radii (default 5). */
  k?: number;
  /** Mode-collapse threshold in feature units (default 0.05). */
  tau?: number;
  /** Seed of the KID subset draws (default 2020). */
  seed?: number;
  /** Largest KID subset size (default 1000) and number of subsets (default 100). */
  kidSubsetSize?: number;
  kidSubsets?: number;
  /** Compute backend that ran the neighbour engine (e.g. 'wasm', 'webgpu'). */
  backend: string;
  extractor?: ReportConfig['extractor'];
  preprocessing?: ReportConfig['preprocessing'];
  /** Further fields recorded as they are in report.config. */
  [key: string]: unknown;
}

export interface EvaluateProgress {
  stage: string;
  set?: string;
  done: number;
  total: number;
}

export interface EvaluateInput {
  real: FeatureSet;
  synthetic: { name: string; features: FeatureSet }[];
  holdout?: FeatureSet | null;
  config: EvaluateConfig;
  /** PNG byte sizes of the mean images (file-size variety), filled by the image pipeline. */
  varietyBytes?: { real?: number; sets: Record<string, number> } | null;
  /** Files the caller could not read, recorded in the report. */
  skipped?: { path: string; reason: string }[];
  /** Timings of earlier stages (decode, extract, read), merged into report.timings. */
  timings?: Record<string, number>;
  signal?: AbortSignal;
  onProgress?: (p: EvaluateProgress) => void;
}

export interface EvaluateResult {
  report: Report;
  /** Per synthetic set (by name): nearest real image, distance, radii and copy/real/non-real per image (pooled). */
  assignments: Map<string, SetAssignments>;
  /** The held-out set's own assignments against the real set (calibration), when a holdout was given. */
  holdoutAssignments?: SetAssignments;
  /** DCR of each held-out image to the real set. */
  holdoutDcrDistances?: Float64Array;
  /** DCR of each synthetic image to the real set, per set. */
  syntheticDcrDistances: Map<string, Float64Array>;
}

export const DEFAULTS = DEFAULT_CONFIG;

/** The real-side work shared by every set (pooled, or one class). */
interface RealContext {
  fs: FeatureSet;
  radii: RealRadii;
  stats: GaussianStats | null;
  holdout: { fs: FeatureSet; result: NeighbourMetrics } | null;
}

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

function finiteOrNull(x: number, what: string, warnings: string[]): number | null {
  if (Number.isFinite(x)) return x;
  warnings.push(`${what} is ${x}; reported as null`);
  return null;
}

function calibration(r: NeighbourMetrics): HoldoutCalibration {
  const fp = r.fidelityPrivacy;
  return {
    fidelity: fp.fidelity, privacy: fp.privacy, fidelityPrivacy: fp.fidelityPrivacy,
    modeCollapseRuleApplied: fp.modeCollapseRuleApplied, featureStd: fp.featureStd,
    dcr: { min: r.dcr.dcr.min, p5: r.dcr.dcr.p5, median: r.dcr.dcr.median },
  };
}

function validate(input: EvaluateInput, k: number): void {
  const { real, synthetic, holdout } = input;
  if (!Number.isInteger(k) || k < 1) throw new InputError(`k must be a positive integer, got ${k}`);
  if (real.n < k + 1) throw new InputError(`the real set has ${real.n} rows; k = ${k} needs at least ${k + 1}`);
  if (synthetic.length === 0) throw new InputError('no synthetic set to evaluate');
  const seen = new Set<string>();
  const check = (name: string, fs: FeatureSet) => {
    if (fs.n === 0) throw new InputError(`${name} is empty`);
    if (fs.dim !== real.dim) throw new InputError(`${name} has ${fs.dim} feature columns, the real set has ${real.dim}`);
    if (fs.kind !== real.kind) throw new InputError(`${name} has ${fs.kind} features, the real set has ${real.kind}`);
  };
  for (const s of synthetic) {
    if (seen.has(s.name)) throw new InputError(`two synthetic sets are named "${s.name}"`);
    seen.add(s.name);
    check(`synthetic set "${s.name}"`, s.features);
  }
  if (holdout) check('the holdout set', holdout);
}

function toAssignments(r: NeighbourMetrics, fs: FeatureSet, real: FeatureSet): SetAssignments {
  const a = r.fidelityPrivacy.assignments;
  return {
    nearestReal: a.nearestReal, distance: a.distance, rho1: a.rho1, rhoK: a.rhoK, set: a.set, copyOf: a.copyOf ?? null,
    ids: fs.ids, labels: fs.labels, realIds: real.ids, realLabels: real.labels,
  };
}

/** Run every metric over the real set and the synthetic sets; see the file header. */
export async function evaluate(input: EvaluateInput): Promise<EvaluateResult> {
  const tStart = now();
  const k = input.config.k ?? DEFAULTS.k;
  const tau = input.config.tau ?? DEFAULTS.tau;
  const seed = input.config.seed ?? DEFAULTS.seed;
  const kidSubsetSize = input.config.kidSubsetSize ?? DEFAULTS.kidSubsetSize;
  const kidSubsets = input.config.kidSubsets ?? DEFAULTS.kidSubsets;
  validate(input, k);
  if (!(tau >= 0) || !Number.isFinite(tau)) throw new InputError(`tau must be a finite number >= 0, got ${tau}`);
  const { real, synthetic, signal, onProgress } = input;
  const holdout = input.holdout ?? null;
  const discrete = real.kind === 'discrete';
  const timings: Record<string, number> = { ...(input.timings ?? {}) };
  const runWarnings: string[] = [];
  const time = async <T>(stage: string, fn: () => Promise<T> | T): Promise<T> => {
    signal?.throwIfAborted();
    const t0 = now();
    try {
      return await fn();
    } finally {
      timings[stage] = (timings[stage] ?? 0) + (now() - t0);
    }
  };
  const progress = (stage: string, set?: string) => (done: number, total: number) => onProgress?.({ stage, set, done, total });

  if (holdout && real.labels && !holdout.labels) runWarnings.push('the holdout set has no class labels: per-class holdout calibration and memorisation rate are null');
  if (discrete) runWarnings.push('discrete features: FID and KID are not computed (they assume continuous features); distances are Hamming');

  const realContext = async (fs: FeatureSet, hold: FeatureSet | null, scope: string): Promise<RealContext> => {
    const radii = await time(scope === '' ? 'realRadii' : 'perClassRealRadii', () =>
      computeRealRadii(fs, k, { signal, onProgress: progress('realRadii', scope || undefined) }));
    const stats = discrete ? null : await time(scope === '' ? 'realGaussian' : 'perClassRealGaussian', () => gaussianStats(fs));
    let h: RealContext['holdout'] = null;
    if (hold && hold.n > 0) {
      const result = await time(scope === '' ? 'holdout' : 'perClassHoldout', () =>
        neighbourMetrics(fs, hold, { k, tau, radii, signal, onProgress: progress('holdout', scope || undefined) }));
      h = { fs: hold, result };
    }
    return { fs, radii, stats, holdout: h };
  };

  /** Metrics of one set against one real context; pooled calls (where = '') time each stage as `<stage>:<set name>`. */
  const setMetrics = async (ctx: RealContext, synth: FeatureSet, name: string, warnings: string[], where: string): Promise<{ metrics: SetMetrics; nm: NeighbourMetrics }> => {
    const stage = <T>(s: string, fn: () => Promise<T> | T): Promise<T> => (where === '' ? time(`${s}:${name}`, fn) : Promise.resolve().then(fn));
    const nm = await stage('neighbours', () => neighbourMetrics(ctx.fs, synth, {
      k, tau, radii: ctx.radii, holdoutDcrs: ctx.holdout ? ctx.holdout.result.dcr.distances : null, signal,
      onProgress: progress('neighbours', name),
    }));
    signal?.throwIfAborted();
    let fid: number | null = null;
    const tooSmall = synth.n < 2;
    if (tooSmall && !discrete) warnings.push(`${where}FID and KID are null: they need at least 2 synthetic rows, there is ${synth.n}`);
    if (ctx.stats && !tooSmall) {
      const fr = await stage('fid', () => frechetDistance(gaussianStats(synth), ctx.stats!));
      for (const w of fr.warnings) warnings.push(`${where}FID: ${w}`);
      fid = finiteOrNull(fr.fid, `${where}FID`, warnings);
    }
    onProgress?.({ stage: 'fid', set: name, done: 1, total: 1 });
    signal?.throwIfAborted();
    let kidOut: SetMetrics['kid'] = null;
    if (!discrete && !tooSmall) {
      const kr = await stage('kid', () => kid(ctx.fs, synth, { subsetSize: kidSubsetSize, subsets: kidSubsets, seed }));
      for (const w of kr.warnings ?? []) warnings.push(`${where}KID: ${w}`);
      const mean = finiteOrNull(kr.mean, `${where}KID mean`, warnings);
      const std = finiteOrNull(kr.std, `${where}KID std`, warnings);
      if (mean !== null && std !== null) {
        kidOut = { mean, std, subsetSize: kr.subsetSize, subsets: kr.subsets };
        if (kr.note) { kidOut.note = kr.note; warnings.push(`${where}KID: ${kr.note}`); }
      }
    }
    onProgress?.({ stage: 'kid', set: name, done: 1, total: 1 });
    signal?.throwIfAborted();
    const vr = await stage('vendi', () => vendiScore(synth));
    for (const w of vr.warnings) warnings.push(`${where}${w}`);
    const vendiValue = finiteOrNull(vr.score, `${where}Vendi score`, warnings);
    onProgress?.({ stage: 'vendi', set: name, done: 1, total: 1 });
    if (synth.n <= k) warnings.push(`${where}recall is null: it needs more than k = ${k} synthetic rows, there are ${synth.n}`);
    const fp = nm.fidelityPrivacy;
    const hfp = ctx.holdout?.result.fidelityPrivacy ?? null;
    const metrics: SetMetrics = {
      fidelity: fp.fidelity, privacy: fp.privacy, fidelityPrivacy: fp.fidelityPrivacy,
      modeCollapseRuleApplied: fp.modeCollapseRuleApplied, featureStd: fp.featureStd,
      precision: nm.prdc.precision, recall: synth.n > k ? finiteOrNull(nm.prdc.recall, `${where}recall`, warnings) : null, density: nm.prdc.density, coverage: nm.prdc.coverage,
      fid, kid: kidOut,
      dcr: { ...pick3(nm.dcr.dcr) },
      holdoutDcr: nm.dcr.holdoutDcr ? pick3(nm.dcr.holdoutDcr) : null,
      memorizationRate: nm.dcr.memorizationRate,
      vendi: vendiValue,
      holdoutPrivacy: hfp ? hfp.privacy : null,
      holdoutFidelity: hfp ? hfp.fidelity : null,
      holdoutFidelityPrivacy: hfp ? hfp.fidelityPrivacy : null,
      variety: null,
    };
    if (fp.modeCollapseRuleApplied) {
      warnings.push(`${where}mode-collapse rule applied: feature std ${fp.featureStd.toPrecision(4)} <= tau ${tau}, copy radius is rho_1 + tau`);
    }
    return { metrics, nm };
  };

  // Real side, pooled: once.
  const pooled = await realContext(real, holdout, '');

  // Variety (file size), when the caller measured it on the images.
  const variety = new Map<string, VarietyValue>();
  const realVarietyBox: { value: VarietyValue | null } = { value: null };
  if (input.varietyBytes) {
    const groups: { key: string | null; bytes: number }[] = [];
    if (input.varietyBytes.real !== undefined) groups.push({ key: null, bytes: input.varietyBytes.real });
    for (const s of synthetic) {
      const b = input.varietyBytes.sets[s.name];
      if (b !== undefined) groups.push({ key: s.name, bytes: b });
    }
    const scores = varietyScores(groups.map((g) => g.bytes));
    groups.forEach((g, i) => {
      const v = { pngBytes: g.bytes, score: scores[i] };
      if (g.key === null) realVarietyBox.value = v;
      else variety.set(g.key, v);
    });
  } else {
    runWarnings.push('variety (file size of the mean image) is null: it needs the images, and this run had features only');
  }

  const assignments = new Map<string, SetAssignments>();
  const syntheticDcrDistances = new Map<string, Float64Array>();
  const sets: ReportSet[] = [];
  const classContexts = new Map<string, RealContext>();
  const realLabels = classNames(real);

  for (let si = 0; si < synthetic.length; si++) {
    const { name, features } = synthetic[si];
    const warnings: string[] = [];
    const { metrics, nm } = await setMetrics(pooled, features, name, warnings, '');
    metrics.variety = variety.get(name) ?? null;
    if (input.varietyBytes && !metrics.variety) warnings.push('variety: no mean-image size for this set');
    assignments.set(name, toAssignments(nm, features, real));
    syntheticDcrDistances.set(name, nm.dcr.distances);

    // Per class, when labels exist on both sides.
    const perClass: Record<string, SetMetrics> = {};
    if (real.labels && features.labels) {
      const synthLabels = classNames(features);
      const all = [...new Set([...realLabels, ...synthLabels])].sort();
      await time(`perClass:${name}`, async () => {
        for (const label of all) {
          const where = `class "${label}": `;
          const realCount = realLabels.includes(label) ? real.labels!.filter((l) => l === label).length : 0;
          if (realCount === 0) { warnings.push(`${where}no real rows; class skipped`); continue; }
          if (realCount < k + 1) { warnings.push(`${where}${realCount} real rows, fewer than k + 1 = ${k + 1}; class skipped`); continue; }
          if (!synthLabels.includes(label)) { warnings.push(`${where}no synthetic rows; class skipped`); continue; }
          let ctx = classContexts.get(label);
          if (!ctx) {
            const holdC = holdout?.labels ? rowsOfClass(holdout, label) : null;
            ctx = await realContext(rowsOfClass(real, label), holdC, label);
            classContexts.set(label, ctx);
          }
          const synthC = rowsOfClass(features, label);
          const r = await setMetrics(ctx, synthC, name, warnings, where);
          perClass[label] = r.metrics;
        }
      });
    } else if (real.labels || features.labels) {
      warnings.push(`no per-class metrics: ${real.labels ? 'this set' : 'the real set'} has no class labels`);
    }
    const rs: ReportSet = { name, count: features.n, classes: classCounts(features.labels), metrics, perClass, warnings };
    if (nm.engine) {
      const e = nm.engine;
      rs.engine = { method: e.method, backend: e.backend, tileSize: e.tileSize, pairs: e.pairs, exactPairs: e.exactPairs };
    }
    sets.push(rs);
    onProgress?.({ stage: 'sets', done: si + 1, total: synthetic.length });
  }

  let holdoutReport: Report['holdout'] = null;
  if (holdout && pooled.holdout) {
    const perClass: Record<string, HoldoutCalibration> = {};
    for (const [label, ctx] of classContexts) if (ctx.holdout) perClass[label] = calibration(ctx.holdout.result);
    holdoutReport = { ...calibration(pooled.holdout.result), count: holdout.n, classes: classCounts(holdout.labels), perClass };
  }

  timings.total = (timings.total ?? 0) + (now() - tStart);
  const { k: _k, tau: _t, seed: _s, kidSubsetSize: _ks, kidSubsets: _kn, backend, extractor, preprocessing, ...extra } = input.config;
  const config: ReportConfig = {
    ...extra,
    k, tau, seed, featureKind: real.kind, distance: discrete ? 'hamming' : 'euclidean',
    kidSubsetSize, kidSubsets, dim: real.dim, backend,
    extractor: extractor ?? null, preprocessing: preprocessing ?? null,
  };
  const report: Report = {
    version: REPORT_VERSION,
    config,
    real: { count: real.n, classes: classCounts(real.labels), variety: realVarietyBox.value },
    holdout: holdoutReport,
    sets,
    skipped: input.skipped ?? [],
    timings,
    app: { name: APP_NAME, version: APP_VERSION },
    warnings: runWarnings,
    createdAt: new Date().toISOString(),
  };
  const result: EvaluateResult = { report, assignments, syntheticDcrDistances };
  if (pooled.holdout) {
    result.holdoutDcrDistances = pooled.holdout.result.dcr.distances;
    result.holdoutAssignments = toAssignments(pooled.holdout.result, pooled.holdout.fs, real);
  }
  return result;
}

function pick3(s: { min: number; p5: number; median: number }) {
  return { min: s.min, p5: s.p5, median: s.median };
}

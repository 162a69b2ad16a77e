/**
 * evaluate(): every metric of every synthetic set against one real set, pooled and per class,
 * assembled into a versioned Report (./report/schema.ts). Definitions: shared/design/METRICS.md.
 *
 * Work done once per run: the real set's k-NN radii, its Gaussian statistics (FID), and the
 * held-out calibration (P, F, F^p and DCRs of H against R); then once per set. Per class the same
 * is done within each class (real rows of the class against synthetic rows of the class), once
 * per class across sets. The caller registers a TF.js backend first (the neighbour engine uses it).
 *
 * Order, for peak memory: phase 1 computes every plain-JS dense metric (Gaussian statistics, FID,
 * KID, Vendi: d x d float64 temporaries the garbage collector frees), phase 2 every neighbour
 * metric (the TF.js wasm heap, which only grows). Interleaved, their peaks would add up.
 * A large KID is the exception (kidProducts): its kernel sums are taken in phase 2 from the
 * neighbour passes' products (metrics/kidSums.ts), which visit every pair of [R; S] anyway.
 */
import { classNames, rowsOfClass, type FeatureSet } from './features/featureSet.ts';
import { canShareMemory } from './neighbours/parallel.ts';
import { gatherRows, isStreamed } from './features/rowSource.ts';
import { InputError } from './features/csv.ts';
import { knnRadiiWithStats, type EngineOptions, type RealRadii } from './neighbours/engine.ts';
import { neighbourMetrics, type NeighbourMetrics } from './metrics/neighbourMetrics.ts';
import { frechetDistance, gaussianStats, type FidResult, type GaussianStats } from './metrics/fid.ts';
import { denseScope, fidFactorSide } from './metrics/denseParallel.ts';
import { kidFromPassesPlan, kidFromPassSums, kidParallel, type KidFromPasses, type KidResult } from './metrics/kid.ts';
import { sameMembership, type Membership } from './metrics/kidSums.ts';
import { vendiScore, type VendiResult } from './metrics/vendi.ts';
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
  /**
   * Neighbour-engine settings (tile size, TF.js column-tile cache, compute mode; the pool and the work from
   * which it is used, also for KID and the dense statistics); engine defaults otherwise.
   */
  engine?: Pick<EngineOptions, 'tileSize' | 'tensorCacheBytes' | 'compute' | 'pool' | 'parallelMinFlops'>;
  /**
   * KID's kernel products (report: kid.products): 'float64' computes them (kid.ts); 'float32' takes
   * them from the neighbour passes, which compute a float32 product for every pair anyway
   * (kidSums.ts); 'auto' (default) does the latter when the float64 products would cost at least
   * kidFromPassesMinFlops useful FLOPs (default 1e10, about a second of float64 work on two
   * threads). Passes that do not read their products back (GPU screening, exact JS geometries)
   * fall back to float64.
   */
  kidProducts?: 'auto' | 'float64' | 'float32';
  kidFromPassesMinFlops?: number;
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
  holdout: { fs: FeatureSet; result: NeighbourMetrics } | null;
  /** KID's real-real sums from the R x R pass, per set whose KID comes from the passes. */
  kidXX: Map<KidFromPasses, Float64Array>;
}

/** Phase-1 results of one set in one scope. */
interface Dense {
  fid: number | null;
  kid: SetMetrics['kid'];
  vendi: number | null;
  /** Set when KID's sums come from the neighbour passes (phase 2 fills kid). */
  kidPasses: KidFromPasses | null;
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
  const kidOpts = { subsetSize: kidSubsetSize, subsets: kidSubsets, seed };
  const kidProducts = input.kidProducts ?? 'auto';
  const kidMinFlops = input.kidFromPassesMinFlops ?? 1e10;
  validate(input, k);
  if (!(tau >= 0) || !Number.isFinite(tau)) throw new InputError(`tau must be a finite number >= 0, got ${tau}`);
  const { real, synthetic, signal, onProgress } = input;
  const engineOptions = input.engine ?? {};
  /** The engine pool and its threshold, for KID and the dense statistics as for the neighbour passes. */
  const poolOptions = { pool: engineOptions.pool, parallelMinFlops: engineOptions.parallelMinFlops };
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

  /**
   * Phase 1 (plain-JS linear algebra, no TF.js): FID, KID and Vendi of one set against one real
   * scope. Runs before any neighbour work, see the two-phase note below. `user`: the set's place
   * among the sets scored against `stats` (which covariance FID factors, see fidFactorSide).
   * `pre`: FID and Vendi already computed on the engine pool (denseScope) with each one's time.
   */
  const denseMetrics = async (
    stats: GaussianStats | null, realFs: FeatureSet, synth: FeatureSet, name: string, warnings: string[], where: string, user: number,
    pre: { fid: FidResult; vendi: VendiResult; fidMs: number; vendiMs: number } | null,
  ): Promise<Dense> => {
    const stage = <T>(s: string, fn: () => Promise<T> | T): Promise<T> => (where === '' ? time(`${s}:${name}`, fn) : Promise.resolve().then(fn));
    const done = (s: string, ms: number) => {
      if (where === '') timings[`${s}:${name}`] = (timings[`${s}:${name}`] ?? 0) + ms;
    };
    let fid: number | null = null;
    const tooSmall = synth.n < 2;
    if (tooSmall && !discrete) warnings.push(`${where}FID and KID are null: they need at least 2 synthetic rows, there is ${synth.n}`);
    if (stats && !tooSmall) {
      let fr: FidResult;
      if (pre) { fr = pre.fid; done('fid', pre.fidMs); }
      else fr = await stage('fid', () => frechetDistance(gaussianStats(synth), stats, { factor: fidFactorSide(user) }));
      for (const w of fr.warnings) warnings.push(`${where}FID: ${w.replace(/^FID:\s*/, "")}`);
      fid = finiteOrNull(fr.fid, `${where}FID`, warnings);
    }
    onProgress?.({ stage: 'fid', set: name, done: 1, total: 1 });
    signal?.throwIfAborted();
    let kidOut: SetMetrics['kid'] = null;
    let kidPasses: KidFromPasses | null = null;
    if (!discrete && !tooSmall) {
      // null: KID in float64 here; a result: nothing to draw (computed by the plan); else its sums come from the passes
      const planned = kidProducts === 'float64'
        ? null
        : await stage('kid', () => kidFromPassesPlan(realFs, synth, kidOpts, canShareMemory(), kidProducts === 'float32' ? 0 : kidMinFlops));
      if (planned && 'passes' in planned) kidPasses = planned.passes;
      else kidOut = kidSummary(planned ? planned.result : await stage('kid', () => kidParallel(realFs, synth, { ...kidOpts, signal, ...poolOptions })), where, warnings);
    }
    if (!kidPasses) onProgress?.({ stage: 'kid', set: name, done: 1, total: 1 });
    signal?.throwIfAborted();
    let vr: VendiResult;
    if (pre) { vr = pre.vendi; done('vendi', pre.vendiMs); }
    else vr = await stage('vendi', () => vendiScore(synth));
    for (const w of vr.warnings) warnings.push(`${where}${w}`);
    const vendiValue = finiteOrNull(vr.score, `${where}Vendi score`, warnings);
    onProgress?.({ stage: 'vendi', set: name, done: 1, total: 1 });
    return { fid, kid: kidOut, vendi: vendiValue, kidPasses };
  };

  /** A KID result as the report has it; its warnings and note go to the set's warnings. */
  const kidSummary = (kr: KidResult, where: string, warnings: string[]): SetMetrics['kid'] => {
    for (const w of kr.warnings ?? []) warnings.push(`${where}KID: ${w}`);
    const mean = finiteOrNull(kr.mean, `${where}KID mean`, warnings);
    const std = finiteOrNull(kr.std, `${where}KID std`, warnings);
    if (mean === null || std === null) return null;
    const out: NonNullable<SetMetrics['kid']> = { mean, std, subsetSize: kr.subsetSize, subsets: kr.subsets, products: kr.products ?? 'float64' };
    if (kr.note) { out.note = kr.note; warnings.push(`${where}KID: ${kr.note}`); }
    return out;
  };

  /** Phase 2: the neighbour engine's metrics of one set against one real context, merged with phase 1's. */
  const neighbourPart = async (ctx: RealContext, synth: FeatureSet, name: string, dense: Dense, warnings: string[], where: string): Promise<{ metrics: SetMetrics; nm: NeighbourMetrics }> => {
    const kp = dense.kidPasses;
    const run = () => neighbourMetrics(ctx.fs, synth, {
      ...engineOptions, k, tau, radii: ctx.radii, holdoutDcrs: ctx.holdout ? ctx.holdout.result.dcr.distances : null, signal,
      onProgress: progress('neighbours', name),
      kid: kp ? { real: kp.real, synth: kp.synth, subsets: kp.plan.subsets } : null,
    });
    const nm = where === '' ? await time(`neighbours:${name}`, run) : await run();
    signal?.throwIfAborted();
    if (kp) {
      // KID from the passes' sums, or in float64 here when a pass did not read its products back
      const xx = ctx.kidXX.get(kp) ?? null;
      const t0 = now();
      const kr = xx && nm.kidSums ? kidFromPassSums(kp, xx, nm.kidSums.yy, nm.kidSums.xy) : await kidParallel(ctx.fs, synth, { ...kidOpts, signal, ...poolOptions });
      if (where === '') timings[`kid:${name}`] = (timings[`kid:${name}`] ?? 0) + (now() - t0);
      dense.kid = kidSummary(kr, where, warnings);
      onProgress?.({ stage: 'kid', set: name, done: 1, total: 1 });
    }
    if (synth.n <= k) warnings.push(`${where}recall is null: it needs more than k = ${k} synthetic rows, there are ${synth.n}`);
    const fp = nm.fidelityPrivacy;
    const hfp = ctx.holdout?.result.fidelityPrivacy ?? null;
    const metrics: SetMetrics = {
      fidelity: fp.fidelity, privacy: fp.privacy, fidelityPrivacy: fp.fidelityPrivacy,
      modeCollapseRuleApplied: fp.modeCollapseRuleApplied, featureStd: fp.featureStd,
      precision: nm.prdc.precision, recall: synth.n > k ? finiteOrNull(nm.prdc.recall, `${where}recall`, warnings) : null, density: nm.prdc.density, coverage: nm.prdc.coverage,
      fid: dense.fid, kid: dense.kid,
      dcr: pick3(nm.dcr.dcr),
      holdoutDcr: nm.dcr.holdoutDcr ? pick3(nm.dcr.holdoutDcr) : null,
      memorizationRate: nm.dcr.memorizationRate,
      vendi: dense.vendi,
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

  // Plan: the pooled scope '' and, per set, the classes that can be evaluated (the rest get a warning).
  const realLabels = classNames(real);
  const realClassCount = classCounts(real.labels);
  const warningsOf = synthetic.map(() => [] as string[]);
  const classesOf: string[][] = synthetic.map(({ features }, si) => {
    const warnings = warningsOf[si];
    if (!real.labels || !features.labels) {
      if (real.labels || features.labels) warnings.push(`no per-class metrics: ${real.labels ? 'this set' : 'the real set'} has no class labels`);
      return [];
    }
    const synthLabels = classNames(features);
    const ok: string[] = [];
    for (const label of [...new Set([...realLabels, ...synthLabels])].sort()) {
      const where = `class "${label}": `;
      const realCount = realClassCount[label] ?? 0;
      if (realCount === 0) warnings.push(`${where}no real rows; class skipped`);
      else if (realCount < k + 1) warnings.push(`${where}${realCount} real rows, fewer than k + 1 = ${k + 1}; class skipped`);
      else if (!synthLabels.includes(label)) warnings.push(`${where}no synthetic rows; class skipped`);
      else ok.push(label);
    }
    return ok;
  });
  const scopes = ['', ...[...new Set(classesOf.flat())].sort()];
  const realOf = (scope: string) => (scope === '' ? real : classRows(real, scope));
  const synthOf = (si: number, scope: string) => (scope === '' ? synthetic[si].features : classRows(synthetic[si].features, scope));
  const classTime = async <T>(si: number, scope: string, fn: () => Promise<T>): Promise<T> => (scope === '' ? fn() : time(`perClass:${synthetic[si].name}`, fn));

  // Two phases. The TF.js wasm heap that the neighbour engine grows is never returned to the
  // system, while the plain-JS float64 temporaries of FID, KID and Vendi (several d x d matrices)
  // are freed by the garbage collector. Running all of phase 1 first keeps the two peaks apart,
  // so peak memory is the larger of them, not their sum.
  // Phase 1: Gaussian statistics of each real scope (held only while its sets are scored), FID, KID, Vendi.
  const dense = new Map<string, Dense>(); // key `${si}\u0000${scope}`
  // The pooled scope's Gaussian fits, FIDs and Vendi scores go to the engine pool's threads where it
  // has one and the work is large (denseScope: the same values; per-class scopes stay here, their
  // sets being copies made one at a time). Sets streamed from files (features/rowSource.ts: the CLI's
  // .npy inputs, where memory is what is saved) stay here too: one set's d x d work at a time.
  for (const scope of scopes) {
    const users = synthetic.map((_, si) => si).filter((si) => scope === '' || classesOf[si].includes(scope));
    const realFs = realOf(scope);
    const streamed = isStreamed(realFs) || users.some((si) => isStreamed(synthetic[si].features));
    const par = discrete || scope !== '' || streamed ? null : await denseScope(realFs, users.map((si) => synthetic[si].features), { signal, ...poolOptions });
    let stats: GaussianStats | null;
    if (par) {
      stats = par.realFit;
      timings.realGaussian = (timings.realGaussian ?? 0) + par.ms.realFit;
    } else {
      stats = discrete ? null : await time(scope === '' ? 'realGaussian' : 'perClassRealGaussian', () => gaussianStats(realFs));
    }
    for (let ui = 0; ui < users.length; ui++) {
      const si = users[ui];
      const where = scope === '' ? '' : `class "${scope}": `;
      const pre = par ? { fid: par.fid[ui], vendi: par.vendi[ui], fidMs: par.ms.fid[ui], vendiMs: par.ms.vendi[ui] } : null;
      const d = await classTime(si, scope, () => denseMetrics(stats, realFs, synthOf(si, scope), synthetic[si].name, warningsOf[si], where, ui, pre));
      dense.set(`${si}\u0000${scope}`, d);
    }
  }

  // Phase 2: per real scope, its k-NN radii and holdout calibration once, then every set. A class's rows (copies)
  // are held only while that class is scored: what the report needs of a class context afterwards is its holdout
  // calibration, kept without the rows.
  let pooled: RealContext | null = null;
  const classHoldout = new Map<string, NeighbourMetrics | null>();
  const results = new Map<string, { metrics: SetMetrics; nm?: NeighbourMetrics }>();
  for (const scope of scopes) {
    const realFs = realOf(scope);
    // the R x R pass also takes KID's real-real sums for the sets whose KID comes from the passes (one group per distinct draw)
    const groups: Membership[] = [];
    const groupOf = new Map<KidFromPasses, number>();
    for (let si = 0; si < synthetic.length; si++) {
      const kp = dense.get(`${si}\u0000${scope}`)?.kidPasses;
      if (!kp) continue;
      let g = groups.findIndex((m) => sameMembership(m, kp.real));
      if (g < 0) g = groups.push(kp.real) - 1;
      groupOf.set(kp, g);
    }
    const tap = groups.length ? { subsets: kidSubsets, groups: groups.map((m) => ({ rows: m, cols: m })) } : null;
    const self = await time(scope === '' ? 'realRadii' : 'perClassRealRadii', () =>
      knnRadiiWithStats(realFs, k, { ...engineOptions, signal, onProgress: progress('realRadii', scope || undefined) }, undefined, tap));
    const radii = self.radii;
    const kidXX = new Map<KidFromPasses, Float64Array>();
    if (self.kidSums) for (const [kp, g] of groupOf) kidXX.set(kp, self.kidSums[g]);
    const hold = scope === '' ? holdout : holdout?.labels ? classRows(holdout, scope) : null;
    let h: RealContext['holdout'] = null;
    if (hold && hold.n > 0) {
      const result = await time(scope === '' ? 'holdout' : 'perClassHoldout', () =>
        neighbourMetrics(realFs, hold, { ...engineOptions, k, tau, radii, signal, onProgress: progress('holdout', scope || undefined) }));
      h = { fs: hold, result };
    }
    const ctx: RealContext = { fs: realFs, radii, holdout: h, kidXX };
    if (scope === '') pooled = ctx;
    else classHoldout.set(scope, h ? h.result : null);
    for (let si = 0; si < synthetic.length; si++) {
      if (scope !== '' && !classesOf[si].includes(scope)) continue;
      const where = scope === '' ? '' : `class "${scope}": `;
      const key = `${si}\u0000${scope}`;
      const r = await classTime(si, scope, () => neighbourPart(ctx, synthOf(si, scope), synthetic[si].name, dense.get(key)!, warningsOf[si], where));
      results.set(key, scope === '' ? r : { metrics: r.metrics }); // per-class assignments are not kept
    }
  }

  const assignments = new Map<string, SetAssignments>();
  const syntheticDcrDistances = new Map<string, Float64Array>();
  const sets: ReportSet[] = [];
  if (!pooled) throw new Error('internal error: no pooled context');
  for (let si = 0; si < synthetic.length; si++) {
    const { name, features } = synthetic[si];
    const warnings = warningsOf[si];
    const { metrics, nm: pooledNm } = results.get(`${si}\u0000`)!;
    const nm = pooledNm!;
    metrics.variety = variety.get(name) ?? null;
    if (input.varietyBytes && !metrics.variety) warnings.push('variety: no mean-image size for this set');
    assignments.set(name, toAssignments(nm, features, real));
    syntheticDcrDistances.set(name, nm.dcr.distances);
    const perClass: Record<string, SetMetrics> = {};
    for (const label of classesOf[si]) perClass[label] = results.get(`${si}\u0000${label}`)!.metrics;
    const rs: ReportSet = { name, count: features.n, classes: classCounts(features.labels), metrics, perClass, warnings };
    if (nm.engine) {
      const e = nm.engine;
      rs.engine = { method: e.method, backend: e.backend, tileSize: e.tileSize, pairs: e.pairs, exactPairs: e.exactPairs, workers: e.workers ?? 1, ...(e.screening ? { screening: e.screening } : {}) };
    }
    sets.push(rs);
    onProgress?.({ stage: 'sets', done: si + 1, total: synthetic.length });
  }
  let holdoutReport: Report['holdout'] = null;
  if (holdout && pooled.holdout) {
    const perClass: Record<string, HoldoutCalibration> = {};
    for (const [label, result] of classHoldout) if (result) perClass[label] = calibration(result);
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

/**
 * The rows of one class (a copy, as rowsOfClass), put on shared memory where this environment can share it: the
 * engine's threads then read the copy in place, where shareSet() would otherwise copy it a second time.
 */
export function classRows(fs: FeatureSet, label: string): FeatureSet {
  if (!canShareMemory()) return rowsOfClass(fs, label);
  if (!fs.labels) throw new Error('feature set has no labels');
  const labels = fs.labels;
  const idx: number[] = [];
  labels.forEach((l, i) => { if (l === label) idx.push(i); });
  const d = fs.dim;
  const data = gatherRows(fs, idx, true);
  return { ids: idx.map((i) => fs.ids[i]), labels: idx.map((i) => labels[i]), n: idx.length, dim: d, kind: fs.kind, data };
}

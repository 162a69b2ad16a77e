/**
 * Parallel neighbour passes: the environment-neutral half (no Node or DOM modules).
 *
 * A pass is split into column-tile units (passes.ts). An EnginePool (Node: worker_threads in
 * src/cli/enginePool.ts; browser: Web Workers) gives each of its workers the task once
 * (feature sets on SharedArrayBuffers, so no worker copies them: see shareSet, which moves a
 * set's values there the first time) and then units one at a
 * time from an ascending queue, so each worker visits its column tiles in ascending order.
 * Each worker runs EngineTaskRunner (below) with its own TF.js backend and returns a partial
 * state; engine.ts merges the partials (passes.ts: mergeSelf, mergeCross), which gives the
 * results of one thread exactly. Only the engine statistics (exact recomputations) depend on
 * how units fell to workers.
 *
 * The pool also runs KID (../metrics/kid.ts: kidParallel): a 'kid' task whose units are subsets
 * or blocks of kernel rows ([a0, a1, kind], see kidUnits), run by kid.ts's KidUnits on each
 * worker; kid.ts merges the partials into the values of one thread exactly. (kid.ts imports
 * this module for the pool and shareSet, and this module imports KidUnits: the two refer to
 * each other only inside functions, so the import cycle is harmless.) Likewise a 'dense' task:
 * the Gaussian fits, FIDs and Vendi scores of ../metrics/denseParallel.ts, one unit each.
 */
import type { FeatureKind, FeatureSet } from '../features/featureSet.ts';
import { isStreamed, rowsInMemory, streamedRows, type RowFileRef } from '../features/rowSource.ts';
import { makeGeometry, TfGeometry, type Block, type ComputeMode, type EngineMethod, type Geometry } from './blocks.ts';
import type { Values } from './exact.ts';
import { DeviceScreen, isScreenSink, runScreenedBlocks } from './deviceScreen.ts';
import {
  CrossPassState, SelfPassState, SharedMinBound, crossUnitBlocks, selfPartial, selfUnitBlocks,
  type BlockSpec, type CrossOutputs, type CrossPassInput, type SelfPartial, type Unit,
} from './passes.ts';
import { KidUnits, type KidPartial, type KidWork } from '../metrics/kid.ts';
import { KidTap, type KidTapPartial, type KidTapSpec } from '../metrics/kidSums.ts';
import { DenseUnits, densePartialTransferables, type DensePartial, type DenseTask } from '../metrics/denseParallel.ts';

/**
 * A feature set whose values live on a SharedArrayBuffer, or a streamed set's file (each thread
 * reads its own tiles: ../features/rowSource.ts); ids and labels are not needed.
 */
export interface SharedSet {
  kind: FeatureKind;
  n: number;
  dim: number;
  data: Values | null;
  rows?: RowFileRef;
}

/** Engine options that travel to workers. */
export interface PassOptionsWire {
  tileSize: number;
  compute: ComputeMode;
  tensorCacheBytes: number;
}

/**
 * abort: one cell, set to 1 to stop the workers between blocks (kid: between subsets and
 * blocks of kernel rows). shared: SharedMinBound cells (self: one per row, rho_k bounds;
 * cross: one per synthetic row, nearest-real bounds). kid: the subsets' rows in work.draws (on
 * shared memory).
 */
export type EngineTask =
  | { pass: 'self'; set: SharedSet; k: number; opts: PassOptionsWire; abort: Int32Array; shared: Int32Array; tap?: KidTapSpec }
  | { pass: 'cross'; real: SharedSet; synth: SharedSet; input: CrossPassInput; opts: PassOptionsWire; abort: Int32Array; shared: Int32Array; tap?: KidTapSpec }
  | { pass: 'kid'; real: SharedSet; synth: SharedSet; work: KidWork; abort: Int32Array }
  | DenseTask;

export type { Unit } from './passes.ts';

export type EnginePartial = ({ pass: 'self'; part: SelfPartial } | { pass: 'cross'; part: CrossOutputs } | { pass: 'kid'; part: KidPartial } | { pass: 'dense'; part: DensePartial }) & {
  /** kid and dense: 'js-float64' (float64 products of ../linalg/gemm.ts), backend null. */
  method: EngineMethod;
  backend: string | null;
  /** TfGeometry's matmulMs and productPairs (0 for exact JS geometries and kid). */
  matmulMs: number;
  productPairs: number;
  /** self and cross with a tap: this thread's KID sums (../metrics/kidSums.ts). */
  tap?: KidTapPartial;
};

/** Workers that run units of a pass; see the file header. */
export interface EnginePool {
  /** Number of workers. */
  readonly size: number;
  /**
   * Runs every unit of `task` (ascending queue, each unit to the next free worker) and returns
   * one partial per worker that took part. onBlocks(count) after each unit. On abort, sets
   * task.abort[0] = 1 (workers stop between blocks) and rejects with the signal's reason.
   */
  run(task: EngineTask, units: Unit[], onBlocks: (count: number) => void, signal?: AbortSignal): Promise<EnginePartial[]>;
}

let registered: EnginePool | null = null;

/** Sets (or clears, with null) the pool that large passes use unless EngineOptions.pool says otherwise. */
export function setEnginePool(pool: EnginePool | null): void {
  registered = pool;
}

export function getEnginePool(): EnginePool | null {
  return registered;
}


/** Whether this environment can share memory with workers (SharedArrayBuffer; in browsers, cross-origin isolation). */
export function canShareMemory(): boolean {
  const g = globalThis as { SharedArrayBuffer?: unknown; crossOriginIsolated?: boolean };
  if (typeof g.SharedArrayBuffer !== 'function') return false;
  return g.crossOriginIsolated !== false;
}

/**
 * The set's values on a SharedArrayBuffer, so workers read them without a copy: the array
 * itself when it already is one; otherwise the values are copied once into shared memory
 * and fs.data is replaced by that copy (equal values, same type), so the original array can
 * be freed and later passes find the set already shared. Memory: one copy of the set while
 * copying, then none.
 */
export function shareSet(fs: FeatureSet): SharedSet {
  if (isStreamed(fs)) return { kind: fs.kind, n: fs.n, dim: fs.dim, data: null, rows: fs.rows };
  const src = fs.data;
  if (!(src.buffer instanceof SharedArrayBuffer)) {
    const Ctor = src.constructor as { new (b: SharedArrayBuffer): Values; BYTES_PER_ELEMENT: number };
    const copy = new Ctor(new SharedArrayBuffer(src.length * Ctor.BYTES_PER_ELEMENT));
    copy.set(src);
    fs.data = copy;
  }
  return { kind: fs.kind, n: fs.n, dim: fs.dim, data: fs.data };
}

/** A shared set as a FeatureSet (no ids or labels: what the work on a thread needs). */
export function asFeatureSet(s: SharedSet): FeatureSet {
  if (s.rows) return streamedRows(s.rows, s.n, s.dim);
  return { ids: [], labels: null, n: s.n, dim: s.dim, kind: s.kind, data: s.data! };
}

/** Anything that takes blocks of a pass. */
export interface BlockSink {
  consume(blk: Block, geom: Geometry): void;
  consumeProducts(r0: number, nr: number, c0: number, nc: number, g: Float32Array, geom: TfGeometry, part2: boolean): void;
}

/**
 * Runs blocks in order, the next one launched before the current one is read back (on GPU
 * backends the device computes block s + 1 while JS consumes block s). check() runs before
 * every block (abort); onBlock() after every block (a split diagonal tile counts once).
 * With deviceScreening, float32 blocks are screened on the backend (deviceScreen.ts) instead
 * of being read back whole; the results are the same. Returns the number of blocks counted.
 */
export async function runBlocks(
  geom: Geometry, blocks: BlockSpec[], sink: BlockSink, check: () => void, onBlock: () => void, deviceScreening = false, tap: KidTap | null = null,
): Promise<number> {
  if (blocks.length === 0) return 0;
  check();
  const tfGeom = geom instanceof TfGeometry ? geom : null;
  // KID's sums (tap) need every product read back: blocks screened on the device, or exact JS blocks, leave them to kid.ts
  if (!tfGeom) tap?.missed();
  if (deviceScreening && tfGeom && isScreenSink(sink) && DeviceScreen.usable(tfGeom)) {
    tap?.missed();
    return runScreenedBlocks(tfGeom, blocks, sink, check, onBlock);
  }
  const launch = (b: BlockSpec) => geom.launch(b[0], b[1], b[2], b[3]);
  // the next block is launched before this one is read where that overlaps work (a GPU computing
  // while JavaScript decides); where products are computed at the call, one block at a time
  const ahead = !(tfGeom?.computesAtCall ?? true);
  let pending = launch(blocks[0]);
  let counted = 0;
  for (let s = 0; s < blocks.length; s++) {
    check();
    const next = ahead && s + 1 < blocks.length ? launch(blocks[s + 1]) : null;
    const part2 = blocks[s][4] === 1;
    if (tfGeom) {
      const g = await tfGeom.resolveProduct(pending);
      sink.consumeProducts(pending.r0, pending.nr, pending.c0, pending.nc, g, tfGeom, part2);
      tap?.addProducts(pending.r0, pending.nr, pending.c0, pending.nc, g, tfGeom);
      await tfGeom.maybeYield();
    } else {
      sink.consume(await geom.resolve(pending), geom);
    }
    if (!part2) {
      counted++;
      onBlock();
    }
    if (next) pending = next;
    else if (s + 1 < blocks.length) pending = launch(blocks[s + 1]);
  }
  return counted;
}

/** One worker's share of a task (see EngineTaskRunner). */
interface TaskWork {
  runUnit(u: Unit): Promise<number>;
  finish(): EnginePartial;
  dispose(): void;
}

/** A neighbour pass's share: its geometry (TF.js or exact JS) and partial state. */
class PassWork implements TaskWork {
  private constructor(
    private readonly task: Exclude<EngineTask, { pass: 'kid' } | DenseTask>,
    private readonly geom: Geometry,
    private readonly backend: string | null,
    private readonly self: SelfPassState | null,
    private readonly cross: CrossPassState | null,
    private readonly tap: KidTap | null,
  ) {}

  static async start(task: Exclude<EngineTask, { pass: 'kid' } | DenseTask>): Promise<PassWork> {
    const choice = { mode: task.opts.compute, tileSize: task.opts.tileSize, cacheBudgetBytes: task.opts.tensorCacheBytes };
    if (task.pass === 'self') {
      const fs = asFeatureSet(task.set);
      const { geom, backend } = await makeGeometry(fs, fs, true, null, choice);
      return new PassWork(task, geom, backend, new SelfPassState(fs.n, task.k, new SharedMinBound(task.shared)), null, task.tap ? new KidTap(task.tap, true) : null);
    }
    const real = asFeatureSet(task.real);
    const synth = asFeatureSet(task.synth);
    const { geom, backend } = await makeGeometry(synth, real, false, null, choice);
    const cross = new CrossPassState(synth.n, real.n, task.input, task.opts.tileSize, new SharedMinBound(task.shared));
    return new PassWork(task, geom, backend, null, cross, task.tap ? new KidTap(task.tap, false) : null);
  }

  async runUnit(u: Unit): Promise<number> {
    const t = this.task;
    const T = t.opts.tileSize;
    const blocks = t.pass === 'self' ? selfUnitBlocks(u, t.set.n, T, this.geom instanceof TfGeometry) : crossUnitBlocks(u, t.synth.n, t.real.n, T);
    const check = () => {
      if (Atomics.load(t.abort, 0) !== 0) throw new Error('engine pass aborted');
    };
    return runBlocks(this.geom, blocks, (this.self ?? this.cross)!, check, () => {}, false, this.tap);
  }

  finish(): EnginePartial {
    this.geom.dispose();
    const { method } = this.geom;
    const tfg = this.geom instanceof TfGeometry ? this.geom : null;
    const product = { matmulMs: tfg?.matmulMs ?? 0, productPairs: tfg?.productPairs ?? 0, ...(this.tap ? { tap: this.tap.partial() } : {}) };
    if (this.self) return { pass: 'self', part: selfPartial(this.self), method, backend: this.backend, ...product };
    return { pass: 'cross', part: this.cross!.out, method, backend: this.backend, ...product };
  }

  dispose(): void {
    this.geom.dispose();
  }
}

/** A KID's share: kid.ts's KidUnits on the shared sets; no TF.js. */
function kidWork(task: Extract<EngineTask, { pass: 'kid' }>): TaskWork {
  const { real, synth, work, abort } = task;
  if (real.dim !== synth.dim) throw new Error('KID task: feature dimensions differ');
  // kid.ts hands over sets in memory; a streamed one would be read whole here
  const units = new KidUnits(rowsInMemory(asFeatureSet(real)), real.n, rowsInMemory(asFeatureSet(synth)), synth.n, real.dim, work, () => {
    if (Atomics.load(abort, 0) !== 0) throw new Error('KID aborted');
  });
  return {
    runUnit: async (u) => units.runUnit(u),
    finish: () => ({ pass: 'kid', part: units.finish(), method: 'js-float64', backend: null, matmulMs: 0, productPairs: 0 }),
    dispose: () => {},
  };
}

/** A share of the dense statistics (../metrics/denseParallel.ts: Gaussian fits, FID, Vendi); no TF.js. */
function denseWork(task: DenseTask): TaskWork {
  const units = new DenseUnits(task, () => {
    if (Atomics.load(task.abort, 0) !== 0) throw new Error('dense statistics aborted');
  });
  return {
    runUnit: async (u) => units.runUnit(u),
    finish: () => ({ pass: 'dense', part: units.finish(), method: 'js-float64', backend: null, matmulMs: 0, productPairs: 0 }),
    dispose: () => {},
  };
}

/** One worker's share of a task: build once, run units, hand back the partial state. */
export class EngineTaskRunner {
  private constructor(private readonly work: TaskWork) {}

  static async start(task: EngineTask): Promise<EngineTaskRunner> {
    if (task.pass === 'kid') return new EngineTaskRunner(kidWork(task));
    if (task.pass === 'dense') return new EngineTaskRunner(denseWork(task));
    return new EngineTaskRunner(await PassWork.start(task));
  }

  /** Runs one unit (blocks of a pass; subsets or kernel row blocks of a KID); returns how many. */
  runUnit(u: Unit): Promise<number> {
    return this.work.runUnit(u);
  }

  /** The partial state; releases the geometry. */
  finish(): EnginePartial {
    return this.work.finish();
  }

  /** Releases the geometry without a result (after an error or abort). */
  dispose(): void {
    this.work.dispose();
  }
}

/**
 * The message protocol between an engine pool and one of its threads (Node worker_threads in
 * src/cli/engineWorker.ts, Web Workers in src/workers/browserEnginePool.ts):
 *   in:  begin(task) | unit(unit) | finish | drop, handled one at a time, in order;
 *   out: ready(backend) once, then one reply per request: ok | unitDone(blocks) | partial | error.
 */
export type EngineRequest = { type: 'begin'; task: EngineTask } | { type: 'unit'; unit: Unit } | { type: 'finish' } | { type: 'drop' };
export type EngineReply =
  | { type: 'ready'; backend: string }
  | { type: 'ok' }
  | { type: 'unitDone'; blocks: number }
  | { type: 'partial'; partial: EnginePartial }
  | { type: 'error'; message: string };

/** The typed arrays' buffers of a partial, handed back to the pool without a copy. */
export function partialTransferables(p: EnginePartial): ArrayBuffer[] {
  if (p.pass === 'dense') return densePartialTransferables(p.part);
  const arrays: ArrayBufferView[] = p.tap ? [p.tap.keys, p.tap.sums] : [];
  arrays.push(...(
    p.pass === 'self'
      ? [p.part.heap, p.part.count]
      : p.pass === 'kid'
      ? [p.part.values]
      : [
          p.part.nearestReal, p.part.nearestRealDistance, p.part.nearestSynth, p.part.nearestSynthDistance,
          p.part.copy, p.part.copyOf, p.part.realistic, p.part.ballCount, ...(p.part.recalled ? [p.part.recalled] : []),
        ]));
  return [...new Set(arrays.map((a) => a.buffer).filter((b): b is ArrayBuffer => b instanceof ArrayBuffer))];
}

/**
 * A thread's side of the protocol: handle(request) returns the reply and the buffers to transfer
 * with it; every failure becomes an 'error' reply. Call it for one request at a time, in order.
 */
export function engineRequestHandler(): (m: EngineRequest) => Promise<{ reply: EngineReply; transfer: ArrayBuffer[] }> {
  let runner: EngineTaskRunner | null = null;
  return async (m) => {
    try {
      if (m.type === 'begin') {
        runner?.dispose();
        runner = null;
        runner = await EngineTaskRunner.start(m.task);
        return { reply: { type: 'ok' }, transfer: [] };
      }
      if (m.type === 'unit') {
        if (!runner) throw new Error('unit before begin');
        return { reply: { type: 'unitDone', blocks: await runner.runUnit(m.unit) }, transfer: [] };
      }
      if (m.type === 'finish') {
        if (!runner) throw new Error('finish before begin');
        const partial = runner.finish();
        runner = null;
        return { reply: { type: 'partial', partial }, transfer: partialTransferables(partial) };
      }
      runner?.dispose();
      runner = null;
      return { reply: { type: 'ok' }, transfer: [] };
    } catch (e) {
      return { reply: { type: 'error', message: (e as Error)?.message ?? String(e) }, transfer: [] };
    }
  };
}

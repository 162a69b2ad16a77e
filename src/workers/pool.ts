/**
 * Page-side pool of pipeline workers (one per core, at most 4): each worker owns a backend and a model;
 * files are handed out in small chunks so every core stays busy, and results come back per file with
 * its index in the input. A worker gets a file's bytes when it reaches the file: the page reads them and
 * transfers them (posting the File itself would leave the page's File holding more browser memory; see
 * pipeline.worker.ts). Cancelling aborts every worker promptly; terminate() frees them.
 */
import * as Comlink from 'comlink';
import type { ExtractorSpec } from '../extractors/registry.ts';
import type { ItemResult, Stage } from '../pipeline/extract.ts';
import type { PipelineInit, PipelineWorkerApi, WorkItem, WorkRef } from './pipeline.worker.ts';
import type { VarietyState } from '../core/metrics/variety.ts';
import { mergeVarietyStates } from '../pipeline/collect.ts';
import type { FileSource } from '../app/fileSource.ts';

/**
 * Workers for a run: one per logical core, so decoding, preprocessing and inference overlap across cores.
 * Each worker holds its own copy of the model, so the count is capped by the model's size: 8 for the small
 * models (MobileNetV2, about 14 MB of weights in memory; pixels, none), 4 for InceptionV3 and custom models
 * (about 95 MB each), keeping the tab's memory bounded on many-core machines.
 */
export function defaultPoolSize(extractorId?: string, cores = globalThis.navigator?.hardwareConcurrency ?? 2): number {
  const cap = extractorId === 'mobilenet-v2' || extractorId === 'pixels' ? 8 : 4;
  return Math.max(1, Math.min(cap, cores));
}

export class PipelinePool {
  private workers: Worker[] = [];
  private remotes: Comlink.Remote<PipelineWorkerApi>[] = [];
  private cancelled = false;

  constructor(readonly size = defaultPoolSize()) {
    for (let i = 0; i < size; i++) {
      const w = new Worker(new URL('./pipeline.worker.ts', import.meta.url), { type: 'module', name: `synthlens-pipeline-${i}` });
      this.workers.push(w);
      this.remotes.push(Comlink.wrap<PipelineWorkerApi>(w));
    }
  }

  /** Loads backend and model in every worker; returns the backend and extractor of the first. */
  async init(init: PipelineInit): Promise<{ backend: string; spec: ExtractorSpec }> {
    const all = await Promise.all(this.remotes.map((r) => r.init(init)));
    return all[0];
  }

  /**
   * Processes `items`, whose files `files` opens; onResult(index, result) is called once per item (any order across chunks), without its
   * variety images: with `variety`, the workers sum them and the run returns the sums (null when none).
   * Rejects with an AbortError after cancel().
   */
  async run(
    items: WorkItem[],
    files: FileSource,
    hooks: { onResult(index: number, r: ItemResult): void; onStage?(s: Stage): void; chunkSize?: number; variety?: boolean },
  ): Promise<{ cached: number; embedded: number; skipped: number; variety: VarietyState | null }> {
    this.cancelled = false;
    const chunk = hooks.chunkSize ?? 8;
    let next = 0;
    const totals = { cached: 0, embedded: 0, skipped: 0 };
    const varieties: VarietyState[] = [];
    // A file's bytes, read here and transferred; a read error reaches the worker with its message (the skip reason).
    const read = async (index: number) => {
      const bytes = new Uint8Array(await (await files.open(items[index].path)).arrayBuffer());
      return Comlink.transfer(bytes, [bytes.buffer]);
    };
    const loop = async (remote: Comlink.Remote<PipelineWorkerApi>) => {
      // One callback per worker for the whole run (a proxied callback is a message port: one per chunk would make
      // 25,000 ports for 200,000 files), told which chunk its results belong to.
      let start = 0;
      let k = 0;
      let expected = 0;
      let allDelivered: () => void = () => {};
      const onItem = (r: ItemResult) => {
        hooks.onResult(start + k++, r);
        if (k === expected) allDelivered();
      };
      await remote.begin(Comlink.proxy(onItem), Comlink.proxy(read), hooks.onStage ? Comlink.proxy(hooks.onStage) : undefined, { variety: !!hooks.variety });
      try {
        while (!this.cancelled && next < items.length) {
          start = next;
          const slice: WorkRef[] = [];
          for (let i = start; i < Math.min(items.length, start + chunk); i++) slice.push({ index: i, path: items[i].path, label: items[i].label });
          next += slice.length;
          k = 0;
          expected = slice.length;
          // Per-item results travel on the callback's own MessagePort, the return value on the worker's port:
          // messages on different ports are not ordered, so wait for every item before taking the next chunk.
          const delivered = new Promise<void>((resolve) => (allDelivered = resolve));
          const counts = await remote.process(slice);
          if (k < slice.length && !this.cancelled) await delivered;
          totals.cached += counts.cached;
          totals.embedded += counts.embedded;
          totals.skipped += counts.skipped;
        }
      } finally {
        const st = await remote.end().catch(() => null);
        if (st) varieties.push(st);
      }
    };
    await Promise.all(this.remotes.map(loop));
    if (this.cancelled) throw Object.assign(new Error('The run was cancelled.'), { name: 'AbortError' });
    return { ...totals, variety: mergeVarietyStates(varieties) };
  }

  cancel(): void {
    this.cancelled = true;
    for (const r of this.remotes) void r.cancel();
  }

  async takeWarnings(): Promise<string[]> {
    return (await Promise.all(this.remotes.map((r) => r.takeWarnings()))).flat();
  }

  get first(): Comlink.Remote<PipelineWorkerApi> {
    return this.remotes[0];
  }

  terminate(): void {
    for (const w of this.workers) w.terminate();
    this.workers = [];
    this.remotes = [];
  }
}

export type { WorkItem };

/**
 * src/workers/pool.ts with the workers replaced by Comlink endpoints over Node MessageChannels (a fake pipeline
 * worker with the real protocol: begin / process / end): every file's result comes back once, under its index;
 * the workers get file references and read the bytes through begin's `read` (no File or Blob is posted: a posted
 * File keeps more browser memory on the page for as long as the File lives); the callbacks are handed over once
 * per worker per run, not with every chunk (each is a message port); a read error reaches the worker with its
 * message; the workers' variety sums come back merged (the same as one accumulator over every image).
 */
import { afterEach, describe, expect, it } from 'vitest';
import * as Comlink from 'comlink';
import { MessageChannel } from 'node:worker_threads';
import { PipelinePool } from '../../../src/workers/pool.ts';
import type { ItemResult, Stage } from '../../../src/pipeline/extract.ts';
import type { WorkItem } from '../../../src/workers/pipeline.worker.ts';
import { VarietyAccumulator } from '../../../src/core/metrics/variety.ts';
import { BlobFiles } from '../../../src/app/fileSource.ts';

interface Seen {
  begins: number;
  ends: number;
  /** Every value process() received for a file, as given (to check no Blob crosses). */
  refs: unknown[];
}

/**
 * A pipeline worker that "embeds" a file as its byte count, or reports the read error as a skip; with variety, it
 * sums a 2 x 2 image of the file's first byte into its own accumulator, as the real worker sums the variety images.
 */
function fakeWorker(seen: Seen) {
  let sink: { onItem: (r: ItemResult) => Promise<void>; read: (i: number) => Promise<Uint8Array>; onStage?: (s: Stage) => Promise<void> } | null = null;
  let variety: VarietyAccumulator | null = null;
  return {
    begin(onItem: never, read: never, onStage?: never, opts: { variety?: boolean } = {}) {
      seen.begins++;
      sink = { onItem, read, onStage };
      variety = opts.variety ? new VarietyAccumulator(2) : null;
    },
    async process(items: { index: number; path: string; label: string | null }[]) {
      const counts = { cached: 0, embedded: 0, skipped: 0 };
      for (const it of items) {
        seen.refs.push(it);
        await sink!.onStage?.('reading');
        try {
          const bytes = await sink!.read(it.index);
          variety?.add(new Uint8Array(4).fill(bytes[0]), it.label);
          counts.embedded++;
          await sink!.onItem({ path: it.path, label: it.label, fromCache: false, frames: [{ idSuffix: '', feature: Float32Array.of(bytes.length, bytes[0]), thumb: { width: 1, height: 1, channels: 1, data: new Uint8Array(1) }, gray: null, meta: {} }] });
        } catch (e) {
          counts.skipped++;
          await sink!.onItem({ path: it.path, label: it.label, skipped: `cannot be read: ${(e as Error).message}` });
        }
      }
      return counts;
    },
    end() {
      seen.ends++;
      (sink?.onItem as unknown as { [Comlink.releaseProxy]?: () => void })?.[Comlink.releaseProxy]?.();
      sink = null;
      const st = variety && variety.count > 0 ? variety.state() : null;
      variety = null;
      return st;
    },
    cancel() {},
    takeWarnings: () => [],
  };
}

const realWorker = (globalThis as { Worker?: unknown }).Worker;
const ports: MessageChannel[] = [];

function install(seen: Seen): void {
  (globalThis as { Worker?: unknown }).Worker = class {
    constructor() {
      const ch = new MessageChannel();
      ports.push(ch);
      Comlink.expose(fakeWorker(seen), ch.port2 as unknown as Comlink.Endpoint);
      return Object.assign(ch.port1, { terminate: () => ch.port1.close() }) as unknown as object;
    }
  };
}

afterEach(() => {
  (globalThis as { Worker?: unknown }).Worker = realWorker;
  for (const ch of ports.splice(0)) {
    ch.port1.close();
    ch.port2.close();
  }
});

describe('PipelinePool', () => {
  it('returns each file once under its index; workers get references and read bytes through one callback per run', async () => {
    const seen: Seen = { begins: 0, ends: 0, refs: [] };
    install(seen);
    const pool = new PipelinePool(3);
    const n = 100;
    const items: WorkItem[] = Array.from({ length: n }, (_, i) => ({ path: `f${i}.png`, label: i % 2 ? 'b' : 'a' }));
    const files = new BlobFiles(new Map(items.map((it, i) => [it.path, new Blob([new Uint8Array(i + 1).fill(i % 256)])])));
    const got: (ItemResult | undefined)[] = new Array(n);
    const stages = new Set<Stage>();
    const totals = await pool.run(items, files, { onResult: (i, r) => { expect(got[i]).toBeUndefined(); got[i] = r; }, onStage: (s) => stages.add(s), chunkSize: 4, variety: true });
    expect({ ...totals, variety: null }).toEqual({ cached: 0, embedded: n, skipped: 0, variety: null });
    // the three workers' sums, merged: class a holds the even files (first byte i), class b the odd ones
    const one = new VarietyAccumulator(2);
    for (let i = 0; i < n; i++) one.add(new Uint8Array(4).fill(i % 256), i % 2 ? 'b' : 'a');
    const merged = VarietyAccumulator.fromState(totals.variety!).result();
    expect(merged.count).toBe(n);
    expect(merged.classes).toEqual({ a: 50, b: 50 });
    expect(Array.from(merged.meanImage)).toEqual(Array.from(one.result().meanImage));
    expect(totals.variety!.groups.find((g) => g.label === 'a')!.sum[0]).toBe(2450); // 0 + 2 + ... + 98
    for (let i = 0; i < n; i++) {
      const r = got[i]!;
      expect(r.path).toBe(`f${i}.png`);
      expect('frames' in r && Array.from(r.frames[0].feature)).toEqual([i + 1, i % 256]);
    }
    expect(stages).toEqual(new Set(['reading']));
    // 25 chunks of 4 files over 3 workers: the callbacks went over once per worker.
    expect(seen.begins).toBe(3);
    expect(seen.ends).toBe(3);
    expect(seen.refs).toHaveLength(n);
    for (const ref of seen.refs) {
      expect(Object.keys(ref as object).sort()).toEqual(['index', 'label', 'path']);
      for (const v of Object.values(ref as object)) expect(v instanceof Blob).toBe(false);
    }
    pool.terminate();
  });

  it('gives the worker the read error of an unreadable file, as its skip reason', async () => {
    const seen: Seen = { begins: 0, ends: 0, refs: [] };
    install(seen);
    const pool = new PipelinePool(1);
    const broken = { arrayBuffer: () => Promise.reject(new Error('The requested file could not be read')) } as unknown as Blob;
    const got: ItemResult[] = [];
    const files = new BlobFiles(new Map([['ok.png', new Blob([Uint8Array.of(1)])], ['gone.png', broken]]));
    const { variety } = await pool.run(
      [{ path: 'ok.png', label: null }, { path: 'gone.png', label: null }, { path: 'not-listed.png', label: null }],
      files,
      { onResult: (i, r) => (got[i] = r) },
    );
    expect(variety).toBeNull();
    expect(got[0]).toMatchObject({ path: 'ok.png', fromCache: false });
    expect(got[1]).toEqual({ path: 'gone.png', label: null, skipped: 'cannot be read: The requested file could not be read' });
    expect(got[2]).toEqual({ path: 'not-listed.png', label: null, skipped: 'cannot be read: not-listed.png is not one of the picked files' });
    pool.terminate();
  });
});

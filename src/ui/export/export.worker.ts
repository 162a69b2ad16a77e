/**
 * Builds an export file off the main thread (the per-image assignments CSV of 100k-image sets takes
 * seconds): the same builder as on the page (exports.ts), the text returned as a Blob.
 */
import * as Comlink from 'comlink';
import type { RunResult } from '../../app/types.ts';
import { buildExport, type ExportKind } from './exports.ts';

const api = {
  build(kind: ExportKind, result: Pick<RunResult, 'report' | 'sets' | 'assignments'>, now: number): { name: string; blob: Blob } {
    const f = buildExport(kind, result, new Date(now));
    return { name: f.name, blob: new Blob([f.text], { type: `${f.mime};charset=utf-8` }) };
  },
};

export type ExportWorkerApi = typeof api;
Comlink.expose(api);

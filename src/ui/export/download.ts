/**
 * Browser side of the exports: build a file (in a worker when the browser has them, so a large CSV
 * does not freeze the page), save it (Blob + object URL + <a download>; nothing leaves the device),
 * and prepare the page for printing (open every <details>).
 */
import * as Comlink from 'comlink';
import type { RunResult } from '../../app/types.ts';
import { buildExport, type ExportKind } from './exports.ts';
import type { ExportWorkerApi } from './export.worker.ts';

/** Offer `blob` as a download named `name`. The object URL is revoked once the click has been handled. */
export function downloadBlob(blob: Blob, name: string, doc: Document = document): void {
  const url = URL.createObjectURL(blob);
  const a = doc.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  a.style.display = 'none';
  doc.body.appendChild(a);
  try {
    a.click();
  } finally {
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }
}

type Exportable = Pick<RunResult, 'report' | 'sets' | 'assignments'>;

/** Only what the exporters read (no thumbnails, no mean images), so the worker gets a small copy. */
function exportable(result: Exportable): Exportable {
  return {
    report: result.report,
    sets: result.sets.map((s) => ({ ...s, meanImage: null, skipped: [] })),
    assignments: result.assignments,
  };
}

/** Build one export in a worker (on the page where Worker is missing or fails to start). */
export async function buildFile(kind: ExportKind, result: Exportable, now: Date = new Date()): Promise<{ name: string; blob: Blob }> {
  const onPage = () => {
    const f = buildExport(kind, result, now);
    return { name: f.name, blob: new Blob([f.text], { type: `${f.mime};charset=utf-8` }) };
  };
  if (typeof Worker === 'undefined') return onPage();
  let worker: Worker;
  try {
    worker = new Worker(new URL('./export.worker.ts', import.meta.url), { type: 'module', name: 'synthlens-export' });
  } catch {
    return onPage();
  }
  try {
    // A worker that fails to load never answers: fall back to the page then.
    const failed = new Promise<'failed'>((resolve) => worker.addEventListener('error', () => resolve('failed'), { once: true }));
    const built = Comlink.wrap<ExportWorkerApi>(worker).build(kind, exportable(result), now.getTime());
    const first = await Promise.race([built, failed]);
    return first === 'failed' ? onPage() : first;
  } finally {
    worker.terminate();
  }
}

/** The custom property print.css shows at the top of the printed page (a CSS string). */
export const PRINT_HEADER_PROPERTY = '--synthlens-print-header';

/**
 * Open every closed <details> of the document so the printout shows all sections; returns the
 * function that closes them again (call it after printing).
 */
export function expandDetails(doc: Document = document): () => void {
  const opened = [...doc.querySelectorAll('details:not([open])')] as HTMLDetailsElement[];
  for (const d of opened) d.open = true;
  return () => {
    for (const d of opened) d.open = false;
  };
}

/** Page side of the built-in demo: generates the phantom sets in a worker and turns them into chosen sets. */
import * as Comlink from 'comlink';
import type { DemoOptions } from '../demo/phantoms.ts';
import type { DemoWorkerApi } from '../workers/demo.worker.ts';
import { chosenSet, type ChosenSet } from '../ui/setup/setModel.ts';
import { folderFromBlobs } from '../ui/setup/folderDrop.ts';

export interface DemoSets {
  real: ChosenSet;
  holdout: ChosenSet;
  synthetic: ChosenSet[];
  /** What each set is and what the evaluation should find, by set name. */
  notes: Record<string, { description: string; expected: string }>;
}

/**
 * Demo sizes for the app: small enough that extraction, metrics and utility finish in about a minute on a
 * 2-core machine without a GPU (MobileNetV2 on WebAssembly), large enough for the expected pattern.
 */
export const APP_DEMO_COUNTS = { real: 120, holdout: 60, faithful: 60, copies: 60, collapsed: 60, 'low-fidelity': 60, shifted: 60 };

export async function loadDemo(opts: DemoOptions = { counts: APP_DEMO_COUNTS }): Promise<DemoSets> {
  const worker = new Worker(new URL('../workers/demo.worker.ts', import.meta.url), { type: 'module', name: 'synthlens-demo' });
  try {
    const sets = await Comlink.wrap<DemoWorkerApi>(worker).generate(opts);
    const toChosen = (s: (typeof sets)[number]) =>
      chosenSet(folderFromBlobs(s.name, s.files.map((f) => ({ path: f.path, file: new File([f.bytes as Uint8Array<ArrayBuffer>], f.path.split('/').pop()!, { type: 'image/png' }) }))));
    const notes = Object.fromEntries(sets.map((s) => [s.name, { description: s.description, expected: s.expected }]));
    return {
      real: toChosen(sets.find((s) => s.role === 'real')!),
      holdout: toChosen(sets.find((s) => s.role === 'holdout')!),
      synthetic: sets.filter((s) => s.role === 'synthetic').map(toChosen),
      notes,
    };
  } finally {
    worker.terminate();
  }
}

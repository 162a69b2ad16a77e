/**
 * Bench-only page (served by the Vite dev server for `npm run bench -- utility`, never built into the app):
 * runs the utility probe tier (src/core/utility/runUtility.ts, DEFAULT_PROBE_CONFIG) or the cnn tier
 * (src/core/utility/cnnUtility.ts, DEFAULT_CNN_CONFIG, on the TF.js backend the app's engine worker would
 * pick: initBrowserBackend with single-threaded wasm) on the page's thread, on the sets handed over by
 * bench/utility.ts (the same bytes its Node child reads; format in utilityData.ts).
 */
import { runUtility } from '../../src/core/utility/runUtility.ts';
import { runCnnUtility } from '../../src/core/utility/cnnUtility.ts';
import { initBrowserBackend } from '../../src/extractors/backend.ts';
import { decodeUtilityInput, runCnnInput, runUtilityInput, summariseUtility, type UtilityBenchInput, type UtilitySummary } from './utilityData.ts';

let input: UtilityBenchInput | null = null;

const api = {
  /** Fetches the input file (served to this page by the benchmark through a Playwright route). */
  async load(url: string): Promise<{ sets: number; bytes: number }> {
    const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
    input = decodeUtilityInput(bytes);
    return { sets: input.sets.length, bytes: bytes.length };
  },

  /** One probe-tier run with the app's settings for the demo (see runUtilityInput). */
  async run(seeds: number[], tier: 'probe' | 'cnn' = 'probe'): Promise<{ wallMs: number; reportWallMs: number; summary: UtilitySummary; backend: string | null }> {
    if (!input) throw new Error('no input loaded');
    const backend = tier === 'cnn' ? await initBrowserBackend(undefined, 10_000, { wasmThreads: false }) : null;
    const t0 = performance.now();
    const report = tier === 'cnn' ? await runCnnUtility(runCnnInput(input, seeds)) : await runUtility(runUtilityInput(input, seeds));
    const wallMs = performance.now() - t0;
    return { wallMs, reportWallMs: report.wallMs, summary: summariseUtility(report), backend };
  },
};

export type UtilityBenchApi = typeof api;
Object.assign(window, { synthlensUtilityBench: api });
document.body.dataset.ready = '1';

/**
 * Bench-only page (served by the Vite dev server for `npm run bench -- utility`, never built into the app):
 * runs the utility probe tier (src/core/utility/runUtility.ts, DEFAULT_PROBE_CONFIG) on the page's thread on
 * feature sets handed over by bench/utility.ts (the same bytes its Node child reads; format in that file).
 */
import { runUtility } from '../../src/core/utility/runUtility.ts';
import { decodeUtilityInput, runUtilityInput, summariseUtility, type UtilityBenchInput, type UtilitySummary } from './utilityData.ts';

let input: UtilityBenchInput | null = null;

const api = {
  /** Fetches the input file (served to this page by the benchmark through a Playwright route). */
  async load(url: string): Promise<{ sets: number; bytes: number }> {
    const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
    input = decodeUtilityInput(bytes);
    return { sets: input.sets.length, bytes: bytes.length };
  },

  /** One probe-tier run with the app's settings for the demo (see runUtilityInput). */
  async run(seeds: number[]): Promise<{ wallMs: number; reportWallMs: number; summary: UtilitySummary }> {
    if (!input) throw new Error('no input loaded');
    const run = runUtilityInput(input, seeds);
    const t0 = performance.now();
    const report = await runUtility(run);
    const wallMs = performance.now() - t0;
    return { wallMs, reportWallMs: report.wallMs, summary: summariseUtility(report) };
  },
};

export type UtilityBenchApi = typeof api;
Object.assign(window, { synthlensUtilityBench: api });
document.body.dataset.ready = '1';

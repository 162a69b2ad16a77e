/**
 * Dev harness for the results views (not part of the production build): computes a realistic
 * RunResult with the real core in this tab (src/ui/results/demoResult.ts) and mounts ResultsView.
 * Query: ?variant=full|minimal, &utility=none to skip the (slow) utility run, &sets=N to keep the
 * first N synthetic sets. When done, <body data-ready="true"> (for screenshots).
 */
import * as tf from '@tensorflow/tfjs';
import { mount, unmount } from 'svelte';
import { ResultsView } from '../src/ui/results/index.ts';
import { buildDemoResult, type Variant } from '../src/ui/results/demoResult.ts';
import '../src/ui/global.css';
import '../src/ui/print.css';

const params = new URLSearchParams(location.search);
const variant: Variant = params.get('variant') === 'minimal' ? 'minimal' : 'full';
const withUtility = params.get('utility') !== 'none';
const status = document.getElementById('status')!;
const target = document.getElementById('app')!;

async function main() {
  await tf.setBackend(params.get('backend') ?? 'cpu');
  const t0 = performance.now();
  const result = await buildDemoResult(variant, {
    utility: withUtility,
    onStage: (s) => (status.textContent = `${s}… (${((performance.now() - t0) / 1000).toFixed(1)} s)`),
  });
  const t1 = performance.now();
  const longTasks: number[] = [];
  const observer = new PerformanceObserver((list) => list.getEntries().forEach((e) => longTasks.push(e.duration)));
  try {
    observer.observe({ type: 'longtask' });
  } catch {
    /* not supported */
  }
  let app = mount(ResultsView, { target, props: { result } });
  const tMount = performance.now();
  /** For profiling: unmount and mount again, returning the synchronous mount time in ms. */
  (window as unknown as { __remount: () => number }).__remount = () => {
    void unmount(app);
    const t = performance.now();
    app = mount(ResultsView, { target, props: { result } });
    return performance.now() - t;
  };
  await new Promise((r) => requestAnimationFrame(() => r(null)));
  const t2 = performance.now();
  // Charts are built a few per frame after mounting; wait for all of them.
  while (document.querySelector('figure[data-drawn="false"]')) await new Promise((r) => setTimeout(r, 20));
  const t3 = performance.now();
  observer.disconnect();
  const longest = longTasks.length ? Math.max(...longTasks) : 0;
  status.textContent =
    `Variant ${variant}: computed in ${((t1 - t0) / 1000).toFixed(1)} s; mount ${(tMount - t1).toFixed(0)} ms; first paint ${(t2 - t1).toFixed(0)} ms after mount, ` +
    `all charts ${(t3 - t1).toFixed(0)} ms; longest main-thread task ${longest.toFixed(0)} ms (${longTasks.map((d) => d.toFixed(0)).join(', ')}).`;
  document.body.dataset.ready = 'true';
}

main().catch((e: unknown) => {
  status.textContent = `Failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`;
  document.body.dataset.ready = 'error';
});

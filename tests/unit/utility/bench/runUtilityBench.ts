/**
 * Dev benchmark (not a test): wall time of runUtility for the demo-sized case, 160 real x 1280-d,
 * five synthetic sets of 80, 80 test rows, 5 seeds, DEFAULT_PROBE_CONFIG (seeded Gaussian clusters).
 *
 *   npx tsx tests/unit/utility/bench/runUtilityBench.ts [repeats]
 *
 * Classes differ by 0.5 in 32 of the 1280 dimensions (Bayes accuracy 0.92); set5 has its labels
 * swapped. Prints one JSON line per repeat (wall and CPU ms, models, gains) plus the machine's load.
 */
import { loadavg } from 'node:os';
import { runUtility } from '../../../../src/core/utility/runUtility.ts';
import { DEFAULT_PROBE_CONFIG } from '../../../../src/core/utility/probe.ts';
import { gaussianClusters } from '../gaussianClusters.ts';

const dim = 1280;
const means = [Array.from({ length: 32 }, () => 0.25), Array.from({ length: 32 }, () => -0.25)];
const labels = ['normal', 'effusion'];
const real = gaussianClusters({ seed: 1, perClass: [80, 80], dim, means, labels });
const test = gaussianClusters({ seed: 2, perClass: [40, 40], dim, means, labels });
const synthetic = [3, 4, 5, 6, 7].map((seed, i) => ({
  name: `set${i + 1}`,
  features: gaussianClusters({ seed, perClass: [40, 40], dim, means, labels: i === 4 ? [...labels].reverse() : labels }),
}));
const repeats = Number(process.argv[2] ?? 2);
for (let r = 0; r < repeats; r++) {
  let models = 0;
  const t = performance.now();
  const c = process.cpuUsage();
  const rep = await runUtility({
    realTrain: real,
    test,
    synthetic,
    seeds: [1, 2, 3, 4, 5],
    probe: { ...DEFAULT_PROBE_CONFIG },
    onProgress: (p) => {
      if (p.stage.startsWith('Model')) models++;
    },
  });
  const ms = performance.now() - t;
  console.log(
    JSON.stringify({
      wallMs: Math.round(ms),
      cpuMs: Math.round((process.cpuUsage(c).user + process.cpuUsage(c).system) / 1000),
      reportWallMs: rep.wallMs,
      models,
      components: { real: rep.baseline?.components, withSet1: rep.sets[0].intraTask?.components, set1Only: rep.sets[0].tstr?.components },
      explained: rep.baseline?.explainedVariance?.toFixed(3),
      baseline: rep.baseline?.accuracy.mean.toFixed(3),
      gains: rep.sets.map((s) => s.intraTask?.gainPercent.mean?.toFixed(1)),
      tstr: rep.sets.map((s) => s.tstr?.accuracy.mean.toFixed(3)),
      load1: loadavg()[0].toFixed(1),
    }),
  );
}

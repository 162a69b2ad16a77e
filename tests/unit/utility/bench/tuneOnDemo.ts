/**
 * Dev tool (not a test): runs runUtility on the demo's MobileNetV2 features written by
 * extractDemoFeatures.ts, for a few probe settings, and prints gains, TSTR and CPU / wall time.
 *
 *   npx tsx tests/unit/utility/bench/tuneOnDemo.ts /tmp/demo-mobilenet.bin ['{"steps":200}' ...]
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { makeFeatureSet, type FeatureSet } from '../../../../src/core/features/featureSet.ts';
import { runUtility } from '../../../../src/core/utility/runUtility.ts';
import { DEFAULT_PROBE_CONFIG, type ProbeConfig } from '../../../../src/core/utility/probe.ts';

const file = process.argv[2] ?? '/tmp/demo-mobilenet.bin';
const buf = readFileSync(file);
const nl = buf.indexOf(10);
const header = JSON.parse(buf.subarray(0, nl).toString()) as { name: string; n: number; dim: number; labels: string[] }[];
const sets = new Map<string, FeatureSet>();
let off = nl + 1;
for (const h of header) {
  const bytes = buf.subarray(off, off + h.n * h.dim * 4);
  off += bytes.length;
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  sets.set(h.name, makeFeatureSet(data, h.n, h.dim, { labels: h.labels }));
}
const configs = (process.argv.length > 3 ? process.argv.slice(3) : ['{}']).map((s) => ({ ...DEFAULT_PROBE_CONFIG, ...JSON.parse(s) }) as ProbeConfig);
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
for (const probe of configs) {
  const c0 = cpu();
  const t0 = performance.now();
  const rep = await runUtility({
    realTrain: sets.get('real')!,
    test: sets.get('holdout')!,
    synthetic: ['faithful', 'copies', 'collapsed', 'low-fidelity', 'shifted'].map((name) => ({ name, features: sets.get(name)! })),
    seeds: [1, 2, 3, 4, 5],
    probe,
  });
  const f = (v: number | null | undefined, d = 1) => (v === null || v === undefined ? 'n/a' : v.toFixed(d));
  console.log(`\n${JSON.stringify(probe)}  cpu ${(cpu() - c0).toFixed(0)} ms, wall ${(performance.now() - t0).toFixed(0)} ms, load ${loadavg()[0].toFixed(1)}, P ${rep.baseline?.components} (${f(rep.baseline?.explainedVariance, 3)} of R's variance)`);
  console.log(`  baseline acc ${f(rep.baseline!.accuracy.mean, 3)} ± ${f(rep.baseline!.accuracy.std, 3)}  per seed ${rep.baseline!.accuracy.perSeed.map((v) => v.toFixed(3)).join(' ')}`);
  for (const s of rep.sets) {
    const it = s.intraTask!;
    console.log(`  ${s.name.padEnd(13)} gain ${f(it.gainPercent.mean)} ± ${f(it.gainPercent.std)} %  p ${f(it.pValue, 4)}  acc ${f(it.accuracy.mean, 3)}  tstr ${f(s.tstr?.accuracy.mean, 3)}`);
  }
}

/**
 * Dev tool (not a test): writes dev/utility-mobilenet.json, the UtilityReport of the built-in demo
 * (MobileNetV2 features from extractDemoFeatures.ts; real 160 for training, holdout 80 for testing,
 * the five synthetic sets of 80; seeds 1-5; DEFAULT_PROBE_CONFIG), for the utility dev harness.
 *
 *   npx tsx tests/unit/utility/bench/makeDevFixture.ts /tmp/demo-mobilenet.bin dev/utility-mobilenet.json
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { makeFeatureSet, type FeatureSet } from '../../../../src/core/features/featureSet.ts';
import { runUtility } from '../../../../src/core/utility/runUtility.ts';
import { DEFAULT_PROBE_CONFIG } from '../../../../src/core/utility/probe.ts';

const [file = '/tmp/demo-mobilenet.bin', out = 'dev/utility-mobilenet.json'] = process.argv.slice(2);
const buf = readFileSync(file);
const nl = buf.indexOf(10);
const header = JSON.parse(buf.subarray(0, nl).toString()) as { name: string; n: number; dim: number; labels: string[] }[];
const sets = new Map<string, FeatureSet>();
let off = nl + 1;
for (const h of header) {
  const b = buf.subarray(off, off + h.n * h.dim * 4);
  off += b.length;
  sets.set(h.name, makeFeatureSet(new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)), h.n, h.dim, { labels: h.labels }));
}
const report = await runUtility({
  realTrain: sets.get('real')!,
  test: sets.get('holdout')!,
  synthetic: ['faithful', 'copies', 'collapsed', 'low-fidelity', 'shifted'].map((name) => ({ name, features: sets.get(name)! })),
  seeds: [1, 2, 3, 4, 5],
  probe: { ...DEFAULT_PROBE_CONFIG },
});
writeFileSync(out, JSON.stringify(report, null, 1) + '\n');
console.error(`wrote ${out} (${(report.wallMs / 1000).toFixed(1)} s)`);

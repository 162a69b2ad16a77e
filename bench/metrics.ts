/**
 * `npm run bench -- metrics`: wall time and peak memory of `synthlens metrics` beside the same
 * metrics computed the way the paper's tool does (bench/baseline_full_matrix.py: full float64
 * matrices through sklearn.metrics.pairwise_distances), in the same run, on seeded Gaussian
 * features written as .npy into a temporary folder.
 *
 * Peak memory is the maximum resident set size that /usr/bin/time -v reports for each child
 * process; time is its wall clock. Medians over repeats.
 *
 * Options: --sizes 2000,10000  --dim 2048  --repeats 3,1 (per size)  --backend wasm|cpu
 *          --kid-subsets 100 (passed to both tools; fewer subsets shorten KID, the costliest stage
 *          of synthlens at d = 2048, and the table then says so)
 *          --python /usr/bin/python3  --no-baseline  --keep (keep the temporary folder)
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeNpy } from '../src/core/features/npy.ts';
import { createRng } from '../src/core/random.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const TIME = '/usr/bin/time';

/** n x d float32 standard normals (Box-Muller on the seeded mulberry32 generator) plus a shift, in memory (writeGaussianNpy streams the same values to a file). */
export function gaussian(n: number, d: number, seed: number, shift: number): Float32Array {
  const rng = createRng(seed);
  const out = new Float32Array(n * d);
  for (let i = 0; i < out.length; i += 2) {
    const u = 1 - rng();
    const v = rng();
    const r = Math.sqrt(-2 * Math.log(u));
    out[i] = r * Math.cos(2 * Math.PI * v) + shift;
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(2 * Math.PI * v) + shift;
  }
  return out;
}

/**
 * Writes the same .npy bytes as writeNpy(gaussian(n, d, seed, shift), [n, d]) to `path`, a block of rows at a
 * time (about 32 MiB), so that a 100,000 x 1,280 set never sits whole in memory. Returns the bytes written.
 */
export function writeGaussianNpy(path: string, n: number, d: number, seed: number, shift: number): number {
  const header = writeNpy(new Float32Array(0), [0, d]);
  // writeNpy's header for shape (0, d), rewritten for (n, d) with numpy's padding to a multiple of 64.
  const text = new TextDecoder().decode(header.subarray(10)).trimEnd().replace(`(0, ${d})`, `(${n}, ${d})`);
  const total = Math.ceil((10 + text.length + 1) / 64) * 64;
  const head = new Uint8Array(total);
  head.set(header.subarray(0, 8));
  const padded = text.padEnd(total - 11, ' ') + '\n';
  head[8] = padded.length & 0xff;
  head[9] = padded.length >> 8;
  for (let i = 0; i < padded.length; i++) head[10 + i] = padded.charCodeAt(i);
  const rng = createRng(seed);
  const rows = Math.max(1, Math.floor((32 << 20) / (4 * d)));
  const block = new Float32Array(rows * d);
  const bytes = new Uint8Array(block.buffer);
  const little = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  if (!little) throw new Error('writeGaussianNpy: big-endian host');
  const fd = openSync(path, 'w');
  let written = 0;
  try {
    written += writeSync(fd, head);
    // Box-Muller pairs run across the whole n x d stream, as in gaussian(): a pair may straddle two blocks.
    let spare: number | null = null;
    let left = n * d;
    while (left > 0) {
      const m = Math.min(block.length, left);
      for (let i = 0; i < m; i++) {
        if (spare !== null) {
          block[i] = spare;
          spare = null;
          continue;
        }
        const u = 1 - rng();
        const v = rng();
        const r = Math.sqrt(-2 * Math.log(u));
        block[i] = r * Math.cos(2 * Math.PI * v) + shift;
        if (left - i > 1) spare = r * Math.sin(2 * Math.PI * v) + shift;
      }
      written += writeSync(fd, bytes, 0, m * 4);
      left -= m;
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

export interface Measured { wallS: number; peakMiB: number; ok: boolean; stderr: string }

/** Runs `cmd args` under /usr/bin/time -v (cwd: the repository root): wall time, peak RSS, exit status, stderr. */
export function measure(cmd: string, args: string[]): Measured {
  const r = spawnSync(TIME, ['-v', cmd, ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 28 });
  const err = r.stderr ?? '';
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(err);
  const wallS = wall ? Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]) : NaN;
  return { wallS, peakMiB: rss ? Number(rss[1]) / 1024 : NaN, ok: r.status === 0, stderr: err };
}

/** `synthlens ARGS` (bin/synthlens.js on this Node) under measure(). */
export function measureCli(args: string[]): Measured {
  return measure(process.execPath, [join(ROOT, 'bin/synthlens.js'), ...args]);
}

export const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export function fmt(x: number, digits = 1): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '-';
}

/** The per-stage times of a `synthlens metrics --json` report, in seconds: "read 0.1, realRadii 40.2, ...". */
export function stageTimes(oursJson: string): string {
  const t = JSON.parse(readFileSync(oursJson, 'utf8')).timings as Record<string, number>;
  return Object.entries(t).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)}`).join(', ');
}

/** Both tools' values side by side and their per-stage times, from their JSON outputs. */
export function comparisonNotes(n: number, oursJson: string, baseJson: string): string[] {
  const o = JSON.parse(readFileSync(oursJson, 'utf8')).sets[0].metrics;
  const b = JSON.parse(readFileSync(baseJson, 'utf8'));
  const diffs = ['fidelity', 'privacy', 'fidelityPrivacy', 'precision', 'recall', 'density', 'coverage']
    .map((key) => `${key} ${o[key]} vs ${b[key]}`);
  return [
    `N = ${n}: ${diffs.join('; ')}; FID ${o.fid} vs ${b.fid}; KID mean ${o.kid?.mean} vs ${b.kid.mean} (different subset draws; synthlens's kernel products ${o.kid?.products ?? 'float64'})`,
    `N = ${n}: synthlens stages (s): ${stageTimes(oursJson)}`,
    `N = ${n}: baseline stages (s): ${Object.entries(b.timings as Record<string, number>).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`,
  ];
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      sizes: { type: 'string', default: '2000,10000' },
      dim: { type: 'string', default: '2048' },
      repeats: { type: 'string', default: '3,1' },
      backend: { type: 'string', default: 'wasm' },
      'kid-subsets': { type: 'string', default: '100' },
      python: { type: 'string', default: '/usr/bin/python3' },
      'no-baseline': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
    },
  });
  if (!existsSync(TIME)) {
    process.stderr.write(`bench metrics: ${TIME} is needed to measure peak memory (apt-get install time)\n`);
    return 2;
  }
  const sizes = values.sizes.split(',').map(Number);
  const reps = values.repeats.split(',').map(Number);
  const d = Number(values.dim);
  const dir = mkdtempSync(join(tmpdir(), 'synthlens-bench-metrics-'));
  const rows: string[][] = [];
  const notes: string[] = [];
  process.stderr.write(`bench metrics: ${cpus().length} CPUs, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, node ${process.version}, folder ${dir}\n`);
  try {
    for (let si = 0; si < sizes.length; si++) {
      const n = sizes[si];
      const repeats = reps[Math.min(si, reps.length - 1)];
      const realPath = join(dir, `real_${n}.npy`);
      const synthPath = join(dir, `synth_${n}.npy`);
      writeGaussianNpy(realPath, n, d, 1000 + n, 0);
      writeGaussianNpy(synthPath, n, d, 2000 + n, 0.05);
      const ours: Measured[] = [];
      const base: Measured[] = [];
      const oursJson = join(dir, `ours_${n}.json`);
      const baseJson = join(dir, `base_${n}.json`);
      for (let r = 0; r < repeats; r++) {
        process.stderr.write(`  N = M = ${n}, d = ${d}: synthlens run ${r + 1}/${repeats}\n`);
        const m = measureCli(['metrics', '--real', realPath, '--synthetic', synthPath, '--backend', values.backend, '--kid-subsets', values['kid-subsets'], '--json', oursJson]);
        if (!m.ok) throw new Error(`synthlens failed:\n${m.stderr}`);
        ours.push(m);
        if (!values['no-baseline']) {
          process.stderr.write(`  N = M = ${n}, d = ${d}: baseline run ${r + 1}/${repeats}\n`);
          const b = measure(values.python, [join(ROOT, 'bench/baseline_full_matrix.py'), realPath, synthPath, baseJson, '--kid-subsets', values['kid-subsets']]);
          if (!b.ok) throw new Error(`baseline failed:\n${b.stderr}`);
          base.push(b);
        }
      }
      const ow = median(ours.map((m) => m.wallS));
      const om = median(ours.map((m) => m.peakMiB));
      const bw = base.length ? median(base.map((m) => m.wallS)) : NaN;
      const bm = base.length ? median(base.map((m) => m.peakMiB)) : NaN;
      rows.push([`${n}`, `${d}`, `${repeats}`, fmt(ow), fmt(bw), fmt(ow / bw, 2), fmt(om, 0), fmt(bm, 0), fmt(om / bm, 3)]);
      if (base.length) notes.push(...comparisonNotes(n, oursJson, baseJson));
    }
  } finally {
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
  }
  const header = ['N = M', 'd', 'repeats', 'synthlens s', 'baseline s', 'time ratio', 'synthlens MiB', 'baseline MiB', 'memory ratio'];
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const line = (c: string[]) => c.map((x, j) => x.padStart(widths[j])).join('  ');
  const out = [
    `synthlens metrics vs full-matrix baseline (sklearn pairwise_distances, float64), backend ${values.backend}, KID with ${values['kid-subsets']} subsets${values['kid-subsets'] === '100' ? '' : ' (default 100)'}; wall time and peak RSS (/usr/bin/time -v), medians over repeats; ratio = synthlens / baseline`,
    line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line), '', ...notes,
  ];
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}

/**
 * `synthlens metrics --backend webgpu`: TF.js's webgpu backend in Node on Dawn (the optional npm
 * package `webgpu`, src/cli/engineBackend.ts). Here it runs on SwiftShader's Vulkan driver, which
 * Debian's chromium ships in /usr/lib/chromium (a CPU emulation of a GPU: slow, but the same Dawn
 * and WGSL path as on a real GPU). Checks, against the same run on wasm:
 * - the report says the engine ran on webgpu, and every metric, nearest neighbour and copy
 *   assignment is identical (every decision uses the exact float64 distance whatever computed the
 *   float32 blocks); the sets cross the GPU tile of 1,024 rows and hold exact duplicates;
 * - without a Vulkan driver the run falls back to wasm, says so on stderr, and still succeeds.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { writeNpy } from '../../../src/core/features/npy.ts';

const ROOT = resolve(__dirname, '../../..');
const BIN = join(ROOT, 'bin/synthlens.js');
const CHROMIUM = '/usr/lib/chromium';
const haveSwiftShader = existsSync(join(CHROMIUM, 'libvk_swiftshader.so')) && existsSync(join(CHROMIUM, 'libvulkan.so.1'));

interface Run { code: number; stdout: string; stderr: string }
function cli(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((res) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, maxBuffer: 1 << 26, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      res({ code: typeof code === 'number' ? code : 1, stdout, stderr });
    });
  });
}

/** Seeded Gaussian rows (mulberry32 + Box-Muller). */
function gaussian(n: number, d: number, seed: number, shift: number): Float32Array {
  let s = seed >>> 0;
  const u = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(n * d);
  for (let i = 0; i < out.length; i++) out[i] = Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u()) + shift;
  return out;
}

const N = 1100, M = 1050, D = 24;
let dir = '';
const swiftShader = { LD_LIBRARY_PATH: CHROMIUM, VK_ICD_FILENAMES: join(CHROMIUM, 'vk_swiftshader_icd.json'), SYNTHLENS_ENGINE_THREADS: '1' };

describe.skipIf(!haveSwiftShader)('synthlens metrics --backend webgpu (Dawn on SwiftShader)', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'synthlens-webgpu-'));
    const real = gaussian(N, D, 11, 0);
    const synth = gaussian(M, D, 12, 0.3);
    // exact copies of real rows (across tiles) and a duplicated real row: ties and zero distances
    for (const [s, r] of [[0, 5], [700, 1090], [1049, 3]]) synth.set(real.subarray(r * D, (r + 1) * D), s * D);
    real.set(real.subarray(10 * D, 11 * D), 1080 * D);
    writeFileSync(join(dir, 'real.npy'), writeNpy(real, [N, D]));
    writeFileSync(join(dir, 'synth.npy'), writeNpy(synth, [M, D]));
  });

  const run = (backend: string, env: Record<string, string>, tag: string) =>
    cli(['metrics', '--real', join(dir, 'real.npy'), '--synthetic', join(dir, 'synth.npy'), '--backend', backend, '--kid-subsets', '5',
      '--json', join(dir, `${tag}.json`), '--assignments', join(dir, `${tag}.csv`)], env);

  it('gives the wasm run\'s results exactly, with the engine on webgpu', async () => {
    const wasm = await run('wasm', { SYNTHLENS_ENGINE_THREADS: '1' }, 'wasm');
    expect(wasm.code, wasm.stderr).toBe(0);
    const gpu = await run('webgpu', swiftShader, 'webgpu');
    expect(gpu.code, gpu.stderr).toBe(0);
    expect(gpu.stderr).not.toMatch(/unavailable/);
    const a = JSON.parse(readFileSync(join(dir, 'wasm.json'), 'utf8'));
    const b = JSON.parse(readFileSync(join(dir, 'webgpu.json'), 'utf8'));
    expect(a.config.backend).toBe('wasm');
    expect(b.config.backend).toBe('webgpu');
    expect(b.sets[0].engine.backend).toBe('webgpu');
    expect(b.sets[0].engine.method).toBe('tf-float32-refined');
    expect(b.sets[0].metrics).toEqual(a.sets[0].metrics);
    expect(b.sets[0].metrics.dcr.min).toBe(0);
    expect(readFileSync(join(dir, 'webgpu.csv'), 'utf8')).toBe(readFileSync(join(dir, 'wasm.csv'), 'utf8'));
  }, 180_000);

  it('falls back to wasm with a warning when there is no Vulkan driver', async () => {
    const r = await run('webgpu', { ...swiftShader, VK_ICD_FILENAMES: join(dir, 'no-such-driver.json') }, 'fallback');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/webgpu backend unavailable, using wasm/);
    const b = JSON.parse(readFileSync(join(dir, 'fallback.json'), 'utf8'));
    expect(b.config.backend).toBe('wasm');
    expect(b.sets[0].engine.backend).toBe('wasm');
  }, 120_000);
});

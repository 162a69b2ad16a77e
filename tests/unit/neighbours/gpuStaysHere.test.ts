/**
 * engine.ts poolFor: on a GPU backend (webgpu, webgl) the float32 passes stay on the calling thread,
 * on the GPU, even with a registered pool (the CLI on --backend webgpu registers one for KID's
 * subsets); with compute 'js' (plain-JS float64 distances) they still go to the pool. The GPU
 * backend is played by TF.js's cpu backend registered under the name 'webgl'.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { makeFeatureSet } from '../../../src/core/features/featureSet.ts';
import { knnRadiiWithStats } from '../../../src/core/neighbours/engine.ts';
import type { EnginePartial, EnginePool } from '../../../src/core/neighbours/parallel.ts';

class RefusingPool implements EnginePool {
  readonly size = 2;
  runs = 0;
  async run(): Promise<EnginePartial[]> {
    this.runs++;
    throw new Error('pool used');
  }
}

const rows = (n: number, d: number) => {
  const a = new Float32Array(n * d);
  for (let i = 0; i < a.length; i++) a[i] = Math.sin(i * 0.37) * 3 + ((i * 7919) % 13);
  return makeFeatureSet(a, n, d);
};

let before = '';
beforeAll(async () => {
  before = tf.getBackend();
  if (!tf.findBackendFactory('webgl')) {
    tf.registerBackend('webgl', () => new MathBackendCPU(), 0);
    for (const k of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...k, backendName: 'webgl' });
  }
  await tf.setBackend('webgl');
  await tf.ready();
});
afterAll(async () => {
  if (before) await tf.setBackend(before);
});

describe('neighbour passes on a GPU backend', () => {
  it('stay on this thread with a registered pool (float32 blocks)', async () => {
    const pool = new RefusingPool();
    const r = await knnRadiiWithStats(rows(40, 5), 3, { tileSize: 8, pool, parallelMinFlops: 0 });
    expect(pool.runs).toBe(0);
    expect(r.stats.backend).toBe('webgl');
    expect(r.stats.workers).toBe(1);
    const cpu = await knnRadiiWithStats(rows(40, 5), 3, { tileSize: 8, pool: null, compute: 'js' });
    expect(Array.from(r.radii.rhoK)).toEqual(Array.from(cpu.radii.rhoK));
  });

  it('go to the pool with compute js', async () => {
    const pool = new RefusingPool();
    await expect(knnRadiiWithStats(rows(40, 5), 3, { tileSize: 8, pool, parallelMinFlops: 0, compute: 'js' })).rejects.toThrow(/pool used/);
    expect(pool.runs).toBe(1);
  });
});

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { makeFeatureSet } from '../../../src/core/features/featureSet.ts';
import { RowAccess } from '../../../src/core/features/rowSource.ts';
import {
  computeKnnRadii,
  computeRealRadii,
  crossPass,
  knnRadiiWithStats,
  selfPassBlocks,
  crossPassBlocks,
} from '../../../src/core/neighbours/engine.ts';
import { TfGeometry } from '../../../src/core/neighbours/blocks.ts';
import { euclidean64, hamming } from '../../../src/core/neighbours/exact.ts';
import { fixtures, fixture, firstMismatch } from './reference.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** Seeded uniform generator (mulberry32) for test data. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

describe('k-NN radii (hand-computed)', () => {
  // 1-D points 0, 1, 3, 3, 7 with k = 2: rows of the distance matrix without the diagonal
  // r0: 1 3 3 7 -> rho1 1, rho2 3;  r1: 1 2 2 6 -> 1, 2;  r2: 3 2 0 4 -> 0, 2;  r3: same;  r4: 7 6 4 4 -> 4, 4
  const R = makeFeatureSet(Float32Array.from([0, 1, 3, 3, 7]), 5, 1);
  for (const tileSize of [1, 2, 3, 1024]) {
    for (const compute of ['tf', 'js'] as const) {
      it(`tile ${tileSize}, ${compute}`, async () => {
        const r = await computeRealRadii(R, 2, { tileSize, compute });
        expect(Array.from(r.rho1)).toEqual([1, 1, 0, 0, 4]);
        expect(Array.from(r.rhoK)).toEqual([3, 2, 2, 2, 4]);
        expect(r.k).toBe(2);
      });
    }
  }
  it('Hamming: fraction of differing positions, duplicates at 0', async () => {
    // codes: a=(0,0,0,0) b=(0,0,0,1) c=(0,0,0,1) d=(1,1,1,1)
    const R = makeFeatureSet(Int32Array.from([0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1]), 4, 4);
    const r = await computeRealRadii(R, 2, { tileSize: 2 });
    // a: .25 .25 1 ; b: .25 0 .75 ; c: .25 0 .75 ; d: 1 .75 .75
    expect(Array.from(r.rho1)).toEqual([0.25, 0, 0, 0.75]);
    expect(Array.from(r.rhoK)).toEqual([0.25, 0.25, 0.25, 0.75]);
  });
  it('rejects k >= n', async () => {
    await expect(computeRealRadii(R, 5)).rejects.toThrow(/more than k/);
  });
});

describe('engine against the float64 reference (full matrices, numpy/scipy)', () => {
  for (const f of fixtures) {
    for (const tileSize of [3, 8, 1024]) {
      for (const compute of ['tf', 'js'] as const) {
        if (f.kind === 'discrete' && compute === 'tf' && tileSize !== 3) continue; // Hamming ignores compute
        it(`${f.name}: tile ${tileSize}, ${compute}`, async () => {
          const radii = await computeRealRadii(f.R, f.k, { tileSize, compute });
          expect(firstMismatch(radii.rho1, f.expected.rho1)).toBe(-1);
          expect(firstMismatch(radii.rhoK, f.expected.rhoK)).toBe(-1);
          const sigma = await computeKnnRadii(f.S, f.k, { tileSize, compute });
          expect(firstMismatch(sigma.rhoK, f.expected.sigmaK)).toBe(-1);
          const copyRadius = f.expected.modeCollapseRuleApplied ? radii.rho1.map((v) => v + f.tau) : radii.rho1;
          const pass = await crossPass(f.R, f.S, { copyRadius, rhoK: radii.rhoK, sigmaK: sigma.rhoK }, { tileSize, compute });
          const e = f.expected;
          expect(Array.from(pass.nearestReal)).toEqual(e.assignments.nearestReal);
          expect(firstMismatch(pass.nearestRealDistance, e.assignments.distance)).toBe(-1);
          expect(firstMismatch(pass.nearestSynthDistance, e.nearestSynthDistance)).toBe(-1);
          expect(pass.densityCount).toBe(e.prdc.densityCount);
          expect(pass.copy.reduce((a, b) => a + b, 0)).toBe(e.copyCount);
          expect(pass.realistic.reduce((a, b) => a + b, 0)).toBe(e.realisticCount);
          expect(pass.recalled!.reduce((a, b) => a + b, 0)).toBe(e.prdc.recallCount);
          const sets = Array.from(pass.copy, (c, j) => (c ? 0 : pass.realistic[j] ? 1 : 2));
          expect(sets).toEqual(e.assignments.set);
          // copyOf names a real whose copy ball really holds the image
          for (let j = 0; j < f.S.n; j++) {
            const i = pass.copyOf[j];
            if (pass.copy[j]) {
              const D = f.kind === 'discrete' ? hamming(f.S.data, j, f.R.data, i, f.dim) : euclidean64(f.S.data, j, f.R.data, i, f.dim);
              expect(D < copyRadius[i]).toBe(true);
            } else expect(i).toBe(-1);
          }
        });
      }
    }
  }
});

describe('exactness', () => {
  it('near copies at 1e-3 from reals of norm ~1e3 keep their exact distance', async () => {
    const f = fixture('nearcopy_large');
    const radii = await computeRealRadii(f.R, f.k, { compute: 'tf' });
    const pass = await crossPass(f.R, f.S, { copyRadius: radii.rho1, rhoK: radii.rhoK, sigmaK: null }, { compute: 'tf' });
    for (let j = 0; j < 10; j++) {
      expect(pass.nearestReal[j]).toBe(j);
      const d = pass.nearestRealDistance[j];
      expect(d).toBeGreaterThan(0.9e-3);
      expect(d).toBeLessThan(1.1e-3);
      expect(d).toBe(euclidean64(f.S.data, j, f.R.data, j, f.dim));
    }
    expect(pass.stats.method).toBe('tf-float32-refined');
  });

  it('float32 block intervals always contain the exact float64 distance', async () => {
    const r = rng(7);
    for (const [offset, scale, dim] of [
      [0, 1, 5],
      [1000, 0.5, 8],
      [1e4, 1e-3, 3],
      [0, 1e-30, 4],
      [-50, 20, 64],
    ] as const) {
      const n = 40;
      const m = 33;
      const A = new Float32Array(n * dim);
      const B = new Float32Array(m * dim);
      for (let p = 0; p < A.length; p++) A[p] = offset + scale * gaussian(r);
      for (let p = 0; p < B.length; p++) B[p] = offset + scale * gaussian(r);
      // near duplicates and exact duplicates
      for (let t = 0; t < dim; t++) {
        B[t] = A[t];
        B[dim + t] = Math.fround(A[dim + t] + scale * 1e-4 * gaussian(r));
      }
      const centre = new Float64Array(dim).fill(offset);
      centre[0] += scale * 0.3; // any centre must be safe
      const g = new TfGeometry(new RowAccess(makeFeatureSet(A, n, dim)), new RowAccess(makeFeatureSet(B, m, dim)), n, m, dim, centre, false, 64, 1 << 20);
      try {
        const blk = await g.resolve(g.launch(0, n, 0, m));
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < m; j++) {
            const D = euclidean64(A, i, B, j, dim);
            const lo = blk.lo[i * m + j];
            const hi = blk.hi[i * m + j];
            if (!(lo <= D && D <= hi)) throw new Error(`pair ${i},${j}: ${lo} <= ${D} <= ${hi} fails (offset ${offset})`);
          }
        }
      } finally {
        g.dispose();
      }
    }
  });

  it('tf and js paths give identical results and the float32 path refines few pairs', async () => {
    const r = rng(11);
    const dim = 24;
    const mk = (n: number, shift: number) => {
      const x = new Float32Array(n * dim);
      for (let p = 0; p < x.length; p++) x[p] = shift + gaussian(r);
      return makeFeatureSet(x, n, dim);
    };
    const R = mk(150, 0);
    const S = mk(131, 0.2);
    const tileSize = 40;
    const a = await knnRadiiWithStats(R, 5, { compute: 'tf', tileSize });
    const b = await knnRadiiWithStats(R, 5, { compute: 'js', tileSize });
    expect(Array.from(a.radii.rho1)).toEqual(Array.from(b.radii.rho1));
    expect(Array.from(a.radii.rhoK)).toEqual(Array.from(b.radii.rhoK));
    const input = { copyRadius: a.radii.rho1, rhoK: a.radii.rhoK, sigmaK: null };
    const pa = await crossPass(R, S, input, { compute: 'tf', tileSize });
    const pb = await crossPass(R, S, input, { compute: 'js', tileSize });
    expect(Array.from(pa.nearestReal)).toEqual(Array.from(pb.nearestReal));
    expect(Array.from(pa.nearestRealDistance)).toEqual(Array.from(pb.nearestRealDistance));
    expect(Array.from(pa.nearestSynthDistance)).toEqual(Array.from(pb.nearestSynthDistance));
    expect(Array.from(pa.ballCount)).toEqual(Array.from(pb.ballCount));
    expect(Array.from(pa.copy)).toEqual(Array.from(pb.copy));
    expect(pa.stats.method).toBe('tf-float32-refined');
    expect(pb.stats.method).toBe('js-float64');
    expect(pa.stats.pairs).toBe(150 * 131);
    expect(pa.stats.exactPairs).toBeLessThan(0.15 * pa.stats.pairs);
    expect(a.stats.exactPairs).toBeLessThan(0.25 * a.stats.pairs);
    expect(a.stats.blocks).toBe(selfPassBlocks(150, tileSize));
    expect(pa.stats.blocks).toBe(crossPassBlocks(131, 150, tileSize));
  });

  it('all-identical rows: exact zeros, lowest index wins ties', async () => {
    const dim = 3;
    const R = makeFeatureSet(new Float32Array(12 * dim).fill(2.5), 12, dim);
    const S = makeFeatureSet(new Float32Array(5 * dim).fill(2.5), 5, dim);
    const radii = await computeRealRadii(R, 4, { tileSize: 5, compute: 'tf' });
    expect(Array.from(radii.rho1)).toEqual(new Array(12).fill(0));
    expect(Array.from(radii.rhoK)).toEqual(new Array(12).fill(0));
    const pass = await crossPass(R, S, { copyRadius: radii.rho1, rhoK: radii.rhoK, sigmaK: null }, { tileSize: 5, compute: 'tf' });
    expect(Array.from(pass.nearestReal)).toEqual([0, 0, 0, 0, 0]);
    expect(Array.from(pass.nearestRealDistance)).toEqual([0, 0, 0, 0, 0]);
    expect(pass.copy.every((c) => c === 0)).toBe(true); // 0 < 0 is false
    expect(pass.realistic.every((c) => c === 0)).toBe(true);
  });
});

describe('control', () => {
  const f = fixture('tiles');

  it('reports progress once per block up to the total', async () => {
    const seen: Array<[number, number]> = [];
    await computeRealRadii(f.R, f.k, { tileSize: 16, onProgress: (d, t) => seen.push([d, t]) });
    const total = selfPassBlocks(f.R.n, 16);
    expect(seen.length).toBe(total);
    seen.forEach(([d, t], i) => {
      expect(d).toBe(i + 1);
      expect(t).toBe(total);
    });
  });

  it('stops between tiles when aborted and releases its tensors', async () => {
    const before = tf.memory().numTensors;
    const ctl = new AbortController();
    let calls = 0;
    const p = computeRealRadii(f.R, f.k, {
      tileSize: 8,
      compute: 'tf',
      signal: ctl.signal,
      onProgress: () => {
        if (++calls === 3) ctl.abort();
      },
    });
    await expect(p).rejects.toThrow(/abort/i);
    expect(calls).toBe(3);
    expect(tf.memory().numTensors).toBe(before);
    const pre = new AbortController();
    pre.abort();
    await expect(
      crossPass(f.R, f.S, { copyRadius: new Float64Array(f.R.n), rhoK: new Float64Array(f.R.n), sigmaK: null }, { signal: pre.signal }),
    ).rejects.toThrow(/abort/i);
  });

  it('leaves no tensors behind after a normal run', async () => {
    const before = tf.memory().numTensors;
    const radii = await computeRealRadii(f.R, f.k, { tileSize: 16, compute: 'tf', tensorCacheBytes: 0 });
    await crossPass(f.R, f.S, { copyRadius: radii.rho1, rhoK: radii.rhoK, sigmaK: null }, { tileSize: 16, compute: 'tf' });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects mismatched or non-finite inputs', async () => {
    const bad = makeFeatureSet(Float32Array.from([0, NaN, 1, 2]), 2, 2);
    await expect(computeRealRadii(bad, 1)).rejects.toThrow(/non-finite/);
    const other = makeFeatureSet(new Float32Array(6), 2, 3);
    await expect(
      crossPass(f.R, other, { copyRadius: new Float64Array(f.R.n), rhoK: new Float64Array(f.R.n), sigmaK: null }),
    ).rejects.toThrow(/dimension/);
  });
});

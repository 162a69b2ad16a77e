/**
 * Screening on the device (src/core/neighbours/deviceScreen.ts): the passes with screening
 * 'device' (sweep-1 lists by tf.topk, the sweep-2 mask packed 16 pairs a word, products of the
 * marked pairs by tf.gatherND) give exactly the results of the host path and of the scipy
 * references (tiles_reference.json) at sizes that cross many tiles, with k larger than a tile's
 * rows, duplicates and ties; no tensor is left behind, also after an abort. TF.js's cpu backend
 * plays the device. The float32 terms the device compares are checked against their float64
 * sources, and the mask decoding against hand-made words.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { makeFeatureSet } from '../../../src/core/features/featureSet.ts';
import { crossPass, knnRadiiWithStats } from '../../../src/core/neighbours/engine.ts';
import { DeviceScreen, decodeMask, deviceThresholds } from '../../../src/core/neighbours/deviceScreen.ts';
import { cases, expectReference, runAll } from './tilesCases.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('decodeMask', () => {
  it('turns 16-bit words into row-major block positions and ignores padding bits', () => {
    // 2 rows x 20 columns: 2 words per row; bit b of word w is column 16 w + b
    const words = [0b1000000000000101, 0b0000000000010010, 0, 0b1111];
    const { m, rows, cols } = decodeMask(words, 2, 20, 2);
    // row 0: columns 0, 2, 15 (word 0) and 17 (word 1; its bit 4 is column 20, padding); row 1: 16..19
    expect(m).toBe(8);
    expect(Array.from(rows)).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    expect(Array.from(cols)).toEqual([0, 2, 15, 17, 16, 17, 18, 19]);
  });
});

describe('deviceThresholds', () => {
  it('lowers the row and column terms and raises the thresholds, in float32', () => {
    const Lr = Float64Array.from([0, 1, -3e-30, 123456.789, 1e29, 0.1]);
    const Lc = Float64Array.from([2.5, 7e-40, 9999.999]);
    const q = [Infinity, -Infinity, NaN, 0, 1e-45, 3.0000001];
    const t = deviceThresholds(Lr, Lr.length, Lc, Lc.length, (rr) => q[rr], (cc) => [5, 1e30, 0.3][cc]);
    for (let r = 0; r < Lr.length; r++) expect(t.lr[r]).toBeLessThan(Lr[r]);
    for (let c = 0; c < Lc.length; c++) expect(t.lc[c]).toBeLessThan(Lc[c]);
    expect(t.qr[0]).toBe(Infinity);
    expect(t.qr[1]).toBe(-Infinity);
    expect(t.qr[2]).toBe(Infinity); // NaN: never skip
    for (const r of [3, 4, 5]) expect(t.qr[r]).toBeGreaterThan(q[r]);
    expect(t.qc[1]).toBeGreaterThan(1e30);
    // the margin is small: a relative 2^-12 and a little rounding
    expect(t.lr[3]).toBeGreaterThan(123456.789 * (1 - 2 ** -11));
    expect(t.qr[5]).toBeLessThan(3.0000001 * (1 + 2 ** -11));
  });
});

describe('passes with device screening', () => {
  for (const c of cases) {
    for (const tileSize of [3, 7, 16, 64]) {
      it(`${c.name}: tile ${tileSize} gives the reference results and the host path's`, async () => {
        const before = tf.memory().numTensors;
        const dev = await runAll(c.R, c.S, c.k, { tileSize, compute: 'tf', pool: null, screening: 'device' });
        expect(tf.memory().numTensors).toBe(before);
        expectReference(c, dev);
        expect(dev.radiiStats.screening).toBe('device');
        expect(dev.pass.stats.screening).toBe('device');
        const host = await runAll(c.R, c.S, c.k, { tileSize, compute: 'tf', pool: null, screening: 'host' });
        expect(host.pass.stats.screening).toBe('host');
        expect(Array.from(dev.radii.rhoK)).toEqual(Array.from(host.radii.rhoK));
        expect(Array.from(dev.pass.nearestRealDistance)).toEqual(Array.from(host.pass.nearestRealDistance));
        expect(Array.from(dev.pass.nearestSynthDistance)).toEqual(Array.from(host.pass.nearestSynthDistance));
        expect(dev.pass.stats.pairs).toBe(host.pass.stats.pairs);
        expect(dev.radiiStats.pairs).toBe(host.radiiStats.pairs);
      });
    }
  }

  it('a larger random pass matches the host path exactly (tiles of 37, duplicates across tiles)', async () => {
    const d = 12;
    const rand = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5;
    const r1 = rand(7);
    const real = new Float32Array(300 * d).map(() => r1() * 4 + 100);
    const synth = new Float32Array(211 * d).map(() => r1() * 4.2 + 100.1);
    for (let t = 0; t < d; t++) {
      real[250 * d + t] = real[3 * d + t]; // duplicate reals in different tiles
      synth[200 * d + t] = real[40 * d + t]; // exact copies
      synth[5 * d + t] = real[299 * d + t];
    }
    const R = makeFeatureSet(real, 300, d), S = makeFeatureSet(synth, 211, d);
    const run = async (screening: 'device' | 'host') => {
      const radii = await knnRadiiWithStats(R, 5, { tileSize: 37, compute: 'tf', pool: null, screening });
      const sig = await knnRadiiWithStats(S, 5, { tileSize: 37, compute: 'tf', pool: null, screening });
      const pass = await crossPass(R, S, { copyRadius: radii.radii.rho1, rhoK: radii.radii.rhoK, sigmaK: sig.radii.rhoK }, { tileSize: 37, compute: 'tf', pool: null, screening });
      return { radii: radii.radii, sig: sig.radii, pass };
    };
    const dev = await run('device');
    const host = await run('host');
    expect(dev.radii.rho1[3]).toBe(0);
    expect(Array.from(dev.radii.rho1)).toEqual(Array.from(host.radii.rho1));
    expect(Array.from(dev.radii.rhoK)).toEqual(Array.from(host.radii.rhoK));
    expect(Array.from(dev.sig.rhoK)).toEqual(Array.from(host.sig.rhoK));
    for (const key of ['nearestReal', 'nearestRealDistance', 'nearestSynth', 'nearestSynthDistance', 'copy', 'copyOf', 'realistic', 'ballCount', 'recalled'] as const) {
      expect(Array.from(dev.pass[key]!), key).toEqual(Array.from(host.pass[key]!));
    }
    expect(dev.pass.densityCount).toBe(host.pass.densityCount);
    expect(dev.pass.copyOf[200]).toBe(40);
  });

  it('an abort mid-pass rejects and leaves no tensor behind', async () => {
    const d = 8;
    const data = new Float32Array(200 * d).map((_, i) => Math.sin(i * 1.7) * 10);
    const fs = makeFeatureSet(data, 200, d);
    const ctl = new AbortController();
    const before = tf.memory().numTensors;
    let blocks = 0;
    const run = knnRadiiWithStats(fs, 3, {
      tileSize: 16, compute: 'tf', pool: null, screening: 'device', signal: ctl.signal,
      onProgress: () => {
        if (++blocks === 5) ctl.abort(new Error('stop here'));
      },
    });
    await expect(run).rejects.toThrow(/stop here/);
    expect(tf.memory().numTensors).toBe(before);
  });

  for (const [what, method, at] of [
    ['step 2 (the mask) of a begun block', 'candidates', 3],
    ['step 1 (the lists) of a launched block', 'start', 4],
  ] as const) {
    it(`a failure in ${what} moves the rest of the pass to the host, with the same results`, async () => {
      const c = cases.find((x) => x.name === 'dups_across_tiles')!;
      const host = await runAll(c.R, c.S, c.k, { tileSize: 7, compute: 'tf', pool: null, screening: 'host' });
      const proto = DeviceScreen.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
      const original = proto[method];
      let calls = 0;
      proto[method] = function (this: DeviceScreen, ...a: unknown[]) {
        if (++calls === at) throw new Error('lost the device');
        return original.apply(this, a);
      };
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      const before = tf.memory().numTensors;
      try {
        const dev = await runAll(c.R, c.S, c.k, { tileSize: 7, compute: 'tf', pool: null, screening: 'device' });
        expect(tf.memory().numTensors).toBe(before);
        expectReference(c, dev);
        expect(dev.radiiStats.screening).toBe('host'); // the first pass fell back
        expect(dev.pass.stats.screening).toBe('device'); // later passes try the device again
        expect(Array.from(dev.radii.rhoK)).toEqual(Array.from(host.radii.rhoK));
        expect(dev.radiiStats.pairs).toBe(host.radiiStats.pairs);
        expect(warn).toHaveBeenCalledWith(expect.stringContaining('lost the device'));
      } finally {
        proto[method] = original;
        warn.mockRestore();
      }
    });
  }
});

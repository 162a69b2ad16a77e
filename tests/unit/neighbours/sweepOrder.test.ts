/**
 * Sweeps over float32 products (passes.ts), held to routes that do not take their shortcuts.
 *
 * S x R (CrossPassState.consumeProducts) visits two rows
 * at a time, the pairs of a column in ascending row order (passes.ts). The claim: each pair's
 * decisions read and write only its row's and its column's state, so this order gives the
 * decisions, the exact recomputations (exactPairs) and the results of row-major order. Held
 * here against two independent routes through the same pass state, block by block:
 * - row-major: the device-screening entry points fed every pair as a "device" list, so sweep 1
 *   takes the same minima and sweep 2 visits every pair in row-major order;
 * - the generic interval consumer (consume on TfGeometry.resolve's lo and hi arrays).
 * Blocks have odd row counts, synthetic rows repeat (ties broken by the lower index) and the
 * products are also fed with NaN and infinities in them.
 *
 * Self pass (SelfPassState.consumeProducts): sweep 1 keeps per point only the values below a cap
 * derived from its running upper bound (sqCap). Held to the same row-major list route, which
 * keeps every value: the same k nearest distances and the same exact recomputations.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { makeFeatureSet, type FeatureSet } from '../../../src/core/features/featureSet.ts';
import { makeGeometry, type PendingBlock, type TfGeometry } from '../../../src/core/neighbours/blocks.ts';
import { crossPass, knnRadiiWithStats } from '../../../src/core/neighbours/engine.ts';
import {
  CrossPassState, SelfPassState, crossUnitBlocks, crossUnits, selfUnitBlocks, selfUnits, sqCap, upperFromSq, type CrossOutputs,
} from '../../../src/core/neighbours/passes.ts';
import { createRng } from '../../../src/core/random.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** n x d rows near a few centres; `repeat` lists [from, to] copies (row `to` becomes row `from`). */
function features(n: number, d: number, seed: number, repeat: [number, number][]): FeatureSet {
  const r = createRng(seed);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = Math.floor(r() * 3);
    for (let t = 0; t < d; t++) x[i * d + t] = c * 2 + (t % 3 === c ? 1 : 0) + (r() - 0.5) * 0.6;
  }
  for (const [from, to] of repeat) x.copyWithin(to * d, from * d, (from + 1) * d);
  return makeFeatureSet(x, n, d);
}

function radii(n: number, seed: number, lo: number, hi: number): Float64Array {
  const r = createRng(seed);
  return Float64Array.from({ length: n }, () => lo + (hi - lo) * r());
}

type Mutate = (g: Float32Array, nr: number, nc: number) => void;

/** Every pair of an nr x nc block as device lists (all columns per row, all rows per column) and as row-major candidates. */
function everyPair(g: Float32Array, nr: number, nc: number) {
  const rowIdx = new Int32Array(nr * nc), colIdx = new Int32Array(nc * nr);
  const rowG = new Float32Array(nr * nc), colG = new Float32Array(nc * nr);
  const rows = new Int32Array(nr * nc), cols = new Int32Array(nr * nc);
  for (let rr = 0; rr < nr; rr++) {
    for (let cc = 0; cc < nc; cc++) {
      rowIdx[rr * nc + cc] = cc;
      rowG[rr * nc + cc] = g[rr * nc + cc];
      colIdx[cc * nr + rr] = rr;
      colG[cc * nr + rr] = g[rr * nc + cc];
      rows[rr * nc + cc] = rr;
      cols[rr * nc + cc] = cc;
    }
  }
  return { lists: { kr: nc, rowIdx, rowG, kc: nr, colIdx, colG }, candidates: { m: nr * nc, rows, cols, g: Float32Array.from(g) } };
}

/** Runs one pass three ways over the same products; returns the three outputs. */
async function threeWays(S: FeatureSet, R: FeatureSet, T: number, mutate: Mutate | null) {
  const N = S.n, M = R.n;
  const input = { copyRadius: radii(M, 5, 0.3, 1.2), rhoK: radii(M, 6, 1, 3), sigmaK: radii(N, 7, 1, 3) };
  const made = await makeGeometry(S, R, false, null, { mode: 'tf', tileSize: T, cacheBudgetBytes: 0 });
  const geom = made.geom as TfGeometry;
  const fast = new CrossPassState(N, M, input, T);
  const rowMajor = new CrossPassState(N, M, input, T);
  const generic = new CrossPassState(N, M, input, T);
  let oddBlocks = 0;
  try {
    for (const [r0, nr, c0, nc] of crossUnits(M, N, T).flatMap((u) => crossUnitBlocks(u, N, M, T))) {
      if (nr % 2 === 1) oddBlocks++;
      const g = await geom.resolveProduct(geom.launch(r0, nr, c0, nc));
      mutate?.(g, nr, nc);
      fast.consumeProducts(r0, nr, c0, nc, g, geom);

      rowMajor.beginScreened(r0, nr, c0, nc, geom, false);
      const all = everyPair(g, nr, nc);
      rowMajor.screenThresholds(all.lists);
      rowMajor.consumeCandidates(all.candidates);

      const product = tf.tensor1d(g);
      const pending: PendingBlock = { r0, nr, c0, nc, product, release: [] };
      generic.consume(await geom.resolve(pending), geom);
      product.dispose();
    }
  } finally {
    geom.dispose();
  }
  return { fast: fast.out, rowMajor: rowMajor.out, generic: generic.out, oddBlocks };
}

const ARRAYS = ['nearestReal', 'nearestRealDistance', 'nearestSynth', 'nearestSynthDistance', 'copy', 'copyOf', 'realistic', 'ballCount', 'recalled'] as const;
type Results = Pick<CrossOutputs, (typeof ARRAYS)[number] | 'densityCount'>;

function expectSameResults(a: Results, b: Results, what: string): void {
  for (const key of ARRAYS) {
    expect(Array.from(a[key]!), `${what}: ${key}`).toEqual(Array.from(b[key]!));
  }
  expect(a.densityCount).toBe(b.densityCount);
}

describe('S x R sweeps two rows at a time', () => {
  // synthetic rows 3 = 4 (adjacent, the same pair of rows), 10 = 17 and 30 = 5 (different pairs);
  // real row 2 = synthetic row 8 (a copy at distance 0)
  const S = features(37, 12, 1, [[3, 4], [10, 17], [5, 30]]);
  const Rbase = features(29, 12, 2, []);
  const R = makeFeatureSet(Float32Array.from(Rbase.data), 29, 12);
  R.data.set(S.data.subarray(8 * 12, 9 * 12), 2 * 12);

  const mutations: [string, Mutate | null][] = [
    ['plain products', null],
    // never on real data (TfGeometry takes only rows whose products cannot overflow), but both
    // sweeps must treat a NaN or an infinite product as undecided, never skip it
    ['NaN and +Infinity among the products', (g, nr, nc) => {
      g[0] = NaN;
      if (nr > 1) g[nc + (nc >> 1)] = Infinity;
      g[g.length - 1] = NaN;
      if (nr > 2) g[2 * nc + 1] = Infinity;
    }],
  ];
  for (const T of [8, 7, 5]) {
    for (const [name, mutate] of mutations) {
      it(`tile ${T}, ${name}: the decisions and exact pairs of row-major order, the results of the interval consumer`, async () => {
        const before = tf.memory().numTensors;
        const { fast, rowMajor, generic, oddBlocks } = await threeWays(S, R, T, mutate);
        expect(oddBlocks).toBeGreaterThan(0);
        expectSameResults(fast, rowMajor, 'row-major');
        expect(fast.exactPairs).toBe(rowMajor.exactPairs);
        expect(fast.exactPairs).toBeGreaterThan(0);
        expectSameResults(fast, generic, 'interval consumer');
        // the ties and the copy are there to be decided
        expect(fast.copy[8]).toBe(1);
        expect(fast.copyOf[8]).toBe(2);
        expect(fast.nearestRealDistance[3]).toBe(fast.nearestRealDistance[4]);
        expect(tf.memory().numTensors).toBe(before);
      });
    }
  }
});

describe('rows whose float32 products could overflow', () => {
  it('go to the float64 geometry, with the exact results', async () => {
    // The reals' mean is 0. Synthetic row 0, (1e19, 0), has the product -4e38 with real 0, its
    // nearest (5e19 away): float32 overflows it to -Infinity, so a float32 sweep would skip that
    // pair. Its products with the other reals, 1e38, are finite (those reals are 1e21 away), and
    // synthetic row 2, (0, 1e19), has finite products with every real: so the row's and real 0's
    // thresholds are finite and nothing else keeps the pair.
    const R = makeFeatureSet(Float32Array.from([-4e19, 0, 1e19, 1e21, 1e19, -1e21, 1e19, 2e21, 1e19, -2e21]), 5, 2);
    const S = makeFeatureSet(Float32Array.from([1e19, 0, 3e19, 1e20, 0, 1e19]), 3, 2);
    const run = async (compute: 'tf' | 'js') => {
      const opts = { tileSize: 8, compute, pool: null } as const;
      const radii = await knnRadiiWithStats(R, 1, opts);
      const sigma = await knnRadiiWithStats(S, 1, opts);
      const pass = await crossPass(R, S, { copyRadius: radii.radii.rho1, rhoK: radii.radii.rhoK, sigmaK: sigma.radii.rhoK }, opts);
      return { radii, sigma, pass };
    };
    const exact = await run('js');
    expect(exact.pass.nearestReal[0]).toBe(0);
    expect(exact.pass.nearestRealDistance[0]).toBe(Math.fround(1e19) - Math.fround(-4e19));
    const asked = await run('tf');
    expect(asked.pass.stats.method).toBe('js-float64');
    expect(asked.radii.stats.method).toBe('js-float64');
    expect(Array.from(asked.radii.radii.rhoK)).toEqual(Array.from(exact.radii.radii.rhoK));
    expect(Array.from(asked.sigma.radii.rhoK)).toEqual(Array.from(exact.sigma.radii.rhoK));
    expectSameResults(asked.pass, exact.pass, 'float64');
    // features of ordinary size keep the float32 geometry
    const small = await knnRadiiWithStats(features(20, 12, 5, []), 3, { tileSize: 8, compute: 'tf', pool: null });
    expect(small.stats.method).toBe('tf-float32-refined');
  });
});

describe('self pass: sweep 1 capped by the running bounds', () => {
  it('sqCap: every hq from the cap up gives an upper bound at or above U', () => {
    const r = createRng(9);
    for (let t = 0; t < 20000; t++) {
      const U = Math.exp((r() - 0.5) * 200);
      const hiF = 1 + r() * 2 ** -20;
      const convMax = r() < 0.3 ? 0 : U * r() * 1e-3;
      const Y = sqCap(U, hiF);
      expect(upperFromSq(Y, convMax, hiF)).toBeGreaterThanOrEqual(U);
      // the cap is tight: a little below it the bound can fall under U (so the test can fail)
      if (convMax === 0 && t < 100) expect(upperFromSq(Y * (1 - 2 ** -20), 0, hiF)).toBeLessThan(U);
    }
    expect(sqCap(Infinity, 1)).toBe(Infinity);
    expect(sqCap(NaN, 1)).toBe(Infinity);
    expect(sqCap(0, 1)).toBe(Infinity);
    expect(sqCap(1e-200, 1)).toBe(Infinity);
    expect(sqCap(1e300, 1)).toBe(Infinity);
  });

  const X = features(45, 12, 8, [[2, 3], [7, 30], [11, 12], [11, 40]]);
  const X150 = features(150, 12, 10, [[2, 3], [7, 100], [70, 71], [11, 140]]);
  // tile 64 over 150 rows: diagonal tiles of 64 rows are computed in two parts (selfUnitBlocks)
  for (const [T, set] of [[8, X], [7, X], [16, X], [64, X150]] as const) {
    it(`tile ${T}, ${set.n} rows: the k nearest distances and exact pairs of the uncapped row-major route`, async () => {
      const X = set;
      const n = X.n, k = 4;
      const made = await makeGeometry(X, X, true, null, { mode: 'tf', tileSize: T, cacheBudgetBytes: 0 });
      const geom = made.geom as TfGeometry;
      const fast = new SelfPassState(n, k);
      const lists = new SelfPassState(n, k);
      let parts2 = 0;
      try {
        for (const b of selfUnits(n, T).flatMap((u) => selfUnitBlocks(u, n, T, true))) {
          const [r0, nr, c0, nc] = b;
          const part2 = b[4] === 1;
          if (part2) parts2++;
          const g = await geom.resolveProduct(geom.launch(r0, nr, c0, nc));
          fast.consumeProducts(r0, nr, c0, nc, g, geom, part2);
          lists.beginScreened(r0, nr, c0, nc, geom, part2);
          const all = everyPair(g, nr, nc);
          lists.screenThresholds(all.lists);
          lists.consumeCandidates(all.candidates);
        }
        fast.finish();
        lists.finish();
      } finally {
        geom.dispose();
      }
      for (let i = 0; i < n; i++) expect(Array.from(fast.best.sorted(i)), `row ${i}`).toEqual(Array.from(lists.best.sorted(i)));
      expect(fast.best.sorted(2)[0]).toBe(0); // a duplicate counts at 0
      expect(fast.exactPairs).toBe(lists.exactPairs);
      expect(fast.exactPairs).toBeGreaterThan(0);
      expect(parts2 > 0).toBe(T === 64);
    });
  }
});

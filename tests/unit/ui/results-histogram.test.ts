import { describe, expect, it } from 'vitest';
import { binAxisPosition, defaultBinCount, linspaceEdges, sharedHistogram } from '../../../src/ui/results/histogram.ts';

/*
 * Reference values from numpy 1.24 (/usr/bin/python3), produced by:
 *
 *   import numpy as np
 *   a = np.array([(i * 7919 % 1009) / 97.3 for i in range(500)])
 *   b = np.array([(i * 104729 % 997) / 131.7 + 0.25 for i in range(300)])
 *   edges = np.histogram_bin_edges(np.concatenate([a, b]), bins=23)
 *   ca, _ = np.histogram(a, bins=edges); cb, _ = np.histogram(b, bins=edges)
 *   ce, _ = np.histogram(edges, bins=edges)          # the edges themselves, binned
 *   print([repr(float(e)) for e in edges], ca.tolist(), cb.tolist(), ce.tolist())
 *
 * Each value is one correctly rounded division (and one addition), so JS computes the same doubles.
 */
const NP_EDGES = [
  0.0, 0.44952857589704637, 0.8990571517940927, 1.348585727691139, 1.7981143035881855, 2.2476428794852317,
  2.697171455382278, 3.1467000312793245, 3.596228607176371, 4.045757183073417, 4.495285758970463, 4.94481433486751,
  5.394342910764556, 5.843871486661603, 6.293400062558649, 6.7429286384556955, 7.192457214352742, 7.641985790249788,
  8.091514366146834, 8.54104294204388, 8.990571517940927, 9.440100093837973, 9.88962866973502, 10.339157245632066,
];
const NP_A = [23, 21, 22, 21, 21, 23, 20, 23, 21, 22, 22, 21, 23, 20, 23, 21, 22, 22, 21, 23, 20, 23, 22];
const NP_B = [10, 18, 19, 19, 17, 18, 17, 18, 18, 18, 18, 18, 17, 18, 18, 17, 18, 4, 0, 0, 0, 0, 0];
const NP_EDGE_COUNTS = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2];

describe('sharedHistogram', () => {
  it('matches numpy.histogram on shared bins, values on edges included', () => {
    const a = Array.from({ length: 500 }, (_, i) => ((i * 7919) % 1009) / 97.3);
    const b = Array.from({ length: 300 }, (_, i) => ((i * 104729) % 997) / 131.7 + 0.25);
    const h = sharedHistogram([Float64Array.from(a), b], 23);
    expect(h.edges).toEqual(NP_EDGES);
    expect(h.counts[0]).toEqual(NP_A);
    expect(h.counts[1]).toEqual(NP_B);
    expect(h.totals).toEqual([500, 300]);
    const onEdges = sharedHistogram([a, b, NP_EDGES], 23);
    expect(onEdges.counts[2]).toEqual(NP_EDGE_COUNTS);
  });

  it('normalises each series to fractions of its own size (hand-computed)', () => {
    // Range [0, 4], 4 bins: [0,1) [1,2) [2,3) [3,4]; 4 falls in the last bin.
    const h = sharedHistogram([[0, 0.5, 1, 4], [2, 2.5, 3.999, 3, 1.5]], 4);
    expect(h.edges).toEqual([0, 1, 2, 3, 4]);
    expect(h.counts).toEqual([[2, 1, 0, 1], [0, 1, 2, 2]]);
    expect(h.fractions[0]).toEqual([0.5, 0.25, 0, 0.25]);
    expect(h.fractions[1]).toEqual([0, 0.2, 0.4, 0.4]);
    for (const f of h.fractions) expect(f.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12);
  });

  it('ignores non-finite values and handles an empty series and a constant range as numpy does', () => {
    const h = sharedHistogram([[2, 2, NaN, Infinity], []], 4);
    // numpy: every value equal to v -> range [v - 0.5, v + 0.5]; 2 sits on the middle edge -> bin 2.
    expect(h.edges).toEqual([1.5, 1.75, 2, 2.25, 2.5]);
    expect(h.counts).toEqual([[0, 0, 2, 0], [0, 0, 0, 0]]);
    expect(h.totals).toEqual([2, 0]);
    expect(h.fractions[1]).toEqual([0, 0, 0, 0]);
    const none = sharedHistogram([[NaN]], 2);
    expect(none.edges).toEqual([0, 0.5, 1]);
    expect(() => sharedHistogram([[1]], 0)).toThrow();
  });

  it('bins 100k values quickly', () => {
    const big = new Float64Array(100_000);
    for (let i = 0; i < big.length; i++) big[i] = ((i * 7919) % 100_003) / 37;
    const t0 = performance.now();
    const h = sharedHistogram([big, big.subarray(0, 5000)]);
    const ms = performance.now() - t0;
    expect(h.counts[0].reduce((s, x) => s + x, 0)).toBe(100_000);
    expect(h.edges.length).toBe(51);
    // a quadratic binning would take minutes; 2 s leaves room for a loaded shared machine (276 ms seen at load 9)
    expect(ms).toBeLessThan(2000);
  });
});

describe('histogram helpers', () => {
  it('default bin count is ceil(sqrt(n)) clamped to [10, 50]', () => {
    expect(defaultBinCount(0)).toBe(10);
    expect(defaultBinCount(50)).toBe(10);
    expect(defaultBinCount(401)).toBe(21);
    expect(defaultBinCount(100_000)).toBe(50);
  });
  it('linspace edges end exactly at hi', () => {
    const e = linspaceEdges(0.1, 0.7, 3);
    expect(e[3]).toBe(0.7);
    expect(e[1]).toBe(0.1 + (0.7 - 0.1) / 3);
  });
  it('maps values onto the category axis (bin i spans i - 0.5 .. i + 0.5)', () => {
    const edges = [0, 1, 2, 3, 4];
    expect(binAxisPosition(edges, 0)).toBe(-0.5);
    expect(binAxisPosition(edges, 2)).toBe(1.5);
    expect(binAxisPosition(edges, 2.5)).toBe(2);
    expect(binAxisPosition(edges, 9)).toBe(3.5);
  });
});

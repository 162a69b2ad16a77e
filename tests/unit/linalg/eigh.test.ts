import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eigh, eigvalsh, symmetricMatrix } from '../../../src/core/linalg/eigh.ts';
import { createRng } from '../../../src/core/random.ts';
import { useWasmKernels, wasmAvailable } from '../../../src/core/linalg/wasm/kernels.ts';

// numpy.linalg.eigvalsh of each matrix, from tests/fixtures/moments/make_reference.py
const ref = JSON.parse(readFileSync(join(__dirname, '../../fixtures/moments/eigh.json'), 'utf8'));

function maxAbs(v: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]));
  return m;
}

/** Max |A - V diag(w) V^T| and max |V^T V - I|. */
function residuals(a: Float64Array, n: number, w: Float64Array, v: Float64Array): { rec: number; orth: number } {
  let rec = 0, orth = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0, o = 0;
      for (let k = 0; k < n; k++) {
        s += v[i * n + k] * w[k] * v[j * n + k];
        o += v[k * n + i] * v[k * n + j];
      }
      rec = Math.max(rec, Math.abs(s - a[i * n + j]));
      orth = Math.max(orth, Math.abs(o - (i === j ? 1 : 0)));
    }
  }
  return { rec, orth };
}

/** Q diag(lambda) Q^T with Q a product of 3 seeded Householder reflections. */
function withSpectrum(lambda: number[], seed: number): Float64Array {
  const n = lambda.length;
  const rng = createRng(seed);
  const q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  for (let h = 0; h < 3; h++) {
    const u = Array.from({ length: n }, () => rng() - 0.5);
    const nn = u.reduce((s, x) => s + x * x, 0);
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += q[r * n + k] * u[k];
      for (let k = 0; k < n; k++) q[r * n + k] -= (2 * s * u[k]) / nn;
    }
  }
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += q[i * n + k] * lambda[k] * q[j * n + k];
    a[i * n + j] = s;
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[i * n + j] = a[j * n + i] = (a[i * n + j] + a[j * n + i]) / 2;
  return a;
}

describe('eigh', () => {
  it('matches numpy eigvalsh on the reference matrices', () => {
    for (const c of ref.cases) {
      const a = Float64Array.from(c.a);
      const w = eigvalsh(a, c.n);
      const scale = maxAbs(c.values);
      for (let i = 0; i < c.n; i++) expect(Math.abs(w[i] - c.values[i])).toBeLessThan(1e-13 * scale * c.n);
    }
  });

  it('reconstructs A = V diag(w) V^T with orthonormal V on the reference matrices', () => {
    for (const c of ref.cases) {
      const a = Float64Array.from(c.a);
      const { values, vectors } = eigh(a, c.n, { vectors: true });
      const { rec, orth } = residuals(a, c.n, values, vectors!);
      expect(rec).toBeLessThan(1e-13 * maxAbs(c.values) * c.n);
      expect(orth).toBeLessThan(1e-13 * c.n);
      for (let i = 1; i < c.n; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]);
    }
  });

  it('recovers known spectra (distinct, repeated, negative, zero) to 1e-12 relative', () => {
    const spectra = [
      Array.from({ length: 40 }, (_, i) => i + 1),
      [5, 5, 5, 5, -1, -1, 0, 0, 0, 2, 1e-8, 3],
      Array.from({ length: 64 }, (_, i) => Math.exp(-i / 4)),
    ];
    spectra.forEach((lambda, s) => {
      const n = lambda.length;
      const a = withSpectrum(lambda, 100 + s);
      const { values, vectors } = eigh(a, n, { vectors: true });
      const sorted = [...lambda].sort((x, y) => x - y);
      const scale = maxAbs(lambda);
      for (let i = 0; i < n; i++) expect(Math.abs(values[i] - sorted[i])).toBeLessThan(1e-12 * scale);
      const { rec, orth } = residuals(a, n, values, vectors!);
      expect(rec).toBeLessThan(1e-12 * scale);
      expect(orth).toBeLessThan(1e-12);
    });
  });

  it('solves small cases by hand', () => {
    expect(Array.from(eigvalsh(Float64Array.of(-3), 1))).toEqual([-3]);
    const r = eigh(Float64Array.of(2, 1, 1, 2), 2, { vectors: true });
    expect(r.values[0]).toBeCloseTo(1, 14);
    expect(r.values[1]).toBeCloseTo(3, 14);
    const v = r.vectors!;
    // column 0 is +-(1, -1)/sqrt 2, column 1 is +-(1, 1)/sqrt 2
    expect(Math.abs(v[0])).toBeCloseTo(Math.SQRT1_2, 14);
    expect(v[0] * v[2]).toBeCloseTo(-0.5, 14);
    expect(v[1] * v[3]).toBeCloseTo(0.5, 14);
    const diag = eigvalsh(Float64Array.of(3, 0, 0, 0, -1, 0, 0, 0, 2), 3);
    expect(Array.from(diag)).toEqual([-1, 2, 3]);
    expect(eigh(new Float64Array(0), 0).values.length).toBe(0);
  });

  it('reads only the upper triangle and leaves the input alone unless overwrite is set', () => {
    const c = ref.cases[0];
    const a = Float64Array.from(c.a);
    const junk = a.slice();
    for (let i = 0; i < c.n; i++) for (let j = 0; j < i; j++) junk[i * c.n + j] = 1e6 * (i - j);
    const before = junk.slice();
    const w1 = eigvalsh(a, c.n), w2 = eigvalsh(junk, c.n);
    expect(Array.from(junk)).toEqual(Array.from(before));
    for (let i = 0; i < c.n; i++) expect(w2[i]).toBeCloseTo(w1[i], 12);
    // overwrite on a symmetricMatrix() array: decomposed in place (its contents change)
    const inPlace = symmetricMatrix(c.n);
    inPlace.set(junk);
    const w3 = eigvalsh(inPlace, c.n, true);
    for (let i = 0; i < c.n; i++) expect(w3[i]).toBeCloseTo(w1[i], 12);
    expect(Array.from(inPlace)).not.toEqual(Array.from(before));
  });

  it('rejects non-finite input', () => {
    expect(() => eigvalsh(Float64Array.of(1, NaN, NaN, 1), 2)).toThrow();
  });
});

describe('eigh on matrices with many zero eigenvalues', () => {
  it('converges on the Gram matrix of duplicated rows (a mode-collapsed set) and keeps trace and rank', () => {
    const rng = createRng(3);
    const n = 200, d = 64, distinct = 3;
    const base = Array.from({ length: distinct }, () => Array.from({ length: d }, () => rng() * 2 - 1));
    const g = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += base[i % distinct][k] * base[j % distinct][k];
        g[i * n + j] = s;
      }
    }
    const { values } = eigh(g, n);
    let trace = 0;
    for (let i = 0; i < n; i++) trace += g[i * n + i];
    const sum = values.reduce((a, b) => a + b, 0);
    expect(Math.abs(sum - trace) / trace).toBeLessThan(1e-12);
    const max = Math.max(...values);
    expect(values.filter((v) => v > 1e-9 * max)).toHaveLength(distinct);
    expect(Math.min(...values)).toBeGreaterThan(-1e-9 * max);
  });
});

describe('eigh through the WebAssembly kernels and in plain JS', () => {
  it('both recover a known spectrum of odd order (panel and 4-row edges), in place or copied', () => {
    const n = 131;
    const lambda = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0 : Math.sin(i) * (1 + i / 10)));
    const a = withSpectrum(lambda, 7);
    const sorted = [...lambda].sort((x, y) => x - y);
    const scale = maxAbs(lambda);
    const check = (w: Float64Array) => {
      let err = 0;
      for (let i = 0; i < n; i++) err = Math.max(err, Math.abs(w[i] - sorted[i]));
      expect(err).toBeLessThan(1e-12 * scale);
    };
    expect(wasmAvailable()).toBe(true);
    check(eigvalsh(a, n));
    const m = symmetricMatrix(n);
    m.set(a);
    check(eigvalsh(m, n, true));
    const wasOn = useWasmKernels(false);
    try {
      check(eigvalsh(a, n));
      const { values, vectors } = eigh(a, n, { vectors: true });
      check(values);
      expect(residuals(a, n, values, vectors!).rec).toBeLessThan(1e-12 * scale);
    } finally {
      useWasmKernels(wasOn);
    }
    const { values, vectors } = eigh(a, n, { vectors: true });
    check(values);
    expect(residuals(a, n, values, vectors!).rec).toBeLessThan(1e-12 * scale);
  });
});

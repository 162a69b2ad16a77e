/**
 * Demo phantoms: determinism, counts and labels, and the expected metric pattern of the
 * synthetic sets, measured here with independent, simple features (64 x 64 area-downsampled
 * pixels) and brute-force float64 implementations of the definitions in
 * shared/design/METRICS.md (privacy P, fidelity F, recall, feature STD), written inline so
 * they share no code with src/core.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_DEMO_COUNTS,
  SYNTHETIC_SET_NAMES,
  classCounts,
  demoSets,
  generateDemo,
  generateDemoSet,
  renderPhantom,
  drawPatient,
  type DemoDataset,
  type DemoSet,
} from '../../../src/demo/phantoms.ts';
import { createRng, mixSeed } from '../../../src/demo/rng.ts';
import { cosSmall, sinSmall } from '../../../src/demo/render.ts';

function fnv1a(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Area-downsamples a size x size image to out x out (size a multiple of out), scaled to [0, 1]. */
function downsample(px: Uint8Array, size: number, out: number): Float64Array {
  const f = size / out;
  const v = new Float64Array(out * out);
  for (let y = 0; y < out; y++)
    for (let x = 0; x < out; x++) {
      let s = 0;
      for (let dy = 0; dy < f; dy++) for (let dx = 0; dx < f; dx++) s += px[(y * f + dy) * size + x * f + dx];
      v[y * out + x] = s / (f * f * 255);
    }
  return v;
}

function features(set: DemoSet, out = 64): Float64Array[] {
  return set.images.map((im) => downsample(im.pixels, set.width, out));
}

function dist(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return Math.sqrt(s);
}

function distMatrix(A: Float64Array[], B: Float64Array[]): Float64Array[] {
  const out: Float64Array[] = [];
  for (let i = 0; i < A.length; i++) {
    const row = new Float64Array(B.length);
    for (let j = 0; j < B.length; j++) row[j] = dist(A[i], B[j]);
    out.push(row);
  }
  return out;
}

/** Distances within one set (symmetric, computed once per pair). */
function selfDistMatrix(A: Float64Array[]): Float64Array[] {
  const out = A.map(() => new Float64Array(A.length));
  for (let i = 0; i < A.length; i++)
    for (let j = i + 1; j < A.length; j++) {
      const d = dist(A[i], A[j]);
      out[i][j] = d;
      out[j][i] = d;
    }
  return out;
}

/** k-th nearest neighbour distance of each row within its own set (self excluded). */
function kthRadii(self: Float64Array[], k: number): Float64Array {
  return Float64Array.from(self, (row, i) => {
    const others = Array.from(row).filter((_, j) => j !== i).sort((x, y) => x - y);
    return others[k - 1];
  });
}

interface Measured {
  P: number;
  F: number;
  recall: number;
  std: number;
}

function measure(R: Float64Array[], rho1: Float64Array, rho5: Float64Array, S: Float64Array[]): Measured {
  const SR = distMatrix(S, R);
  let copies = 0;
  let realistic = 0;
  for (const row of SR) {
    let isCopy = false;
    let isReal = false;
    for (let i = 0; i < R.length; i++) {
      if (row[i] < rho1[i]) isCopy = true;
      if (row[i] < rho5[i]) isReal = true;
    }
    if (isCopy) copies++;
    if (isReal) realistic++;
  }
  const sigma5 = kthRadii(selfDistMatrix(S), 5);
  let covered = 0;
  for (let i = 0; i < R.length; i++) {
    let inside = false;
    for (let j = 0; j < S.length && !inside; j++) if (SR[j][i] < sigma5[j]) inside = true;
    if (inside) covered++;
  }
  const dim = S[0].length;
  let stdSum = 0;
  for (let d = 0; d < dim; d++) {
    let m = 0;
    for (const s of S) m += s[d];
    m /= S.length;
    let v = 0;
    for (const s of S) v += (s[d] - m) * (s[d] - m);
    stdSum += Math.sqrt(v / S.length);
  }
  return { P: 1 - copies / S.length, F: realistic / S.length, recall: covered / R.length, std: stdSum / dim };
}

/** Ridge regression weights (bias last) for targets +-1: solves (X'X + lambda I) w = X'y by Gaussian elimination. */
function ridgeFit(X: Float64Array[], y: number[], lambda: number): Float64Array {
  const d = X[0].length + 1;
  const A = Array.from({ length: d }, () => new Float64Array(d + 1));
  const xa = new Float64Array(d);
  X.forEach((x, n) => {
    xa.set(x);
    xa[d - 1] = 1;
    for (let i = 0; i < d; i++) {
      const Ai = A[i];
      const xi = xa[i];
      for (let j = i; j < d; j++) Ai[j] += xi * xa[j];
      Ai[d] += xi * y[n];
    }
  });
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) A[i][j] = A[j][i];
    if (i < d - 1) A[i][i] += lambda;
  }
  for (let c = 0; c < d; c++) {
    let piv = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(A[r][c]) > Math.abs(A[piv][c])) piv = r;
    const tmp = A[c];
    A[c] = A[piv];
    A[piv] = tmp;
    const Ac = A[c];
    for (let r = c + 1; r < d; r++) {
      const Ar = A[r];
      const f = Ar[c] / Ac[c];
      if (f !== 0) for (let k = c; k <= d; k++) Ar[k] -= f * Ac[k];
    }
  }
  const w = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let s = A[i][d];
    for (let k = i + 1; k < d; k++) s -= A[i][k] * w[k];
    w[i] = s / A[i][i];
  }
  return w;
}

function ridgeAccuracy(w: Float64Array, X: Float64Array[], labels: string[]): number {
  let ok = 0;
  X.forEach((x, n) => {
    let s = w[w.length - 1];
    for (let i = 0; i < x.length; i++) s += w[i] * x[i];
    if ((s > 0 ? 'effusion' : 'normal') === labels[n]) ok++;
  });
  return ok / X.length;
}

const target = (labels: string[]) => labels.map((l) => (l === 'effusion' ? 1 : -1));

/** 5-fold cross-validated ridge accuracy on 16 x 16 pixels: is the label visible in the images of a set? */
function labelVisibility(set: DemoSet): number {
  const X = features(set, 16);
  const labels = set.images.map((im) => im.label as string);
  let ok = 0;
  for (let f = 0; f < 5; f++) {
    const tr = X.map((_, i) => i).filter((i) => i % 5 !== f);
    const te = X.map((_, i) => i).filter((i) => i % 5 === f);
    const w = ridgeFit(tr.map((i) => X[i]), target(tr.map((i) => labels[i])), 1);
    ok += ridgeAccuracy(w, te.map((i) => X[i]), te.map((i) => labels[i])) * te.length;
  }
  return ok / X.length;
}

describe('deterministic phantoms', () => {
  it('sine and cosine polynomials match Math on the rotation range', () => {
    for (let x = -0.5; x <= 0.5; x += 0.01) {
      expect(Math.abs(sinSmall(x) - Math.sin(x))).toBeLessThan(1e-12);
      expect(Math.abs(cosSmall(x) - Math.cos(x))).toBeLessThan(1e-12);
    }
  });

  it('renders the same bytes for the same parameters and different bytes for another patient', () => {
    const p = drawPatient(createRng(mixSeed(11, 1)), 'effusion');
    const a = renderPhantom(p, 128);
    const b = renderPhantom({ ...p }, 128);
    expect(a.length).toBe(128 * 128);
    expect(sameBytes(a, b)).toBe(true);
    const q = drawPatient(createRng(mixSeed(11, 2)), 'effusion');
    expect(sameBytes(a, renderPhantom(q, 128))).toBe(false);
    // an effusion changes the image; the same patient without it differs only in the lower chest
    const n = renderPhantom({ ...p, effusionRight: 0, effusionLeft: 0 }, 128);
    let upperDiff = 0;
    let diff = 0;
    for (let i = 0; i < n.length; i++) {
      if (n[i] !== a[i]) {
        diff++;
        if (i < 128 * 32) upperDiff++;
      }
    }
    expect(diff).toBeGreaterThan(200);
    expect(upperDiff).toBe(0);
  });

  it('same seed gives identical sets, another seed different ones, and a set alone equals the set in the full demo', () => {
    const opts = { seed: 5, counts: { real: 6, holdout: 2, faithful: 2, copies: 4, collapsed: 4, 'low-fidelity': 2, shifted: 2 } };
    const a = generateDemo(opts);
    const b = generateDemo(opts);
    const c = generateDemo({ ...opts, seed: 6 });
    const sa = demoSets(a);
    const sb = demoSets(b);
    const sc = demoSets(c);
    for (let s = 0; s < sa.length; s++) {
      expect(sa[s].images.map((im) => im.id)).toEqual(sb[s].images.map((im) => im.id));
      sa[s].images.forEach((im, i) => {
        expect(sameBytes(im.pixels, sb[s].images[i].pixels)).toBe(true);
        expect(sameBytes(im.pixels, sc[s].images[i].pixels)).toBe(false);
      });
      const alone = generateDemoSet(sa[s].name, opts);
      alone.images.forEach((im, i) => expect(sameBytes(im.pixels, sa[s].images[i].pixels)).toBe(true));
    }
  });

  it('pins the bytes of a small demo (any change to the renderer or the set recipes shows here)', () => {
    const counts = { real: 2, holdout: 2, faithful: 2, copies: 2, collapsed: 2, 'low-fidelity': 2, shifted: 2 };
    const ds = generateDemo({ seed: 9, size: 64, counts });
    const hashes = Object.fromEntries(demoSets(ds).map((s) => [s.name, s.images.map((im) => fnv1a(im.pixels))]));
    expect(hashes).toEqual(GOLDEN);
  });

  it('rejects bad options', () => {
    expect(() => generateDemo({ seed: 1.5 })).toThrow();
    expect(() => generateDemo({ size: 10 })).toThrow();
    expect(() => generateDemo({ counts: { real: -1 } })).toThrow();
    expect(() => renderPhantom({ ...drawPatient(createRng(1), 'normal'), rotation: 1 }, 64)).toThrow();
  });
});

/** FNV-1a hashes of the seed-9, 64 px demo; the same values were obtained in Chromium (page context) as in Node. */
const GOLDEN: Record<string, string[]> = {
  real: ['11bec6b6', 'db573d45'],
  holdout: ['9c9eb2d5', '261619b5'],
  faithful: ['39888b25', '42588776'],
  copies: ['be533193', '5a0e9041'],
  collapsed: ['7e46db33', '80e61b59'],
  'low-fidelity': ['1a6c0a26', 'da59e9dc'],
  shifted: ['ab68f63b', '21bdc20b'],
};

describe('default demo dataset', () => {
  let ds: DemoDataset;
  beforeAll(() => {
    ds = generateDemo();
  });

  it('has the default counts, balanced labels and folder-style ids', () => {
    expect(ds.size).toBe(128);
    expect(ds.synthetic.map((s) => s.name)).toEqual([...SYNTHETIC_SET_NAMES]);
    for (const set of demoSets(ds)) {
      const n = DEFAULT_DEMO_COUNTS[set.name];
      expect(set.images.length).toBe(n);
      expect(set.width).toBe(128);
      const per = classCounts(n);
      expect(set.images.filter((im) => im.label === 'normal').length).toBe(per.normal);
      expect(set.images.filter((im) => im.label === 'effusion').length).toBe(per.effusion);
      expect(new Set(set.images.map((im) => im.id)).size).toBe(n);
      for (const im of set.images) {
        expect(im.id).toMatch(/^(normal|effusion)\/img_\d{4}\.png$/);
        expect(im.id.startsWith(im.label + '/')).toBe(true);
        expect(im.pixels.length).toBe(128 * 128);
      }
    }
    expect(ds.real.role).toBe('real');
    expect(ds.holdout.role).toBe('holdout');
    const realIds = new Set(ds.real.images.map((im) => im.id));
    const copies = ds.synthetic.find((s) => s.name === 'copies')!;
    for (const im of copies.images) {
      expect(realIds.has(im.sourceId!)).toBe(true);
      expect(im.sourceId!.startsWith(im.label + '/')).toBe(true);
    }
    expect(new Set(copies.images.map((im) => im.sourceId)).size).toBe(copies.images.length);
  });

  it('shows the expected pattern on independent pixel features', () => {
    const R = features(ds.real);
    const RR = selfDistMatrix(R);
    const rho1 = kthRadii(RR, 1);
    const rho5 = kthRadii(RR, 5);
    const rows: Record<string, Measured & { cvAcc: number }> = {};
    for (const set of [ds.holdout, ...ds.synthetic]) {
      rows[set.name] = { ...measure(R, rho1, rho5, features(set)), cvAcc: labelVisibility(set) };
    }
    const realStd = measure(R, rho1, rho5, R).std;
    console.log(
      ['set            P      F      recall  std     label-CV-acc', `real           -      -      -       ${realStd.toFixed(4)}  ${labelVisibility(ds.real).toFixed(3)}`]
        .concat(
          Object.entries(rows).map(
            ([k, m]) => `${k.padEnd(14)} ${m.P.toFixed(3)}  ${m.F.toFixed(3)}  ${m.recall.toFixed(3)}   ${m.std.toFixed(4)}  ${m.cvAcc.toFixed(3)}`,
          ),
        )
        .join('\n'),
    );
    const { holdout, faithful, copies, collapsed, shifted } = rows;
    const lowFi = rows['low-fidelity'];
    // memorisation is caught
    expect(copies.P).toBeLessThan(0.1);
    expect(faithful.P).toBeGreaterThan(copies.P + 0.25);
    expect(holdout.P).toBeGreaterThan(copies.P + 0.25);
    // a good generator looks like held-out real data
    expect(Math.abs(faithful.P - holdout.P)).toBeLessThan(0.2);
    expect(Math.abs(faithful.F - holdout.F)).toBeLessThan(0.2);
    // mode collapse: low recall and low spread
    expect(collapsed.recall).toBeLessThan(faithful.recall - 0.3);
    expect(collapsed.std).toBeLessThan(0.6 * faithful.std);
    // low fidelity
    expect(lowFi.F).toBeLessThan(faithful.F - 0.4);
    // domain shift: between faithful and low-fidelity
    expect(shifted.F).toBeLessThan(faithful.F);
    expect(shifted.F).toBeGreaterThan(lowFi.F);
    // labels stay recognisable in every set that claims them
    // (5-fold CV within 80 images is a weak learner: about 0.75 on clean sets, chance is 0.5)
    for (const [name, m] of Object.entries(rows)) if (name !== 'collapsed') expect(m.cvAcc, name).toBeGreaterThan(0.62);
    // a classifier trained on the real set recognises effusion in the held-out set
    const w = ridgeFit(features(ds.real, 16), target(ds.real.images.map((im) => im.label)), 1);
    const holdoutAcc = ridgeAccuracy(w, features(ds.holdout, 16), ds.holdout.images.map((im) => im.label));
    console.log(`ridge on 16x16 pixels, trained on real, accuracy on holdout: ${holdoutAcc.toFixed(3)}`);
    expect(holdoutAcc).toBeGreaterThan(0.8);
  });
});

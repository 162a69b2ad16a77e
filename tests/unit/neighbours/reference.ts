/** Loads tests/fixtures/neighbours/reference.json (written by make_reference.py) as FeatureSets. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { makeFeatureSet, type FeatureSet } from '../../../src/core/features/featureSet.ts';

interface RawSet {
  n: number;
  data: number[];
}

export interface Expected {
  rho1: number[];
  rhoK: number[];
  sigmaK: number[];
  featureStd: number;
  modeCollapseRuleApplied: boolean;
  copyCount: number;
  realisticCount: number;
  fidelityPrivacyCount: number;
  fidelity: number;
  privacy: number;
  fidelityPrivacy: number;
  assignments: { nearestReal: number[]; distance: number[]; rho1: number[]; rhoK: number[]; set: number[] };
  prdc: {
    precision: number;
    recall: number;
    density: number;
    coverage: number;
    densityCount: number;
    recallCount: number;
    coverageCount: number;
  };
  nearestSynthDistance: number[];
  dcr: { min: number; p5: number; median: number };
  distances: number[];
  holdoutDcr: { min: number; p5: number; median: number } | null;
  memorizationRate: number | null;
}

export interface RawFixture {
  name: string;
  kind: 'continuous' | 'discrete';
  k: number;
  tau: number;
  dim: number;
  dtype: string;
  real: RawSet;
  synth: RawSet;
  holdout: RawSet | null;
  expected: Expected;
  holdoutAsSynth: Expected | null;
  official: {
    prdc: { precision: number; recall: number; density: number; coverage: number };
    authors: { precision: number; privacy: number; precision_privacy: number };
  };
}

export interface Fixture extends RawFixture {
  R: FeatureSet;
  S: FeatureSet;
  H: FeatureSet | null;
}

const path = fileURLToPath(new URL('../../fixtures/neighbours/reference.json', import.meta.url));
const raw = JSON.parse(readFileSync(path, 'utf8')) as {
  fixtures: RawFixture[];
  percentiles: Array<{ values: number[]; p5: number; p50: number; p95: number; median: number; min: number }>;
};

function toSet(s: RawSet, f: RawFixture): FeatureSet {
  const data =
    f.kind === 'continuous'
      ? Float32Array.from(s.data)
      : f.dtype === 'uint16'
        ? Uint16Array.from(s.data)
        : Int32Array.from(s.data);
  return makeFeatureSet(data, s.n, f.dim, { kind: f.kind });
}

export const fixtures: Fixture[] = raw.fixtures.map((f) => ({
  ...f,
  R: toSet(f.real, f),
  S: toSet(f.synth, f),
  H: f.holdout ? toSet(f.holdout, f) : null,
}));

export const percentileCases = raw.percentiles;

export function fixture(name: string): Fixture {
  const f = fixtures.find((x) => x.name === name);
  if (!f) throw new Error(`no fixture ${name}`);
  return f;
}

/** |a - b| <= tol * max(|a|, |b|), with exact equality required when either is 0. */
export function relClose(a: number, b: number, tol = 1e-9): boolean {
  if (a === b) return true;
  return Math.abs(a - b) <= tol * Math.max(Math.abs(a), Math.abs(b));
}

/** Index of the first element where the arrays differ beyond tol (or -1). */
export function firstMismatch(a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-9): number {
  if (a.length !== b.length) return -2;
  for (let i = 0; i < a.length; i++) if (!relClose(a[i], b[i], tol)) return i;
  return -1;
}

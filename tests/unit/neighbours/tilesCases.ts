/**
 * The cases of tests/fixtures/neighbours/tiles_reference.json (make_tiles_reference.py, scipy cdist:
 * odd sizes, k larger than a tile's rows, duplicates and ties across tiles, near-copies far from the
 * origin) and the check of every engine output against them, shared by the tiled-engine tests.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { makeFeatureSet, type FeatureSet } from '../../../src/core/features/featureSet.ts';
import { crossPass, knnRadiiWithStats, type EngineOptions } from '../../../src/core/neighbours/engine.ts';
import { firstMismatch } from './reference.ts';

interface Case {
  name: string;
  k: number;
  dim: number;
  real: { n: number; data: number[] };
  synth: { n: number; data: number[] };
  expected: {
    rho1: number[]; rhoK: number[]; sigmaK: number[];
    nearestReal: number[]; nearestRealDistance: number[]; nearestSynth: number[]; nearestSynthDistance: number[];
    copy: number[]; copyOf: number[]; ballCount: number[]; densityCount: number; realistic: number[]; recalled: number[];
  };
}

const path = fileURLToPath(new URL('../../fixtures/neighbours/tiles_reference.json', import.meta.url));
export const cases = (JSON.parse(readFileSync(path, 'utf8')) as { cases: Case[] }).cases.map((c) => ({
  ...c,
  R: makeFeatureSet(Float32Array.from(c.real.data), c.real.n, c.dim),
  S: makeFeatureSet(Float32Array.from(c.synth.data), c.synth.n, c.dim),
}));

export async function runAll(R: FeatureSet, S: FeatureSet, k: number, opts: EngineOptions) {
  const radii = await knnRadiiWithStats(R, k, opts);
  const sigma = await knnRadiiWithStats(S, k, opts);
  const pass = await crossPass(R, S, { copyRadius: radii.radii.rho1, rhoK: radii.radii.rhoK, sigmaK: sigma.radii.rhoK }, opts);
  return { radii: radii.radii, radiiStats: radii.stats, sigmaK: sigma.radii.rhoK, pass };
}

export function expectReference(c: (typeof cases)[number], r: Awaited<ReturnType<typeof runAll>>): void {
  const e = c.expected;
  expect(firstMismatch(r.radii.rho1, e.rho1)).toBe(-1);
  expect(firstMismatch(r.radii.rhoK, e.rhoK)).toBe(-1);
  expect(firstMismatch(r.sigmaK, e.sigmaK)).toBe(-1);
  const p = r.pass;
  expect(Array.from(p.nearestReal)).toEqual(e.nearestReal);
  expect(firstMismatch(p.nearestRealDistance, e.nearestRealDistance)).toBe(-1);
  expect(Array.from(p.nearestSynth)).toEqual(e.nearestSynth);
  expect(firstMismatch(p.nearestSynthDistance, e.nearestSynthDistance)).toBe(-1);
  expect(Array.from(p.copy)).toEqual(e.copy);
  expect(Array.from(p.copyOf)).toEqual(e.copyOf);
  expect(Array.from(p.ballCount)).toEqual(e.ballCount);
  expect(p.densityCount).toBe(e.densityCount);
  expect(Array.from(p.realistic)).toEqual(e.realistic);
  expect(Array.from(p.recalled!)).toEqual(e.recalled);
}


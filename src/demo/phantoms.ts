/**
 * Built-in demo data: chest-X-ray-like phantoms (normal / pleural effusion) generated
 * deterministically from a seed, and synthetic sets whose expected verdict is known.
 *
 * Sets (each balanced over the two classes; ids `normal/img_0001.png` style):
 * - real:         the "generator's training data" R;
 * - holdout:      fresh patients from the same population, never used elsewhere (H);
 * - faithful:     fresh patients from the same population, like a good generator;
 * - copies:       real images with a 1-pixel shift and faint noise (memorisation; P near 0);
 * - collapsed:    3 prototype patients per class near the average patient (truncation
 *                 psi = 0.3), each repeated with tiny variation
 *                 (low variety, low recall);
 * - low-fidelity: fresh patients, blurred, washed out, mottled and noisy, labels kept (low F);
 * - shifted:      a different population (larger heart, narrower lungs, rotated, lower,
 *                 brighter): a domain shift (intermediate fidelity).
 *
 * Every image depends only on (seed, set, class, index within class) and the size, so a
 * single set can be generated alone (generateDemoSet) with the same bytes as in the full
 * dataset. Pure TypeScript, no DOM: runs in workers and in Node.
 */
import { renderPhantom, type PhantomParams } from './render.ts';
import { drawPatient, type DemoLabel, type Population } from './patients.ts';
import { createRng, mixSeed, permutation, uniform, randInt, randU32 } from './rng.ts';
import { addBlotches, addNoise, adjustContrast, boxBlur, shiftImage } from './degrade.ts';

export { renderPhantom, type PhantomParams } from './render.ts';
export { drawPatient, type DemoLabel, type Population } from './patients.ts';

export const DEMO_LABELS: readonly DemoLabel[] = ['normal', 'effusion'];
export const SYNTHETIC_SET_NAMES = ['faithful', 'copies', 'collapsed', 'low-fidelity', 'shifted'] as const;
export type SyntheticSetName = (typeof SYNTHETIC_SET_NAMES)[number];
export type DemoSetName = 'real' | 'holdout' | SyntheticSetName;
export const DEMO_SET_NAMES: readonly DemoSetName[] = ['real', 'holdout', ...SYNTHETIC_SET_NAMES];
export type DemoRole = 'real' | 'holdout' | 'synthetic';

export interface DemoImage {
  /** Relative path inside the set, e.g. `effusion/img_0007.png`. */
  id: string;
  label: DemoLabel;
  /** 8-bit grayscale, row-major, width x height (the set's size). */
  pixels: Uint8Array;
  /** For near-copies and collapsed images: the id of the image it derives from. */
  sourceId?: string;
}

export interface DemoSet {
  name: DemoSetName;
  role: DemoRole;
  /** What the set is. */
  description: string;
  /** What the evaluation should find for it. */
  expected: string;
  width: number;
  height: number;
  images: DemoImage[];
}

export interface DemoDataset {
  seed: number;
  size: number;
  real: DemoSet;
  holdout: DemoSet;
  /** In the order of SYNTHETIC_SET_NAMES. */
  synthetic: DemoSet[];
}

export type DemoCounts = Record<DemoSetName, number>;

export interface DemoOptions {
  seed?: number;
  /** Image side in pixels (default 128). */
  size?: number;
  /** Images per set (split evenly over the classes, normal gets the odd one). */
  counts?: Partial<DemoCounts>;
}

export const DEFAULT_DEMO_SEED = 2023;
export const DEFAULT_DEMO_SIZE = 128;
export const DEFAULT_DEMO_COUNTS: Readonly<DemoCounts> = Object.freeze({
  real: 160,
  holdout: 80,
  faithful: 80,
  copies: 80,
  collapsed: 80,
  'low-fidelity': 80,
  shifted: 80,
});

/** Prototype patients per class in the collapsed set. */
export const COLLAPSED_PROTOTYPES = 3;
/** Truncation (psi) of the collapsed prototypes: they sit near the average patient. */
export const COLLAPSED_TRUNCATION = 0.3;

export const DEMO_SET_INFO: Readonly<Record<DemoSetName, { role: DemoRole; description: string; expected: string }>> = Object.freeze({
  real: {
    role: 'real',
    description: 'Real reference set: the images the generator was trained on.',
    expected: 'Reference for every other set.',
  },
  holdout: {
    role: 'holdout',
    description: 'Held-out real patients from the same population, never shown to the generator.',
    expected: 'Calibration: the privacy and fidelity a non-copying, perfect generator would get.',
  },
  faithful: {
    role: 'synthetic',
    description: 'Fresh patients from the same population, like a good generator.',
    expected: 'Fidelity, privacy and recall close to the held-out set.',
  },
  copies: {
    role: 'synthetic',
    description: 'Real training images shifted by a pixel with faint noise: a memorising generator.',
    expected: 'Privacy near 0 (every image is in the copy set of its source); high fidelity.',
  },
  collapsed: {
    role: 'synthetic',
    description: `Mode collapse: ${COLLAPSED_PROTOTYPES} prototype patients per class near the average patient (truncation ${COLLAPSED_TRUNCATION}), each repeated with tiny variation.`,
    expected: 'Low variety (small feature spread, large mean-image file) and low recall; the mode-collapse rule may fire.',
  },
  'low-fidelity': {
    role: 'synthetic',
    description: 'Fresh patients, blurred, washed out, mottled and noisy; labels still visible.',
    expected: 'Low fidelity / precision; high privacy.',
  },
  shifted: {
    role: 'synthetic',
    description: 'Domain shift: larger heart, narrower and taller lungs, rotated, lower and brighter.',
    expected: 'Intermediate fidelity, between the faithful and low-fidelity sets.',
  },
});

const SET_CODE: Readonly<Record<DemoSetName, number>> = {
  real: 1,
  holdout: 2,
  faithful: 3,
  copies: 4,
  collapsed: 5,
  'low-fidelity': 6,
  shifted: 7,
};

interface Resolved {
  seed: number;
  size: number;
  counts: DemoCounts;
}

function resolve(opts: DemoOptions = {}): Resolved {
  const seed = opts.seed ?? DEFAULT_DEMO_SEED;
  if (!Number.isInteger(seed)) throw new Error(`demo seed must be an integer, got ${seed}`);
  const size = opts.size ?? DEFAULT_DEMO_SIZE;
  if (!Number.isInteger(size) || size < 16 || size > 1024) throw new Error(`demo size must be an integer in 16..1024, got ${size}`);
  const counts = { ...DEFAULT_DEMO_COUNTS, ...(opts.counts ?? {}) };
  for (const name of DEMO_SET_NAMES) {
    const n = counts[name];
    if (!Number.isInteger(n) || n < 0) throw new Error(`demo count for ${name} must be a non-negative integer, got ${n}`);
  }
  if (counts.copies > 0 && counts.real < 2) throw new Error('the copies set needs at least 2 real images (one per class)');
  return { seed: seed >>> 0, size, counts };
}

/** Images per class for a set of n images: normal gets ceil(n/2). */
export function classCounts(n: number): Record<DemoLabel, number> {
  return { normal: Math.ceil(n / 2), effusion: Math.floor(n / 2) };
}

/** Relative path of the k-th image (0-based) of a class. */
export function demoImageId(label: DemoLabel, k: number): string {
  return `${label}/img_${String(k + 1).padStart(4, '0')}.png`;
}

function labelCode(label: DemoLabel): number {
  return label === 'normal' ? 0 : 1;
}

/** Parameters of the k-th patient of a class in a set rendered from a population. */
export function demoPatient(seed: number, set: DemoSetName, label: DemoLabel, k: number, population: Population = 'standard'): PhantomParams {
  return drawPatient(createRng(mixSeed(seed, SET_CODE[set], labelCode(label), k)), label, population);
}

function blankSet(name: DemoSetName, size: number): DemoSet {
  const info = DEMO_SET_INFO[name];
  return { name, role: info.role, description: info.description, expected: info.expected, width: size, height: size, images: [] };
}

/** Renders patient sets (real, holdout, faithful, shifted): one fresh patient per image. */
function patientSet(name: DemoSetName, r: Resolved, population: Population): DemoSet {
  const set = blankSet(name, r.size);
  const per = classCounts(r.counts[name]);
  for (const label of DEMO_LABELS) {
    for (let k = 0; k < per[label]; k++) {
      set.images.push({ id: demoImageId(label, k), label, pixels: renderPhantom(demoPatient(r.seed, name, label, k, population), r.size) });
    }
  }
  return set;
}

/** Grey-level scale of pixel-space perturbations: one step per 128 px of image side. */
function pixelStep(size: number): number {
  return Math.max(1, Math.round(size / 128));
}

function copiesSet(r: Resolved, real: DemoSet | null): DemoSet {
  const set = blankSet('copies', r.size);
  const perReal = classCounts(r.counts.real);
  const per = classCounts(r.counts.copies);
  const step = pixelStep(r.size);
  const realById = real ? new Map(real.images.map((im) => [im.id, im.pixels])) : null;
  for (const label of DEMO_LABELS) {
    if (per[label] === 0) continue;
    const nSrc = perReal[label];
    const rng = createRng(mixSeed(r.seed, SET_CODE.copies, labelCode(label)));
    // Each real image is copied at most once until all have been used.
    let order = permutation(rng, nSrc);
    for (let k = 0; k < per[label]; k++) {
      if (k > 0 && k % nSrc === 0) order = permutation(rng, nSrc);
      const src = order[k % nSrc];
      const srcId = demoImageId(label, src);
      const srcPixels = realById?.get(srcId) ?? renderPhantom(demoPatient(r.seed, 'real', label, src), r.size);
      let dx = randInt(rng, 3) - 1;
      let dy = randInt(rng, 3) - 1;
      if (dx === 0 && dy === 0) dx = 1;
      dx *= step;
      dy *= step;
      const pixels = addNoise(shiftImage(srcPixels, r.size, dx, dy), uniform(rng, 1, 2.5), randU32(rng));
      set.images.push({ id: demoImageId(label, k), label, pixels, sourceId: srcId });
    }
  }
  return set;
}

function collapsedSet(r: Resolved): DemoSet {
  const set = blankSet('collapsed', r.size);
  const per = classCounts(r.counts.collapsed);
  const step = pixelStep(r.size);
  for (const label of DEMO_LABELS) {
    const protos: Uint8Array[] = [];
    const rng = createRng(mixSeed(r.seed, SET_CODE.collapsed, labelCode(label), 0x70));
    for (let k = 0; k < per[label]; k++) {
      const pi = k % COLLAPSED_PROTOTYPES;
      if (!protos[pi]) {
        const params = drawPatient(createRng(mixSeed(r.seed, SET_CODE.collapsed, labelCode(label), 0x100 + pi)), label, 'standard', COLLAPSED_TRUNCATION);
        protos[pi] = renderPhantom(params, r.size);
      }
      // tiny variation: at most one pixel of shift, a small brightness change, faint noise
      const dx = (randInt(rng, 3) - 1) * step * (rng() < 0.3 ? 1 : 0);
      const dy = (randInt(rng, 3) - 1) * step * (rng() < 0.3 ? 1 : 0);
      const shifted = dx !== 0 || dy !== 0 ? shiftImage(protos[pi], r.size, dx, dy) : protos[pi];
      const pixels = addNoise(adjustContrast(shifted, uniform(rng, 0.97, 1.03), uniform(rng, -3, 3)), uniform(rng, 1.5, 3), randU32(rng));
      set.images.push({ id: demoImageId(label, k), label, pixels, sourceId: `prototype_${label}_${pi + 1}` });
    }
  }
  return set;
}

function lowFidelitySet(r: Resolved): DemoSet {
  const set = blankSet('low-fidelity', r.size);
  const per = classCounts(r.counts['low-fidelity']);
  const step = pixelStep(r.size);
  for (const label of DEMO_LABELS) {
    const rng = createRng(mixSeed(r.seed, SET_CODE['low-fidelity'], labelCode(label), 0x70));
    for (let k = 0; k < per[label]; k++) {
      const clean = renderPhantom(demoPatient(r.seed, 'low-fidelity', label, k), r.size);
      const blurred = boxBlur(clean, r.size, (1 + randInt(rng, 2)) * step, 2);
      const washed = adjustContrast(blurred, uniform(rng, 0.5, 0.65), uniform(rng, 45, 70));
      const mottled = addBlotches(washed, r.size, uniform(rng, 8, 12), 12 * step, randU32(rng));
      const pixels = addNoise(mottled, uniform(rng, 8, 12), randU32(rng));
      set.images.push({ id: demoImageId(label, k), label, pixels });
    }
  }
  return set;
}

function buildSet(name: DemoSetName, r: Resolved, real: DemoSet | null): DemoSet {
  switch (name) {
    case 'real':
    case 'holdout':
    case 'faithful':
      return patientSet(name, r, 'standard');
    case 'shifted':
      return patientSet(name, r, 'shifted');
    case 'copies':
      return copiesSet(r, real);
    case 'collapsed':
      return collapsedSet(r);
    case 'low-fidelity':
      return lowFidelitySet(r);
  }
}

/** One demo set on its own (same bytes as in generateDemo with the same options). */
export function generateDemoSet(name: DemoSetName, opts?: DemoOptions): DemoSet {
  if (!DEMO_SET_NAMES.includes(name)) throw new Error(`unknown demo set ${name}`);
  return buildSet(name, resolve(opts), null);
}

/** The whole demo: real, holdout and the five synthetic sets. */
export function generateDemo(opts?: DemoOptions): DemoDataset {
  const r = resolve(opts);
  const real = buildSet('real', r, null);
  const holdout = buildSet('holdout', r, null);
  const synthetic = SYNTHETIC_SET_NAMES.map((name) => buildSet(name, r, real));
  return { seed: r.seed, size: r.size, real, holdout, synthetic };
}

/** All sets of a dataset in display order: real, holdout, then the synthetic sets. */
export function demoSets(ds: DemoDataset): DemoSet[] {
  return [ds.real, ds.holdout, ...ds.synthetic];
}

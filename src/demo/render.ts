/**
 * Chest-radiograph phantom renderer: draws a posteroanterior chest X-ray look-alike
 * from a small set of anatomical parameters.
 *
 * Pure TypeScript, no DOM. Determinism: only +, -, *, /, Math.sqrt (all exactly
 * rounded by IEEE 754), Math.floor/round/min/max and 32-bit integer operations are
 * used; the rotation's sine and cosine come from a fixed Taylor polynomial, not from
 * Math.sin/Math.cos, whose last bit may differ between engines. So the same
 * parameters give the same bytes in Node, in workers and in every browser.
 *
 * Coordinates: the image spans [-1, 1] x [-1, 1], x to the right (patient's left),
 * y downwards. Anatomy is drawn in a canonical frame that the patient's pose
 * (shift, rotation, scale) maps onto the image.
 */
import { createRng, hashGauss, type Rng } from './rng.ts';

export interface PhantomParams {
  /** Pose: translation of the patient in image units (image width = 2). */
  shiftX: number;
  shiftY: number;
  /** Pose: isotropic magnification (1 = nominal). */
  scale: number;
  /** Pose: in-plane rotation in radians (|rotation| < 0.5). */
  rotation: number;
  /** Half-width of the torso (canonical units). */
  bodyWidth: number;
  /** Horizontal semi-axis of each lung field. */
  lungWidth: number;
  /** y of the lung apices. */
  lungTop: number;
  /** y of the costophrenic angles (lung bases, laterally). */
  diaphragm: number;
  /** Height of the diaphragm domes above the costophrenic angles. */
  domeHeight: number;
  /** How much higher the right hemidiaphragm (image left) sits than the left. */
  rightDomeRaise: number;
  /** Inward lean of the lung apices (shear). */
  lungTilt: number;
  /** Heart size multiplier (1 = nominal, cardiothoracic ratio about 0.45). */
  heartScale: number;
  /** Horizontal offset of the heart towards the patient's left. */
  heartShift: number;
  /** Half-width of the mediastinum above the heart. */
  mediastinumWidth: number;
  /** Vertical spacing of consecutive ribs. */
  ribSpacing: number;
  /** Vertical phase of the rib cage. */
  ribOffset: number;
  /** Lateral downward curvature of the posterior ribs. */
  ribCurve: number;
  /** y of the medial ends of the clavicles. */
  clavicleY: number;
  /** Whether a gastric air bubble shows under the left hemidiaphragm. */
  gastricBubble: boolean;
  /** Strength of the lung markings (vessels), 0..1. */
  vascularity: number;
  /** Exposure: additive brightness (about +-0.1). */
  brightness: number;
  /** Exposure: contrast gain around mid-grey (about 0.8..1.25). */
  contrast: number;
  /** Exposure: Schlick bias of the response curve, 0..1 (0.5 = linear). */
  gamma: number;
  /** Film noise standard deviation in intensity units (0..1 scale). */
  noise: number;
  /** Pleural effusion in the right hemithorax (image left): 0 = none, up to 1 = massive. */
  effusionRight: number;
  /** Pleural effusion in the left hemithorax (image right). */
  effusionLeft: number;
  /** Seed of the patient's texture and film noise (uint32). */
  textureSeed: number;
}

/** Sine for |x| <= 0.8 by its Taylor polynomial to x^11 (error < 1e-11); exact arithmetic only. */
export function sinSmall(x: number): number {
  const x2 = x * x;
  return x * (1 - (x2 / 6) * (1 - (x2 / 20) * (1 - (x2 / 42) * (1 - (x2 / 72) * (1 - x2 / 110)))));
}

/** Cosine for |x| <= 0.8 by its Taylor polynomial to x^12; exact arithmetic only. */
export function cosSmall(x: number): number {
  const x2 = x * x;
  return 1 - (x2 / 2) * (1 - (x2 / 12) * (1 - (x2 / 30) * (1 - (x2 / 56) * (1 - (x2 / 90) * (1 - x2 / 132)))));
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/** Hermite smoothstep from 0 at e0 to 1 at e1 (e0 may exceed e1 for a falling edge). */
function smooth(e0: number, e1: number, x: number): number {
  const t = clamp01((x - e0) / (e1 - e0));
  return t * t * (3 - 2 * t);
}

/** Smooth membership of |d| < half, with an edge of width w. */
function band(d: number, half: number, w: number): number {
  const a = d < 0 ? -d : d;
  return smooth(half + w, half - w, a);
}

/** Value noise on a g x g lattice over [-1.25, 1.25]^2, values in [-1, 1], smooth interpolation. */
class ValueNoise {
  private readonly v: Float64Array;
  constructor(
    rng: Rng,
    private readonly g: number,
  ) {
    this.v = new Float64Array(g * g);
    for (let i = 0; i < g * g; i++) this.v[i] = rng() * 2 - 1;
  }
  at(x: number, y: number): number {
    const g = this.g;
    const fx = ((x + 1.25) / 2.5) * (g - 1);
    const fy = ((y + 1.25) / 2.5) * (g - 1);
    let ix = Math.floor(fx);
    let iy = Math.floor(fy);
    if (ix < 0) ix = 0;
    if (iy < 0) iy = 0;
    if (ix > g - 2) ix = g - 2;
    if (iy > g - 2) iy = g - 2;
    let tx = clamp01(fx - ix);
    let ty = clamp01(fy - iy);
    tx = tx * tx * (3 - 2 * tx);
    ty = ty * ty * (3 - 2 * ty);
    const v = this.v;
    const a = v[iy * g + ix];
    const b = v[iy * g + ix + 1];
    const c = v[(iy + 1) * g + ix];
    const d = v[(iy + 1) * g + ix + 1];
    return a + (b - a) * tx + (c - a) * ty + (a - b - c + d) * tx * ty;
  }
}

/** Throws on parameters that the renderer cannot draw (non-finite, or outside its valid ranges). */
export function checkParams(p: PhantomParams): void {
  for (const [k, v] of Object.entries(p)) {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`phantom parameter ${k} is not finite: ${v}`);
  }
  if (!(Math.abs(p.rotation) <= 0.5)) throw new Error(`phantom rotation must be within +-0.5 rad, got ${p.rotation}`);
  if (!(p.gamma > 0 && p.gamma < 1)) throw new Error(`phantom gamma must be in (0, 1), got ${p.gamma}`);
  for (const k of ['scale', 'bodyWidth', 'lungWidth', 'heartScale', 'ribSpacing', 'mediastinumWidth'] as const) {
    if (!(p[k] > 0)) throw new Error(`phantom ${k} must be positive, got ${p[k]}`);
  }
  if (!(p.diaphragm > p.lungTop)) throw new Error('phantom diaphragm must lie below the lung apices');
  if (!(p.effusionLeft >= 0 && p.effusionLeft <= 1 && p.effusionRight >= 0 && p.effusionRight <= 1)) throw new Error('phantom effusion sizes must be in [0, 1]');
  if (!Number.isInteger(p.textureSeed)) throw new Error(`phantom textureSeed must be an integer, got ${p.textureSeed}`);
}

const N_POSTERIOR_RIBS = 11;
const N_ANTERIOR_RIBS = 7;

/**
 * Per-image constants derived from the parameters. Every field is a number (numbers are
 * stored once, before the passes read them), so the passes see one stable object shape.
 */
interface Geometry {
  size: number;
  edge: number;
  cosR: number;
  sinR: number;
  invScale: number;
  shiftX: number;
  shiftY: number;
  bw0: number;
  shoulderY: number;
  lungTop: number;
  diaphragm: number;
  lungWidth: number;
  lungTilt: number;
  lungCx: number;
  lungCy: number;
  lungB: number;
  lungEdge: number;
  domeHalf: number;
  domePeak: number;
  domeHeight: number;
  rightDomeRaise: number;
  heartTop: number;
  heartHeight: number;
  heartLeft: number;
  heartRight: number;
  carinaY: number;
  knobX: number;
  knobY: number;
  mediastinumWidth: number;
  hilumY: number;
  vascularity: number;
  gastric: number;
  firstRib: number;
  ribSpacing: number;
  ribCurve: number;
  clavicleY: number;
  spinePhase: number;
  effusionRight: number;
  effusionLeft: number;
  contrast: number;
  brightness: number;
  biasK: number;
  noise: number;
  noiseSeed: number;
}

/** Per-pixel working layers (float64), reused between calls of the same size. */
class Layers {
  readonly n: number;
  readonly x: Float64Array; // canonical coordinates
  readonly y: Float64Array;
  readonly body: Float64Array; // body membership 0..1 (0: air, skipped by later passes)
  readonly bw: Float64Array; // torso half-width at this height
  readonly tissue: Float64Array; // soft-tissue intensity
  readonly v: Float64Array; // accumulated intensity
  readonly heart: Float64Array;
  readonly medi: Float64Array;
  readonly mediastinum: Float64Array;
  readonly lung: Float64Array;
  readonly lungE: Float64Array; // lung ellipse implicit value
  readonly at: Float64Array; // tilted lateral coordinate
  readonly below: Float64Array; // below the diaphragm dome
  constructor(n: number) {
    this.n = n;
    this.x = new Float64Array(n);
    this.y = new Float64Array(n);
    this.body = new Float64Array(n);
    this.bw = new Float64Array(n);
    this.tissue = new Float64Array(n);
    this.v = new Float64Array(n);
    this.heart = new Float64Array(n);
    this.medi = new Float64Array(n);
    this.mediastinum = new Float64Array(n);
    this.lung = new Float64Array(n);
    this.lungE = new Float64Array(n);
    this.at = new Float64Array(n);
    this.below = new Float64Array(n);
  }
}

let cachedLayers: Layers | null = null;

function layersFor(n: number): Layers {
  if (!cachedLayers || cachedLayers.n !== n) cachedLayers = new Layers(n);
  return cachedLayers;
}

function geometry(p: PhantomParams, size: number, noiseSeed: number): Geometry {
  const invScale = 1 / p.scale;
  // Pixel pitch in canonical units: edges are at least about one pixel wide (anti-aliasing).
  const edge = Math.max(0.01, (2 / size) * invScale);
  const lungCx = 0.1 + p.lungWidth;
  const lungCy = p.diaphragm + 0.14;
  const hs = p.heartScale;
  const heartTop = p.lungTop + 0.52 * (p.diaphragm - p.lungTop) + 0.12 * (1 - hs);
  return {
    size,
    edge,
    cosR: cosSmall(p.rotation),
    sinR: sinSmall(p.rotation),
    invScale,
    shiftX: p.shiftX,
    shiftY: p.shiftY,
    bw0: p.bodyWidth,
    shoulderY: p.lungTop - 0.1,
    lungTop: p.lungTop,
    diaphragm: p.diaphragm,
    lungWidth: p.lungWidth,
    lungTilt: p.lungTilt,
    lungCx,
    lungCy,
    lungB: lungCy - p.lungTop,
    lungEdge: (2 * edge) / p.lungWidth,
    domeHalf: p.lungWidth * 1.25,
    domePeak: lungCx - 0.15 * p.lungWidth,
    domeHeight: p.domeHeight,
    rightDomeRaise: p.rightDomeRaise,
    // heart: silhouette widening from the hila down to the diaphragm, mostly to the patient's left
    heartTop,
    heartHeight: p.diaphragm + 0.02 - heartTop,
    heartLeft: 0.1 + p.heartShift + 0.24 * hs,
    heartRight: 0.12 + 0.16 * hs - 0.3 * p.heartShift,
    carinaY: p.lungTop + 0.42,
    knobX: p.mediastinumWidth * 0.9 + 0.01,
    knobY: p.lungTop + 0.3,
    mediastinumWidth: p.mediastinumWidth,
    hilumY: p.lungTop + 0.5 * (p.diaphragm - p.lungTop),
    vascularity: p.vascularity,
    gastric: p.gastricBubble ? 1 : 0,
    firstRib: p.lungTop - 0.06 + p.ribOffset,
    ribSpacing: p.ribSpacing,
    ribCurve: p.ribCurve,
    clavicleY: p.clavicleY,
    spinePhase: (p.textureSeed % 97) / 97,
    effusionRight: p.effusionRight,
    effusionLeft: p.effusionLeft,
    contrast: p.contrast,
    brightness: p.brightness,
    // exposure response: Schlick bias b(v) = v / ((1/g - 2)(1 - v) + 1)
    biasK: 1 / p.gamma - 2,
    noise: p.noise,
    noiseSeed,
  };
}

/** Pass 1: pose, body outline (torso with sloping shoulders, neck, upper arms), soft tissue, shoulder bones. */
function passBody(g: Geometry, L: Layers): void {
  const { size, edge, cosR, sinR, invScale, shiftX, shiftY, bw0, shoulderY } = g;
  const { x: xs, y: ys, body: bodyA, bw: bwA, tissue: tissueA, v: vA } = L;
  let o = 0;
  for (let j = 0; j < size; j++) {
    const Y = ((j + 0.5) / size) * 2 - 1;
    for (let i = 0; i < size; i++, o++) {
      const X = ((i + 0.5) / size) * 2 - 1;
      const x0 = X - shiftX;
      const y0 = Y - shiftY;
      const x = (cosR * x0 + sinR * y0) * invScale;
      const y = (-sinR * x0 + cosR * y0) * invScale;
      xs[o] = x;
      ys[o] = y;
      const a = x < 0 ? -x : x;
      const yb = y - 0.05;
      const bw = bw0 * (1 - 0.13 * yb * yb);
      bwA[o] = bw;
      const shoulderLine = shoulderY - 0.14 + 0.2 * smooth(0.9, 0.15, a) - 0.05 * a;
      let body = smooth(bw + 2 * edge, bw - 2 * edge, a) * smooth(shoulderLine - 2 * edge, shoulderLine + 2 * edge, y);
      if (a < 0.24) {
        const neck = smooth(0.21, 0.17, a);
        if (neck > body) body = neck;
      }
      if (a > bw - 0.1 && y > shoulderY - 0.3) {
        // upper arm, abducted, partly overlapping the chest wall
        const arm = smooth(bw - 0.04, bw + 0.02, a) * smooth(bw + 0.34, bw + 0.26, a) * smooth(shoulderY - 0.25, shoulderY - 0.1, y) * smooth(0.8, 0.1, y);
        if (arm > body) body = arm;
      }
      bodyA[o] = body;
      if (body <= 0) {
        // air around the patient
        vA[o] = 0.05;
        tissueA[o] = 0.05;
        continue;
      }
      // soft tissue: thicker (brighter) centrally
      const ex = a / bw;
      const thick = ex < 1 ? Math.sqrt(1 - ex * ex) : 0;
      const tissue = 0.05 + body * (0.24 + 0.26 * thick);
      tissueA[o] = tissue;
      let v = tissue;
      // humeral heads (partly in the field) and the lateral borders of the scapulae
      if (y < shoulderY + 0.3 && a > bw - 0.15) {
        const humDx = a - (bw + 0.16);
        const humDy = y - (shoulderY - 0.02);
        const humR = Math.sqrt(humDx * humDx + humDy * humDy);
        v += 0.06 * smooth(0.16 + edge, 0.16 - edge, humR);
        const scapX = bw - 0.08 - 0.16 * (y - shoulderY);
        v += 0.04 * band(a - scapX, 0.012, edge * 1.5) * smooth(shoulderY, shoulderY + 0.1, y) * smooth(shoulderY + 0.45, shoulderY + 0.3, y);
      }
      vA[o] = v;
    }
  }
}

/** Pass 2: mediastinum, heart and aortic knob; lungs; diaphragm and abdomen; gastric bubble. */
function passChest(g: Geometry, L: Layers): void {
  const { edge, heartTop, heartHeight, heartLeft, heartRight, knobX, knobY, mediastinumWidth, carinaY, diaphragm } = g;
  const { lungTilt, lungCx, lungCy, lungB, lungWidth, lungEdge, rightDomeRaise, domePeak, domeHalf, domeHeight, gastric } = g;
  const { x: xs, y: ys, body: bodyA, v: vA, heart: heartL, medi: mediL, mediastinum: mediastinumL, lung: lungL, lungE: lungEL, at: atL, below: belowL } = L;
  for (let o = 0; o < L.n; o++) {
    const body = bodyA[o];
    if (body <= 0) {
      // air: clear the layers (they are reused between images)
      heartL[o] = 0;
      mediL[o] = 0;
      mediastinumL[o] = 0;
      lungL[o] = 0;
      lungEL[o] = 4;
      atL[o] = 0;
      belowL[o] = 0;
      continue;
    }
    const x = xs[o];
    const y = ys[o];
    const a = x < 0 ? -x : x;
    let heart = 0;
    const ht = (y - heartTop) / heartHeight;
    if (ht > -0.05) {
      // convex borders: the left one bulges widest in the lower third, the right one lower down
      const t = ht < 0 ? 0 : ht > 1 ? 1 : ht;
      const bulgeL = Math.sqrt(t) * (1 - 0.3 * t * t * t);
      const tr = t < 0.25 ? 0 : (t - 0.25) / 0.75;
      const bulgeR = Math.sqrt(tr) * (1 - 0.25 * tr * tr);
      const reach = x < 0 ? 0.06 + (heartRight - 0.06) * bulgeR : 0.06 + (heartLeft - 0.06) * bulgeL;
      heart = smooth(reach + 2 * edge, reach - 2 * edge, a) * smooth(-0.05, 0.02, ht);
    }
    let knob = 0;
    if (x > 0 && y > knobY - 0.1 && y < knobY + 0.1) {
      const kx = x - knobX;
      const ky = y - knobY;
      knob = smooth(0.062 + edge, 0.062 - edge, Math.sqrt(kx * kx + ky * ky));
    }
    const medW = mediastinumWidth * (1 + 0.3 * smooth(carinaY - 0.1, diaphragm, y)) * (x < 0 ? 1 : 0.9);
    const medi = smooth(medW + 2 * edge, medW - edge, a);
    let mediastinum = heart > knob ? heart : knob;
    if (medi > mediastinum) mediastinum = medi;
    heartL[o] = heart;
    mediL[o] = medi;
    mediastinumL[o] = mediastinum;

    // lungs: tilted ellipse above the diaphragm dome, minus the mediastinum
    const at = a + lungTilt * (lungCy - y);
    const lx = (at - lungCx) / lungWidth;
    const ly = (y - lungCy) / lungB;
    const lungE = lx * lx + ly * ly;
    const raise = x < 0 ? rightDomeRaise : 0;
    const du = (a - domePeak) / domeHalf;
    const domeY = diaphragm - raise - domeHeight * clamp01(1 - du * du);
    let lung = 0;
    if (lungE < 1 + lungEdge && y < domeY + edge) {
      lung = smooth(1 + lungEdge, 1 - lungEdge, lungE) * smooth(domeY + edge, domeY - edge, y) * (1 - mediastinum);
    }
    atL[o] = at;
    lungEL[o] = lungE;
    lungL[o] = lung;

    // diaphragm and abdomen below the domes; the heart merges with the diaphragm
    const below = smooth(domeY - edge, domeY + edge, y);
    belowL[o] = below;
    let v = vA[o];
    let dense = below > mediastinum ? below : mediastinum;
    if (dense > 1) dense = 1;
    v += 0.06 * dense * body;
    if (gastric > 0 && x >= 0 && below > 0) {
      const gx = (a - (lungCx - 0.02)) / 0.1;
      const gy = (y - (domeY + 0.08)) / 0.06;
      if (gx > -1.2 && gx < 1.2 && gy > -1.2 && gy < 3) v -= 0.1 * smooth(1.2, 0.8, gx * gx + gy * gy) * below;
    }
    vA[o] = v;
  }
}

/** Pass 3: lung fields, dark, with vascular markings brighter towards the hila. */
function passLungFields(g: Geometry, L: Layers, coarse: ValueNoise, vessels: ValueNoise): void {
  const { hilumY, lungTop, diaphragm, lungCx, lungWidth, vascularity } = g;
  const { x: xs, y: ys, v: vA, lung: lungL } = L;
  for (let o = 0; o < L.n; o++) {
    const lung = lungL[o];
    if (lung <= 0) continue;
    const x = xs[o];
    const y = ys[o];
    const side = x < 0 ? -1 : 1;
    const a = x < 0 ? -x : x;
    const hxd = (a - 0.17) / 0.42;
    const hyd = (y - hilumY) / 0.5;
    const hilum = 1 / (1 + 6 * (hxd * hxd + hyd * hyd));
    const vn = vessels.at(x * 0.8 + y * 0.3 * side, y * 0.8 - a * 0.15);
    const vess = clamp01(vn * 1.7 - 0.1) * (0.3 + 0.7 * hilum) * vascularity;
    const basal = 0.07 * smooth(lungTop + 0.5, diaphragm, y);
    const apex = 0.03 * smooth(lungTop + 0.2, lungTop, y);
    const lx = (L.at[o] - lungCx) / lungWidth;
    const lateral = 0.04 * smooth(0.5, 1, lx * lx);
    const dark = 0.37 - 0.1 * hilum - basal + apex - lateral + 0.025 * coarse.at(x, y);
    vA[o] -= lung * (dark - 0.15 * vess);
  }
}

/** Pass 4: trachea and main bronchi, spine, clavicles. */
function passAxial(g: Geometry, L: Layers): void {
  const { edge, carinaY, spinePhase, clavicleY } = g;
  const { x: xs, y: ys, body: bodyA, v: vA, lung: lungL, medi: mediL, mediastinum: mediastinumL } = L;
  for (let o = 0; o < L.n; o++) {
    const body = bodyA[o];
    if (body <= 0) continue;
    const x = xs[o];
    const y = ys[o];
    const a = x < 0 ? -x : x;
    let v = vA[o];
    // trachea and main bronchi (air column: darker)
    if (a < 0.2 && y < carinaY + 0.16) {
      let air = band(x, 0.033, edge * 1.5) * smooth(carinaY + 0.02, carinaY - 0.02, y);
      const brY = y - carinaY;
      if (brY > 0) {
        const br = band(a - 0.035 - brY * 0.85, 0.02, edge) * smooth(0.15, 0.1, brY);
        if (br > air) air = br;
      }
      v -= 0.07 * air;
    }
    // spine: vertebral bodies with disc spaces and pedicles, faint behind the mediastinum
    if (a < 0.09) {
      const spine = band(x, 0.068, edge * 1.5) * body;
      const t = (y + 1.2) / 0.1 + spinePhase;
      const ph = t - Math.floor(t);
      const disc = band(ph - 0.5, 0.1, 0.05);
      const ped = band(a - 0.048, 0.014, edge) * band(ph - 0.25, 0.12, 0.06);
      const m = mediastinumL[o];
      const l = lungL[o];
      const behind = 1 - 0.7 * (m > l ? m : l);
      v += spine * behind * (0.06 - 0.035 * disc + 0.035 * ped);
    }
    // clavicles: S-shaped, rising laterally
    const cu = a - 0.055;
    if (cu > -0.03 && cu < 0.7) {
      const cy = clavicleY - 0.34 * cu + 0.42 * cu * cu - 0.2 * cu * cu * cu;
      const d = y - cy;
      if (d > -0.08 && d < 0.08) {
        const th = 0.026 + 0.01 * smooth(0.12, 0, cu);
        const cl = band(d, th, edge * 1.2) * smooth(-0.025, 0.03, cu) * smooth(0.68, 0.56, cu);
        v += 0.1 * cl * (0.75 + 0.25 * band(d, th * 0.6, edge)) * (1 - 0.5 * mediL[o]);
      }
    }
    vA[o] = v;
  }
}

/** Pass 5: ribs, posterior (curving down laterally) and faint anterior (descending medially). */
function passRibs(g: Geometry, L: Layers): void {
  const { edge, firstRib, ribSpacing, ribCurve } = g;
  const { x: xs, y: ys, body: bodyA, v: vA, lung: lungL, medi: mediL, below: belowL, bw: bwA } = L;
  for (let o = 0; o < L.n; o++) {
    if (bodyA[o] <= 0) continue;
    const x = xs[o];
    const a = x < 0 ? -x : x;
    const u = a - 0.06;
    if (u <= 0) continue;
    const bw = bwA[o];
    const ribVis = (0.25 + 0.75 * lungL[o]) * (1 - 0.45 * belowL[o]) * (1 - 0.6 * mediL[o]) * smooth(bw + 0.01, bw - 0.08, a);
    if (ribVis <= 0) continue;
    const y = ys[o];
    let ribs = 0;
    const pu = -0.2 * u + ribCurve * u * u;
    const rth = 0.016 + 0.018 * u;
    const k0 = Math.floor((y - pu - firstRib) / ribSpacing);
    for (let k = k0 - 1; k <= k0 + 1; k++) {
      if (k < 0 || k >= N_POSTERIOR_RIBS) continue;
      const d = y - (firstRib + k * ribSpacing + pu);
      if (d > -rth - edge && d < rth + edge) ribs += band(d, rth, edge) - 0.4 * band(d, rth * 0.5, edge);
    }
    if (a > 0.22) {
      const au = 0.85 - a;
      const qa = 0.3 * au + 0.4 * au * au;
      const ka0 = Math.floor((y - qa - firstRib - 0.24) / (ribSpacing * 1.1));
      for (let k = ka0 - 1; k <= ka0 + 1; k++) {
        if (k < 0 || k >= N_ANTERIOR_RIBS) continue;
        const d = y - (firstRib + 0.24 + k * ribSpacing * 1.1 + qa);
        if (d > -0.015 - edge && d < 0.015 + edge) ribs += 0.4 * band(d, 0.015, edge) * smooth(0.22, 0.34, a);
      }
    }
    vA[o] += 0.11 * ribs * ribVis;
  }
}

/** Pass 6: pleural effusion, a dependent opacity with a meniscus rising laterally; film texture. */
function passEffusion(g: Geometry, L: Layers, fine: ValueNoise): void {
  const { effusionRight, effusionLeft, lungCx, lungWidth, diaphragm, rightDomeRaise } = g;
  const { x: xs, y: ys, body: bodyA, v: vA, lungE: lungEL, at: atL, tissue: tissueA } = L;
  const any = effusionRight > 0 || effusionLeft > 0;
  for (let o = 0; o < L.n; o++) {
    const body = bodyA[o];
    if (body <= 0) continue;
    const x = xs[o];
    const y = ys[o];
    let v = vA[o];
    const eff = x < 0 ? effusionRight : effusionLeft;
    if (any && eff > 0 && lungEL[o] < 1.2) {
      const medialA = lungCx - lungWidth;
      const un = clamp01((atL[o] - medialA) / (2 * lungWidth));
      const baseY = diaphragm - (x < 0 ? rightDomeRaise : 0);
      const surf = baseY + 0.05 - eff * 0.62 - (0.1 + 0.12 * eff) * un * un;
      const inFluid = smooth(surf - 0.025, surf + 0.045, y);
      const fluid = inFluid * smooth(1.15, 0.95, lungEL[o]) * smooth(baseY + 0.16, baseY + 0.06, y);
      if (fluid > 0) {
        const opacity = 0.8 + 0.2 * smooth(surf, surf + 0.25, y);
        const target = tissueA[o] + 0.09;
        v += (target - v) * fluid * opacity;
      }
    }
    // quantum mottle and fine film texture
    v += 0.012 * fine.at(x, y) * body;
    vA[o] = v;
  }
}

/** Pass 7: exposure response and film noise, quantised to 8 bits. */
function passExpose(g: Geometry, L: Layers, out: Uint8Array): void {
  const { contrast, brightness, biasK, noise, noiseSeed } = g;
  const vA = L.v;
  for (let o = 0; o < L.n; o++) {
    let w = contrast * (vA[o] - 0.35) + 0.4 + brightness;
    w = clamp01(w);
    w = w / (biasK * (1 - w) + 1);
    w += noise * hashGauss(noiseSeed, o);
    out[o] = Math.round(clamp01(w) * 255);
  }
}

/**
 * Renders one phantom as 8-bit grayscale, row-major, size x size.
 * The same parameters and size always give the same bytes.
 */
export function renderPhantom(p: PhantomParams, size = 128): Uint8Array {
  if (!Number.isInteger(size) || size < 8 || size > 4096) throw new Error(`phantom size must be an integer in 8..4096, got ${size}`);
  checkParams(p);
  const rng = createRng(p.textureSeed);
  const noiseSeed = Math.floor(rng() * 4294967296) | 0;
  const coarse = new ValueNoise(rng, 7);
  const fine = new ValueNoise(rng, 23);
  const vessels = new ValueNoise(rng, 41);
  const g = geometry(p, size, noiseSeed);
  const L = layersFor(size * size);
  passBody(g, L);
  passChest(g, L);
  passLungFields(g, L, coarse, vessels);
  passAxial(g, L);
  passRibs(g, L);
  passEffusion(g, L, fine);
  const out = new Uint8Array(size * size);
  passExpose(g, L, out);
  return out;
}

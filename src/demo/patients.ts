/**
 * Patient populations for the demo: draws phantom parameters from a seeded random source.
 *
 * `standard` is the population of the real, held-out and faithful sets. `shifted` is a
 * domain-shifted population (larger heart, narrower and taller lungs, rotated, lower in
 * the field, brighter exposure): plausible chest films from a different site/scanner.
 */
import type { PhantomParams } from './render.ts';
import { gauss, randU32, uniform, type Rng } from './rng.ts';

export type DemoLabel = 'normal' | 'effusion';
export type Population = 'standard' | 'shifted';

/**
 * Draws one patient. The number of random draws does not depend on the label, the
 * population or the truncation.
 *
 * `truncation` (psi, 0..1) pulls every anatomical draw towards the population's average
 * patient, like StyleGAN's truncation trick: psi = 1 is the full population, psi = 0 the
 * average patient. Effusion sizes and the texture seed are not truncated.
 */
export function drawPatient(rng: Rng, label: DemoLabel, population: Population = 'standard', truncation = 1): PhantomParams {
  if (!(truncation >= 0 && truncation <= 1)) throw new Error(`truncation must be in [0, 1], got ${truncation}`);
  /** Normal draw truncated to +-2.5 sd (the Irwin-Hall draw is already bounded at +-3.46), then pulled towards the mean. */
  const tn = (mean: number, sd: number): number => {
    let z = gauss(rng);
    if (z > 2.5) z = 2.5;
    if (z < -2.5) z = -2.5;
    return mean + truncation * sd * z;
  };
  const un = (lo: number, hi: number): number => {
    const mid = (lo + hi) / 2;
    return mid + truncation * (uniform(rng, lo, hi) - mid);
  };
  const p: PhantomParams = {
    shiftX: tn(0, 0.035),
    shiftY: tn(0.0, 0.035),
    scale: tn(1, 0.045),
    rotation: tn(0, 0.035),
    bodyWidth: tn(0.9, 0.04),
    lungWidth: tn(0.31, 0.025),
    lungTop: tn(-0.72, 0.04),
    diaphragm: tn(0.5, 0.05),
    domeHeight: tn(0.12, 0.025),
    rightDomeRaise: tn(0.05, 0.02),
    lungTilt: tn(0.08, 0.03),
    heartScale: tn(1, 0.08),
    heartShift: tn(0.1, 0.03),
    mediastinumWidth: tn(0.125, 0.012),
    ribSpacing: tn(0.135, 0.01),
    ribOffset: tn(0, 0.03),
    ribCurve: tn(0.55, 0.08),
    clavicleY: tn(-0.66, 0.04),
    gastricBubble: rng() < 0.6,
    vascularity: un(0.6, 1),
    brightness: tn(0, 0.04),
    contrast: tn(1.05, 0.08),
    gamma: tn(0.5, 0.04),
    noise: un(0.012, 0.03),
    effusionRight: 0,
    effusionLeft: 0,
    textureSeed: randU32(rng),
  };
  // Effusion draws are always made (so both labels consume the same stream).
  const sideDraw = rng();
  const sizeA = uniform(rng, 0.2, 0.9);
  const sizeB = uniform(rng, 0.15, 0.6);
  if (label === 'effusion') {
    if (sideDraw < 0.45) p.effusionRight = sizeA;
    else if (sideDraw < 0.85) p.effusionLeft = sizeA;
    else {
      p.effusionRight = sizeA;
      p.effusionLeft = sizeB;
    }
  }
  if (population === 'shifted') {
    p.heartScale *= 1.3;
    p.heartShift += 0.04;
    p.lungWidth *= 0.85;
    p.lungTop -= 0.06;
    p.diaphragm += 0.05;
    p.domeHeight *= 1.4;
    p.rotation += 0.12;
    p.shiftY += 0.07;
    p.shiftX -= 0.05;
    p.scale *= 0.93;
    p.brightness += 0.05;
    p.contrast *= 0.9;
  }
  return p;
}

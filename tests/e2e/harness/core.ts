/**
 * Test-only page (served by the Vite dev server in the e2e suite, never built into the app): runs the same
 * core code as Node inside Chromium, so tests can compare bytes and features across the two.
 */
import { encodePngGray8 } from '../../../src/core/png/encode';
import { pngTestImage } from '../../../src/core/png/testImage';
import { decodeImage } from '../../../src/imaging/decode';
import { preprocess } from '../../../src/imaging/preprocess';
import { initBrowserBackend, type BrowserBackend } from '../../../src/extractors/backend';
import { loadExtractor, type ExtractorId } from '../../../src/extractors/registry';
import { makeFeatureSet } from '../../../src/core/features/featureSet';
import { crossPass, knnRadiiWithStats } from '../../../src/core/neighbours/engine';

async function features(bytes: number[], path: string, extractorId: ExtractorId, order: BrowserBackend[]) {
  const backend = await initBrowserBackend(order, 120_000, { allowSoftwareWebgl: true, wasmThreads: false });
  const [img] = await decodeImage(new Uint8Array(bytes), path);
  const ex = await loadExtractor(extractorId);
  const input = preprocess(img, { size: ex.inputSize, channels: ex.channels, aspect: 'stretch', filter: Math.max(img.width, img.height) < ex.inputSize ? 'bilinear' : 'area' });
  const f = await ex.embed(input, 1);
  ex.dispose();
  return { backend, features: Array.from(f) };
}

/** The neighbour passes on the first backend of `order` with the given screening; plain arrays for the test. */
async function neighbours(real: number[], synth: number[], dim: number, k: number, tileSize: number, order: BrowserBackend[], screening: 'device' | 'host') {
  const backend = await initBrowserBackend(order, 120_000, { allowSoftwareWebgl: true, wasmThreads: false });
  const R = makeFeatureSet(Float32Array.from(real), real.length / dim, dim);
  const S = makeFeatureSet(Float32Array.from(synth), synth.length / dim, dim);
  const opts = { tileSize, compute: 'tf' as const, pool: null, screening };
  const radii = await knnRadiiWithStats(R, k, opts);
  const sigma = await knnRadiiWithStats(S, k, opts);
  const pass = await crossPass(R, S, { copyRadius: radii.radii.rho1, rhoK: radii.radii.rhoK, sigmaK: sigma.radii.rhoK }, opts);
  return {
    backend,
    screening: [radii.stats.screening, pass.stats.screening],
    rhoK: Array.from(radii.radii.rhoK), sigmaK: Array.from(sigma.radii.rhoK),
    nearestReal: Array.from(pass.nearestReal), nearestRealDistance: Array.from(pass.nearestRealDistance),
    copyOf: Array.from(pass.copyOf), ballCount: Array.from(pass.ballCount), recalled: Array.from(pass.recalled ?? []),
  };
}

Object.assign(window, {
  synthlensHarness: {
    pngTestBytes: () => Array.from(encodePngGray8(pngTestImage(), 256, 256)),
    features,
    neighbours,
  },
});
document.body.dataset.ready = '1';

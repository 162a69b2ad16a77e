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

async function features(bytes: number[], path: string, extractorId: ExtractorId, order: BrowserBackend[]) {
  const backend = await initBrowserBackend(order, 120_000, { allowSoftwareWebgl: true, wasmThreads: false });
  const [img] = await decodeImage(new Uint8Array(bytes), path);
  const ex = await loadExtractor(extractorId);
  const input = preprocess(img, { size: ex.inputSize, channels: ex.channels, aspect: 'stretch', filter: Math.max(img.width, img.height) < ex.inputSize ? 'bilinear' : 'area' });
  const f = await ex.embed(input, 1);
  ex.dispose();
  return { backend, features: Array.from(f) };
}

Object.assign(window, {
  synthlensHarness: {
    pngTestBytes: () => Array.from(encodePngGray8(pngTestImage(), 256, 256)),
    features,
  },
});
document.body.dataset.ready = '1';

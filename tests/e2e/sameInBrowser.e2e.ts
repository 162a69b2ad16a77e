/**
 * The browser and Node run the same core: the deterministic PNG encoder gives the same bytes, and an image
 * gives the same features in Node (wasm) and in Chromium (wasm, and WebGPU where an adapter exists), within 1e-4;
 * the neighbour passes screened on Chromium's WebGPU device (deviceScreen.ts) give exactly Node's host-path results.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { encodePngGray8 } from '../../src/core/png/encode';
import { pngTestImage } from '../../src/core/png/testImage';
import { decodeImage } from '../../src/imaging/decode';
import { preprocess } from '../../src/imaging/preprocess';
import { loadExtractor } from '../../src/extractors/registry';
import { initNodeBackend, shippedModelSource } from '../../src/cli/tfBackend';
import { makeFeatureSet } from '../../src/core/features/featureSet';
import { crossPass, knnRadiiWithStats } from '../../src/core/neighbours/engine';
import { launch } from './browser';

const IMAGE = 'tests/fixtures/images/formats/png-gray8.png';

async function nodeFeatures(): Promise<Float32Array> {
  await initNodeBackend('wasm');
  const [img] = await decodeImage(new Uint8Array(readFileSync(IMAGE)), IMAGE);
  const ex = await loadExtractor('mobilenet-v2', await shippedModelSource('mobilenet-v2'));
  const input = preprocess(img, { size: 224, channels: 3, aspect: 'stretch', filter: Math.max(img.width, img.height) < 224 ? 'bilinear' : 'area' });
  const f = await ex.embed(input, 1);
  ex.dispose();
  return f;
}

async function harness(browser: Browser): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(new URL('tests/e2e/harness/core.html', inject('devUrl')).href);
  await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 120_000 });
  return page;
}

/** Whether this Chromium gives the page a WebGPU adapter (warns when it does not: the test then checks nothing). */
async function webgpuAdapter(page: Page, what: string): Promise<boolean> {
  const has = await page.evaluate(async () => !!(await (navigator as never as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu?.requestAdapter()));
  if (!has) console.warn(`no WebGPU adapter in this Chromium: ${what} not run`);
  return has;
}

/** The harness page's MobileNetV2 features of IMAGE on the given backend. */
async function pageFeatures(page: Page, backend: 'wasm' | 'webgpu'): Promise<{ backend: string; features: number[] }> {
  const bytes = Array.from(readFileSync(IMAGE));
  return page.evaluate(
    ([b, p, be]) => (window as never as { synthlensHarness: { features(...a: unknown[]): Promise<{ backend: string; features: number[] }> } }).synthlensHarness.features(b, p, 'mobilenet-v2', [be]),
    [bytes, IMAGE, backend] as const,
  );
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('same results in Node and in Chromium', () => {
  let browser: Browser;
  let reference: Float32Array;
  beforeAll(async () => {
    browser = await launch({ webgpu: true });
    reference = await nodeFeatures();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('encodes the variety PNG to the same bytes', async () => {
    const page = await harness(browser);
    const bytes = await page.evaluate(() => (window as never as { synthlensHarness: { pngTestBytes(): number[] } }).synthlensHarness.pngTestBytes());
    expect(Buffer.from(bytes).equals(Buffer.from(encodePngGray8(pngTestImage(), 256, 256)))).toBe(true);
  });

  it('gives the same MobileNetV2 features on wasm', async () => {
    const r = await pageFeatures(await harness(browser), 'wasm');
    expect(r.backend).toBe('wasm');
    expect(maxAbsDiff(r.features, reference)).toBeLessThan(1e-4);
  });

  it('gives the same MobileNetV2 features on WebGPU (SwiftShader here: slow, checks correctness only)', async () => {
    const page = await harness(browser);
    if (!(await webgpuAdapter(page, 'WebGPU comparison'))) return;
    const r = await pageFeatures(page, 'webgpu');
    expect(r.backend).toBe('webgpu');
    expect(maxAbsDiff(r.features, reference)).toBeLessThan(1e-4);
  }, 600_000);

  it('gives exactly the Node results for the neighbour passes screened on the WebGPU device', async () => {
    const page = await harness(browser);
    if (!(await webgpuAdapter(page, 'device screening'))) return;
    const dim = 12, k = 3, tile = 48;
    const value = (i: number) => Math.sin(i * 0.731) * 3 + ((i * 7919) % 17) * 0.25;
    const real = Array.from({ length: 130 * dim }, (_, i) => Math.fround(value(i)));
    const synth = Array.from({ length: 101 * dim }, (_, i) => Math.fround(value(i + 5000) * 1.05));
    for (let t = 0; t < dim; t++) {
      synth[60 * dim + t] = real[7 * dim + t]; // an exact copy
      real[120 * dim + t] = real[3 * dim + t]; // a duplicate in another tile
    }
    const r = await page.evaluate(
      ([a, b, d, kk, tt]) => (window as never as { synthlensHarness: { neighbours(...x: unknown[]): Promise<Record<string, unknown>> } }).synthlensHarness.neighbours(a, b, d, kk, tt, ['webgpu'], 'device'),
      [real, synth, dim, k, tile] as const,
    );
    expect(r.backend).toBe('webgpu');
    expect(r.screening).toEqual(['device', 'device']);
    await initNodeBackend('wasm');
    const R = makeFeatureSet(Float32Array.from(real), 130, dim), S = makeFeatureSet(Float32Array.from(synth), 101, dim);
    const opts = { tileSize: tile, compute: 'tf' as const, pool: null, screening: 'host' as const };
    const radii = await knnRadiiWithStats(R, k, opts);
    const sigma = await knnRadiiWithStats(S, k, opts);
    const pass = await crossPass(R, S, { copyRadius: radii.radii.rho1, rhoK: radii.radii.rhoK, sigmaK: sigma.radii.rhoK }, opts);
    expect(r.rhoK).toEqual(Array.from(radii.radii.rhoK));
    expect(r.sigmaK).toEqual(Array.from(sigma.radii.rhoK));
    expect(r.nearestReal).toEqual(Array.from(pass.nearestReal));
    expect(r.nearestRealDistance).toEqual(Array.from(pass.nearestRealDistance));
    expect(r.copyOf).toEqual(Array.from(pass.copyOf));
    expect((r.copyOf as number[])[60]).toBe(7);
    expect(r.ballCount).toEqual(Array.from(pass.ballCount));
    expect(r.recalled).toEqual(Array.from(pass.recalled!));
  }, 600_000);
});

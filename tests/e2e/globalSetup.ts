/**
 * Builds the app once and serves dist/ with `vite preview` (the same server `npm start` uses)
 * on a free loopback port; tests read the URL with inject('baseUrl').
 */
import { build, createServer, preview, type PreviewServer, type ViteDevServer } from 'vite';
import type { TestProject } from 'vitest/node';
import { existsSync } from 'node:fs';
import { CHROMIUM } from './browser';

let server: PreviewServer | undefined;
let dev: ViteDevServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Debian's chromium is missing at ${CHROMIUM}. Install it with: apt-get update && apt-get install -y chromium ` +
        '(as root). Where that is impossible, run only the unit tests: npm run test:unit.',
    );
  }
  if (!process.env.SYNTHLENS_SKIP_BUILD) {
    // vitest sets NODE_ENV=test, which would give a development build (no service worker, dev Svelte):
    // build exactly what `npm start` builds.
    const env = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      await build({ mode: 'production', logLevel: 'warn' });
    } finally {
      process.env.NODE_ENV = env;
    }
  }
  server = await preview({ preview: { port: 0, host: '127.0.0.1', strictPort: false }, logLevel: 'warn' });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite preview did not report a URL');
  project.provide('baseUrl', url);
  // A dev server for test-only harness pages (tests/e2e/harness) that run core code in the browser.
  dev = await createServer({ server: { port: 0, host: '127.0.0.1', strictPort: false, hmr: false }, logLevel: 'warn' });
  await dev.listen();
  const devUrl = dev.resolvedUrls?.local[0];
  if (!devUrl) throw new Error('vite dev server did not report a URL');
  project.provide('devUrl', devUrl);
}

export async function teardown(): Promise<void> {
  await server?.close();
  await dev?.close();
}

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
    devUrl: string;
  }
}

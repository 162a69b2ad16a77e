import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { VitePWA } from 'vite-plugin-pwa';
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative, extname } from 'node:path';

/**
 * Content-Security-Policy: the app may connect only to its own origin (no image can leave the device), run
 * WebAssembly, and start workers from its own files. Sent as a header by `npm start` (vite preview), so
 * workers get it too, and as a <meta> tag for static hosting.
 */
export const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' blob: data:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
].join('; ');

// Cross-origin isolation lets the wasm backend use SharedArrayBuffer where it helps.
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** Puts the CSP into the built index.html as a <meta> tag. */
function cspMeta(): Plugin {
  return {
    name: 'synthlens-csp-meta',
    apply: 'build',
    transformIndexHtml() {
      return [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CSP }, injectTo: 'head-prepend' }];
    },
  };
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? listFiles(p) : [p];
  });
}

/** Ships the TF.js models in models/ at /models/ (dev server and build), so they are precached like the app. */
function shippedModels(): Plugin {
  const root = 'models';
  const wanted = (p: string) => ['.json', '.bin'].includes(extname(p));
  return {
    name: 'synthlens-shipped-models',
    configureServer(server) {
      server.middlewares.use('/models', (req, res, next) => {
        const file = join(root, decodeURIComponent((req.url ?? '').split('?')[0]));
        if (!file.startsWith(root) || !existsSync(file) || !statSync(file).isFile()) return next();
        res.setHeader('Content-Type', file.endsWith('.json') ? 'application/json' : 'application/octet-stream');
        res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
        res.end(readFileSync(file));
      });
    },
    generateBundle() {
      for (const file of listFiles(root).filter(wanted)) {
        this.emitFile({ type: 'asset', fileName: `models/${relative(root, file)}`, source: readFileSync(file) });
      }
    },
  };
}

export default defineConfig({
  plugins: [
    svelte(),
    cspMeta(),
    shippedModels(),
    VitePWA({
      registerType: 'autoUpdate',
      injectRegister: false,
      includeAssets: ['icons/*.png', 'icons/*.svg'],
      manifest: {
        name: 'SynthLens',
        short_name: 'SynthLens',
        description: 'Judge synthetic medical images by fidelity, variety, privacy and utility, locally and offline.',
        theme_color: '#0b6bcb',
        background_color: '#f6f7f9',
        display: 'standalone',
        start_url: '.',
        scope: '.',
        icons: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        globPatterns: ['**/*.{js,css,html,wasm,json,bin,png,svg,webmanifest}'],
        maximumFileSizeToCacheInBytes: 64 * 1024 * 1024,
        navigateFallback: 'index.html',
        cleanupOutdatedCaches: true,
      },
    }),
  ],
  server: { headers: isolationHeaders, host: '127.0.0.1' },
  preview: { headers: { ...isolationHeaders, 'Content-Security-Policy': CSP }, host: '127.0.0.1' },
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 8192,
  },
});

/**
 * The compute worker: owns the TF.js backend so that the page never does heavy work.
 * Exposed with Comlink; the page talks to it through src/workers/bridge.ts.
 */
import * as Comlink from 'comlink';
import { initBrowserBackend } from '../extractors/backend';

let backendPromise: Promise<string> | null = null;

const api = {
  /** Initialise TF.js in the order webgpu, webgl, wasm, cpu; returns the backend in use. */
  initBackend(order?: string[]): Promise<string> {
    backendPromise ??= initBrowserBackend(order as never);
    return backendPromise;
  },
};

export type EngineWorkerApi = typeof api;
Comlink.expose(api);

/** A small worker for cache housekeeping (size, clear), so the page never walks IndexedDB itself. */
import * as Comlink from 'comlink';
import { IdbFeatureCache } from '../store/featureCache.ts';

const cache = new IdbFeatureCache();

const api = {
  async info(): Promise<{ records: number; bytes: number; persistent: boolean; quota: number | null; usage: number | null }> {
    const size = await cache.size();
    const est = await navigator.storage?.estimate?.().catch(() => undefined);
    const persistent = (await navigator.storage?.persisted?.().catch(() => false)) ?? false;
    return { ...size, persistent, quota: est?.quota ?? null, usage: est?.usage ?? null };
  },
  clear(): Promise<void> {
    return cache.clear();
  },
};

export type CacheWorkerApi = typeof api;
Comlink.expose(api);

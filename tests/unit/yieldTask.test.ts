/**
 * yieldTask (src/core/yieldTask.ts): resolves in a later task, not within the current run of
 * microtasks, and without setTimeout's clamp (at least 1 ms in Node, 4 ms for nested timers in
 * browsers): 200 yields in a row take under a quarter of the time of 200 setTimeout(0) waits.
 * Both the setImmediate path (Node) and the MessageChannel path (browsers, workers) are held to it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

async function check(): Promise<void> {
  const { yieldTask } = await import('../../src/core/yieldTask.ts');
  let done = false;
  const p = yieldTask().then(() => {
    done = true;
  });
  for (let i = 0; i < 10; i++) await Promise.resolve();
  expect(done).toBe(false);
  await p;
  expect(done).toBe(true);
  // against setTimeout(0) in the same test, so machine load slows both
  let t0 = performance.now();
  for (let i = 0; i < 200; i++) await new Promise((r) => setTimeout(r, 0));
  const timer = performance.now() - t0;
  t0 = performance.now();
  for (let i = 0; i < 200; i++) await yieldTask();
  expect(performance.now() - t0).toBeLessThan(timer / 4);
}

describe('yieldTask', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });
  it('Node: a new task, without a timer clamp', check);
  it('MessageChannel (no setImmediate): a new task, without a timer clamp', async () => {
    vi.stubGlobal('setImmediate', undefined);
    vi.resetModules();
    await check();
  });
});

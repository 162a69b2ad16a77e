import { describe, expect, it } from 'vitest';
import { withTimeout } from '../../src/core/withTimeout.ts';

describe('withTimeout', () => {
  it('gives the value, or the rejection, of a promise that settles in time', async () => {
    await expect(withTimeout(Promise.resolve(7), 1000, 'x')).resolves.toBe(7);
    await expect(withTimeout(Promise.reject(new Error('broken')), 1000, 'x')).rejects.toThrow('broken');
  });

  it('rejects, naming the step, when the promise does not settle in time', async () => {
    const t0 = Date.now();
    await expect(withTimeout(new Promise(() => {}), 50, "tf.setBackend('wasm')")).rejects.toThrow("tf.setBackend('wasm') did not finish within 50 ms");
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});

/** src/workers/pool.ts defaultPoolSize: one worker per core, capped by the model's memory. */
import { describe, expect, it } from 'vitest';
import { defaultPoolSize } from '../../../src/workers/pool.ts';

describe('defaultPoolSize', () => {
  it('uses every core up to 8 workers for the small models and 4 for the large ones', () => {
    expect(defaultPoolSize('mobilenet-v2', 2)).toBe(2);
    expect(defaultPoolSize('mobilenet-v2', 16)).toBe(8);
    expect(defaultPoolSize('pixels', 6)).toBe(6);
    expect(defaultPoolSize('inception-v3', 16)).toBe(4);
    expect(defaultPoolSize('custom', 3)).toBe(3);
    expect(defaultPoolSize(undefined, 1)).toBe(1);
    expect(defaultPoolSize('inception-v3', 0)).toBe(1);
  });
});

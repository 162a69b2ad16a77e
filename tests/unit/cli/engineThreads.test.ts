/** src/cli/enginePool.ts engineThreadsFromEnv: the variable wins; otherwise one thread per core, at most 8. */
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_ENGINE_THREADS, engineThreadsFromEnv } from '../../../src/cli/enginePool.ts';

describe('engineThreadsFromEnv', () => {
  it('reads SYNTHLENS_ENGINE_THREADS, else min(cores, 8)', () => {
    expect(engineThreadsFromEnv({ SYNTHLENS_ENGINE_THREADS: '3' })).toBe(3);
    expect(engineThreadsFromEnv({ SYNTHLENS_ENGINE_THREADS: '12' })).toBe(12);
    expect(engineThreadsFromEnv({})).toBe(Math.min(8, availableParallelism()));
    expect(DEFAULT_MAX_ENGINE_THREADS).toBe(8);
    expect(() => engineThreadsFromEnv({ SYNTHLENS_ENGINE_THREADS: '0' })).toThrow(/positive integer/);
    expect(() => engineThreadsFromEnv({ SYNTHLENS_ENGINE_THREADS: 'two' })).toThrow(/positive integer/);
  });
});

import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initBrowserBackend, isSoftwareWebgl, webglRenderer } from '../../../src/extractors/backend.ts';

describe('browser backend selection (run in Node: no WebGPU, no WebGL)', () => {
  it('recognises software WebGL renderers', () => {
    expect(isSoftwareWebgl('Google SwiftShader')).toBe(true);
    expect(isSoftwareWebgl('ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)), SwiftShader driver)')).toBe(true);
    expect(isSoftwareWebgl('llvmpipe (LLVM 15.0.6, 256 bits)')).toBe(true);
    expect(isSoftwareWebgl('ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 Direct3D11 vs_5_0 ps_5_0, D3D11)')).toBe(false);
    expect(isSoftwareWebgl('')).toBe(false);
    expect(webglRenderer()).toBe('');
  });

  it('falls through unavailable backends to cpu and reports each failure when none works', async () => {
    expect(await initBrowserBackend(['webgpu', 'webgl', 'cpu'], 5000)).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    await expect(initBrowserBackend(['webgpu', 'webgl'], 5000)).rejects.toThrow(/webgpu: unavailable; webgl: /);
  });
});

/**
 * Gradients of the cnn tier on the TF.js wasm backend, against TF.js's own cpu backend (an independent
 * implementation: tfjs-backend-cpu's Conv2DBackpropFilter / Conv2DBackpropInput kernels and autodiff):
 * - the wasm Conv2DBackpropFilter kernel SynthLens registers (src/core/utility/convFilterGrad.ts), for
 *   3 x 3 "same" stride 1, 2 x 2 and 4 x 4 "valid" with stride = kernel, a 3 x 3 "same" stride 2 with an
 *   odd input (asymmetric padding), several channel counts;
 * - conv3x3's custom input and filter gradients (src/core/utility/cnn.ts) against tf.grads of tf.conv2d;
 * - one whole training step of the network: the weights after it agree between wasm and cpu.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from '../../../src/cli/tfBackend.ts';
import { conv3x3, DEFAULT_CNN_CONFIG, trainCnn, type CnnConfig } from '../../../src/core/utility/cnn.ts';
import { ensureWasmConvFilterGradient, filterGradientSource } from '../../../src/core/utility/convFilterGrad.ts';
import { createRng } from '../../../src/core/utility/rng.ts';

function randomArray(n: number, seed: number, zeros = 0): Float32Array {
  const rng = createRng(seed, 7);
  return Float32Array.from({ length: n }, () => (rng.next() < zeros ? 0 : 2 * rng.next() - 1));
}

/** Runs `f` on a backend with plain arrays in and out (tensors made and freed on that backend). */
async function on<T>(backend: 'cpu' | 'wasm', f: () => T): Promise<T> {
  await tf.setBackend(backend);
  return f();
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
  }
  return diff / Math.max(scale, 1e-12);
}

beforeAll(async () => {
  expect(await initNodeBackend('wasm')).toBe('wasm');
  ensureWasmConvFilterGradient();
});

describe('Conv2DBackpropFilter on wasm (SynthLens kernel) against the cpu backend', () => {
  const cases: { name: string; x: [number, number, number, number]; k: number; cout: number; stride: number; pad: 'same' | 'valid' }[] = [
    { name: '3x3 same stride 1', x: [3, 9, 7, 4], k: 3, cout: 5, stride: 1, pad: 'same' },
    { name: '2x2 valid stride 2', x: [2, 8, 6, 3], k: 2, cout: 4, stride: 2, pad: 'valid' },
    { name: '4x4 valid stride 4 (stem)', x: [2, 16, 16, 1], k: 4, cout: 6, stride: 4, pad: 'valid' },
    { name: '3x3 same stride 2, odd input (asymmetric padding)', x: [2, 7, 9, 2], k: 3, cout: 3, stride: 2, pad: 'same' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const xv = randomArray(c.x.reduce((a, b) => a * b, 1), 1, 0.3);
      const shapeOf = () => {
        const probe = tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros([c.k, c.k, c.x[3], c.cout]) as tf.Tensor4D, c.stride, c.pad);
        const s = probe.shape;
        tf.dispose(probe);
        return s;
      };
      const dyShape = await on('cpu', shapeOf);
      const dyv = randomArray(dyShape.reduce((a, b) => a * b, 1), 2);
      const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', filterShape: [c.k, c.k, c.x[3], c.cout] };
      const run = () =>
        tf.tidy(() => {
          const g = tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor4d(xv, c.x), dy: tf.tensor(dyv, dyShape) }, attrs as never) as tf.Tensor;
          return { shape: g.shape, values: g.dataSync().slice() };
        });
      const ref = await on('cpu', run);
      const got = await on('wasm', run);
      expect(got.shape).toEqual([c.k, c.k, c.x[3], c.cout]);
      expect(ref.shape).toEqual(got.shape);
      expect(maxRelDiff(got.values, ref.values)).toBeLessThan(1e-5);
    });
  }

  it('the report says where the filter gradients come from', () => {
    expect(filterGradientSource('wasm')).toMatch(/own TypeScript kernel/);
    expect(filterGradientSource('webgpu')).toBe('TF.js ops and gradients of the webgpu backend');
  });
});

describe("conv3x3's custom gradients", () => {
  it('equal tf.grads of tf.conv2d (cpu), for the input and the filter, on wasm and on cpu', async () => {
    const xs: [number, number, number, number] = [2, 6, 5, 3];
    const ws: [number, number, number, number] = [3, 3, 3, 4];
    const xv = randomArray(2 * 6 * 5 * 3, 3);
    const wv = randomArray(3 * 3 * 3 * 4, 4);
    const dyv = randomArray(2 * 6 * 5 * 4, 5);
    const grads = (f: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D) => () =>
      tf.tidy(() => {
        const dy = tf.tensor4d(dyv, [2, 6, 5, 4]);
        const [gx, gw] = tf.grads((x: tf.Tensor, w: tf.Tensor) => tf.sum(tf.mul(f(x as tf.Tensor4D, w as tf.Tensor4D), dy)))([tf.tensor4d(xv, xs), tf.tensor4d(wv, ws)]);
        const value = f(tf.tensor4d(xv, xs), tf.tensor4d(wv, ws));
        return { gx: gx.dataSync().slice(), gw: gw.dataSync().slice(), value: value.dataSync().slice() };
      });
    const ref = await on('cpu', grads((x, w) => tf.conv2d(x, w, 1, 'same')));
    for (const backend of ['cpu', 'wasm'] as const) {
      const got = await on(backend, grads(conv3x3));
      expect(maxRelDiff(got.value, ref.value)).toBeLessThan(1e-5);
      expect(maxRelDiff(got.gx, ref.gx)).toBeLessThan(1e-5);
      expect(maxRelDiff(got.gw, ref.gw)).toBeLessThan(1e-5);
    }
  });
});

describe('one training step of the whole network', () => {
  it('gives the same weights on wasm and on cpu (to float32 rounding)', async () => {
    const cfg: CnnConfig & { seed: number } = { ...DEFAULT_CNN_CONFIG, inputSize: 16, stemSize: 2, widths: [3, 5], embeddingUnits: 6, steps: 2, batchSize: 4, learningRate: 1e-2, seed: 9 };
    const n = 6;
    const data = Float32Array.from(randomArray(n * 16 * 16, 6), (v) => (v + 1) / 2);
    const images = { parts: [{ data, n }], y: Int32Array.from([0, 1, 2, 0, 1, 2]), classes: 3 };
    const weightsOn = async (backend: 'cpu' | 'wasm') => {
      await tf.setBackend(backend);
      const m = await trainCnn(images, cfg);
      const w = m.weights();
      m.dispose();
      return w;
    };
    const cpu = await weightsOn('cpu');
    const wasm = await weightsOn('wasm');
    expect(wasm.length).toBe(cpu.length);
    // every parameter moved (each gets a gradient) and the two backends agree
    const init = (await import('../../../src/core/utility/cnn.ts')).initialCnnParameters(cfg, 3, cfg.seed);
    for (let i = 0; i < cpu.length; i++) {
      expect(maxRelDiff(wasm[i], cpu[i])).toBeLessThan(1e-4);
      expect(maxRelDiff(cpu[i], init[i].values)).toBeGreaterThan(1e-4);
    }
  });
});

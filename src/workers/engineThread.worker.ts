/// <reference types="vite/client" />
/**
 * One thread of the browser engine pool (browserEnginePool.ts), started by the engine worker
 * (engine.worker.ts) as a nested dedicated worker: its own single-threaded TF.js backend on
 * @tensorflow/tfjs-core alone (no layers, converter or GPU backends, so a thread stays small),
 * serving begin/unit/finish/drop with EngineTaskRunner (neighbour passes on the backend; KID
 * tasks on the float64 products of src/core/linalg/gemm.ts, without the backend).
 *
 * Backend: wasm (SIMD when the browser has it), else cpu; never webgpu or webgl, since the
 * float32 bound of the engine's blocks (src/core/neighbours/blocks.ts) needs IEEE float32
 * products. A backend is kept only when it starts within the timeout, computes 1 + 1 = 2 and
 * reports floatPrecision() 32. wasm is single-threaded here: the pool is the parallelism.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import wasmPlainUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { serveEngineThread, type EngineThreadScope } from './browserEnginePool.ts';
import { withTimeout } from '../core/withTimeout.ts';

const TIMEOUT_MS = 15_000;


async function trySet(name: 'wasm' | 'cpu'): Promise<boolean> {
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths({
      'tfjs-backend-wasm.wasm': wasmPlainUrl,
      'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimdUrl,
    });
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  }
  if (!(await withTimeout(tf.setBackend(name), TIMEOUT_MS, `tf.setBackend('${name}')`))) return false;
  const probe = tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(1)));
  try {
    const v = await withTimeout(probe.data(), TIMEOUT_MS, `a first op on ${name}`);
    return v[0] === 2 && tf.backend().floatPrecision() === 32;
  } finally {
    probe.dispose();
  }
}

/** Sets wasm, else cpu; returns the backend's name. */
async function initThreadBackend(): Promise<string> {
  const errors: string[] = [];
  for (const name of ['wasm', 'cpu'] as const) {
    try {
      if (await trySet(name)) return tf.getBackend();
      errors.push(`${name}: unavailable or not float32`);
    } catch (e) {
      errors.push(`${name}: ${(e as Error)?.message ?? String(e)}`);
    }
  }
  throw new Error(errors.join('; '));
}

serveEngineThread(self as unknown as EngineThreadScope, initThreadBackend());

/**
 * The filter gradient of a 2-D convolution (TF.js kernel Conv2DBackpropFilter) for the TF.js wasm
 * backend, which does not have one in @tensorflow/tfjs-backend-wasm 4.22 (training a convolution there
 * fails with "Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'").
 *
 * Reference: the definition TensorFlow's Conv2DBackpropFilter implements (and tfjs-backend-cpu's
 * conv2DBackpropFilter computes), NHWC input x, NHWC output gradient dy, filter [kh, kw, in, out]:
 *   dW[r, s, c, d] = sum over b, i, j of  x[b, i * strideH + r * dilationH - padTop,
 *                                            j * strideW + s * dilationW - padLeft, c] * dy[b, i, j, d]
 * with the padding of backend_util.computeConv2DInfo, terms outside the input omitted.
 * tests/unit/utility/convFilterGrad.test.ts checks it against the cpu backend's kernel.
 *
 * Computed as dW [kh*kw*in, out] = im2col(x)^T [kh*kw*in, positions] . dy [positions, out]: the
 * transposed im2col is written in TypeScript straight into the backend's memory (the wasm heap), the
 * product runs on the backend's own BatchMatMul kernel (XNNPACK), which is how this kernel is several
 * times faster than summing in TypeScript. Deterministic: single-threaded, fixed order.
 */
import * as tf from '@tensorflow/tfjs-core';

const KERNEL = 'Conv2DBackpropFilter';

interface HeapBackend {
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: tf.DataId): boolean;
}

/**
 * im2col, transposed: row (r, s, c) of the filter, column n = (b, i, j) output position; the input
 * value that filter element multiplies at that position, or 0 where it falls in the padding.
 */
export function im2colTransposed(
  x: Float32Array,
  xShape: readonly number[],
  outH: number,
  outW: number,
  info: { filterHeight: number; filterWidth: number; strideHeight: number; strideWidth: number; dilationHeight: number; dilationWidth: number; padTop: number; padLeft: number },
  out: Float32Array,
): Float32Array {
  const [batch, inH, inW, inC] = xShape;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw, padTop, padLeft } = info;
  const n = batch * outH * outW;
  // for each filter column s: the output columns j whose input column falls inside the image, [jLo, jHi)
  const jLo = new Int32Array(kw);
  const jHi = new Int32Array(kw);
  for (let s = 0; s < kw; s++) {
    const off = s * dw - padLeft;
    let lo = 0;
    while (lo < outW && lo * sw + off < 0) lo++;
    let hi = outW;
    while (hi > lo && (hi - 1) * sw + off >= inW) hi--;
    jLo[s] = lo;
    jHi[s] = hi;
  }
  for (let r = 0; r < kh; r++) {
    for (let s = 0; s < kw; s++) {
      const lo = jLo[s];
      const hi = jHi[s];
      const colOff = s * dw - padLeft;
      const step = sw * inC;
      for (let c = 0; c < inC; c++) {
        let o = ((r * kw + s) * inC + c) * n;
        for (let b = 0; b < batch; b++) {
          for (let i = 0; i < outH; i++) {
            const y = i * sh + r * dh - padTop;
            if (y < 0 || y >= inH) {
              out.fill(0, o, o + outW);
              o += outW;
              continue;
            }
            if (lo > 0) out.fill(0, o, o + lo);
            let at = ((b * inH + y) * inW + lo * sw + colOff) * inC + c;
            for (let j = lo; j < hi; j++, at += step) out[o + j] = x[at];
            if (hi < outW) out.fill(0, o + hi, o + outW);
            o += outW;
          }
        }
      }
    }
  }
  return out;
}

function wasmConv2DBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const backend = args.backend as HeapBackend;
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as {
    strides: [number, number] | number;
    pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
    dataFormat: 'NHWC' | 'NCHW';
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    filterShape: [number, number, number, number];
  };
  if (attrs.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter (wasm, SynthLens): only NHWC is implemented');
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') throw new Error('Conv2DBackpropFilter (wasm, SynthLens): float32 only');
  const convInfo = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const [, outH, outW, outC] = dy.shape;
  const n = (dy.shape[0] as number) * outH * outW;
  const k = convInfo.filterHeight * convInfo.filterWidth * convInfo.inChannels;
  // dW [k, outC] = im2col(x)^T [k, n] . dy [n, outC]: the product on the backend's own (XNNPACK) matMul
  const cols = backend.makeOutput([k, n], 'float32');
  im2colTransposed(backend.typedArrayFromHeap(x), x.shape, outH, outW, {
    filterHeight: convInfo.filterHeight,
    filterWidth: convInfo.filterWidth,
    strideHeight: convInfo.strideHeight,
    strideWidth: convInfo.strideWidth,
    dilationHeight: convInfo.dilationHeight,
    dilationWidth: convInfo.dilationWidth,
    padTop: convInfo.padInfo.top,
    padLeft: convInfo.padInfo.left,
  }, backend.typedArrayFromHeap(cols));
  const kernel = (name: string) => tf.getKernel(name, 'wasm')!.kernelFunc as unknown as (a: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs: tf.NamedAttrMap }) => tf.TensorInfo;
  const dy2 = kernel('Reshape')({ inputs: { x: dy }, backend, attrs: { shape: [n, outC] } });
  const out = kernel('BatchMatMul')({ inputs: { a: cols, b: dy2 }, backend, attrs: { transposeA: false, transposeB: false } });
  backend.disposeData(cols.dataId);
  backend.disposeData(dy2.dataId);
  (out as { shape: number[] }).shape = attrs.filterShape.slice();
  return out;
}

/**
 * Registers the kernel for the wasm backend when that backend has none (call before training on wasm;
 * harmless elsewhere and when called again). Returns true when this call registered it.
 */
export function ensureWasmConvFilterGradient(): boolean {
  if (tf.getKernel(KERNEL, 'wasm')) return false;
  tf.registerKernel({ kernelName: KERNEL, backendName: 'wasm', kernelFunc: wasmConv2DBackpropFilter as unknown as tf.KernelFunc });
  return true;
}

/** How `backend` computes the network's gradients, for the report (registers the wasm kernel when missing). */
export function filterGradientSource(backend: string): string {
  ensureWasmConvFilterGradient();
  return backend === 'wasm' && tf.getKernel(KERNEL, 'wasm')?.kernelFunc === (wasmConv2DBackpropFilter as unknown)
    ? "TF.js ops; the convolution filter gradients in SynthLens's own TypeScript kernel (the wasm backend has none)"
    : `TF.js ops and gradients of the ${backend} backend`;
}

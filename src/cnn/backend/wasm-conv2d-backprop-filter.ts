/**
 * The `Conv2DBackpropFilter` kernel for tfjs's wasm backend, which does not ship one (tfjs issue #8474):
 * without it no convolutional network can train on wasm.
 *
 * Hand-written because no library provides it. It works on the wasm heap from JS (research notes
 * ecosystem.md §2.4, approach B). It deliberately does NOT reuse wasm's Conv3DBackpropFilterV2 with
 * depth 1: that kernel gives wrong filter gradients for strides > 1 (an exclusive loop bound computed
 * with a floor in conv3d_impl.h).
 *
 * Speed: the filter gradient is a matrix product dW[K, O] = Σ_b colsᵀ[K, M] · dy[M, O] with
 * K = fh·fw·C and M = output pixels. We build colsᵀ (im2col, transposed) for a chunk of images in JS
 * and hand the product to the wasm backend's own BatchMatMul kernel (XNNPACK, SIMD), which is ~10× faster
 * than a JS triple loop; a direct JS loop remains for the cases where the product is tiny or the
 * matmul kernel is missing.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type TensorInfo = tf.TensorInfo;

interface Conv2DBackpropFilterAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/** Geometry of one filter-gradient problem (NHWC input x, output gradient dy, filter fh × fw × C × O). */
interface Geometry {
  B: number; H: number; W: number; C: number;
  OH: number; OW: number; O: number;
  fh: number; fw: number; sh: number; sw: number; dh: number; dw: number;
  top: number; left: number;
}


/**
 * dW by a direct loop: for every filter tap (wr, wc) and every output pixel whose receptive field
 * contains it, add x ⊗ dy. Exact bounds, so no per-pixel padding test in the inner loops.
 */
export function conv2dBackpropFilterDirect(x: Float32Array, dy: Float32Array, dw: Float32Array, g: Geometry): void {
  const { B, H, W, C, OH, OW, O, fh, fw, sh, sw, dh, dw: dil, top, left } = g;
  dw.fill(0);
  for (let wr = 0; wr < fh; ++wr) {
    // Output rows yr with 0 <= yr*sh - top + wr*dh < H.
    const yrMin = Math.max(0, Math.ceil((top - wr * dh) / sh));
    const yrMax = Math.min(OH, Math.ceil((H + top - wr * dh) / sh));
    for (let wc = 0; wc < fw; ++wc) {
      const ycMin = Math.max(0, Math.ceil((left - wc * dil) / sw));
      const ycMax = Math.min(OW, Math.ceil((W + left - wc * dil) / sw));
      const wBase = (wr * fw + wc) * C * O;
      for (let b = 0; b < B; ++b) {
        for (let yr = yrMin; yr < yrMax; ++yr) {
          const xr = yr * sh - top + wr * dh;
          for (let yc = ycMin; yc < ycMax; ++yc) {
            const xc = yc * sw - left + wc * dil;
            const xo = ((b * H + xr) * W + xc) * C;
            const yo = ((b * OH + yr) * OW + yc) * O;
            for (let d1 = 0; d1 < C; ++d1) {
              const xv = x[xo + d1];
              if (xv === 0) continue; // ReLU outputs are often zero
              const wo = wBase + d1 * O;
              for (let d2 = 0; d2 < O; ++d2) dw[wo + d2] += xv * dy[yo + d2];
            }
          }
        }
      }
    }
  }
}

/**
 * Writes colsᵀ for images [b0, b1): row k = (wr, wc, d1) of the filter, column m = (b − b0, yr, yc),
 * zero where the tap falls into the padding.
 */
function im2colTransposed(x: Float32Array, cols: Float32Array, g: Geometry, b0: number, b1: number): void {
  const { H, W, C, OH, OW, fh, fw, sh, sw, dh, dw: dil, top, left } = g;
  const M = (b1 - b0) * OH * OW;
  cols.fill(0, 0, fh * fw * C * M);
  for (let wr = 0; wr < fh; ++wr) {
    const yrMin = Math.max(0, Math.ceil((top - wr * dh) / sh));
    const yrMax = Math.min(OH, Math.ceil((H + top - wr * dh) / sh));
    for (let wc = 0; wc < fw; ++wc) {
      const ycMin = Math.max(0, Math.ceil((left - wc * dil) / sw));
      const ycMax = Math.min(OW, Math.ceil((W + left - wc * dil) / sw));
      const kBase = (wr * fw + wc) * C;
      for (let b = b0; b < b1; ++b) {
        for (let yr = yrMin; yr < yrMax; ++yr) {
          const xr = yr * sh - top + wr * dh;
          const mRow = ((b - b0) * OH + yr) * OW;
          for (let yc = ycMin; yc < ycMax; ++yc) {
            const xo = ((b * H + xr) * W + yc * sw - left + wc * dil) * C;
            const m = mRow + yc;
            for (let d1 = 0; d1 < C; ++d1) cols[(kBase + d1) * M + m] = x[xo + d1];
          }
        }
      }
    }
  }
}

function geometry(x: TensorInfo, attrs: Conv2DBackpropFilterAttrs): Geometry {
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode, false,
    tf.backend_util.convertConv2DDataFormat(dataFormat));
  if (info.dataFormat !== 'channelsLast') {
    throw new Error(`Conv2DBackpropFilter (wasm): dataFormat must be NHWC (channelsLast), got ${dataFormat}`);
  }
  return {
    B: info.batchSize, H: info.inHeight, W: info.inWidth, C: info.inChannels,
    OH: info.outHeight, OW: info.outWidth, O: info.outChannels,
    fh: info.filterHeight, fw: info.filterWidth, sh: info.strideHeight, sw: info.strideWidth,
    dh: info.dilationHeight, dw: info.dilationWidth, top: info.padInfo.top, left: info.padInfo.left,
  };
}

/** Which algorithm the kernel uses; `auto` picks im2col + matMul unless the product is tiny (K·O < 64). */
export type Conv2DBackpropFilterMethod = 'auto' | 'direct' | 'im2col';

/** Tuning of the kernel (module state, changed only by tests and benchmarks). */
const config = {
  method: 'auto' as Conv2DBackpropFilterMethod,
  /** Upper bound (elements) of one im2col chunk: 16 Mi floats = 64 MB on the wasm heap. */
  maxColsElements: 16 * 2 ** 20,
};

/** Forces an algorithm or chunk size (tests compare every path with the cpu backend); returns the previous settings. */
export function configureWasmConv2DBackpropFilter(opts: { method?: Conv2DBackpropFilterMethod; maxColsElements?: number }): { method: Conv2DBackpropFilterMethod; maxColsElements: number } {
  const previous = { ...config };
  if (opts.method !== undefined) {
    if (!['auto', 'direct', 'im2col'].includes(opts.method)) {
      throw new RangeError(`configureWasmConv2DBackpropFilter: method "${String(opts.method)}" is not one of auto, direct, im2col`);
    }
    config.method = opts.method;
  }
  if (opts.maxColsElements !== undefined) {
    if (!(Number.isInteger(opts.maxColsElements) && opts.maxColsElements > 0)) {
      throw new RangeError(`configureWasmConv2DBackpropFilter: maxColsElements must be a positive integer, got ${opts.maxColsElements}`);
    }
    config.maxColsElements = opts.maxColsElements;
  }
  return previous;
}

/** The kernel function (exported so tests can check that it is the registered one). */
export function wasmConv2DBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: unknown }): TensorInfo {
  const backend = args.backend as BackendWasm;
  const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
  const attrs = args.attrs as unknown as Conv2DBackpropFilterAttrs;
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new Error(`Conv2DBackpropFilter (wasm): float32 inputs expected, got x ${x.dtype} and dy ${dy.dtype}`);
  }
  const g = geometry(x, attrs);
  const K = g.fh * g.fw * g.C;
  const perImage = g.OH * g.OW;
  const matMul = tf.getKernel('BatchMatMul', 'wasm');
  // Measured on the reference network's layers: im2col + matMul is 2× (C = 1) to 16× faster than the
  // direct loop; only toy products stay direct.
  const useIm2col = config.method === 'im2col' || (config.method === 'auto' && matMul !== undefined && K * g.O >= 64);
  const out = backend.makeOutput(attrs.filterShape, 'float32');
  if (!useIm2col || matMul === undefined) {
    conv2dBackpropFilterDirect(
      backend.typedArrayFromHeap(x) as Float32Array, backend.typedArrayFromHeap(dy) as Float32Array,
      backend.typedArrayFromHeap(out) as Float32Array, g);
    return out;
  }
  const imagesPerChunk = Math.max(1, Math.min(g.B, Math.floor(config.maxColsElements / (K * perImage))));
  const acc = new Float32Array(K * g.O);
  for (let b0 = 0; b0 < g.B; b0 += imagesPerChunk) {
    const b1 = Math.min(g.B, b0 + imagesPerChunk);
    const M = (b1 - b0) * perImage;
    const cols = backend.makeOutput([1, K, M], 'float32');
    // dy of images [b0, b1) is a contiguous slice: copy it into its own heap tensor for the matmul.
    const dyChunk = backend.makeOutput([1, M, g.O], 'float32');
    let prod: TensorInfo | undefined;
    try {
      // Heap views are taken right before use: makeOutput may grow wasm memory and detach older views.
      im2colTransposed(backend.typedArrayFromHeap(x) as Float32Array, backend.typedArrayFromHeap(cols) as Float32Array, g, b0, b1);
      (backend.typedArrayFromHeap(dyChunk) as Float32Array).set(
        (backend.typedArrayFromHeap(dy) as Float32Array).subarray(b0 * perImage * g.O, b1 * perImage * g.O));
      prod = matMul.kernelFunc({
        inputs: { a: cols, b: dyChunk }, backend, attrs: { transposeA: false, transposeB: false },
      } as never) as TensorInfo;
      const p = backend.typedArrayFromHeap(prod) as Float32Array;
      for (let i = 0; i < acc.length; ++i) acc[i] += p[i];
    } finally {
      backend.disposeData(cols.dataId);
      backend.disposeData(dyChunk.dataId);
      if (prod) backend.disposeData(prod.dataId);
    }
  }
  (backend.typedArrayFromHeap(out) as Float32Array).set(acc);
  return out;
}

/**
 * Registers {@link wasmConv2DBackpropFilter} as the wasm backend's `Conv2DBackpropFilter` kernel, unless
 * one is registered already (ours from an earlier call, or a future tfjs that ships its own). Safe to
 * call before or after the wasm backend is loaded. Returns whether our kernel is the registered one.
 */
export function registerWasmConv2DBackpropFilter(): boolean {
  const existing = tf.getKernel('Conv2DBackpropFilter', 'wasm');
  if (existing === undefined) {
    tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: wasmConv2DBackpropFilter as tf.KernelFunc });
    return true;
  }
  return existing.kernelFunc === (wasmConv2DBackpropFilter as tf.KernelFunc);
}

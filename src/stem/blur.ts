/**
 * Point-spread blur on the image grid. Kernels are pixel-integrated (the weight of offset k is the
 * kernel's integral over pixel k, exact for a piecewise-constant image), symmetric and normalised to
 * sum exactly 1 (to rounding). Boundaries are half-sample symmetric reflections (index −1 → 0): for
 * a kernel symmetric under each axis flip this conserves the total intensity exactly, because the
 * reflected extension is periodic with a symmetric period (the same holds for any kernel width).
 */
import { normalCdf } from '../random/index.js';

/**
 * Kernel radius for a pixel-integrated Gaussian of σ pixels: the smallest r with (r + ½)/σ ≥ 6, so
 * the truncated tail mass 2Φ(−(r + ½)/σ) is below 2e-9 (then renormalised).
 */
export function gaussianRadiusPx(sigmaPx: number): number {
  return sigmaPx > 0 ? Math.max(0, Math.ceil(6 * sigmaPx - 0.5)) : 0;
}

/**
 * The 1-D pixel-integrated Gaussian kernel of σ pixels: `w_k ∝ Φ((k + ½)/σ) − Φ((k − ½)/σ)`,
 * k = −r…r, normalised to sum 1 (σ = 0 gives the identity kernel [1]).
 */
export function gaussianKernel1d(sigmaPx: number): Float64Array {
  if (!(sigmaPx >= 0) || !Number.isFinite(sigmaPx)) throw new RangeError(`gaussianKernel1d: sigmaPx must be a finite number >= 0, got ${sigmaPx}`);
  const r = gaussianRadiusPx(sigmaPx);
  const k = new Float64Array(2 * r + 1);
  if (r === 0) {
    k[0] = 1;
    return k;
  }
  for (let i = 0; i <= r; i++) {
    // Φ(b) − Φ(a) via the upper tail for accuracy away from the centre.
    const v = i === 0 ? 1 - 2 * normalCdf(-0.5 / sigmaPx) : normalCdf(-(i - 0.5) / sigmaPx) - normalCdf(-(i + 0.5) / sigmaPx);
    k[r + i] = v;
    k[r - i] = v;
  }
  return normalizeKernel(k);
}

/** Divides by the sum (summed from both ends inwards, so symmetric kernels stay exactly symmetric). */
function normalizeKernel(k: Float64Array): Float64Array {
  let s = 0;
  for (const v of k) s += v;
  for (let i = 0; i < k.length; i++) k[i] = k[i]! / s;
  return k;
}

/** Half-sample symmetric reflection of index i into [0, n). */
export function reflectIndex(i: number, n: number): number {
  const period = 2 * n;
  let m = i % period;
  if (m < 0) m += period;
  return m < n ? m : period - 1 - m;
}

/** Reusable scratch for the blurs. */
export interface BlurScratch {
  line: Float64Array;
  tmp: Float64Array;
}

/** New scratch buffers (grown on demand). */
export function createBlurScratch(): BlurScratch {
  return { line: new Float64Array(0), tmp: new Float64Array(0) };
}

/**
 * Separable convolution of a W × H image with the 1-D `kernel` along x and then y (reflecting
 * boundaries). `src` and `out` may be the same array; `out` may be a Float32Array (the simulator
 * writes its float32 output image directly). Returns `out`.
 */
export function convolveSeparable<T extends Float64Array | Float32Array = Float64Array>(
  src: ArrayLike<number>, widthPx: number, heightPx: number, kernel: Float64Array,
  out: T = new Float64Array(widthPx * heightPx) as T, scratch: BlurScratch = createBlurScratch(),
): T {
  const W = widthPx, H = heightPx, r = (kernel.length - 1) >> 1;
  if (r === 0) {
    const k0 = kernel[0]!;
    for (let i = 0; i < W * H; i++) out[i] = src[i]! * k0;
    return out;
  }
  const L = W + 2 * r;
  if (scratch.line.length < L) scratch.line = new Float64Array(L);
  if (scratch.tmp.length < W * H) scratch.tmp = new Float64Array(W * H);
  const line = scratch.line, tmp = scratch.tmp;
  const K = kernel.length;
  // Rows: copy each row with its reflected margins into `line`, then a plain FIR.
  for (let j = 0; j < H; j++) {
    const o = j * W;
    for (let i = 0; i < W; i++) line[i + r] = src[o + i]!;
    for (let i = 1; i <= r; i++) {
      line[r - i] = src[o + reflectIndex(-i, W)]!;
      line[W + r - 1 + i] = src[o + reflectIndex(W - 1 + i, W)]!;
    }
    if (K === 3) {
      // The common case (σ below ~0.25 px): unrolled.
      const k0 = kernel[0]!, k1 = kernel[1]!, k2 = kernel[2]!;
      for (let i = 0; i < W; i++) tmp[o + i] = k0 * line[i]! + k1 * line[i + 1]! + k2 * line[i + 2]!;
    } else {
      for (let i = 0; i < W; i++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += kernel[k]! * line[i + k]!;
        tmp[o + i] = s;
      }
    }
  }
  // Columns: each output row is a weighted sum of whole (reflected) input rows, which walks
  // memory contiguously instead of striding down columns; summed in Float64 before the one store.
  if (scratch.line.length < W) scratch.line = new Float64Array(W);
  const acc = scratch.line;
  for (let j = 0; j < H; j++) {
    const o = j * W;
    if (K === 3) {
      const a = reflectIndex(j - 1, H) * W, b = j * W, c = reflectIndex(j + 1, H) * W;
      const k0 = kernel[0]!, k1 = kernel[1]!, k2 = kernel[2]!;
      for (let i = 0; i < W; i++) out[o + i] = k0 * tmp[a + i]! + k1 * tmp[b + i]! + k2 * tmp[c + i]!;
      continue;
    }
    const r0 = reflectIndex(j - r, H) * W, k0 = kernel[0]!;
    for (let i = 0; i < W; i++) acc[i] = k0 * tmp[r0 + i]!;
    for (let k = 1; k < K; k++) {
      const rk = reflectIndex(j + k - r, H) * W, wk = kernel[k]!;
      for (let i = 0; i < W; i++) acc[i] += wk * tmp[rk + i]!;
    }
    for (let i = 0; i < W; i++) out[o + i] = acc[i]!;
  }
  return out;
}

/** Gaussian blur with σ in pixels (pixel-integrated kernel, reflecting boundaries). */
export function gaussianBlur(
  src: ArrayLike<number>, widthPx: number, heightPx: number, sigmaPx: number,
  out?: Float64Array, scratch?: BlurScratch,
): Float64Array {
  return convolveSeparable(src, widthPx, heightPx, gaussianKernel1d(sigmaPx), out, scratch);
}

/**
 * 2-D kernel of a uniform disc of radius `radiusPx` (the geometric defocus blur α·|z − z_f|)
 * convolved with the pixel-integrated Gaussian of σ `sigmaPx`. Square, odd side, symmetric under
 * both axis flips and the diagonal, sum 1. Disc coverage per pixel from 16 × 16 sub-samples.
 */
export function defocusKernel2d(radiusPx: number, sigmaPx: number): { kernel: Float64Array; radius: number } {
  if (!(radiusPx >= 0) || !Number.isFinite(radiusPx)) throw new RangeError(`defocusKernel2d: radiusPx must be finite and >= 0, got ${radiusPx}`);
  const rd = Math.ceil(radiusPx + 0.5);
  const sd = 2 * rd + 1;
  const disc = new Float64Array(sd * sd);
  if (radiusPx < 1e-9) {
    disc[rd * sd + rd] = 1;
  } else {
    const S = 16, r2 = radiusPx * radiusPx;
    // One quadrant (offsets ≥ 0), mirrored, so the kernel is exactly symmetric.
    for (let b = 0; b <= rd; b++) {
      for (let a = 0; a <= b; a++) {
        let c = 0;
        for (let sb = 0; sb < S; sb++) {
          const y = b - 0.5 + (sb + 0.5) / S;
          for (let sa = 0; sa < S; sa++) {
            const x = a - 0.5 + (sa + 0.5) / S;
            if (x * x + y * y <= r2) c++;
          }
        }
        for (const [u, v] of [[a, b], [b, a]] as const) {
          disc[(rd + v) * sd + rd + u] = c;
          disc[(rd - v) * sd + rd + u] = c;
          disc[(rd + v) * sd + rd - u] = c;
          disc[(rd - v) * sd + rd - u] = c;
        }
      }
    }
  }
  const g = gaussianKernel1d(sigmaPx);
  const rg = (g.length - 1) >> 1;
  const radius = rd + rg, side = 2 * radius + 1;
  const kernel = new Float64Array(side * side);
  // Full (not reflected) convolution of the disc with the separable Gaussian.
  for (let v = 0; v < sd; v++) for (let u = 0; u < sd; u++) {
    const w = disc[v * sd + u]!;
    if (w === 0) continue;
    for (let q = 0; q < g.length; q++) for (let pIdx = 0; pIdx < g.length; pIdx++) {
      kernel[(v + q) * side + u + pIdx] += w * g[q]! * g[pIdx]!;
    }
  }
  // The sums above run in different orders for mirrored entries; make the symmetry exact.
  for (let v = 0; v <= radius; v++) for (let u = 0; u <= v; u++) {
    const cells: number[] = [];
    for (const [a, b] of [[u, v], [v, u]] as const) {
      for (const sy of [-1, 1]) for (const sx of [-1, 1]) cells.push((radius + sy * b) * side + radius + sx * a);
    }
    let m = 0;
    for (const c of cells) m += kernel[c]!;
    m /= cells.length;
    for (const c of cells) kernel[c] = m;
  }
  return { kernel: normalizeKernel(kernel), radius };
}

/**
 * Direct 2-D convolution with a square odd kernel (reflecting boundaries), computed only for the
 * output pixels that can be non-zero: the bounding box of `src`'s non-zero pixels grown by the
 * kernel radius. Adds the result into `out` (so depth slabs can be summed). Returns `out`.
 */
export function convolve2dAdd(
  src: Float64Array, widthPx: number, heightPx: number, kernel: Float64Array, radius: number, out: Float64Array,
): Float64Array {
  const W = widthPx, H = heightPx, side = 2 * radius + 1;
  let x0 = W, x1 = -1, y0 = H, y1 = -1;
  for (let j = 0; j < H; j++) {
    const o = j * W;
    for (let i = 0; i < W; i++) {
      if (src[o + i] !== 0) {
        if (i < x0) x0 = i;
        if (i > x1) x1 = i;
        if (j < y0) y0 = j;
        if (j > y1) y1 = j;
      }
    }
  }
  if (x1 < 0) return out;
  const ox0 = Math.max(0, x0 - radius), ox1 = Math.min(W - 1, x1 + radius);
  const oy0 = Math.max(0, y0 - radius), oy1 = Math.min(H - 1, y1 + radius);
  for (let j = oy0; j <= oy1; j++) {
    for (let i = ox0; i <= ox1; i++) {
      let s = 0;
      for (let v = 0; v < side; v++) {
        const row = reflectIndex(j + v - radius, H) * W;
        const ko = v * side;
        for (let u = 0; u < side; u++) {
          const kv = kernel[ko + u]!;
          if (kv !== 0) s += kv * src[row + reflectIndex(i + u - radius, W)]!;
        }
      }
      out[j * W + i] += s;
    }
  }
  return out;
}

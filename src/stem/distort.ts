/**
 * Scan distortions: a smooth random displacement field, slow drift (linear shear) and per-line
 * jitter, applied by resampling (the probe visits a displaced position, the pixel records what is
 * there). With every amplitude 0 nothing is computed and images are returned untouched.
 */
import { normal, type RandomStream } from '../random/index.js';
import type { DistortionConfig } from './config.js';
import { smoothGaussianField } from './field.js';

/** Per-pixel sampling offsets in pixels: the probe at pixel (i, j) sits at (i + dx, j + dy). */
export interface DisplacementField {
  widthPx: number;
  heightPx: number;
  dx: Float64Array;
  dy: Float64Array;
}

/** True when the configuration asks for any scan distortion. */
export function hasDistortion(d: DistortionConfig): boolean {
  return d.rmsPx > 0 || d.lineJitterPx > 0 || d.driftShear !== 0;
}

/**
 * The displacement field of one scan: two independent smooth fields (correlation `correlationPx`)
 * scaled so that their realised RMS over the image equals `rmsPx` exactly, plus the drift shear
 * `driftShear·(j + ½ − H/2)` and a N(0, lineJitterPx²) shift per row, both along the fast (x) axis.
 */
export function scanDisplacement(d: DistortionConfig, widthPx: number, heightPx: number, rng: RandomStream): DisplacementField {
  const W = widthPx, H = heightPx, n = W * H;
  const dx = new Float64Array(n), dy = new Float64Array(n);
  if (d.rmsPx > 0) {
    for (const f of [dx, dy]) {
      smoothGaussianField(W, H, d.correlationPx, rng, f);
      let s2 = 0;
      for (let i = 0; i < n; i++) s2 += f[i]! * f[i]!;
      const scale = d.rmsPx / Math.sqrt(s2 / n);
      for (let i = 0; i < n; i++) f[i] = f[i]! * scale;
    }
  }
  if (d.driftShear !== 0 || d.lineJitterPx > 0) {
    for (let j = 0; j < H; j++) {
      const shift = d.driftShear * (j + 0.5 - H / 2) + (d.lineJitterPx > 0 ? normal(rng, 0, d.lineJitterPx) : 0);
      const o = j * W;
      for (let i = 0; i < W; i++) dx[o + i] = dx[o + i]! + shift;
    }
  }
  return { widthPx: W, heightPx: H, dx, dy };
}

/**
 * Bilinear resampling: `out[j][i] = src(i + dx, j + dy)`, sample positions clamped to the image.
 * Where dy = 0 it reduces to linear interpolation along the row (a pure row shift).
 */
export function resampleBilinear(src: ArrayLike<number>, field: DisplacementField, out: Float64Array | Float32Array): typeof out {
  const W = field.widthPx, H = field.heightPx;
  for (let j = 0; j < H; j++) {
    for (let i = 0; i < W; i++) {
      const idx = j * W + i;
      let x = i + field.dx[idx]!, y = j + field.dy[idx]!;
      x = x < 0 ? 0 : x > W - 1 ? W - 1 : x;
      y = y < 0 ? 0 : y > H - 1 ? H - 1 : y;
      const x0 = Math.floor(x), y0 = Math.floor(y);
      const fx = x - x0, fy = y - y0;
      const x1 = x0 < W - 1 ? x0 + 1 : x0, y1 = y0 < H - 1 ? y0 + 1 : y0;
      const a = src[y0 * W + x0]!, b = src[y0 * W + x1]!;
      let v = a + fx * (b - a);
      if (fy !== 0) {
        const c = src[y1 * W + x0]!, e = src[y1 * W + x1]!;
        v += fy * (c + fx * (e - c) - v);
      }
      out[idx] = v;
    }
  }
  return out;
}

/** Nearest-neighbour resampling (for label masks). */
export function resampleNearest(src: Uint8Array, field: DisplacementField, out: Uint8Array): Uint8Array {
  const W = field.widthPx, H = field.heightPx;
  for (let j = 0; j < H; j++) {
    for (let i = 0; i < W; i++) {
      const idx = j * W + i;
      const x = Math.min(W - 1, Math.max(0, Math.round(i + field.dx[idx]!)));
      const y = Math.min(H - 1, Math.max(0, Math.round(j + field.dy[idx]!)));
      out[idx] = src[y * W + x]!;
    }
  }
  return out;
}

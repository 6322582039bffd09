/**
 * Smooth Gaussian random fields on the image grid (carbon film texture, hole patterns, scan
 * displacements): i.i.d. normal coefficients on a coarse knot grid, interpolated by a uniform cubic
 * B-spline (C², separable, O(W·H)), divided by the pointwise standard deviation so every pixel is
 * exactly N(0, 1). Hand-written because an FFT-filtered field would cost several times more per
 * image and we need only a smooth texture with a set correlation length, not a given spectrum.
 */
import { normal, type RandomStream } from '../random/index.js';

function bsplineWeights(t: number, out: Float64Array, o: number): void {
  const t2 = t * t, t3 = t2 * t, s = 1 - t;
  out[o] = (s * s * s) / 6;
  out[o + 1] = (3 * t3 - 6 * t2 + 4) / 6;
  out[o + 2] = (-3 * t3 + 3 * t2 + 3 * t + 1) / 6;
  out[o + 3] = t3 / 6;
}

interface AxisPlan {
  base: Int32Array;
  weights: Float64Array;
  /** 1/√(Σ w²) so the interpolated white noise has unit variance. */
  norm: Float64Array;
  knots: number;
}

function axisPlan(n: number, spacingPx: number): AxisPlan {
  const base = new Int32Array(n), weights = new Float64Array(4 * n), norm = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = (i + 0.5) / spacingPx;
    const c = Math.floor(x);
    base[i] = c; // knot index of weight 0 is c (knots shifted by one: knot k sits at (k − 1)·spacing)
    bsplineWeights(x - c, weights, 4 * i);
    let s2 = 0;
    for (let m = 0; m < 4; m++) s2 += weights[4 * i + m]! ** 2;
    norm[i] = 1 / Math.sqrt(s2);
  }
  return { base, weights, norm, knots: Math.floor((n - 0.5) / spacingPx) + 4 };
}

/**
 * A smooth random field with N(0, 1) marginals at every pixel and correlation length about
 * `correlationPx` (the B-spline knot spacing). Writes into `out` (length W·H) and returns it.
 */
export function smoothGaussianField(
  widthPx: number, heightPx: number, correlationPx: number, rng: RandomStream, out?: Float64Array,
): Float64Array {
  if (!(correlationPx > 0)) throw new RangeError(`smoothGaussianField: correlationPx must be > 0, got ${correlationPx}`);
  const W = widthPx, H = heightPx;
  const field = out && out.length === W * H ? out : new Float64Array(W * H);
  const px = axisPlan(W, correlationPx), py = axisPlan(H, correlationPx);
  const kx = px.knots, ky = py.knots;
  const coef = new Float64Array(kx * ky);
  for (let i = 0; i < coef.length; i++) coef[i] = normal(rng);
  // Interpolate along x for every knot row, then combine four knot rows per pixel row.
  const rows = new Float64Array(ky * W);
  for (let r = 0; r < ky; r++) {
    const c = r * kx, o = r * W;
    for (let i = 0; i < W; i++) {
      const b = c + px.base[i]!, w = 4 * i;
      rows[o + i] = (px.weights[w]! * coef[b]! + px.weights[w + 1]! * coef[b + 1]! +
        px.weights[w + 2]! * coef[b + 2]! + px.weights[w + 3]! * coef[b + 3]!) * px.norm[i]!;
    }
  }
  for (let j = 0; j < H; j++) {
    const b = py.base[j]!, w = 4 * j;
    const w0 = py.weights[w]! * py.norm[j]!, w1 = py.weights[w + 1]! * py.norm[j]!;
    const w2 = py.weights[w + 2]! * py.norm[j]!, w3 = py.weights[w + 3]! * py.norm[j]!;
    const r0 = b * W, r1 = r0 + W, r2 = r1 + W, r3 = r2 + W, o = j * W;
    for (let i = 0; i < W; i++) {
      field[o + i] = w0 * rows[r0 + i]! + w1 * rows[r1 + i]! + w2 * rows[r2 + i]! + w3 * rows[r3 + i]!;
    }
  }
  return field;
}

/**
 * Fractal-dimension estimators (docs/descriptors.md): the per-aggregate pair-count
 * slope and the ensemble fit of the law N = kf (Rg/a)^Df.
 */
import type { Particles } from '../model/types.js';
import { gyration } from './gyration.js';
import { checkParticles } from './input.js';

/** Geometric-mean radius a = exp(mean ln r_i), nm (the reference length of the fractal law). */
export function geometricMeanRadius(r: ArrayLike<number>): number {
  if (r.length === 0) throw new RangeError('geometricMeanRadius: no radii');
  let s = 0;
  for (let i = 0; i < r.length; i++) s += Math.log(r[i]!);
  return Math.exp(s / r.length);
}

/** Options of {@link pairCountDimension}. */
export interface PairCountOptions {
  /** Fit range [lo, hi] in nm (default [4a, Rg] with a the geometric-mean radius, Rg volume-weighted). */
  rangeNm?: [number, number];
  /** Number of log-spaced radii at which C(r) is evaluated (default 16). */
  points?: number;
}

/** Result of {@link pairCountDimension}. */
export interface PairCountFit {
  /** Slope of ln C(r) against ln r: the pair-count fractal dimension (NaN when the range is empty). */
  df: number;
  /** Coefficient of determination of the log–log fit. */
  r2: number;
  /** The fit range used, nm. */
  loNm: number;
  hiNm: number;
  /** Number of radii with C(r) > 0 that entered the fit. */
  points: number;
}

/**
 * Pair-count fractal dimension: the least-squares slope of ln C(r) against ln r, where
 * C(r) = #{pairs i < j : d_ij < r}, at log-spaced r over the fit range (default [4a, Rg]). For a
 * fractal C(r) ∝ r^Df between the particle and the aggregate scale. Finite size bends C(r) down
 * near Rg, so the estimate is biased low (about −0.1 on tunable aggregates at N = 1000, research
 * notes §3.2; −0.17 to −0.3 for lattice-filled balls of 900–4000 spheres, where [4a, Rg/2] gives
 * 3.0 ± 0.05). NaN when hi ≤ lo or fewer than two radii have C(r) > 0. O(N²).
 */
export function pairCountDimension(p: Particles, opts: PairCountOptions = {}): PairCountFit {
  const n = checkParticles(p, 'pairCountDimension');
  const k = opts.points ?? 16;
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`pairCountDimension: points must be an integer >= 2, got ${k}`);
  let lo: number, hi: number;
  if (opts.rangeNm) {
    [lo, hi] = opts.rangeNm;
    if (!(lo > 0) || !Number.isFinite(hi)) throw new RangeError(`pairCountDimension: rangeNm must be [lo, hi] with 0 < lo, finite hi, got [${lo}, ${hi}]`);
  } else {
    lo = 4 * geometricMeanRadius(p.r);
    hi = gyration(p).rgNm;
  }
  const nan: PairCountFit = { df: Number.NaN, r2: Number.NaN, loNm: lo, hiNm: hi, points: 0 };
  if (!(hi > lo)) return nan;
  // Histogram of pair distances in k − 1 log bins; C at the bin edges is then exact.
  const step = Math.log(hi / lo) / (k - 1);
  const edge2 = new Float64Array(k);
  for (let e = 0; e < k; e++) edge2[e] = (lo * Math.exp(e * step)) ** 2;
  edge2[k - 1] = hi * hi;
  const hist = new Float64Array(k + 1); // [0]: d < lo; [b + 1]: edge b ≤ d < edge b + 1
  const lo2 = edge2[0]!, hi2 = edge2[k - 1]!;
  const { x, y, z } = p;
  for (let i = 0; i < n; i++) {
    const xi = x[i]!, yi = y[i]!, zi = z[i]!;
    for (let j = i + 1; j < n; j++) {
      const dx = x[j]! - xi, dy = y[j]! - yi, dz = z[j]! - zi;
      const d2 = dx * dx + dy * dy + dz * dz;
      if (d2 >= hi2) continue;
      if (d2 < lo2) { hist[0]!++; continue; }
      // Binary search for the last edge ≤ d (cheaper than a logarithm per pair).
      let a = 0, b = k - 1;
      while (b - a > 1) {
        const m = (a + b) >> 1;
        if (edge2[m]! <= d2) a = m;
        else b = m;
      }
      hist[a + 1]!++;
    }
  }
  const xs: number[] = [], ys: number[] = [];
  let c = 0;
  for (let e = 0; e < k; e++) {
    c += hist[e]!; // pairs with d < edge e
    if (c > 0) {
      xs.push(0.5 * Math.log(edge2[e]!));
      ys.push(Math.log(c));
    }
  }
  if (xs.length < 2) return { ...nan, points: xs.length };
  const fit = leastSquares(xs, ys);
  return { df: fit.slope, r2: fit.r2, loNm: lo, hiNm: hi, points: xs.length };
}

/** Ordinary least squares y = intercept + slope·x with the coefficient of determination. */
function leastSquares(xs: ArrayLike<number>, ys: ArrayLike<number>): { slope: number; intercept: number; r2: number } {
  const n = xs.length;
  let mx = 0, my = 0;
  for (let i = 0; i < n; i++) { mx += xs[i]!; my += ys[i]!; }
  mx /= n; my /= n;
  let sxx = 0, sxy = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx, dy = ys[i]! - my;
    sxx += dx * dx; sxy += dx * dy; syy += dy * dy;
  }
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (ys[i]! - intercept - slope * xs[i]!) ** 2;
  return { slope, intercept, r2: syy > 0 ? 1 - ss / syy : 1 };
}

/** Result of {@link fitFractalLaw}. */
export interface FractalLawFit {
  /** Fractal dimension Df (slope of ln N on ln(Rg/a)). */
  df: number;
  /** Prefactor kf (exp of the intercept). */
  kf: number;
  /** Coefficient of determination of the log–log fit. */
  r2: number;
  /** Number of aggregates used. */
  count: number;
}

/**
 * Ensemble fit of the fractal law N = kf (Rg/a)^Df: least squares of ln N on ln(Rg/a) over many
 * aggregates (FracVAL, MCAC). Inputs are parallel arrays: particle counts, radii of gyration and
 * reference radii (same length unit for Rg and a). Needs ≥ 2 aggregates with distinct Rg/a.
 */
export function fitFractalLaw(data: { n: ArrayLike<number>; rgNm: ArrayLike<number>; aNm: ArrayLike<number> }): FractalLawFit {
  const { n, rgNm, aNm } = data;
  const m = n.length;
  if (rgNm.length !== m || aNm.length !== m) throw new RangeError(`fitFractalLaw: n, rgNm, aNm must have equal lengths, got ${m}, ${rgNm.length}, ${aNm.length}`);
  if (m < 2) throw new RangeError(`fitFractalLaw: need at least 2 aggregates, got ${m}`);
  const xs = new Float64Array(m), ys = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const ni = n[i]!, rg = rgNm[i]!, a = aNm[i]!;
    if (!(ni > 0) || !(rg > 0) || !(a > 0) || !Number.isFinite(ni + rg + a)) {
      throw new RangeError(`fitFractalLaw: aggregate ${i} has n=${ni}, rgNm=${rg}, aNm=${a}; all must be finite and > 0`);
    }
    xs[i] = Math.log(rg / a);
    ys[i] = Math.log(ni);
  }
  const first = xs[0]!;
  if (xs.every((v) => v === first)) throw new RangeError('fitFractalLaw: all aggregates have the same Rg/a; the slope is undefined');
  const fit = leastSquares(xs, ys);
  return { df: fit.slope, kf: Math.exp(fit.intercept), r2: fit.r2, count: m };
}

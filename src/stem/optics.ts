/**
 * HAADF signal from projected thickness (docs/stem.md, docs/stem.md):
 * optical density `D = Σ_m D_m(Σ_p κ_p t_p) + R_C t_C` with `D_m(t) = R_m t` (Beer–Lambert, the
 * Bremen "log-scaled electron optical density") or `D_m(t) = −ln(1 − I_m(t))` from a tabulated
 * multislice curve, and the detected beam fraction `I = 1 − exp(−D)`.
 */
import { normalQuantile, type RandomStream } from '../random/index.js';
import type { CarbonFilmConfig, IntensityCurve, MaterialOptics } from './config.js';
import { smoothGaussianField } from './field.js';

/**
 * A material's optical density as a function of (κ-weighted) thickness, ready for fast evaluation.
 * With a tabulated curve it is piecewise linear in D = −ln(1 − I) between the samples — so a curve
 * tabulated from `1 − exp(−R t)` reproduces the exponential exactly — and continues with the last
 * segment's slope beyond the last sample.
 */
export interface OpticalDensityFn {
  /** Linear coefficient when there is no curve (nm⁻¹); NaN when a curve is used. */
  readonly linearPerNm: number;
  /** D(t) for t ≥ 0 nm. */
  (thicknessNm: number): number;
}

/** The optical density function of a material (exponential model or its tabulated curve). */
export function opticalDensityFunction(material: MaterialOptics): OpticalDensityFn {
  const curve = material.intensityCurve;
  if (!curve) {
    const R = material.opticalDensityPerNm;
    return Object.assign((t: number) => R * t, { linearPerNm: R });
  }
  return Object.assign(curveDensity(curve), { linearPerNm: Number.NaN });
}

function curveDensity(curve: IntensityCurve): (t: number) => number {
  const t = Float64Array.from(curve.thicknessNm);
  const d = Float64Array.from(curve.intensity, (y) => -Math.log1p(-y));
  const last = t.length - 1;
  const slopeEnd = (d[last]! - d[last - 1]!) / (t[last]! - t[last - 1]!);
  let hint = 0;
  return (x: number) => {
    if (x <= 0) return 0;
    if (x >= t[last]!) return d[last]! + slopeEnd * (x - t[last]!);
    // Neighbouring pixels have similar thickness: start from the last segment, else bisect.
    let k = hint;
    if (!(t[k]! <= x && x < t[k + 1]!)) {
      let lo = 0, hi = last;
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1;
        if (t[mid]! <= x) lo = mid;
        else hi = mid;
      }
      k = hint = lo;
    }
    const f = (x - t[k]!) / (t[k + 1]! - t[k]!);
    return d[k]! + f * (d[k + 1]! - d[k]!);
  };
}

/**
 * HAADF fraction `I = 1 − exp(−D)` of optical density D (exact 0 at D = 0, accurate for small D).
 * Below D = 1/64 (the carbon-film background, most of every image) a degree-7 Taylor polynomial
 * replaces Math.expm1, a call V8 does not inline: the dropped terms are < D⁸/8! ≤ 9e-20 relative,
 * far below rounding.
 */
export function haadfFraction(opticalDensity: number): number {
  const D = opticalDensity;
  if (D < 0.015625 && D >= 0) {
    return D * (1 - D * (1 / 2 - D * (1 / 6 - D * (1 / 24 - D * (1 / 120 - D * (1 / 720 - D * (1 / 5040)))))));
  }
  return -Math.expm1(-D);
}

/**
 * The HAADF fraction of a single material slab of projected thickness `thicknessNm` (no carbon,
 * κ = 1): `1 − exp(−R t)`, or the interpolated tabulated curve when the material has one.
 */
export function materialIntensity(material: MaterialOptics, thicknessNm: number): number {
  return haadfFraction(opticalDensityFunction(material)(thicknessNm));
}

/**
 * Carbon support film thickness per pixel, nm: `T·(1 + s·g)` clipped at 0, with g a smooth N(0, 1)
 * field of correlation length `correlationNm`, and zero inside holes (where a second smooth field
 * falls below its `holeFraction` quantile, so holes cover that area fraction on average).
 * `scale` multiplies the thickness (1/|cos tilt| for a tilted film).
 */
export function carbonFilmThickness(
  film: CarbonFilmConfig, widthPx: number, heightPx: number, pixelSizeNm: number, rng: RandomStream,
  out?: Float64Array, scale = 1,
): Float64Array {
  const n = widthPx * heightPx;
  const t = out && out.length === n ? out : new Float64Array(n);
  const T = film.thicknessNm * scale;
  if (T === 0) {
    t.fill(0);
    return t;
  }
  if (film.thicknessRelStd > 0) {
    smoothGaussianField(widthPx, heightPx, film.correlationNm / pixelSizeNm, rng, t);
    const s = film.thicknessRelStd;
    for (let i = 0; i < n; i++) {
      const v = T * (1 + s * t[i]!);
      t[i] = v > 0 ? v : 0;
    }
  } else {
    t.fill(T);
  }
  if (film.holeFraction > 0) {
    const holes = smoothGaussianField(widthPx, heightPx, film.holeSizeNm / pixelSizeNm, rng);
    const threshold = normalQuantile(film.holeFraction);
    for (let i = 0; i < n; i++) if (holes[i]! < threshold) t[i] = 0;
  }
  return t;
}

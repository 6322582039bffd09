/**
 * Exact Poisson sampling for every mean λ ≥ 0.
 *
 * - λ < 10: inversion by sequential search of the CDF from 0 (one uniform per draw, exact up to
 *   double rounding of the CDF).
 * - λ ≥ 10: PTRS, the transformed rejection method with squeeze of W. Hörmann, "The transformed
 *   rejection method for generating Poisson random variables", Insurance: Mathematics and
 *   Economics 12 (1993) 39–45. Its acceptance test compares against the exact Poisson pmf, so
 *   the output distribution is exact (no rounded normal, whose variance is off by ≈ 1/12).
 *
 * Hand-written rather than taken from a library because the sampler must draw from our seeded
 * {@link RandomStream} and it sits in the per-pixel hot loop of the STEM noise model.
 */
import type { UniformSource } from './types.js';

const LOG_FACTORIAL_TABLE_SIZE = 256;
// ln k! for small k, summed exactly once at load (a constant table, not mutable state).
const LOG_FACTORIAL = (() => {
  const t = new Float64Array(LOG_FACTORIAL_TABLE_SIZE);
  for (let k = 2; k < LOG_FACTORIAL_TABLE_SIZE; k++) t[k] = t[k - 1]! + Math.log(k);
  return t;
})();

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** ln k! for integer k ≥ 0: table below 256, Stirling series (error < 1e-16 relative) above. */
export function logFactorial(k: number): number {
  if (k < LOG_FACTORIAL_TABLE_SIZE) return LOG_FACTORIAL[k]!;
  // ln Γ(n) with n = k + 1: (n − ½) ln n − n + ½ ln 2π + 1/(12n) − 1/(360n³) + 1/(1260n⁵).
  const n = k + 1;
  const inv = 1 / n, inv2 = inv * inv;
  return (n - 0.5) * Math.log(n) - n + HALF_LOG_2PI + inv * (1 / 12 - inv2 * (1 / 360 - inv2 / 1260));
}

/**
 * One Poisson(λ) variate from `rng`. Exact for every λ ≥ 0 (inversion below 10, Hörmann's PTRS
 * from 10 up). Throws a RangeError for negative, NaN or infinite λ, or λ above 2^52.
 */
export function poisson(rng: UniformSource, lambda: number): number {
  if (!(lambda >= 0) || lambda > 2 ** 52) {
    throw new RangeError(`poisson: lambda must be a finite number in [0, 2^52], got ${lambda}`);
  }
  if (lambda === 0) return 0;
  return lambda < 10 ? poissonInversion(rng, lambda) : poissonPtrs(rng, lambda);
}

/** Inversion for small λ (callers guarantee 0 < λ < 10, so e^−λ > 4.5e-5 does not underflow). */
export function poissonInversion(rng: UniformSource, lambda: number): number {
  const p0 = Math.exp(-lambda);
  for (;;) {
    const u = rng.double();
    let k = 0;
    let p = p0;
    let cdf = p;
    while (u > cdf) {
      k++;
      p *= lambda / k;
      cdf += p;
      // The summed CDF can stall a few ulps below 1; a u beyond it (prob. < 1e-15) is redrawn.
      if (p < 1e-300 || k > 1000) break;
    }
    if (u <= cdf) return k;
  }
}

/** Hörmann's PTRS for λ ≥ 10. */
export function poissonPtrs(rng: UniformSource, lambda: number): number {
  const slam = Math.sqrt(lambda);
  const loglam = Math.log(lambda);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invAlpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  const logInvAlpha = Math.log(invAlpha);
  for (;;) {
    const u = rng.double() - 0.5;
    const v = rng.double();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + lambda + 0.43);
    // Squeeze: the region where the hat lies under the pmf, accepted without evaluating it.
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Math.log(v) + logInvAlpha - Math.log(a / (us * us) + b) <= -lambda + k * loglam - logFactorial(k)) {
      return k;
    }
  }
}

/**
 * Binned marginal posteriors on the scaled [0, 1] range of a target (a model parameter or a
 * descriptor). The network gives K logits per target; their softmax, spread uniformly inside each of
 * the K equal bins, is a piecewise-constant density on [0, 1]. It can be flat, skewed, multi-modal
 * or piled up against a bound, and every quantile lies inside the prior's support, which a Gaussian
 * head cannot promise (docs/cnn.md, "Posterior heads").
 *
 * All functions are pure and work on one target's K probabilities (`probs`, summing to 1).
 *
 * ```ts
 * const p = binProbabilities(logits, 1);      // softmax of one target's logits
 * binnedQuantile(p, 0.5);                      // posterior median, scaled units
 * binnedCdf(p, truthScaled);                   // the PIT value used by the calibration checks
 * ```
 */

/** Softmax of `logits / temperature` (numerically stable), as a new Float64Array. */
export function binProbabilities(logits: ArrayLike<number>, temperature = 1): Float64Array {
  if (!(temperature > 0)) throw new RangeError(`binProbabilities: temperature = ${temperature}; expected > 0`);
  const k = logits.length;
  let max = -Infinity;
  for (let i = 0; i < k; i++) if (logits[i]! > max) max = logits[i]!;
  const out = new Float64Array(k);
  let s = 0;
  for (let i = 0; i < k; i++) s += out[i] = Math.exp((logits[i]! - max) / temperature);
  for (let i = 0; i < k; i++) out[i]! /= s;
  return out;
}

/** The bin holding scaled value `u` (values outside [0, 1] go to the edge bins). */
export function binIndex(u: number, bins: number): number {
  if (!(u > 0)) return 0;
  if (u >= 1) return bins - 1;
  return Math.min(bins - 1, Math.floor(u * bins));
}

/** P(U ≤ u) of the piecewise-constant density (0 below 0, 1 above 1). */
export function binnedCdf(probs: ArrayLike<number>, u: number): number {
  const k = probs.length;
  if (!(u > 0)) return 0;
  if (u >= 1) return 1;
  const x = u * k;
  const b = Math.min(k - 1, Math.floor(x));
  let c = 0;
  for (let i = 0; i < b; i++) c += probs[i]!;
  return Math.min(1, c + probs[b]! * (x - b));
}

/** The q-quantile (0 ≤ q ≤ 1) of the piecewise-constant density, in [0, 1]. */
export function binnedQuantile(probs: ArrayLike<number>, q: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`binnedQuantile: q = ${q}; expected a number in [0, 1]`);
  const k = probs.length;
  let c = 0;
  for (let i = 0; i < k; i++) {
    const p = probs[i]!;
    if (p > 0 && c + p >= q) return (i + Math.max(0, Math.min(1, (q - c) / p))) / k;
    c += p;
  }
  // q beyond the accumulated mass (rounding): the top of the last bin with mass.
  for (let i = k - 1; i >= 0; i--) if (probs[i]! > 0) return (i + 1) / k;
  return 1;
}

/**
 * Mean and standard deviation of `f(U)` under the density, `f` monotone (the unscaling of a target):
 * each bin's contribution is integrated with the 3-point Gauss–Legendre rule, so for a linear `f`
 * the result is exact (uniform bin variance 1/(12K²) included) and for the log scaling it is
 * accurate to far below the bin width.
 */
export function binnedMoments(probs: ArrayLike<number>, f: (u: number) => number = (u) => u): { mean: number; sd: number } {
  const k = probs.length;
  const nodes = [-Math.sqrt(3 / 5), 0, Math.sqrt(3 / 5)];
  const weights = [5 / 18, 8 / 18, 5 / 18];
  let m1 = 0, m2 = 0;
  for (let i = 0; i < k; i++) {
    const p = probs[i]!;
    if (p === 0) continue;
    for (let g = 0; g < 3; g++) {
      const v = f((i + 0.5 + 0.5 * nodes[g]!) / k);
      m1 += p * weights[g]! * v;
      m2 += p * weights[g]! * v * v;
    }
  }
  return { mean: m1, sd: Math.sqrt(Math.max(0, m2 - m1 * m1)) };
}

/**
 * Mean negative log density (scaled units) of the truths `u[i]` under the rows of `logits`
 * (`[n, K]` for one target) at a temperature: `−log(K · p_bin(u))`.
 */
export function binnedNll(logits: ArrayLike<number>, u: ArrayLike<number>, bins: number, temperature: number): number {
  const n = u.length;
  let s = 0;
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let b = 0; b < bins; b++) max = Math.max(max, logits[i * bins + b]!);
    let z = 0;
    for (let b = 0; b < bins; b++) z += Math.exp((logits[i * bins + b]! - max) / temperature);
    const t = binIndex(u[i]!, bins);
    s -= (logits[i * bins + t]! - max) / temperature - Math.log(z) + Math.log(bins);
  }
  return s / n;
}

/**
 * Temperature scaling (Guo et al. 2017) of one target's logits on held-out data: the T in
 * [0.25, 8] that minimises the validation NLL, by golden-section search on log T (the NLL is
 * convex in 1/T for a softmax). T > 1 widens over-confident posteriors, T < 1 sharpens timid ones.
 */
export function fitTemperature(logits: ArrayLike<number>, u: ArrayLike<number>, bins: number): number {
  if (u.length === 0) return 1;
  const f = (x: number) => binnedNll(logits, u, bins, Math.exp(x));
  let a = Math.log(0.25), b = Math.log(8);
  const g = (Math.sqrt(5) - 1) / 2;
  let c = b - g * (b - a), d = a + g * (b - a);
  let fc = f(c), fd = f(d);
  for (let it = 0; it < 40; it++) {
    if (fc < fd) { b = d; d = c; fd = fc; c = b - g * (b - a); fc = f(c); }
    else { a = c; c = d; fc = fd; d = a + g * (b - a); fd = f(d); }
  }
  return Math.exp((a + b) / 2);
}

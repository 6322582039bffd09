/**
 * Calibration checks on probability integral transforms (PIT): for each test sample and target, the
 * predicted posterior CDF at the true value. A calibrated estimator gives PIT values uniform on
 * [0, 1] — the marginal form of simulation-based calibration (Talts et al. 2018), whose rank
 * statistic is the PIT with infinitely many posterior draws. The central interval of level α covers
 * the truth exactly when |PIT − ½| ≤ α/2.
 */
import * as aq from 'arquero';

/** The nominal levels of the calibration tables and plot (12 levels). */
export const CALIBRATION_LEVELS: readonly number[] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.68, 0.7, 0.8, 0.9, 0.95, 0.99];

/** PIT values of n samples × T targets (row-major), with the target names. */
export interface PitValues {
  names: readonly string[];
  pit: Float64Array;
}

function rows(p: PitValues): number {
  const T = p.names.length;
  if (T === 0 || p.pit.length % T !== 0) throw new RangeError(`PitValues: ${p.pit.length} values for ${T} targets`);
  return p.pit.length / T;
}

/** Fraction of the finite PIT values with |PIT − ½| ≤ level/2: the coverage of the central interval. */
export function pitCoverage(pit: ArrayLike<number>, level: number): number {
  if (!(level > 0 && level < 1)) throw new RangeError(`pitCoverage: level must be in (0, 1), got ${level}`);
  let inside = 0, n = 0;
  for (let i = 0; i < pit.length; i++) {
    const v = pit[i]!;
    if (!Number.isFinite(v)) continue;
    n++;
    if (Math.abs(v - 0.5) <= level / 2 + 1e-12) inside++;
  }
  return n ? inside / n : NaN;
}

function column(p: PitValues, j: number): Float64Array {
  const n = rows(p), T = p.names.length;
  return Float64Array.from({ length: n }, (_, i) => p.pit[i * T + j]!);
}

/** Observed vs nominal coverage per target at each level (long form for the calibration plot). */
export function pitCalibrationTable(p: PitValues, levels: readonly number[] = CALIBRATION_LEVELS): aq.ColumnTable {
  const out: Record<string, unknown>[] = [];
  p.names.forEach((name, j) => {
    const c = column(p, j);
    const n = c.filter(Number.isFinite).length;
    for (const level of levels) out.push({ parameter: name, nominal: level, observed: pitCoverage(c, level), n });
  });
  return aq.from(out);
}

/**
 * Rank (PIT) histogram per target: `bins` equal bins on [0, 1], the count in each, the count a
 * calibrated estimator expects, and per target the χ² statistic of uniformity with its p-value
 * (bins − 1 degrees of freedom). A ∪ shape means over-confident, ∩ under-confident, a slope bias.
 */
export function rankHistogramTable(p: PitValues, bins = 10): aq.ColumnTable {
  const out: Record<string, unknown>[] = [];
  p.names.forEach((name, j) => {
    const c = column(p, j).filter(Number.isFinite);
    const counts = new Float64Array(bins);
    for (const v of c) counts[Math.min(bins - 1, Math.max(0, Math.floor(v * bins)))]!++;
    const expected = c.length / bins;
    let chi2 = 0;
    for (const k of counts) chi2 += expected > 0 ? (k - expected) ** 2 / expected : 0;
    const pValue = chiSquareSurvival(chi2, bins - 1);
    counts.forEach((k, b) => out.push({ parameter: name, binLo: b / bins, binHi: (b + 1) / bins, count: k, expected, chi2, pValue }));
  });
  return aq.from(out);
}

/** P(χ²_k > x), through the regularised upper incomplete gamma Q(k/2, x/2). */
export function chiSquareSurvival(x: number, k: number): number {
  if (!(x > 0)) return 1;
  return upperGammaQ(k / 2, x / 2);
}

function logGamma(z: number): number {
  // Lanczos approximation (g = 7, n = 9), |error| < 1e-13 for z > 0.
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - logGamma(1 - z);
  z -= 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

function upperGammaQ(a: number, x: number): number {
  // Numerical Recipes gser/gcf: series below a + 1, continued fraction above.
  if (x < a + 1) {
    let sum = 1 / a, del = sum, ap = a;
    for (let n = 0; n < 500; n++) { ap++; del *= x / ap; sum += del; if (Math.abs(del) < Math.abs(sum) * 1e-15) break; }
    return Math.max(0, 1 - sum * Math.exp(-x + a * Math.log(x) - logGamma(a)));
  }
  let b = x + 1 - a, c = 1 / 1e-300, d = 1 / b, h = d;
  for (let i = 1; i < 500; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b; if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c; if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return Math.min(1, Math.exp(-x + a * Math.log(x) - logGamma(a)) * h);
}

/**
 * Error metrics of the error analysis (docs/error-analysis.md): plain functions over typed arrays.
 */
import { normalQuantile } from '../random/index.js';

type Num = ArrayLike<number>;

function checkSameLength(a: Num, b: Num, what: string): void {
  if (a.length !== b.length) throw new RangeError(`${what}: arrays differ in length (${a.length} vs ${b.length})`);
}

/** Arithmetic mean (NaN for an empty array). */
export function mean(a: Num): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return a.length ? s / a.length : NaN;
}

/** Median (NaN for an empty array). */
export function median(a: Num): number {
  if (a.length === 0) return NaN;
  const s = Float64Array.from(a).sort();
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : 0.5 * (s[m - 1]! + s[m]!);
}

/** Sample standard deviation (n − 1). */
export function stdev(a: Num): number {
  const m = mean(a);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - m) ** 2;
  return a.length > 1 ? Math.sqrt(s / (a.length - 1)) : NaN;
}

/**
 * Coefficient of determination R² = 1 − SS_res / SS_tot of predictions against truth. 1 for a perfect
 * predictor, 0 for always predicting the mean of the truth, negative when worse than that.
 */
export function r2Score(truth: Num, pred: Num): number {
  checkSameLength(truth, pred, 'r2Score');
  const m = mean(truth);
  let ssRes = 0, ssTot = 0;
  for (let i = 0; i < truth.length; i++) {
    ssRes += (truth[i]! - pred[i]!) ** 2;
    ssTot += (truth[i]! - m) ** 2;
  }
  if (ssTot === 0) return ssRes === 0 ? 1 : -Infinity;
  return 1 - ssRes / ssTot;
}

/** Mean absolute error. */
export function meanAbsoluteError(truth: Num, pred: Num): number {
  checkSameLength(truth, pred, 'meanAbsoluteError');
  let s = 0;
  for (let i = 0; i < truth.length; i++) s += Math.abs(truth[i]! - pred[i]!);
  return truth.length ? s / truth.length : NaN;
}

/** Root-mean-square error. */
export function rmse(truth: Num, pred: Num): number {
  checkSameLength(truth, pred, 'rmse');
  let s = 0;
  for (let i = 0; i < truth.length; i++) s += (truth[i]! - pred[i]!) ** 2;
  return truth.length ? Math.sqrt(s / truth.length) : NaN;
}

/** Relative error |pred − ref| / |ref| (NaN when ref = 0 and pred ≠ 0; 0 when both are 0). */
export function relativeError(ref: number, pred: number): number {
  const d = Math.abs(pred - ref);
  if (ref === 0) return d === 0 ? 0 : NaN;
  return d / Math.abs(ref);
}

/** Element-wise relative errors. */
export function relativeErrors(ref: Num, pred: Num): Float64Array {
  checkSameLength(ref, pred, 'relativeErrors');
  const out = new Float64Array(ref.length);
  for (let i = 0; i < ref.length; i++) out[i] = relativeError(ref[i]!, pred[i]!);
  return out;
}

/** Finite values only (drops NaN and ±Infinity). */
export function finite(a: Num): Float64Array {
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) if (Number.isFinite(a[i]!)) out.push(a[i]!);
  return Float64Array.from(out);
}

/**
 * First Wasserstein (earth mover's) distance between two 1D empirical distributions of any sizes:
 * W1 = ∫ |F_a(x) − F_b(x)| dx, computed exactly from the merged sorted samples. Non-finite values
 * (descriptors undefined for some aggregates, e.g. a pair-count Df of a tiny one) are left out; NaN
 * when either side has no finite value.
 */
export function wasserstein1(a: Num, b: Num): number {
  // NaN would never compare equal to the sweep position below, so the loop could not advance.
  const sa = finite(a).sort(), sb = finite(b).sort();
  if (sa.length === 0 || sb.length === 0) return NaN;
  let i = 0, j = 0, fa = 0, fb = 0, w = 0;
  let x = Math.min(sa[0]!, sb[0]!);
  while (i < sa.length || j < sb.length) {
    const next = j >= sb.length || (i < sa.length && sa[i]! <= sb[j]!) ? sa[i]! : sb[j]!;
    w += Math.abs(fa - fb) * (next - x);
    x = next;
    while (i < sa.length && sa[i] === x) { i++; fa = i / sa.length; }
    while (j < sb.length && sb[j] === x) { j++; fb = j / sb.length; }
  }
  return w;
}

/**
 * Fraction of truths inside the central Gaussian interval mean ± z·sd of nominal probability `level`
 * (e.g. 0.68, 0.95). A calibrated estimator has coverage ≈ level.
 */
export function intervalCoverage(truth: Num, predMean: Num, predSd: Num, level: number): number {
  checkSameLength(truth, predMean, 'intervalCoverage');
  checkSameLength(truth, predSd, 'intervalCoverage');
  if (!(level > 0 && level < 1)) throw new RangeError(`intervalCoverage: level must be in (0, 1), got ${level}`);
  const z = normalQuantile(0.5 + level / 2);
  let inside = 0;
  for (let i = 0; i < truth.length; i++) if (Math.abs(truth[i]! - predMean[i]!) <= z * predSd[i]!) inside++;
  return truth.length ? inside / truth.length : NaN;
}

/**
 * Binomial standard error of an observed coverage at nominal `level` for n samples: how far the
 * observed coverage may stray by chance alone.
 */
export function coverageStandardError(level: number, n: number): number {
  return Math.sqrt((level * (1 - level)) / n);
}

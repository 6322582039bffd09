/**
 * Independent re-computations for the model tests (deliberately not sharing code with the
 * generator): Rg from scratch, brute-force pair overlaps, spanning-tree check, KS statistic.
 */
import type { Aggregate } from '../../src/model/types.js';
import { normalCdf } from '../../src/random/index.js';

/** Volume-weighted solid-sphere Rg and the fractal-law Rg a (N/kf)^(1/Df), from the particles alone. */
export function rgAndLaw(a: Aggregate): { rg: number; law: number; cm: [number, number, number] } {
  const { x, y, z, r } = a.particles;
  const n = x.length;
  let W = 0, sx = 0, sy = 0, sz = 0, sl = 0;
  for (let i = 0; i < n; i++) {
    const w = r[i]! ** 3;
    W += w; sx += w * x[i]!; sy += w * y[i]!; sz += w * z[i]!; sl += Math.log(r[i]!);
  }
  const cm: [number, number, number] = [sx / W, sy / W, sz / W];
  let q = 0;
  for (let i = 0; i < n; i++) {
    q += r[i]! ** 3 * ((x[i]! - cm[0]) ** 2 + (y[i]! - cm[1]) ** 2 + (z[i]! - cm[2]) ** 2 + 0.6 * r[i]! ** 2);
  }
  const law = Math.exp(sl / n) * (n / a.params.prefactor) ** (1 / a.params.fractalDim);
  return { rg: Math.sqrt(q / W), law, cm };
}

/**
 * Brute-force O(N²) overlaps: the largest relative overlap (ri + rj − d)/(ri + rj) among pairs that
 * are NOT intended contacts, and the largest |overlap − ε| among intended contacts.
 */
export function overlaps(a: Aggregate): { maxNonIntended: number; maxIntendedError: number } {
  const { x, y, z, r } = a.particles;
  const n = x.length;
  const intended = new Set((a.quality.contacts ?? []).map(([i, j]) => i * n + j));
  let maxNonIntended = -Infinity, maxIntendedError = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = Math.hypot(x[i]! - x[j]!, y[i]! - y[j]!, z[i]! - z[j]!);
      const c = (r[i]! + r[j]! - d) / (r[i]! + r[j]!);
      if (intended.has(i * n + j)) maxIntendedError = Math.max(maxIntendedError, Math.abs(c - a.params.overlap));
      else maxNonIntended = Math.max(maxNonIntended, c);
    }
  }
  return { maxNonIntended, maxIntendedError };
}

/** True if `edges` are N − 1 distinct pairs i < j that connect all N particles (a spanning tree). */
export function isSpanningTree(n: number, edges: Array<[number, number]>): boolean {
  if (edges.length !== n - 1) return false;
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  for (const [i, j] of edges) {
    if (!(Number.isInteger(i) && Number.isInteger(j) && i >= 0 && j < n && i < j)) return false;
    const a = find(i), b = find(j);
    if (a === b) return false; // a cycle (or duplicate) means N − 1 edges cannot span
    parent[a] = b;
  }
  return true;
}

/** CDF of a lognormal(median, σ_geo) truncated to [lo, hi]. */
export function truncatedLognormalCdf(v: number, median: number, sigmaGeo: number, lo: number, hi: number): number {
  const s = Math.log(sigmaGeo);
  const F = (t: number) => normalCdf((Math.log(t) - Math.log(median)) / s);
  if (v <= lo) return 0;
  if (v >= hi) return 1;
  return (F(v) - F(lo)) / (F(hi) - F(lo));
}

/** One-sample Kolmogorov–Smirnov statistic of `sample` against `cdf`. */
export function ksStatistic(sample: ArrayLike<number>, cdf: (v: number) => number): number {
  const xs = Float64Array.from(sample).sort();
  const n = xs.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(xs[i]!);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  return d;
}

/** Mean and standard error of the mean. */
export function meanSe(v: number[]): { mean: number; se: number } {
  const n = v.length;
  const mean = v.reduce((a, b) => a + b, 0) / n;
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { mean, se: Math.sqrt(variance / n) };
}

/**
 * Volume of a union of spheres from the pairwise lens volumes (second-order inclusion–exclusion).
 */
import type { Particles } from '../model/types.js';
import type { ContactGraph } from './contacts.js';
import { contactGraph } from './contacts.js';
import { checkParticles } from './input.js';

/**
 * Volume of the intersection of two spheres of radii r1, r2 whose centres are d apart, nm³, in
 * every regime: 0 when disjoint or touching (d ≥ r1 + r2), the smaller sphere when one contains the
 * other (d ≤ |r1 − r2|), otherwise the lens
 * V = π (r1 + r2 − d)² (d² + 2d r2 − 3r2² + 2d r1 + 6 r1 r2 − 3r1²) / (12 d).
 */
export function lensVolume(r1: number, r2: number, d: number): number {
  if (!(r1 >= 0 && r2 >= 0 && d >= 0)) throw new RangeError(`lensVolume: need r1, r2, d >= 0, got r1=${r1}, r2=${r2}, d=${d}`);
  if (d >= r1 + r2) return 0;
  if (d <= Math.abs(r1 - r2)) {
    const r = Math.min(r1, r2);
    return (4 / 3) * Math.PI * r * r * r;
  }
  const h = r1 + r2 - d;
  return (Math.PI * h * h * (d * d + 2 * d * r2 - 3 * r2 * r2 + 2 * d * r1 + 6 * r1 * r2 - 3 * r1 * r1)) / (12 * d);
}

/**
 * Volume of the union of the spheres, nm³. Spheres lying entirely inside another sphere are dropped
 * first (of identical spheres one is kept); the rest contribute Σ (4π/3) r³ minus the lens volume
 * of every overlapping pair (pairs come from the contact graph, which contains every pair with
 * d < r_i + r_j). This is exact when no point lies inside three or more of the remaining spheres;
 * otherwise, by the Bonferroni inequality, it is a lower bound (triple overlaps are subtracted once
 * too often), and it is never reported below the largest sphere. Point contacts and sintering
 * overlaps of a few per cent have no or tiny triple overlaps.
 */
export function unionVolume(p: Particles, graph?: ContactGraph): number {
  const n = checkParticles(p, 'unionVolume');
  const g = graph ?? contactGraph(p);
  if (g.n !== n) throw new RangeError(`unionVolume: the contact graph has ${g.n} particles, expected ${n}`);
  const hidden = new Uint8Array(n);
  for (let k = 0; k < g.i.length; k++) {
    const a = g.i[k]!, b = g.j[k]!, ra = p.r[a]!, rb = p.r[b]!, d = g.distanceNm[k]!;
    // a < b, so for identical spheres the later one is hidden.
    if (d + ra <= rb && !(d + rb <= ra)) hidden[a] = 1;
    else if (d + rb <= ra) hidden[b] = 1;
  }
  let v = 0, largest = 0;
  for (let i = 0; i < n; i++) {
    const c = p.r[i]! ** 3;
    if (c > largest) largest = c;
    if (!hidden[i]) v += c;
  }
  v *= (4 / 3) * Math.PI;
  for (let k = 0; k < g.i.length; k++) {
    const a = g.i[k]!, b = g.j[k]!;
    if (!hidden[a] && !hidden[b]) v -= lensVolume(p.r[a]!, p.r[b]!, g.distanceNm[k]!);
  }
  return Math.max(v, (4 / 3) * Math.PI * largest);
}

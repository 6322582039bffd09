import type { Particles } from '../model/types.js';

/**
 * Checks that `p` is a usable set of spheres: equal-length arrays, at least one particle, finite
 * coordinates, radii > 0, materials 0 or 1. Throws a RangeError naming the array, index and value.
 * Returns N.
 */
export function checkParticles(p: Particles, where: string): number {
  if (p === null || typeof p !== 'object') throw new TypeError(`${where}: expected Particles {x, y, z, r, material}, got ${String(p)}`);
  for (const k of ['x', 'y', 'z', 'r', 'material'] as const) {
    const a = (p as unknown as Record<string, unknown>)[k];
    if (a === undefined || a === null || typeof (a as ArrayLike<number>).length !== 'number') {
      throw new TypeError(`${where}: particles.${k} must be an array of numbers, got ${String(a)}`);
    }
  }
  const n = p.x.length;
  for (const k of ['y', 'z', 'r', 'material'] as const) {
    if (p[k].length !== n) throw new RangeError(`${where}: particles.${k} has length ${p[k].length}, expected ${n} (the length of particles.x)`);
  }
  if (n === 0) throw new RangeError(`${where}: the aggregate has no particles (expected N >= 1)`);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(p.x[i]!) || !Number.isFinite(p.y[i]!) || !Number.isFinite(p.z[i]!)) {
      throw new RangeError(`${where}: particle ${i} has a non-finite position (${p.x[i]}, ${p.y[i]}, ${p.z[i]})`);
    }
    const r = p.r[i]!;
    if (!(r > 0) || !Number.isFinite(r)) throw new RangeError(`${where}: particle ${i} has radius ${r}, expected a finite number > 0 (nm)`);
    const m = p.material[i]!;
    if (m !== 0 && m !== 1) throw new RangeError(`${where}: particle ${i} has material ${m}, expected 0 (A) or 1 (B)`);
  }
  return n;
}

/** Largest radius (N ≥ 1 assumed). */
export function maxRadius(r: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < r.length; i++) if (r[i]! > m) m = r[i]!;
  return m;
}

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

/** Checks that `f` is a row-major 3×3 rotation (orthonormal to 1e-9, det +1); returns it. */
export function checkRotation(f: ArrayLike<number>, where: string): ArrayLike<number> {
  if (f.length !== 9) throw new RangeError(`${where}: frame must be a row-major 3×3 rotation (9 numbers), got ${f.length}`);
  for (let a = 0; a < 3; a++) {
    for (let b = 0; b < 3; b++) {
      const dot = f[a]! * f[b]! + f[3 + a]! * f[3 + b]! + f[6 + a]! * f[6 + b]!;
      if (!(Math.abs(dot - (a === b ? 1 : 0)) <= 1e-9)) {
        throw new RangeError(`${where}: frame must be a rotation matrix (orthonormal columns), got [${Array.from(f).join(', ')}]`);
      }
    }
  }
  const det = f[0]! * (f[4]! * f[8]! - f[5]! * f[7]!) - f[1]! * (f[3]! * f[8]! - f[5]! * f[6]!) + f[2]! * (f[3]! * f[7]! - f[4]! * f[6]!);
  if (!(det > 0)) throw new RangeError(`${where}: frame must be a proper rotation (det +1), got det ${det}`);
  return f;
}

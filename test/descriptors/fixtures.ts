/** Hand-built aggregates for the descriptor tests (independent of the model generator). */
import type { Particles } from '../../src/model/types.js';
import { lognormal, randomRotation, unitVector, uniform, integer, type RandomStream } from '../../src/random/index.js';

export function particles(rows: [number, number, number, number, number][]): Particles {
  return {
    x: Float64Array.from(rows, (r) => r[0]),
    y: Float64Array.from(rows, (r) => r[1]),
    z: Float64Array.from(rows, (r) => r[2]),
    r: Float64Array.from(rows, (r) => r[3]),
    material: Uint8Array.from(rows, (r) => r[4]),
  };
}

/** Straight chain of n touching spheres of radius a along x, materials from `mat(i)`. */
export function chain(n: number, a = 1, mat: (i: number) => number = () => 0): Particles {
  return particles(Array.from({ length: n }, (_, i) => [2 * a * i, 0, 0, a, mat(i)] as [number, number, number, number, number]));
}

/** Star: a centre sphere (material `centre`) touched by `arms` spheres along ± axes (≤ 6 arms). */
export function star(arms: number, a = 1, centre = 0, leaf = 1): Particles {
  const dirs = [[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]];
  const rows: [number, number, number, number, number][] = [[0, 0, 0, a, centre]];
  for (let k = 0; k < arms; k++) rows.push([2 * a * dirs[k]![0]!, 2 * a * dirs[k]![1]!, 2 * a * dirs[k]![2]!, a, leaf]);
  return particles(rows);
}

/**
 * Random tree: each new sphere touches a random existing one in a random direction and overlaps
 * none (rejection). Radii lognormal (median 5 nm, σg = sigma), materials Bernoulli(fractionB).
 * Also returns the parent of each sphere (the intended tree edges).
 */
export function randomTree(rng: RandomStream, n: number, opts: { sigma?: number; fractionB?: number; overlap?: number } = {}): { p: Particles; parent: Int32Array } {
  const sigma = opts.sigma ?? 1.2, fb = opts.fractionB ?? 0.5, eps = opts.overlap ?? 0;
  const x = new Float64Array(n), y = new Float64Array(n), z = new Float64Array(n), r = new Float64Array(n);
  const material = new Uint8Array(n), parent = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    r[i] = lognormal(rng, 5, sigma, { lo: 2, hi: 12 });
    material[i] = rng.double() < fb ? 1 : 0;
    if (i === 0) continue;
    for (;;) {
      const par = integer(rng, 0, i - 1);
      const [ux, uy, uz] = unitVector(rng);
      const d = (r[par]! + r[i]!) * (1 - eps);
      const cx = x[par]! + d * ux, cy = y[par]! + d * uy, cz = z[par]! + d * uz;
      let ok = true;
      for (let j = 0; j < i && ok; j++) {
        if (j === par) continue;
        const dd = Math.hypot(x[j]! - cx, y[j]! - cy, z[j]! - cz);
        if (dd < (r[j]! + r[i]!) * (1 + 1e-3)) ok = false; // keep a gap: no incidental contacts
      }
      if (ok) {
        x[i] = cx; y[i] = cy; z[i] = cz; parent[i] = par;
        break;
      }
    }
  }
  return { p: { x, y, z, r, material }, parent };
}

/** Spheres of radius a on a simple cubic lattice of spacing 2a (touching) inside a ball of radius R. */
export function latticeBall(R: number, a = 1): Particles {
  const rows: [number, number, number, number, number][] = [];
  const m = Math.ceil(R / (2 * a));
  for (let i = -m; i <= m; i++) for (let j = -m; j <= m; j++) for (let k = -m; k <= m; k++) {
    const x = 2 * a * i, y = 2 * a * j, z = 2 * a * k;
    if (x * x + y * y + z * z <= R * R) rows.push([x, y, z, a, (i + j + k) & 1]);
  }
  return particles(rows);
}

/** Applies x → Q x + t with a uniformly random rotation Q and translation t ∈ [−100, 100]³ nm. */
export function rigidMotion(p: Particles, rng: RandomStream): { p: Particles; q: Float64Array; t: [number, number, number] } {
  const q = randomRotation(rng);
  const t: [number, number, number] = [uniform(rng, -100, 100), uniform(rng, -100, 100), uniform(rng, -100, 100)];
  const n = p.x.length;
  const out: Particles = { x: new Float64Array(n), y: new Float64Array(n), z: new Float64Array(n), r: Float64Array.from(p.r), material: Uint8Array.from(p.material) };
  for (let i = 0; i < n; i++) {
    const a = p.x[i]!, b = p.y[i]!, c = p.z[i]!;
    out.x[i] = q[0]! * a + q[1]! * b + q[2]! * c + t[0];
    out.y[i] = q[3]! * a + q[4]! * b + q[5]! * c + t[1];
    out.z[i] = q[6]! * a + q[7]! * b + q[8]! * c + t[2];
  }
  return { p: out, q, t };
}

/** Rotates packed direction vectors by row-major Q. */
export function rotateDirections(d: ArrayLike<number>, q: ArrayLike<number>): Float64Array {
  const out = new Float64Array(d.length);
  for (let k = 0; k < d.length; k += 3) {
    const a = d[k]!, b = d[k + 1]!, c = d[k + 2]!;
    out[k] = q[0]! * a + q[1]! * b + q[2]! * c;
    out[k + 1] = q[3]! * a + q[4]! * b + q[5]! * c;
    out[k + 2] = q[6]! * a + q[7]! * b + q[8]! * c;
  }
  return out;
}

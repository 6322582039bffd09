/**
 * Radius of gyration, gyration tensor and shape of an aggregate of solid spheres
 * (docs/descriptors.md). Each sphere counts with its weight w_i (volume ∝ r³ or mass
 * ∝ ρ r³) and its own moment of inertia: the solid-sphere term (3/5) r² in Rg², r²/5 per axis in G.
 */
import type { Particles } from '../model/types.js';
import { checkParticles } from './input.js';

/** Material densities in g/cm³ (only their ratio matters for mass weighting). */
export interface MaterialDensities {
  /** Density of material A (TiO2 by default), g/cm³. */
  A: number;
  /** Density of material B (WO3 by default), g/cm³. */
  B: number;
}

/** Bulk densities of anatase TiO2 (3.9 g/cm³) and WO3 (7.16 g/cm³). */
export const DEFAULT_DENSITIES_G_CM3: Readonly<MaterialDensities> = Object.freeze({ A: 3.9, B: 7.16 });

/**
 * Per-particle weights: `volume` → r³, `mass` → ρ_material r³ (the common 4π/3 cancels).
 * Overlapping regions count twice, as in the generator's Rg law.
 */
export function particleWeights(p: Particles, weighting: 'volume' | 'mass' = 'volume', densities: MaterialDensities = DEFAULT_DENSITIES_G_CM3): Float64Array {
  const n = checkParticles(p, 'particleWeights');
  if (weighting === 'mass') {
    for (const k of ['A', 'B'] as const) {
      const d = densities[k];
      if (!(d > 0) || !Number.isFinite(d)) throw new RangeError(`particleWeights: density ${k} must be a finite number > 0 g/cm³, got ${d}`);
    }
  } else if (weighting !== 'volume') {
    throw new RangeError(`particleWeights: weighting must be "volume" or "mass", got "${String(weighting)}"`);
  }
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = p.r[i]!;
    w[i] = r * r * r * (weighting === 'mass' ? (p.material[i] === 1 ? densities.B : densities.A) : 1);
  }
  return w;
}

/** Gyration of a set of weighted solid spheres. */
export interface Gyration {
  /** Total weight Σ w_i. */
  weight: number;
  /** Weighted centre [x, y, z], nm. */
  centreNm: [number, number, number];
  /** Radius of gyration √(tr G), nm. */
  rgNm: number;
  /** Gyration tensor G = Σ w [(x−c)(x−c)ᵀ + r²/5 I] / Σ w, row-major 3×3, nm². */
  tensorNm2: Float64Array;
  /** Eigenvalues of G, λ1 ≥ λ2 ≥ λ3, nm². */
  eigenvaluesNm2: [number, number, number];
  /** Principal axes: unit eigenvectors of G as the columns of a row-major 3×3 rotation (signs arbitrary; see {@link principalFrame}). */
  axes: Float64Array;
  /**
   * Asphericity b = λ1 − (λ2 + λ3)/2 (Theodorou & Suter, Macromolecules 18 (1985) 1206), nm²;
   * 0 for a sphere.
   */
  asphericityNm2: number;
  /**
   * Relative shape anisotropy κ² = 1 − 3(λ1λ2 + λ2λ3 + λ3λ1)/(λ1 + λ2 + λ3)² (same reference):
   * 0 for spherical symmetry, → 1 for a thin rod.
   */
  relativeShapeAnisotropy: number;
}

/** Gyration tensor, Rg and shape descriptors. `weights` default to volumes (r³). */
export function gyration(p: Particles, weights?: ArrayLike<number>): Gyration {
  const n = checkParticles(p, 'gyration');
  const w = weights ?? particleWeights(p, 'volume');
  if (w.length !== n) throw new RangeError(`gyration: weights has length ${w.length}, expected ${n}`);
  let W = 0, sx = 0, sy = 0, sz = 0;
  for (let i = 0; i < n; i++) {
    const wi = w[i]!;
    if (!(wi >= 0) || !Number.isFinite(wi)) throw new RangeError(`gyration: weight ${i} is ${wi}, expected a finite number >= 0`);
    W += wi;
    sx += wi * p.x[i]!;
    sy += wi * p.y[i]!;
    sz += wi * p.z[i]!;
  }
  if (!(W > 0)) throw new RangeError('gyration: the weights sum to 0');
  const cx = sx / W, cy = sy / W, cz = sz / W;
  // Second pass about the centre: no cancellation for aggregates far from the origin.
  let xx = 0, yy = 0, zz = 0, xy = 0, xz = 0, yz = 0, rr = 0;
  for (let i = 0; i < n; i++) {
    const wi = w[i]!, dx = p.x[i]! - cx, dy = p.y[i]! - cy, dz = p.z[i]! - cz, r = p.r[i]!;
    xx += wi * dx * dx; yy += wi * dy * dy; zz += wi * dz * dz;
    xy += wi * dx * dy; xz += wi * dx * dz; yz += wi * dy * dz;
    rr += wi * r * r;
  }
  const s = rr / (5 * W);
  const t = new Float64Array([xx / W + s, xy / W, xz / W, xy / W, yy / W + s, yz / W, xz / W, yz / W, zz / W + s]);
  const { values, vectors } = symmetricEigen3(t);
  const [l1, l2, l3] = values;
  const tr = t[0]! + t[4]! + t[8]!;
  return {
    weight: W,
    centreNm: [cx, cy, cz],
    rgNm: Math.sqrt(tr),
    tensorNm2: t,
    eigenvaluesNm2: values,
    axes: vectors,
    asphericityNm2: l1 - (l2 + l3) / 2,
    relativeShapeAnisotropy: 1 - (3 * (l1 * l2 + l2 * l3 + l3 * l1)) / (tr * tr),
  };
}

/** Eigen-decomposition of a symmetric 3×3 matrix. */
export interface SymmetricEigen3 {
  /** Eigenvalues, descending. */
  values: [number, number, number];
  /** Orthonormal eigenvectors as the COLUMNS of a row-major 3×3 rotation (det = +1). */
  vectors: Float64Array;
}

function cross(a0: number, a1: number, a2: number, b0: number, b1: number, b2: number, out: Float64Array): number {
  out[0] = a1 * b2 - a2 * b1;
  out[1] = a2 * b0 - a0 * b2;
  out[2] = a0 * b1 - a1 * b0;
  return out[0] * out[0] + out[1] * out[1] + out[2] * out[2];
}

/** A unit vector spanning the null space of A − λI, or false when that matrix has rank ≤ 1. */
function nullVector(a: ArrayLike<number>, lam: number, scale2: number, out: Float64Array): boolean {
  const r00 = a[0]! - lam, r01 = a[1]!, r02 = a[2]!;
  const r11 = a[4]! - lam, r12 = a[5]!, r22 = a[8]! - lam;
  const c = new Float64Array(3);
  let best = cross(r00, r01, r02, r01, r11, r12, out);
  let n2 = cross(r00, r01, r02, r02, r12, r22, c);
  if (n2 > best) { best = n2; out.set(c); }
  n2 = cross(r01, r11, r12, r02, r12, r22, c);
  if (n2 > best) { best = n2; out.set(c); }
  if (!(best > 1e-28 * scale2 * scale2)) return false;
  const s = 1 / Math.sqrt(best);
  out[0]! *= s; out[1]! *= s; out[2]! *= s;
  return true;
}

/** Any unit vector orthogonal to unit vector u (deterministic). */
function orthogonalTo(u: Float64Array, out: Float64Array): void {
  const ax = Math.abs(u[0]!), ay = Math.abs(u[1]!), az = Math.abs(u[2]!);
  // Cross with the coordinate axis least aligned with u.
  const n2 = ax <= ay && ax <= az ? cross(u[0]!, u[1]!, u[2]!, 1, 0, 0, out) : ay <= az ? cross(u[0]!, u[1]!, u[2]!, 0, 1, 0, out) : cross(u[0]!, u[1]!, u[2]!, 0, 0, 1, out);
  const s = 1 / Math.sqrt(n2);
  out[0]! *= s; out[1]! *= s; out[2]! *= s;
}

/**
 * Eigenvalues and eigenvectors of a symmetric 3×3 matrix (row-major; only the upper triangle is
 * read) in closed form. The trigonometric solution of the characteristic cubic (Smith, CACM 4
 * (1961) 168) locates the eigenvalues; the eigenvector of the better separated extreme eigenvalue
 * is a cross product of two rows of A − λI; the remaining 2×2 block in the orthogonal complement
 * is diagonalised exactly by one Jacobi rotation, and all eigenvalues are returned as Rayleigh
 * quotients. This keeps (near-)degenerate pairs, e.g. the two small axes of a dimer, accurate to
 * rounding instead of the √ε of the cubic alone. Hand-written because a 3×3 case needs no
 * linear-algebra dependency in the hot path.
 */
export function symmetricEigen3(a: ArrayLike<number>): SymmetricEigen3 {
  if (a.length !== 9) throw new RangeError(`symmetricEigen3: expected 9 entries (row-major 3×3), got ${a.length}`);
  const a00 = a[0]!, a01 = a[1]!, a02 = a[2]!, a11 = a[4]!, a12 = a[5]!, a22 = a[8]!;
  const sym = [a00, a01, a02, a01, a11, a12, a02, a12, a22];
  const q = (a00 + a11 + a22) / 3;
  const p1 = a01 * a01 + a02 * a02 + a12 * a12;
  const b00 = a00 - q, b11 = a11 - q, b22 = a22 - q;
  const p2 = b00 * b00 + b11 * b11 + b22 * b22 + 2 * p1;
  if (!(p2 > 0)) return { values: [q, q, q], vectors: new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]) };
  const pp = Math.sqrt(p2 / 6);
  const c00 = b00 / pp, c11 = b11 / pp, c22 = b22 / pp, c01 = a01 / pp, c02 = a02 / pp, c12 = a12 / pp;
  const det = c00 * (c11 * c22 - c12 * c12) - c01 * (c01 * c22 - c12 * c02) + c02 * (c01 * c12 - c11 * c02);
  const phi = Math.acos(Math.min(1, Math.max(-1, det / 2))) / 3;
  const l1 = q + 2 * pp * Math.cos(phi);
  const l3 = q + 2 * pp * Math.cos(phi + (2 * Math.PI) / 3);
  const l2 = 3 * q - l1 - l3;
  const scale2 = p2 + 3 * q * q; // ‖A‖_F², the scale for the rank test
  const u = new Float64Array(3);
  if (!nullVector(sym, l1 - l2 >= l2 - l3 ? l1 : l3, scale2, u)) u.set([1, 0, 0]); // cannot happen for p2 > 0
  // Orthonormal basis (v, w) of u's complement, then the 2×2 block B = [v w]ᵀ A [v w].
  const v = new Float64Array(3), w = new Float64Array(3);
  orthogonalTo(u, v);
  cross(u[0]!, u[1]!, u[2]!, v[0]!, v[1]!, v[2]!, w);
  const quad = (x: Float64Array, y: Float64Array) => {
    let s = 0;
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) s += x[r]! * sym[3 * r + c]! * y[c]!;
    return s;
  };
  const bvv = quad(v, v), bvw = quad(v, w), bww = quad(w, w);
  let cs = 1, sn = 0;
  if (bvw !== 0) {
    // Jacobi rotation zeroing the off-diagonal entry (Golub & Van Loan, Alg. 8.5.1).
    const tau = (bww - bvv) / (2 * bvw);
    const t = (tau >= 0 ? 1 : -1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
    cs = 1 / Math.sqrt(1 + t * t);
    sn = t * cs;
  }
  const x1 = new Float64Array(3), x2 = new Float64Array(3);
  for (let k = 0; k < 3; k++) {
    x1[k] = cs * v[k]! - sn * w[k]!;
    x2[k] = sn * v[k]! + cs * w[k]!;
  }
  const pairs: [number, Float64Array][] = [[quad(u, u), u], [quad(x1, x1), x1], [quad(x2, x2), x2]];
  pairs.sort((m, n) => n[0] - m[0]);
  const [e1, e2] = [pairs[0]![1], pairs[1]![1]];
  const e3 = new Float64Array(3);
  cross(e1[0]!, e1[1]!, e1[2]!, e2[0]!, e2[1]!, e2[2]!, e3); // right-handed: e3 = e1 × e2
  const vectors = new Float64Array(9);
  for (let k = 0; k < 3; k++) {
    vectors[3 * k] = e1[k]!;
    vectors[3 * k + 1] = e2[k]!;
    vectors[3 * k + 2] = e3[k]!;
  }
  return { values: [pairs[0]![0], pairs[1]![0], pairs[2]![0]], vectors };
}

/**
 * A body-fixed orthonormal frame (row-major rotation, columns = axes): the principal axes of the
 * gyration tensor, ordered by descending eigenvalue, each of the first two axes oriented so that
 * the weighted third moment of the particle centres along it is ≥ 0, the third by e1 × e2.
 * Sampling done in this frame (hull points, projection directions) moves with the aggregate, so
 * descriptors built on it are invariant under rigid motions. When eigenvalues coincide or a third
 * moment vanishes (symmetric aggregates) the frame is not unique, and invariance then holds only
 * up to the sampling error.
 */
export function principalFrame(p: Particles, g: Gyration, weights?: ArrayLike<number>): Float64Array {
  const n = checkParticles(p, 'principalFrame');
  const w = weights ?? particleWeights(p, 'volume');
  const f = Float64Array.from(g.axes);
  const [cx, cy, cz] = g.centreNm;
  const scale = g.weight * g.rgNm ** 3;
  for (let axis = 0; axis < 2; axis++) {
    const ux = f[axis]!, uy = f[3 + axis]!, uz = f[6 + axis]!;
    let m3 = 0;
    for (let i = 0; i < n; i++) {
      const s = (p.x[i]! - cx) * ux + (p.y[i]! - cy) * uy + (p.z[i]! - cz) * uz;
      m3 += w[i]! * s * s * s;
    }
    if (m3 < -1e-12 * scale) {
      f[axis] = -ux; f[3 + axis] = -uy; f[6 + axis] = -uz;
    }
  }
  // Third axis = e1 × e2 keeps det = +1 after the sign choices.
  const e1x = f[0]!, e1y = f[3]!, e1z = f[6]!, e2x = f[1]!, e2y = f[4]!, e2z = f[7]!;
  f[2] = e1y * e2z - e1z * e2y;
  f[5] = e1z * e2x - e1x * e2z;
  f[8] = e1x * e2y - e1y * e2x;
  return f;
}

/**
 * Distance between the volume-weighted centroids of the A and B particles divided by the
 * volume-weighted Rg: 0 for intimately mixed phases, ≈ 1 or more for side-by-side (Janus-like)
 * phases. NaN when one material is absent.
 */
export function phaseSeparation(p: Particles, rgNm?: number): number {
  const n = checkParticles(p, 'phaseSeparation');
  const acc = new Float64Array(8); // [W, Σwx, Σwy, Σwz] for A then B
  for (let i = 0; i < n; i++) {
    const r = p.r[i]!, w = r * r * r, o = p.material[i] === 1 ? 4 : 0;
    acc[o]! += w; acc[o + 1]! += w * p.x[i]!; acc[o + 2]! += w * p.y[i]!; acc[o + 3]! += w * p.z[i]!;
  }
  if (!(acc[0]! > 0 && acc[4]! > 0)) return Number.NaN;
  const dx = acc[1]! / acc[0]! - acc[5]! / acc[4]!, dy = acc[2]! / acc[0]! - acc[6]! / acc[4]!, dz = acc[3]! / acc[0]! - acc[7]! / acc[4]!;
  return Math.sqrt(dx * dx + dy * dy + dz * dz) / (rgNm ?? gyration(p).rgNm);
}

/**
 * Projected thickness of sphere aggregates: exact per-pixel integrals of the chord `2√(r² − d²)`,
 * sintered overlaps split between the particles by their radical (power) planes, any projection
 * direction. Image coordinates: x along columns (to the right), y along rows (downwards), the beam
 * along z. Pixel (i, j) covers x ∈ [i − W/2, i + 1 − W/2]·p, y ∈ [j − H/2, j + 1 − H/2]·p relative to
 * the image centre.
 */
import type { Particles } from '../model/types.js';

/** The image grid: width and height in pixels and the physical pixel size. */
export interface ImageGeometry {
  widthPx: number;
  heightPx: number;
  pixelSizeNm: number;
}

/** Particles after rotation and centring, in pixel units relative to the image centre. */
export interface PlacedParticles {
  /** Number of particles. */
  count: number;
  /** Centre x, pixels, relative to the image centre. */
  xPx: Float64Array;
  /** Centre y, pixels, relative to the image centre. */
  yPx: Float64Array;
  /** Centre z (along the beam), pixels. */
  zPx: Float64Array;
  /** Radius, pixels. */
  rPx: Float64Array;
  material: Uint8Array;
  /** The rotated-frame point (nm) that sits at the image centre. */
  centerNm: [number, number];
  /**
   * Smallest free distance between the projected aggregate's bounding box and the field edge,
   * pixels (negative when the aggregate sticks out).
   */
  marginPx: number;
}

/** Row-major 3 × 3 identity (a plain frozen array: typed arrays cannot be frozen). */
export const IDENTITY_ROTATION: readonly number[] = Object.freeze([1, 0, 0, 0, 1, 0, 0, 0, 1]);

/** Checks particle arrays: equal lengths, finite coordinates, positive radii, materials 0/1. */
export function validateParticles(p: Particles, where = 'particles'): number {
  if (!p || typeof p !== 'object') throw new TypeError(`${where} must be an object {x, y, z, r, material}`);
  const n = p.x?.length;
  for (const k of ['x', 'y', 'z', 'r', 'material'] as const) {
    if (!p[k] || typeof p[k].length !== 'number') throw new TypeError(`${where}.${k} must be an array`);
    if (p[k].length !== n) throw new RangeError(`${where}.${k} has length ${p[k].length}, expected ${n} (the length of ${where}.x)`);
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(p.x[i]) || !Number.isFinite(p.y[i]) || !Number.isFinite(p.z[i])) {
      throw new RangeError(`${where}: particle ${i} has a non-finite centre (${p.x[i]}, ${p.y[i]}, ${p.z[i]})`);
    }
    if (!(p.r[i]! > 0) || !Number.isFinite(p.r[i])) throw new RangeError(`${where}.r[${i}] must be a finite number > 0, got ${p.r[i]}`);
    if (p.material[i] !== 0 && p.material[i] !== 1) throw new RangeError(`${where}.material[${i}] must be 0 (A) or 1 (B), got ${p.material[i]}`);
  }
  return n;
}

/** Checks a row-major 3 × 3 rotation matrix (orthonormal, determinant +1, tolerance 1e-6). */
export function validateRotation(m: ArrayLike<number>): void {
  if (!m || m.length !== 9) throw new RangeError(`rotation must be a row-major 3×3 matrix of 9 numbers, got length ${m?.length}`);
  for (let i = 0; i < 9; i++) if (!Number.isFinite(m[i])) throw new RangeError(`rotation[${i}] must be finite, got ${m[i]}`);
  for (let a = 0; a < 3; a++) {
    for (let b = 0; b < 3; b++) {
      const dot = m[3 * a]! * m[3 * b]! + m[3 * a + 1]! * m[3 * b + 1]! + m[3 * a + 2]! * m[3 * b + 2]!;
      if (Math.abs(dot - (a === b ? 1 : 0)) > 1e-6) throw new RangeError(`rotation is not orthonormal (row ${a} · row ${b} = ${dot})`);
    }
  }
  const det = m[0]! * (m[4]! * m[8]! - m[5]! * m[7]!) - m[1]! * (m[3]! * m[8]! - m[5]! * m[6]!) + m[2]! * (m[3]! * m[7]! - m[4]! * m[6]!);
  if (Math.abs(det - 1) > 1e-6) throw new RangeError(`rotation must have determinant +1 (a proper rotation), got ${det}`);
}

/**
 * Rotates the particles by `rotation` (p' = R·p), then places them on the image grid: with
 * `center` (default) the centre of the projected bounding box (spheres included) goes to the image
 * centre; without it the rotated origin does.
 */
export function placeParticles(
  particles: Particles,
  geometry: ImageGeometry,
  rotation: ArrayLike<number> = IDENTITY_ROTATION,
  center = true,
): PlacedParticles {
  const n = particles.x.length;
  const p = geometry.pixelSizeNm;
  const xr = new Float64Array(n), yr = new Float64Array(n), zr = new Float64Array(n);
  const [m0, m1, m2, m3, m4, m5, m6, m7, m8] = Array.from(rotation) as number[];
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = particles.x[i]!, y = particles.y[i]!, z = particles.z[i]!, r = particles.r[i]!;
    const X = m0! * x + m1! * y + m2! * z;
    const Y = m3! * x + m4! * y + m5! * z;
    xr[i] = X;
    yr[i] = Y;
    zr[i] = m6! * x + m7! * y + m8! * z;
    if (X - r < minX) minX = X - r;
    if (X + r > maxX) maxX = X + r;
    if (Y - r < minY) minY = Y - r;
    if (Y + r > maxY) maxY = Y + r;
  }
  const cx = n === 0 || !center ? 0 : (minX + maxX) / 2;
  const cy = n === 0 || !center ? 0 : (minY + maxY) / 2;
  const xPx = new Float64Array(n), yPx = new Float64Array(n), zPx = new Float64Array(n), rPx = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    xPx[i] = (xr[i]! - cx) / p;
    yPx[i] = (yr[i]! - cy) / p;
    zPx[i] = zr[i]! / p;
    rPx[i] = particles.r[i]! / p;
  }
  const W = geometry.widthPx, H = geometry.heightPx;
  const marginPx = n === 0 ? Math.min(W, H) / 2 : Math.min(
    (minX - cx) / p + W / 2,
    W / 2 - (maxX - cx) / p,
    (minY - cy) / p + H / 2,
    H / 2 - (maxY - cy) / p,
  );
  return { count: n, xPx, yPx, zPx, rPx, material: Uint8Array.from(particles.material), centerNm: [cx, cy], marginPx };
}

/**
 * Pairs of spheres that overlap in 3D (d < r_i + r_j), as CSR adjacency. Only these pairs share
 * chord segments, so only they need the radical-plane split. Sweep and prune along x keeps it
 * O(n log n + candidate pairs).
 */
export function overlapNeighbours(placed: PlacedParticles): { start: Int32Array; list: Int32Array } {
  const n = placed.count;
  const { xPx: x, yPx: y, zPx: z, rPx: r } = placed;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a]! - r[a]! - (x[b]! - r[b]!));
  const pairsA: number[] = [], pairsB: number[] = [];
  const degree = new Int32Array(n);
  for (let s = 0; s < n; s++) {
    const i = order[s]!;
    const right = x[i]! + r[i]!;
    for (let t = s + 1; t < n; t++) {
      const j = order[t]!;
      if (x[j]! - r[j]! >= right) break;
      const dx = x[j]! - x[i]!, dy = y[j]! - y[i]!, dz = z[j]! - z[i]!;
      const sr = r[i]! + r[j]!;
      if (dx * dx + dy * dy + dz * dz < sr * sr) {
        pairsA.push(i);
        pairsB.push(j);
        degree[i]++;
        degree[j]++;
      }
    }
  }
  const start = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) start[i + 1] = start[i]! + degree[i]!;
  const list = new Int32Array(start[n]!);
  const fill = start.slice(0, n);
  for (let e = 0; e < pairsA.length; e++) {
    const a = pairsA[e]!, b = pairsB[e]!;
    list[fill[a]!++] = b;
    list[fill[b]!++] = a;
  }
  // Ascending neighbour order, so the result does not depend on the sweep order.
  for (let i = 0; i < n; i++) list.subarray(start[i]!, start[i + 1]!).sort();
  return { start, list };
}

/**
 * G(x, y) = ∫₀ˣ∫₀ʸ 2√(R² − s² − t²)₊ dt ds: the volume of a sphere of radius R (centred at the
 * origin) above the rectangle [0, x] × [0, y]. Closed form (derived by integrating the chord
 * twice); odd in x and in y. Written so that G(x, y) and G(y, x) are bit-identical.
 */
export function sphereCornerIntegral(x: number, y: number, R: number): number {
  let sign = 1;
  if (x < 0) { x = -x; sign = -sign; }
  if (y < 0) { y = -y; sign = -sign; }
  if (x > R) x = R;
  if (y > R) y = R;
  const R2 = R * R;
  const x2 = x * x, y2 = y * y;
  const fx = R2 * x - (x2 * x) / 3, fy = R2 * y - (y2 * y) / 3;
  const q = R2 - (x2 + y2);
  if (q <= 0) {
    // Corner outside the disc: the strips beyond x and beyond y do not meet, so
    // G = quarter-sphere − strip(x) − strip(y) = (π/2)(f(x) + f(y)) − πR³/3.
    return sign * ((Math.PI / 2) * (fx + fy) - (Math.PI * R2 * R) / 3);
  }
  const w = Math.sqrt(q);
  const ax = fx * Math.asin(Math.min(1, y / Math.sqrt(R2 - x2)));
  const ay = fy * Math.asin(Math.min(1, x / Math.sqrt(R2 - y2)));
  return sign * ((2 / 3) * (x * y) * w + (ax + ay) - ((2 * R2 * R) / 3) * Math.atan2(x * y, R * w));
}

/** Output and scratch buffers for {@link rasterizeThickness}; grown on demand and reused. */
export interface ThicknessBuffers {
  /** Material A projected thickness, nm. */
  thicknessA: Float64Array;
  /** Material B projected thickness, nm. */
  thicknessB: Float64Array;
  /** Σ κ_p t_p over material-A particles, nm (κ-weighted thickness). */
  effectiveA: Float64Array;
  /** Σ κ_p t_p over material-B particles, nm. */
  effectiveB: Float64Array;
  /** Per depth slab: Σ R_m κ_p t_p (linear optical density) of the particles in that slab. */
  slabs: Float64Array[];
  /** Scratch for corner integrals. */
  corners: Float64Array;
  /** Pixel index range [lo, hi) written by the last call (only that part needs clearing). */
  dirty: [number, number];
}

/** Fresh buffers for an image of `pixels` pixels (zeroed by {@link rasterizeThickness}). */
export function createThicknessBuffers(pixels = 0): ThicknessBuffers {
  return {
    thicknessA: new Float64Array(pixels),
    thicknessB: new Float64Array(pixels),
    effectiveA: new Float64Array(pixels),
    effectiveB: new Float64Array(pixels),
    slabs: [],
    corners: new Float64Array(0),
    dirty: [0, pixels],
  };
}

/** Options of {@link rasterizeThickness}. */
export interface RasterizeOptions {
  /** Per-particle optical-density factor κ (default 1 for every particle). */
  kappa?: ArrayLike<number>;
  /** Depth slabs: each particle's linear optical density R_m κ t also goes to `slabs[slabOf[p]]`. */
  slabOf?: Int32Array;
  slabCount?: number;
  /** R_A, R_B (nm⁻¹) used for the slab maps. */
  opticalDensityPerNm?: [number, number];
  /** Sub-samples per axis for the overlap (lens) correction; default 4. */
  lensSubsamples?: number;
}

/**
 * Projected thickness per material for placed particles into `buf` (resized and zeroed here).
 *
 * Each pixel gets the exact integral of the chord over the pixel area divided by that area (no
 * sampling error, so Σ t·A equals the sphere volume to rounding for any radius). Spheres that
 * overlap (sintering necks) are split at their radical planes — every point of the union belongs
 * to the sphere of least power |p − c|² − r² — so a same-material union is not double counted and
 * the lens between different materials is shared along the physical grain boundary. That
 * correction is integrated with `lensSubsamples²` midpoint samples per pixel.
 */
export function rasterizeThickness(
  placed: PlacedParticles,
  geometry: ImageGeometry,
  buf: ThicknessBuffers,
  opts: RasterizeOptions = {},
): ThicknessBuffers {
  const W = geometry.widthPx, H = geometry.heightPx, p = geometry.pixelSizeNm;
  const npx = W * H;
  // Clearing 4 × 8 bytes per pixel is a real cost at 512²: clear only what the last call wrote.
  const [dLo, dHi] = buf.dirty;
  for (const k of ['thicknessA', 'thicknessB', 'effectiveA', 'effectiveB'] as const) {
    if (buf[k].length !== npx) buf[k] = new Float64Array(npx);
    else buf[k].fill(0, dLo, dHi);
  }
  const slabCount = opts.slabOf ? (opts.slabCount ?? 0) : 0;
  while (buf.slabs.length < slabCount) buf.slabs.push(new Float64Array(npx));
  for (let s = 0; s < buf.slabs.length; s++) {
    if (buf.slabs[s]!.length !== npx) buf.slabs[s] = new Float64Array(npx);
    else buf.slabs[s]!.fill(0, dLo, dHi);
  }
  let lo = npx, hi = 0;
  const [rA, rB] = opts.opticalDensityPerNm ?? [0, 0];
  const { xPx, yPx, zPx, rPx, material } = placed;
  const n = placed.count;
  const halfW = W / 2, halfH = H / 2;
  const neighbours = overlapNeighbours(placed);
  const S = opts.lensSubsamples ?? 4;

  for (let i = 0; i < n; i++) {
    const R = rPx[i]!, cu = xPx[i]!, cv = yPx[i]!;
    // Pixel columns [i0, i1) and rows [j0, j1) touched by the disc.
    const i0 = Math.max(0, Math.floor(cu - R + halfW)), i1 = Math.min(W, Math.ceil(cu + R + halfW));
    const j0 = Math.max(0, Math.floor(cv - R + halfH)), j1 = Math.min(H, Math.ceil(cv + R + halfH));
    if (i0 >= i1 || j0 >= j1) continue;
    lo = Math.min(lo, j0 * W + i0);
    hi = Math.max(hi, (j1 - 1) * W + i1);
    const nx = i1 - i0 + 1, ny = j1 - j0 + 1;
    if (buf.corners.length < nx * ny) buf.corners = new Float64Array(Math.max(nx * ny, 2 * buf.corners.length));
    const G = buf.corners;
    for (let b = 0; b < ny; b++) {
      const Y = (j0 + b - halfH) - cv;
      for (let a = 0; a < nx; a++) G[b * nx + a] = sphereCornerIntegral((i0 + a - halfW) - cu, Y, R);
    }
    const isA = material[i] === 0;
    const tMap = isA ? buf.thicknessA : buf.thicknessB;
    const eMap = isA ? buf.effectiveA : buf.effectiveB;
    const kappa = opts.kappa ? opts.kappa[i]! : 1;
    const slab = slabCount > 0 ? buf.slabs[opts.slabOf![i]!]! : null;
    const dens = (isA ? rA : rB) * kappa;
    for (let b = 0; b < ny - 1; b++) {
      const row = (j0 + b) * W + i0;
      const g0 = b * nx, g1 = g0 + nx;
      for (let a = 0; a < nx - 1; a++) {
        // Pixel area is 1 px², so the integral (px³) is the mean thickness in px; × p → nm.
        const t = ((G[g1 + a + 1]! + G[g0 + a]!) - (G[g0 + a + 1]! + G[g1 + a]!)) * p;
        if (t <= 0) continue;
        const idx = row + a;
        tMap[idx] += t;
        eMap[idx] += kappa * t;
        if (slab) slab[idx] += dens * t;
      }
    }
    const ns = neighbours.start[i]!, ne = neighbours.start[i + 1]!;
    if (ns < ne) {
      subtractLens(i, neighbours.list.subarray(ns, ne), placed, W, H, p, S, tMap, eMap, kappa, slab, dens, i0, i1, j0, j1);
    }
  }
  buf.dirty = lo < hi ? [lo, hi] : [0, 0];
  return buf;
}

/**
 * Removes from sphere `i`'s maps the chord parts that lie on a neighbour's side of their radical
 * plane. Along a ray, sphere i owns the part of its chord where, for every neighbour n,
 * 2 q·δ ≤ |δ|² + R_i² − R_n² (q = point − c_i, δ = c_n − c_i): one interval, clipped in O(k).
 */
function subtractLens(
  i: number, nbrs: Int32Array, placed: PlacedParticles, W: number, H: number, p: number, S: number,
  tMap: Float64Array, eMap: Float64Array, kappa: number, slab: Float64Array | null, dens: number,
  i0: number, i1: number, j0: number, j1: number,
): void {
  const { xPx, yPx, zPx, rPx } = placed;
  const cu = xPx[i]!, cv = yPx[i]!, cz = zPx[i]!, R = rPx[i]!, R2 = R * R;
  const halfW = W / 2, halfH = H / 2;
  const k = nbrs.length;
  const dX = new Float64Array(k), dY = new Float64Array(k), dZ = new Float64Array(k), K = new Float64Array(k);
  // The part of sphere i a neighbour takes is the cap beyond their radical plane. When the plane's
  // distance from c_i is ≥ 0 that cap lies inside the ball around the intersection circle's centre
  // m with the circle's radius a, so only pixels within a of m (in projection) are touched.
  const mX = new Float64Array(k), mY = new Float64Array(k), a2 = new Float64Array(k);
  let bi0 = i1, bi1 = i0, bj0 = j1, bj1 = j0;
  for (let m = 0; m < k; m++) {
    const n = nbrs[m]!;
    dX[m] = xPx[n]! - cu; dY[m] = yPx[n]! - cv; dZ[m] = zPx[n]! - cz;
    const d2 = dX[m]! * dX[m]! + dY[m]! * dY[m]! + dZ[m]! * dZ[m]!;
    K[m] = d2 + R2 - rPx[n]! * rPx[n]!;
    const d = Math.sqrt(d2);
    const di = K[m]! / (2 * d);
    let ext: number;
    if (di >= 0 && di < R) {
      mX[m] = cu + (dX[m]! * di) / d;
      mY[m] = cv + (dY[m]! * di) / d;
      a2[m] = R2 - di * di;
      ext = Math.sqrt(a2[m]!);
    } else {
      mX[m] = cu;
      mY[m] = cv;
      a2[m] = Infinity;
      ext = R;
    }
    bi0 = Math.min(bi0, Math.max(i0, Math.floor(mX[m]! - ext + halfW)));
    bi1 = Math.max(bi1, Math.min(i1, Math.ceil(mX[m]! + ext + halfW)));
    bj0 = Math.min(bj0, Math.max(j0, Math.floor(mY[m]! - ext + halfH)));
    bj1 = Math.max(bj1, Math.min(j1, Math.ceil(mY[m]! + ext + halfH)));
  }
  const w = 1 / (S * S);
  for (let jj = bj0; jj < bj1; jj++) {
    for (let ii = bi0; ii < bi1; ii++) {
      // Skip pixels whose square misses every neighbour's cap disc.
      let near = false;
      for (let m = 0; m < k && !near; m++) {
        const qx = Math.max(ii - halfW - mX[m]!, 0, mX[m]! - (ii + 1 - halfW));
        const qy = Math.max(jj - halfH - mY[m]!, 0, mY[m]! - (jj + 1 - halfH));
        near = qx * qx + qy * qy <= a2[m]!;
      }
      if (!near) continue;
      let deficit = 0;
      for (let sb = 0; sb < S; sb++) {
        const y = (jj - halfH + (sb + 0.5) / S) - cv;
        for (let sa = 0; sa < S; sa++) {
          const x = (ii - halfW + (sa + 0.5) / S) - cu;
          const q = R2 - (x * x + y * y);
          if (q <= 0) continue;
          let touched = false;
          for (let m = 0; m < k; m++) {
            const ex = x + cu - mX[m]!, ey = y + cv - mY[m]!;
            if (ex * ex + ey * ey <= a2[m]!) { touched = true; break; }
          }
          if (!touched) continue;
          const h = Math.sqrt(q);
          let lo = -h, hi = h;
          for (let m = 0; m < k; m++) {
            const rhs = K[m]! - 2 * (x * dX[m]! + y * dY[m]!);
            const a = 2 * dZ[m]!;
            if (a > 0) { const zc = rhs / a; if (zc < hi) hi = zc; }
            else if (a < 0) { const zc = rhs / a; if (zc > lo) lo = zc; }
            else if (rhs < 0) { hi = lo; break; }
          }
          const owned = hi > lo ? hi - lo : 0;
          deficit += 2 * h - owned;
        }
      }
      if (deficit <= 0) continue;
      const t = deficit * w * p;
      const idx = jj * W + ii;
      // The sampled correction can overshoot an exact pixel integral by a rounding-sized amount.
      tMap[idx] = Math.max(0, tMap[idx]! - t);
      eMap[idx] = Math.max(0, eMap[idx]! - kappa * t);
      if (slab) slab[idx] = Math.max(0, slab[idx]! - dens * t);
    }
  }
}

/** Bit flags of {@link materialMaskFrom}: 0 none, 1 material A, 2 material B, 3 both. */
export const MASK_NONE = 0, MASK_A = 1, MASK_B = 2, MASK_BOTH = 3;

/** Thickness (nm) above which a pixel counts as holding a material in the mask. */
export const MASK_MIN_THICKNESS_NM = 1e-6;

/** Material mask from the thickness maps: 1 where t_A > 1e-6 nm, 2 where t_B > 1e-6 nm, 3 both. */
export function materialMaskFrom(thicknessA: ArrayLike<number>, thicknessB: ArrayLike<number>, out?: Uint8Array): Uint8Array {
  const n = thicknessA.length;
  const m = out ?? new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    m[i] = (thicknessA[i]! > MASK_MIN_THICKNESS_NM ? MASK_A : 0) | (thicknessB[i]! > MASK_MIN_THICKNESS_NM ? MASK_B : 0);
  }
  return m;
}

/**
 * Projected area of an aggregate: the exact area of the union of the projected discs, for one
 * direction and averaged over many (docs/descriptors.md).
 *
 * The union area is computed exactly (no rasterisation error) by Green's theorem: the boundary of
 * a union of discs consists of the arcs of each circle not covered by any other disc, and
 * A = ½ ∮ (x dy − y dx) summed over those arcs in closed form. Neighbouring discs come from a
 * uniform 2D grid, so one projection costs O(N k²) at worst with k discs overlapping a disc
 * (insertion sort of k arcs), usually far less because covered discs stop early.
 */
import type { Particles } from '../model/types.js';
import { randomRotation, type RandomStream } from '../random/index.js';
import { checkParticles, checkRotation, maxRadius } from './input.js';

/** Default number of projection directions for the mean projected area. */
export const DEFAULT_PROJECTIONS = 64;

/** Pseudo-angle of (x, y) in [0, 4): monotone in the polar angle, +1 per quarter turn; no trig. */
function pseudoAngle(x: number, y: number): number {
  const t = Math.abs(x) + Math.abs(y);
  if (!(t > 0)) return 0;
  if (y >= 0) return x >= 0 ? y / t : 1 - x / t;
  return x < 0 ? 2 - y / t : 3 + x / t;
}

/** Bit mask of the sectors [s/8, (s+1)/8), s = 0…31, lying wholly inside pseudo-angles [a, b]. */
function sectorBits(a: number, b: number): number {
  const lo = Math.ceil(8 * a), hi = Math.floor(8 * b);
  if (hi <= lo) return 0;
  return hi - lo >= 32 ? -1 : (((1 << (hi - lo)) - 1) << lo) | 0;
}

/**
 * Exact area of the union of discs (centres cx, cy; radii r), in the square of the input unit.
 * Identical discs are counted once.
 *
 * For each disc the arcs covered by its neighbours are intervals of angle; their endpoints are
 * found algebraically as unit vectors and ordered by a trig-free pseudo-angle, so only the
 * uncovered arcs (the union's boundary) need an atan2.
 */
export function circleUnionArea(cx: ArrayLike<number>, cy: ArrayLike<number>, r: ArrayLike<number>): number {
  const n = cx.length;
  if (cy.length !== n || r.length !== n) throw new RangeError(`circleUnionArea: cx, cy, r must have equal lengths, got ${n}, ${cy.length}, ${r.length}`);
  if (n === 0) return 0;
  // Dense 2D grid; discs are copied in row-major cell order, so one row of cells is one
  // contiguous run of memory. Cells of r_max/2 keep the candidate square close to the disc of
  // reach r_i + r_max.
  const rmax = maxRadius(r);
  let ox = Infinity, oy = Infinity, mx = -Infinity, my = -Infinity;
  for (let i = 0; i < n; i++) {
    if (cx[i]! < ox) ox = cx[i]!;
    if (cy[i]! < oy) oy = cy[i]!;
    if (cx[i]! > mx) mx = cx[i]!;
    if (cy[i]! > my) my = cy[i]!;
  }
  let cell = rmax / 2;
  // Bound the grid's memory for sparse or elongated projections (e.g. a long chain seen side-on).
  const maxCells = Math.max(4096, 16 * n);
  while ((Math.floor((mx - ox) / cell) + 1) * (Math.floor((my - oy) / cell) + 1) > maxCells) cell *= 2;
  const W = Math.floor((mx - ox) / cell) + 1, H = Math.floor((my - oy) / cell) + 1;
  const cellOf = new Int32Array(n), start = new Int32Array(W * H + 1);
  for (let i = 0; i < n; i++) {
    cellOf[i] = Math.floor((cy[i]! - oy) / cell) * W + Math.floor((cx[i]! - ox) / cell);
    start[cellOf[i]! + 1]!++;
  }
  for (let c = 0; c < W * H; c++) start[c + 1]! += start[c]!;
  const fill = start.slice(0, W * H);
  // Sorted copies: position k holds original disc id[k].
  const id = new Int32Array(n), X = new Float64Array(n), Y = new Float64Array(n), R = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const k = fill[cellOf[i]!]!++;
    id[k] = i; X[k] = cx[i]!; Y[k] = cy[i]!; R[k] = r[i]!;
  }
  // Covered interval m: pseudo-angles [ps, pe], endpoint unit vectors (sx, sy) → (ex, ey).
  const cap = 2 * n;
  const ps = new Float64Array(cap), pe = new Float64Array(cap), sx = new Float64Array(cap), sy = new Float64Array(cap), ex = new Float64Array(cap), ey = new Float64Array(cap);
  const order = new Int32Array(cap);
  let area = 0;
  discs: for (let k = 0; k < n; k++) {
    const xi = X[k]!, yi = Y[k]!, ri = R[k]!, i = id[k]!;
    const c0 = cellOf[i]!, iy = Math.floor(c0 / W), ix = c0 - iy * W;
    const reachCells = Math.ceil((ri + rmax) / cell);
    const x0 = Math.max(0, ix - reachCells), x1 = Math.min(W - 1, ix + reachCells);
    const y0 = Math.max(0, iy - reachCells), y1 = Math.min(H - 1, iy + reachCells);
    let count = 0;
    // 32 sectors of pseudo-angle width 1/8; a bit is set once one interval covers its sector whole.
    // All bits set means the circle is covered (the disc adds nothing), so stop early.
    let sectors = 0;
    for (let row = y0; row <= y1; row++) {
      for (let q = start[row * W + x0]!, qe = start[row * W + x1 + 1]!; q < qe; q++) {
        const dx = X[q]! - xi, dy = Y[q]! - yi, rj = R[q]!;
        const d2 = dx * dx + dy * dy, s = ri + rj;
        if (d2 >= s * s || q === k) continue;
        const d = Math.sqrt(d2);
        if (d + ri <= rj) {
          // i inside j; of identical discs (each inside the other) only the lowest index counts.
          if (!(d + rj <= ri) || id[q]! < i) continue discs;
          continue;
        }
        if (d + rj <= ri) continue; // j inside i: no effect on i's boundary
        let c = (ri * ri + d2 - rj * rj) / (2 * ri * d);
        c = c > 1 ? 1 : c < -1 ? -1 : c;
        const sn = Math.sqrt(1 - c * c);
        const ux = dx / d, uy = dy / d;
        const ax = ux * c + uy * sn, ay = uy * c - ux * sn; // centre direction turned by −α
        const bx = ux * c - uy * sn, by = uy * c + ux * sn; // … and by +α
        const pa = pseudoAngle(ax, ay), pb = pseudoAngle(bx, by);
        if (pa <= pb) {
          ps[count] = pa; pe[count] = pb; sx[count] = ax; sy[count] = ay; ex[count] = bx; ey[count] = by; count++;
          sectors |= sectorBits(pa, pb);
        } else {
          // Wraps through angle 0: split at the vector (1, 0).
          ps[count] = pa; pe[count] = 4; sx[count] = ax; sy[count] = ay; ex[count] = 1; ey[count] = 0; count++;
          ps[count] = 0; pe[count] = pb; sx[count] = 1; sy[count] = 0; ex[count] = bx; ey[count] = by; count++;
          sectors |= sectorBits(pa, 4) | sectorBits(0, pb);
        }
        if (sectors === -1) continue discs;
      }
    }
    if (count === 0) {
      area += Math.PI * ri * ri;
      continue;
    }
    // Insertion sort by start: the discs overlapping one disc are few.
    for (let u = 0; u < count; u++) {
      const key = ps[u]!;
      let v = u - 1;
      while (v >= 0 && ps[order[v]!]! > key) { order[v + 1] = order[v]!; v--; }
      order[v + 1] = u;
    }
    // Sweep: add the arc from the covered reach to the next start whenever there is a gap.
    let reach = 0, rx = 1, ry = 0;
    for (let u = 0; u <= count; u++) {
      const o = u < count ? order[u]! : -1;
      const nextP = o >= 0 ? ps[o]! : 4;
      if (nextP > reach) {
        const nx = o >= 0 ? sx[o]! : 1, ny = o >= 0 ? sy[o]! : 0;
        let dt = Math.atan2(rx * ny - ry * nx, rx * nx + ry * ny);
        if (dt < 0) dt = nextP - reach > 1 ? dt + 2 * Math.PI : 0; // pseudo gap > 1 ⇔ true gap > π/2
        area += 0.5 * (ri * xi * (ny - ry) - ri * yi * (nx - rx) + ri * ri * dt);
      }
      if (o >= 0 && pe[o]! > reach) { reach = pe[o]!; rx = ex[o]!; ry = ey[o]!; }
    }
  }
  return area;
}

function unit3(d: ArrayLike<number>, where: string): [number, number, number] {
  if (d.length !== 3) throw new RangeError(`${where}: direction must have 3 components, got ${d.length}`);
  const l = Math.hypot(d[0]!, d[1]!, d[2]!);
  if (!(l > 0) || !Number.isFinite(l)) throw new RangeError(`${where}: direction must be a finite non-zero vector, got (${Array.from(d).join(', ')})`);
  return [d[0]! / l, d[1]! / l, d[2]! / l];
}

/**
 * Area of the orthographic projection of the union of spheres along `direction` (any non-zero
 * 3-vector; normalised here), nm². Exact.
 */
export function projectedArea(p: Particles, direction: ArrayLike<number>): number {
  const n = checkParticles(p, 'projectedArea');
  const [ux, uy, uz] = unit3(direction, 'projectedArea');
  // e1 ⟂ u from the coordinate axis least aligned with u; e2 = u × e1.
  const ax = Math.abs(ux), ay = Math.abs(uy), az = Math.abs(uz);
  let e1x: number, e1y: number, e1z: number;
  if (ax <= ay && ax <= az) { e1x = 0; e1y = uz; e1z = -uy; }
  else if (ay <= az) { e1x = -uz; e1y = 0; e1z = ux; }
  else { e1x = uy; e1y = -ux; e1z = 0; }
  const l = Math.hypot(e1x, e1y, e1z);
  e1x /= l; e1y /= l; e1z /= l;
  const e2x = uy * e1z - uz * e1y, e2y = uz * e1x - ux * e1z, e2z = ux * e1y - uy * e1x;
  let mx = 0, my = 0, mz = 0;
  for (let i = 0; i < n; i++) { mx += p.x[i]!; my += p.y[i]!; mz += p.z[i]!; }
  mx /= n; my /= n; mz /= n;
  const px = new Float64Array(n), py = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const dx = p.x[i]! - mx, dy = p.y[i]! - my, dz = p.z[i]! - mz;
    px[i] = dx * e1x + dy * e1y + dz * e1z;
    py[i] = dx * e2x + dy * e2y + dz * e2z;
  }
  return circleUnionArea(px, py, p.r);
}

/**
 * K projection directions, packed [x0, y0, z0, …]: a Fibonacci lattice on the upper hemisphere
 * (A(u) = A(−u), so a hemisphere suffices) turned by one uniformly random rotation drawn from
 * `rng`, then by `frame` (a row-major rotation, e.g. the aggregate's principal frame; default
 * identity). Every direction is marginally uniform on the sphere, so the mean over them is an
 * unbiased estimate of the orientation average, with much less variance than K independent
 * directions (a randomised quasi-Monte-Carlo rule).
 */
export function projectionDirections(rng: RandomStream, count: number = DEFAULT_PROJECTIONS, frame?: ArrayLike<number>): Float64Array {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`projectionDirections: count must be an integer >= 1, got ${count}`);
  const f = checkRotation(frame ?? [1, 0, 0, 0, 1, 0, 0, 0, 1], 'projectionDirections');
  const rot = randomRotation(rng);
  // M = F · R, applied to each lattice direction.
  const m = new Float64Array(9);
  for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) m[3 * a + b] = f[3 * a]! * rot[b]! + f[3 * a + 1]! * rot[3 + b]! + f[3 * a + 2]! * rot[6 + b]!;
  const golden = Math.PI * (3 - Math.sqrt(5));
  const out = new Float64Array(3 * count);
  for (let k = 0; k < count; k++) {
    const z = (k + 0.5) / count;
    const s = Math.sqrt(1 - z * z);
    const vx = s * Math.cos(golden * k), vy = s * Math.sin(golden * k);
    out[3 * k] = m[0]! * vx + m[1]! * vy + m[2]! * z;
    out[3 * k + 1] = m[3]! * vx + m[4]! * vy + m[5]! * z;
    out[3 * k + 2] = m[6]! * vx + m[7]! * vy + m[8]! * z;
  }
  return out;
}

/** Mean of {@link projectedArea} over packed directions [x0, y0, z0, …], nm². */
export function meanProjectedArea(p: Particles, directions: ArrayLike<number>): number {
  checkParticles(p, 'meanProjectedArea');
  if (directions.length === 0 || directions.length % 3 !== 0) throw new RangeError(`meanProjectedArea: directions must be packed 3-vectors (length a positive multiple of 3), got length ${directions.length}`);
  const k = directions.length / 3;
  let s = 0;
  for (let d = 0; d < k; d++) s += projectedArea(p, [directions[3 * d]!, directions[3 * d + 1]!, directions[3 * d + 2]!]);
  return s / k;
}

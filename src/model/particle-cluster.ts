/**
 * Phase 1 of a construction: particle–cluster growth of each sub-cluster block, each new particle
 * placed at the distance Γ from the sub-cluster's centre of mass that gives it the target Rg.
 * docs/model.md, "How an aggregate is built".
 */
import * as K from './construction-constants.js';
import { dist as distImported, perpBasis as perpBasisImported } from './geometry.js';
import { shuffleInPlace, unitVector } from '../random/index.js';
import type { Builder } from './builder.js';

// Constants as local bindings (tsx turns imported names into getter calls in hot loops).
const { SOLID_SPHERE, OVERLAP_TOL, PC_AZIMUTHS, PC_FALLBACK_DRAWS } = K;

// Local bindings: module-transpiling loaders (tsx) turn imported calls into getter calls in hot loops.
const dist = distImported;
const perpBasis = perpBasisImported;

/** Grows block c particle by particle (random order) into sub-cluster c. */
export function growSubCluster(bs: Builder, c: number): boolean {
  const { x, y, z, r, mat, next, rng, idx1, d1, keys, eps } = bs;
  const s0 = bs.blockStart[c]!, s1 = bs.blockStart[c + 1]!;
  const order = bs.idx2; // scratch: this block's positions in random addition order
  const nb = s1 - s0;
  for (let k = 0; k < nb; k++) order[k] = s0 + k;
  shuffleInPlace(rng, order.subarray(0, nb));

  if (nb === 1) {
    // A domain of one particle (domain mode only): a cluster of its own.
    const p0 = order[0]!;
    x[p0] = 0; y[p0] = 0; z[p0] = 0; next[p0] = -1;
    bs.head[c] = p0; bs.tail[c] = p0; bs.count[c] = 1;
    bs.countB[c] = mat[p0]!;
    bs.tag[c] = mat[p0]!;
    bs.measure(c);
    return true;
  }
  const p0 = order[0]!, p1 = order[1]!;
  x[p0] = 0; y[p0] = 0; z[p0] = 0;
  const u = unitVector(rng);
  const s = (r[p0]! + r[p1]!) * (1 - eps);
  x[p1] = s * u[0]; y[p1] = s * u[1]; z[p1] = s * u[2];
  next[p0] = p1; next[p1] = -1;
  bs.head[c] = p0; bs.tail[c] = p1; bs.count[c] = 2;
  bs.countB[c] = mat[p0]! + mat[p1]!;
  bs.tag[c] = mat[p0]!;
  bs.addContact(p0, p1);
  bs.measure(c);
  idx1[0] = p0; idx1[1] = p1;

  for (let k = 2; k < nb; k++) {
    bs.tick();
    const pk = order[k]!;
    const rk = r[pk]!, wk = bs.w[pk]!, mk = mat[pk]!;
    const n1 = k;
    const W1 = bs.cW[c]!, cx = bs.cx[c]!, cy = bs.cy[c]!, cz = bs.cz[c]!;
    const W = W1 + wk;
    const rt = bs.blockTargetRg(c, W);
    const g2 = (W * W * rt * rt - W * (bs.cS[c]! + wk * SOLID_SPHERE * rk * rk)) / (W1 * wk);
    let gamma = g2 > 0 ? Math.sqrt(g2) : 0;
    // Feasible candidates: the sphere of radius Γ about the CM meets the contact sphere of i.
    let nFeasible = 0;
    for (let m = 0; m < n1; m++) {
      const i = idx1[m]!;
      d1[m] = dist(x[i]! - cx, y[i]! - cy, z[i]! - cz);
    }
    let clamped = false;
    for (let pass = 0; pass < 2 && nFeasible === 0; pass++) {
      if (pass === 1) {
        // Small-n clamp: the nearest Γ any candidate can realise.
        let best = Infinity, bestG = gamma;
        for (let m = 0; m < n1; m++) {
          const sm = (r[idx1[m]!]! + rk) * (1 - eps);
          const lo = Math.abs(d1[m]! - sm), hi = d1[m]! + sm;
          const gc = gamma < lo ? lo : gamma > hi ? hi : gamma;
          if (Math.abs(gc - gamma) < best) { best = Math.abs(gc - gamma); bestG = gc; }
        }
        gamma = bestG;
        clamped = true;
      }
      for (let m = 0; m < n1; m++) {
        const i = idx1[m]!;
        const sm = (r[i]! + rk) * (1 - eps);
        const tol = 1e-12 * (d1[m]! + sm);
        if (gamma >= Math.abs(d1[m]! - sm) - tol && gamma <= d1[m]! + sm + tol && d1[m]! > 1e-12 * sm) {
          keys[m] = bs.weightedKey(bs.contactWeight(mat[i]!, mk));
          nFeasible++;
        } else keys[m] = -Infinity;
      }
    }
    if (clamped) bs.clamps++;
    let placed = false;
    for (let tries = 0; tries < nFeasible && !placed; tries++) {
      let bm = -1, bk = -Infinity;
      for (let m = 0; m < n1; m++) if (keys[m]! > bk) { bk = keys[m]!; bm = m; }
      if (bm < 0) break;
      keys[bm] = -Infinity;
      placed = placeMonomer(bs, c, pk, idx1[bm]!, d1[bm]!, gamma, n1);
    }
    if (!placed) {
      if (!clamped) bs.clamps++;
      if (!placeMonomerFallback(bs, c, pk, gamma, n1)) return false;
    }
    // Link pk into the cluster.
    next[bs.tail[c]!] = pk; next[pk] = -1; bs.tail[c] = pk;
    bs.count[c]!++;
    bs.countB[c]! += mk;
    idx1[k] = pk;
    bs.measure(c);
  }
  return true;
}

/** True if a sphere at (px, py, pz) of radius pr overlaps any of idx1[0..n1) except `skip`. */
function overlapsMembers(bs: Builder, px: number, py: number, pz: number, pr: number, n1: number, skip: number): boolean {
  const { x, y, z, r, idx1 } = bs;
  for (let m = 0; m < n1; m++) {
    const j = idx1[m]!;
    if (j === skip) continue;
    const dx = x[j]! - px, dy = y[j]! - py, dz = z[j]! - pz;
    const lim = (r[j]! + pr) * (1 - OVERLAP_TOL);
    if (dx * dx + dy * dy + dz * dz < lim * lim) return true;
  }
  return false;
}

/**
 * Places monomer pk touching particle i at distance Γ from the CM of cluster c: a random point of
 * the circle sphere(CM, Γ) ∩ sphere(x_i, s). False if all tried azimuths overlap.
 */
function placeMonomer(bs: Builder, c: number, pk: number, i: number, di: number, gamma: number, n1: number): boolean {
  const { x, y, z, r, rng, basis } = bs;
  const cx = bs.cx[c]!, cy = bs.cy[c]!, cz = bs.cz[c]!;
  const s = (r[i]! + r[pk]!) * (1 - bs.eps);
  const ex = (x[i]! - cx) / di, ey = (y[i]! - cy) / di, ez = (z[i]! - cz) / di;
  let ct = gamma > 0 ? (gamma * gamma + di * di - s * s) / (2 * gamma * di) : 1;
  ct = ct > 1 ? 1 : ct < -1 ? -1 : ct;
  const st = Math.sqrt(1 - ct * ct);
  perpBasis(ex, ey, ez, basis);
  for (let t = 0; t < PC_AZIMUTHS; t++) {
    bs.attempts++;
    const phi = 2 * Math.PI * rng.double();
    const cp = Math.cos(phi) * st, sp = Math.sin(phi) * st;
    const ux = ct * ex + cp * basis[0]! + sp * basis[3]!;
    const uy = ct * ey + cp * basis[1]! + sp * basis[4]!;
    const uz = ct * ez + cp * basis[2]! + sp * basis[5]!;
    let px = cx + gamma * ux, py = cy + gamma * uy, pz = cz + gamma * uz;
    // Snap exactly onto the contact sphere of i (removes rounding from the circle construction).
    const dx = px - x[i]!, dy = py - y[i]!, dz = pz - z[i]!;
    const dl = Math.sqrt(dx * dx + dy * dy + dz * dz);
    if (!(dl > 0)) continue;
    px = x[i]! + (dx * s) / dl; py = y[i]! + (dy * s) / dl; pz = z[i]! + (dz * s) / dl;
    if (overlapsMembers(bs, px, py, pz, r[pk]!, n1, i)) continue;
    x[pk] = px; y[pk] = py; z[pk] = pz;
    bs.addContact(i, pk);
    return true;
  }
  return false;
}

/**
 * Fallback when no contact realises Γ without overlap: among random overlap-free contacts with
 * any member, keep the one whose distance from the CM is closest to Γ.
 */
function placeMonomerFallback(bs: Builder, c: number, pk: number, gamma: number, n1: number): boolean {
  const { x, y, z, r, rng, idx1, mat } = bs;
  const cx = bs.cx[c]!, cy = bs.cy[c]!, cz = bs.cz[c]!;
  // Prefer same-material contacts in the first half of the draws, if the cluster has any.
  const mk = mat[pk]!;
  const hasSame = mk === 1 ? bs.countB[c]! > 0 : bs.countB[c]! < bs.count[c]!;
  let best = Infinity, bx = 0, by = 0, bz = 0, bi = -1;
  for (let t = 0; t < PC_FALLBACK_DRAWS; t++) {
    bs.attempts++;
    const m = Math.floor(rng.double() * n1);
    const i = idx1[m]!;
    if (hasSame && t < PC_FALLBACK_DRAWS / 2 && mat[i] !== mk && rng.double() >= bs.contactWeight(mat[i]!, mk)) continue;
    const s = (r[i]! + r[pk]!) * (1 - bs.eps);
    const uz = 2 * rng.double() - 1, phi = 2 * Math.PI * rng.double(), rho = s * Math.sqrt(1 - uz * uz);
    const px = x[i]! + rho * Math.cos(phi), py = y[i]! + rho * Math.sin(phi), pz = z[i]! + s * uz;
    const err = Math.abs(dist(px - cx, py - cy, pz - cz) - gamma);
    if (err >= best || overlapsMembers(bs, px, py, pz, r[pk]!, n1, i)) continue;
    best = err; bx = px; by = py; bz = pz; bi = i;
  }
  if (bi < 0) return false;
  x[pk] = bx; y[pk] = by; z[pk] = bz;
  bs.addContact(bi, pk);
  return true;
}

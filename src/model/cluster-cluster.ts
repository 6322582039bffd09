/**
 * Phase 2 of a construction: cluster–cluster merging in rounds, with Γ from the exact identity
 * W²Rg² = W(W1 Rg1² + W2 Rg2²) + Γ² W1 W2 and analytic contact placement. docs/model.md.
 */
import * as K from './construction-constants.js';
import { dist as distImported, perpBasis as perpBasisImported } from './geometry.js';
import { cellBucket, fillSphereGrid } from './grid.js';
import { shuffleInPlace, unitVector } from '../random/index.js';
import type { Builder } from './builder.js';

// Constants as local bindings (tsx turns imported names into getter calls in hot loops).
const { OVERLAP_TOL, PAIRS_PER_MERGE, DRAWS_PER_PAIR, PARTNERS_PER_ROUND, FULL_SCAN_MAX_PAIRS } = K;

// Local bindings: module-transpiling loaders (tsx) turn imported calls into getter calls in hot loops.
const dist = distImported;
const perpBasis = perpBasisImported;

const bucketOf = cellBucket;

/** Cluster–cluster rounds until one cluster is left; false if a round merged nothing. */
export function mergeClusters(bs: Builder): boolean {
  const { rng } = bs;
  let alive: number[] = [];
  for (let c = 0; c < bs.nBlocks; c++) alive.push(c);
  const paired = new Uint8Array(bs.nBlocks);
  while (alive.length > 1) {
    const k = alive.length;
    shuffleInPlace(rng, alive); // random tie-break among equal weights (stable sort below)
    const order = alive.slice().sort((u, v) => bs.cW[u]! - bs.cW[v]!);
    paired.fill(0);
    const dead = new Uint8Array(bs.nBlocks);
    let merges = 0;
    for (let q = 0; q < k; q++) {
      const c = order[q]!;
      if (paired[c] || dead[c]) continue;
      // In domain mode the domains carry the segregation; the pairing lever is off.
      const restricted = !bs.domains && rng.double() < bs.seg;
      let cands = partners(bs, order, q, paired, dead, restricted);
      if (cands === null) continue; // waits: its own material's clusters are busy this round
      if (cands.length === 0 && restricted) cands = partners(bs, order, q, paired, dead, false) ?? [];
      for (const d of cands) {
        bs.tick();
        const kept = tryMerge(bs, c, d, k === 2);
        if (kept >= 0) {
          const gone = kept === c ? d : c;
          paired[kept] = 1;
          dead[gone] = 1;
          merges++;
          break;
        }
      }
    }
    if (merges === 0) {
      bs.failure = `no cluster–cluster merge succeeded in a round of ${k} clusters`;
      return false;
    }
    alive = order.filter((c) => !dead[c]);
  }
  return true;
}

/**
 * Up to PARTNERS_PER_ROUND unpaired clusters nearest in weight to order[q] (optionally of the same
 * majority material). Null when restricted and every same-material cluster is already paired.
 */
function partners(bs: Builder, order: number[], q: number, paired: Uint8Array, dead: Uint8Array, restricted: boolean): number[] | null {
  const c = order[q]!;
  const out: number[] = [];
  let sameBusy = false;
  // Domain mode: a pure-B cluster joins a cluster holding A, never another pure-B one (while A exists).
  const bOnly = bs.domains && bs.nB < bs.n && bs.countB[c] === bs.count[c];
  let lo = q - 1, hi = q + 1;
  const lc = Math.log(bs.cW[c]!);
  while (out.length < PARTNERS_PER_ROUND && (lo >= 0 || hi < order.length)) {
    let pick: number;
    if (lo < 0) pick = hi++;
    else if (hi >= order.length) pick = lo--;
    else pick = Math.abs(Math.log(bs.cW[order[lo]!]!) - lc) <= Math.abs(Math.log(bs.cW[order[hi]!]!) - lc) ? lo-- : hi++;
    const d = order[pick]!;
    if (dead[d]) continue;
    if (restricted && bs.tag[d] !== bs.tag[c]) continue;
    if (bOnly && bs.countB[d] === bs.count[d]) continue;
    if (paired[d]) { sameBusy ||= bs.tag[d] === bs.tag[c]; continue; }
    out.push(d);
  }
  if (restricted && out.length === 0 && sameBusy) return null;
  return out;
}

/**
 * Tries to join clusters ca and cb at the Γ of the exact Rg identity. Returns the id of the merged
 * cluster (the larger, static one), or −1 if no overlap-free placement was found.
 */
function tryMerge(bs: Builder, ca: number, cb: number, final: boolean): number {
  const st = bs.count[ca]! >= bs.count[cb]! ? ca : cb;
  const mv = st === ca ? cb : ca;
  const { x, y, z, r, next, idx1, idx2, d1, d2, l1, l2, eps, rng, mat } = bs;
  const W1 = bs.cW[st]!, W2 = bs.cW[mv]!, W = W1 + W2;
  const rt = bs.targetRg(W, final);
  const g2 = (W * W * rt * rt - W * (bs.cS[st]! + bs.cS[mv]!)) / (W1 * W2);
  if (!(g2 > 0)) return -1;
  const gamma = Math.sqrt(g2);
  const c1x = bs.cx[st]!, c1y = bs.cy[st]!, c1z = bs.cz[st]!;
  const c2x = bs.cx[mv]!, c2y = bs.cy[mv]!, c2z = bs.cz[mv]!;

  let n1 = 0, dmax1 = 0, rmax1 = 0;
  for (let p = bs.head[st]!; p >= 0; p = next[p]!) {
    idx1[n1] = p;
    const d = dist(x[p]! - c1x, y[p]! - c1y, z[p]! - c1z);
    d1[n1++] = d;
    if (d > dmax1) dmax1 = d;
    if (r[p]! > rmax1) rmax1 = r[p]!;
  }
  let n2 = 0, dmax2 = 0, rmax2 = 0;
  for (let p = bs.head[mv]!; p >= 0; p = next[p]!) {
    idx2[n2] = p;
    const d = dist(x[p]! - c2x, y[p]! - c2y, z[p]! - c2z);
    d2[n2++] = d;
    if (d > dmax2) dmax2 = d;
    if (r[p]! > rmax2) rmax2 = r[p]!;
  }
  if (gamma > dmax1 + dmax2 + (rmax1 + rmax2) * (1 - eps)) return -1;
  // Only particles far enough out can take part in a contact at this Γ.
  let m1 = 0, m2 = 0;
  for (let m = 0; m < n1; m++) if (d1[m]! + dmax2 + (r[idx1[m]!]! + rmax2) * (1 - eps) >= gamma) l1[m1++] = m;
  for (let m = 0; m < n2; m++) if (d2[m]! + dmax1 + (r[idx2[m]!]! + rmax1) * (1 - eps) >= gamma) l2[m2++] = m;
  if (m1 === 0 || m2 === 0) return -1;

  fillSphereGrid(bs.grid, idx1, n1, x, y, z);
  bs.mSt = st; bs.mMv = mv; bs.mGamma = gamma; bs.mN2 = n2;
  // Material preference only matters if the two clusters share a material.
  const shareB = bs.countB[st]! > 0 && bs.countB[mv]! > 0;
  const shareA = bs.countB[st]! < bs.count[st]! && bs.countB[mv]! < bs.count[mv]!;
  const heteroWeight = shareA || shareB ? 1 - bs.seg : 1;

  // Lazy random pairs first: in easy regimes the first feasible pair usually works.
  let tried = 0;
  if (m1 * m2 > PAIRS_PER_MERGE) {
    const budget = 16 * PAIRS_PER_MERGE;
    for (let t = 0; t < budget && tried < PAIRS_PER_MERGE; t++) {
      const a = l1[Math.floor(rng.double() * m1)]!, b = l2[Math.floor(rng.double() * m2)]!;
      if (!pairFeasible(bs, a, b, gamma)) continue;
      if (heteroWeight < 1 && mat[idx1[a]!] !== mat[idx2[b]!] && !(rng.double() < heteroWeight)) continue;
      tried++;
      if (tryPair(bs, a, b)) return st;
    }
  }
  if (tried >= PAIRS_PER_MERGE || m1 * m2 > FULL_SCAN_MAX_PAIRS) return -1;
  // Small or narrow feasible sets: scan them all, try in weighted random order.
  const nPairs = collectAllPairs(bs, gamma, m1, m2, heteroWeight);
  const pairKey = bs.pairKey;
  for (let t = 0; t < nPairs && tried < PAIRS_PER_MERGE; t++, tried++) {
    let bq = 0;
    for (let q = 1; q < nPairs; q++) if (pairKey[q]! > pairKey[bq]!) bq = q;
    pairKey[bq] = -Infinity;
    if (tryPair(bs, bs.pairI[bq]!, bs.pairJ[bq]!)) return st;
  }
  return -1;
}

/**
 * Random placements of the moving cluster with particle idx2[bb] touching idx1[a] at the current
 * Γ; on the first overlap-free one the clusters are joined and true is returned.
 */
function tryPair(bs: Builder, a: number, bb: number): boolean {
  const { x, y, z, r, next, idx1, idx2, d1, d2, eps, rng, tf, basis, basis2 } = bs;
  const st = bs.mSt, mv = bs.mMv, gamma = bs.mGamma, n2 = bs.mN2;
  const c1x = bs.cx[st]!, c1y = bs.cy[st]!, c1z = bs.cz[st]!;
  const c2x = bs.cx[mv]!, c2y = bs.cy[mv]!, c2z = bs.cz[mv]!;
  const i = idx1[a]!, j = idx2[bb]!;
  const di = d1[a]!, dj = d2[bb]!;
  const s = (r[i]! + r[j]!) * (1 - eps);
  const dMin = Math.max(Math.abs(s - dj), Math.abs(gamma - di));
  const dMax = Math.min(s + dj, gamma + di);
  if (dMin > dMax) return false;
  const ex = (x[i]! - c1x) / di, ey = (y[i]! - c1y) / di, ez = (z[i]! - c1z) / di;
  const iCentral = !(di > 1e-9 * s);
  const jCentral = !(dj > 1e-9 * s);
  let cosLo = -1, cosHi = 1;
  if (!iCentral && gamma > 1e-9 * s) {
    cosLo = (gamma * gamma + di * di - dMax * dMax) / (2 * gamma * di);
    cosHi = (gamma * gamma + di * di - dMin * dMin) / (2 * gamma * di);
    cosLo = Math.max(-1, Math.min(1, cosLo));
    cosHi = Math.max(-1, Math.min(1, cosHi));
  }
  if (!iCentral) perpBasis(ex, ey, ez, basis);
  // Old frame of the moving cluster: unit vector CM2 → x_j and two perpendiculars.
  let vox = 1, voy = 0, voz = 0;
  if (!jCentral) { vox = (x[j]! - c2x) / dj; voy = (y[j]! - c2y) / dj; voz = (z[j]! - c2z) / dj; }
  perpBasis(vox, voy, voz, basis2);
  orderByDistance(bs, n2, j);
  const pox = basis2[0]!, poy = basis2[1]!, poz = basis2[2]!, qox = basis2[3]!, qoy = basis2[4]!, qoz = basis2[5]!;
  for (let draw = 0; draw < DRAWS_PER_PAIR; draw++) {
    if ((draw & 7) === 7) bs.tick();
    bs.attempts++;
    // 1. New CM of the moving cluster on the spherical zone around CM1 (area-uniform).
    let ux: number, uy: number, uz: number;
    if (iCentral) {
      [ux, uy, uz] = unitVector(rng);
    } else {
      const ct = cosLo + (cosHi - cosLo) * rng.double();
      const sn = Math.sqrt(Math.max(0, 1 - ct * ct));
      const phi = 2 * Math.PI * rng.double();
      const cp = Math.cos(phi) * sn, sp = Math.sin(phi) * sn;
      ux = ct * ex + cp * basis[0]! + sp * basis[3]!;
      uy = ct * ey + cp * basis[1]! + sp * basis[4]!;
      uz = ct * ez + cp * basis[2]! + sp * basis[5]!;
    }
    const nx = c1x + gamma * ux, ny = c1y + gamma * uy, nz = c1z + gamma * uz;
    // 2. Contact point: circle sphere(x_i, s) ∩ sphere(CM2', d_j), random angle.
    let vnx: number, vny: number, vnz: number;
    if (jCentral) {
      [vnx, vny, vnz] = unitVector(rng);
    } else {
      let ax = nx - x[i]!, ay = ny - y[i]!, az = nz - z[i]!;
      const D = Math.sqrt(ax * ax + ay * ay + az * az);
      if (!(D > 0)) continue;
      ax /= D; ay /= D; az /= D;
      const tt = (s * s - dj * dj + D * D) / (2 * D);
      const rho = Math.sqrt(Math.max(0, s * s - tt * tt));
      perpBasis(ax, ay, az, tf); // tf used as scratch here; overwritten below
      const om = 2 * Math.PI * rng.double();
      const co = Math.cos(om) * rho, so = Math.sin(om) * rho;
      const jx = x[i]! + tt * ax + co * tf[0]! + so * tf[3]!;
      const jy = y[i]! + tt * ay + co * tf[1]! + so * tf[4]!;
      const jz = z[i]! + tt * az + co * tf[2]! + so * tf[5]!;
      vnx = jx - nx; vny = jy - ny; vnz = jz - nz;
      const vl = Math.sqrt(vnx * vnx + vny * vny + vnz * vnz);
      if (!(vl > 0)) continue;
      vnx /= vl; vny /= vl; vnz /= vl;
    }
    // 3. Rotation taking the old frame to the new one, spun by a random ψ about v_new.
    perpBasis(vnx, vny, vnz, tf);
    const psi = 2 * Math.PI * rng.double();
    const cs = Math.cos(psi), sn = Math.sin(psi);
    const pnx = cs * tf[0]! + sn * tf[3]!, pny = cs * tf[1]! + sn * tf[4]!, pnz = cs * tf[2]! + sn * tf[5]!;
    const qnx = -sn * tf[0]! + cs * tf[3]!, qny = -sn * tf[1]! + cs * tf[4]!, qnz = -sn * tf[2]! + cs * tf[5]!;
    // R = v_new v_oldᵀ + p_new p_oldᵀ + q_new q_oldᵀ
    tf[0] = vnx * vox + pnx * pox + qnx * qox; tf[1] = vnx * voy + pnx * poy + qnx * qoy; tf[2] = vnx * voz + pnx * poz + qnx * qoz;
    tf[3] = vny * vox + pny * pox + qny * qox; tf[4] = vny * voy + pny * poy + qny * qoy; tf[5] = vny * voz + pny * poz + qny * qoz;
    tf[6] = vnz * vox + pnz * pox + qnz * qox; tf[7] = vnz * voy + pnz * poy + qnz * qoy; tf[8] = vnz * voz + pnz * poz + qnz * qoz;
    tf[9] = nx; tf[10] = ny; tf[11] = nz; tf[12] = c2x; tf[13] = c2y; tf[14] = c2z;
    if (movingOverlaps(bs, n2, i, j)) continue;
    // Accept: move cluster mv, link it into st.
    for (let m = 0; m < n2; m++) {
      const pp = idx2[m]!;
      const rx = x[pp]! - c2x, ry = y[pp]! - c2y, rz = z[pp]! - c2z;
      x[pp] = nx + tf[0]! * rx + tf[1]! * ry + tf[2]! * rz;
      y[pp] = ny + tf[3]! * rx + tf[4]! * ry + tf[5]! * rz;
      z[pp] = nz + tf[6]! * rx + tf[7]! * ry + tf[8]! * rz;
    }
    bs.addContact(i, j);
    next[bs.tail[st]!] = bs.head[mv]!;
    bs.tail[st] = bs.tail[mv]!;
    bs.count[st]! += bs.count[mv]!;
    bs.countB[st]! += bs.countB[mv]!;
    if (bs.countB[st]! * 2 === bs.count[st]!) bs.tag[st] = bs.cW[st]! >= bs.cW[mv]! ? bs.tag[st]! : bs.tag[mv]!;
    bs.measure(st);
    return true;
  }
  return false;
}

/**
 * All feasible contact pairs (indices into idx1/idx2) of the filtered lists l1 × l2, keeping the
 * PAIRS_PER_MERGE with the largest weighted random keys (Efraimidis–Spirakis reservoir).
 */
function collectAllPairs(bs: Builder, gamma: number, m1: number, m2: number, heteroWeight: number): number {
  const { l1, l2 } = bs;
  let found = 0;
  for (let u = 0; u < m1; u++) {
    const a = l1[u]!;
    for (let v = 0; v < m2; v++) {
      const b = l2[v]!;
      if (pairFeasible(bs, a, b, gamma)) found = offerPair(bs, a, b, found, heteroWeight);
    }
  }
  return Math.min(found, PAIRS_PER_MERGE);
}

function pairFeasible(bs: Builder, a: number, b: number, gamma: number): boolean {
  const di = bs.d1[a]!, dj = bs.d2[b]!;
  const s = (bs.r[bs.idx1[a]!]! + bs.r[bs.idx2[b]!]!) * (1 - bs.eps);
  const lo = Math.max(di - dj - s, Math.abs(dj - s) - di, 0);
  return gamma >= lo && gamma <= di + dj + s;
}

/** Adds pair (a, b) to the keyed reservoir of size PAIRS_PER_MERGE; returns the new count. */
function offerPair(bs: Builder, a: number, b: number, found: number, heteroWeight: number): number {
  const key = bs.weightedKey(bs.mat[bs.idx1[a]!] === bs.mat[bs.idx2[b]!] ? 1 : heteroWeight);
  const { pairI, pairJ, pairKey } = bs;
  if (found < PAIRS_PER_MERGE) {
    pairI[found] = a; pairJ[found] = b; pairKey[found] = key;
    if (found === 0 || key < pairKey[bs.minSlot]!) bs.minSlot = found;
    return found + 1;
  }
  if (key > pairKey[bs.minSlot]!) {
    const q = bs.minSlot;
    pairI[q] = a; pairJ[q] = b; pairKey[q] = key;
    // Rescan only after a replacement (rare once the reservoir holds high keys).
    let mq = 0;
    for (let t = 1; t < PAIRS_PER_MERGE; t++) if (pairKey[t]! < pairKey[mq]!) mq = t;
    bs.minSlot = mq;
  }
  return found + 1;
}

/** Fills near2[0..n2) with the moving cluster's particles sorted by distance from particle j. */
function orderByDistance(bs: Builder, n2: number, j: number): void {
  const { x, y, z, idx2, near2, keys } = bs;
  for (let m = 0; m < n2; m++) {
    const p = idx2[m]!;
    near2[m] = p;
    keys[p] = (x[p]! - x[j]!) ** 2 + (y[p]! - y[j]!) ** 2 + (z[p]! - z[j]!) ** 2;
  }
  near2.subarray(0, n2).sort((a, b) => keys[a]! - keys[b]!);
}

/** True if the moving cluster under transform `tf` overlaps the static one (grid), except (i, j). */
function movingOverlaps(bs: Builder, n2: number, i: number, j: number): boolean {
  const { x, y, z, r, near2, tf, grid } = bs;
  const { inv, mask, start, items } = grid;
  const nx = tf[9]!, ny = tf[10]!, nz = tf[11]!, ox = tf[12]!, oy = tf[13]!, oz = tf[14]!;
  const R0 = tf[0]!, R1 = tf[1]!, R2 = tf[2]!, R3 = tf[3]!, R4 = tf[4]!, R5 = tf[5]!, R6 = tf[6]!, R7 = tf[7]!, R8 = tf[8]!;
  for (let m = 0; m < n2; m++) {
    const p = near2[m]!;
    const rx = x[p]! - ox, ry = y[p]! - oy, rz = z[p]! - oz;
    const px = nx + R0 * rx + R1 * ry + R2 * rz;
    const py = ny + R3 * rx + R4 * ry + R5 * rz;
    const pz = nz + R6 * rx + R7 * ry + R8 * rz;
    const pr = r[p]!;
    const ix = Math.floor(px * inv), iy = Math.floor(py * inv), iz = Math.floor(pz * inv);
    for (let ddx = -1; ddx <= 1; ddx++) for (let ddy = -1; ddy <= 1; ddy++) for (let ddz = -1; ddz <= 1; ddz++) {
      const bk = bucketOf(ix + ddx, iy + ddy, iz + ddz, mask);
      for (let t = start[bk]!, e = start[bk + 1]!; t < e; t++) {
        const q = items[t]!;
        if (p === j && q === i) continue;
        const dx = x[q]! - px, dy = y[q]! - py, dz = z[q]! - pz;
        const lim = (r[q]! + pr) * (1 - OVERLAP_TOL);
        if (dx * dx + dy * dy + dz * dz < lim * lim) return true;
      }
    }
  }
  return false;
}

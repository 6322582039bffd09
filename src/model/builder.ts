/**
 * The mutable state of one aggregate construction (structure of arrays over particles, clusters as
 * linked lists) and its small shared operations. The phases that act on it live in
 * `particle-cluster.ts` and `cluster-cluster.ts`; `generate.ts` runs them. docs/model.md.
 */
import { lognormal, randomRotation, shuffleInPlace, type RandomStream } from '../random/index.js';
import * as K from './construction-constants.js';
import { subClusterSize } from './geometry.js';
import { createSphereGrid, type SphereGrid } from './grid.js';
import type { ModelParams } from './types.js';

// Constants as local bindings (tsx turns imported names into getter calls in hot loops).
const { PAIRS_PER_MERGE, SOLID_SPHERE } = K;

/** Thrown inside a construction when the wall-clock deadline has passed. */
export class DeadlineExceeded extends Error {}

/**
 * Mutable state of one construction. Structure of arrays over particles; clusters are linked lists
 * through `next`, so a merge concatenates in O(1) without allocating.
 */
export class Builder {
  readonly n: number;
  readonly nB: number;
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly z: Float64Array;
  readonly r: Float64Array;
  readonly w: Float64Array;
  readonly mat: Uint8Array;
  /** Sub-cluster block of each particle position: blocks are contiguous position ranges. */
  readonly blockStart: Int32Array;
  readonly nBlocks: number;

  // Clusters (ids 0..nBlocks): linked lists and measured statistics.
  readonly next: Int32Array;
  readonly head: Int32Array;
  readonly tail: Int32Array;
  readonly count: Int32Array;
  readonly countB: Int32Array;
  readonly cW: Float64Array;
  readonly cx: Float64Array;
  readonly cy: Float64Array;
  readonly cz: Float64Array;
  /** W · Rg² of each cluster, measured about its own centre of mass. */
  readonly cS: Float64Array;
  readonly tag: Uint8Array;

  // Scratch.
  readonly idx1: Int32Array;
  readonly idx2: Int32Array;
  readonly d1: Float64Array;
  readonly d2: Float64Array;
  readonly l1: Int32Array;
  readonly l2: Int32Array;
  readonly keys: Float64Array;
  /** Moving-cluster particles ordered by distance from the contact particle (collisions found early). */
  readonly near2: Int32Array;
  readonly pairI = new Int32Array(PAIRS_PER_MERGE);
  readonly pairJ = new Int32Array(PAIRS_PER_MERGE);
  readonly pairKey = new Float64Array(PAIRS_PER_MERGE);
  /** Slot of the smallest key in the pair reservoir. */
  minSlot = 0;
  readonly basis = new Float64Array(6);
  readonly basis2 = new Float64Array(6);
  /** Rigid transform of a trial: rotation R (row-major 9), new CM (3), old CM (3). */
  readonly tf = new Float64Array(15);
  readonly grid: SphereGrid;

  readonly contactI: Int32Array;
  readonly contactJ: Int32Array;
  nContacts = 0;

  readonly a: number;
  readonly wbar: number;
  readonly invDf: number;
  readonly kf: number;
  readonly eps: number;
  readonly seg: number;

  clamps = 0;
  attempts = 0;
  stage = 'setup';
  failure = '';
  checkCounter = 0;

  constructor(p: ModelParams, readonly rng: RandomStream, readonly deadlineAt: number) {
    const n = (this.n = p.nParticles);
    const nB = (this.nB = Math.round(p.fractionB * n));
    const nA = n - nB;
    this.x = new Float64Array(n); this.y = new Float64Array(n); this.z = new Float64Array(n);
    this.r = new Float64Array(n); this.w = new Float64Array(n); this.mat = new Uint8Array(n);
    this.invDf = 1 / p.fractalDim;
    this.kf = p.prefactor;
    this.eps = p.overlap;
    this.seg = p.segregation;

    // Radii first (A then B), so they do not depend on the segregation draws.
    const rA = new Float64Array(nA), rB = new Float64Array(nB);
    for (let k = 0; k < nA; k++) rA[k] = lognormal(rng, p.radiusMedianA, p.radiusSigmaA, { lo: p.radiusMedianA / p.radiusSigmaA ** 2, hi: p.radiusMedianA * p.radiusSigmaA ** 2 });
    for (let k = 0; k < nB; k++) rB[k] = lognormal(rng, p.radiusMedianB, p.radiusSigmaB, { lo: p.radiusMedianB / p.radiusSigmaB ** 2, hi: p.radiusMedianB * p.radiusSigmaB ** 2 });

    // Labels sorted over positions (A first), each position pinned with probability s, the
    // unpinned labels shuffled among themselves: exact composition, purity rising with s.
    const labels = new Uint8Array(n);
    labels.fill(1, nA);
    const free: number[] = [];
    for (let q = 0; q < n; q++) if (!(rng.double() < this.seg)) free.push(q);
    const freeLabels = free.map((q) => labels[q]!);
    shuffleInPlace(rng, freeLabels);
    free.forEach((q, k) => (labels[q] = freeLabels[k]!));
    let ka = 0, kb = 0, sumLog = 0, sumW = 0, rmax = 0;
    for (let q = 0; q < n; q++) {
      const m = labels[q]!;
      const rq = m === 0 ? rA[ka++]! : rB[kb++]!;
      this.mat[q] = m;
      this.r[q] = rq;
      this.w[q] = rq * rq * rq;
      sumLog += Math.log(rq);
      sumW += this.w[q]!;
      if (rq > rmax) rmax = rq;
    }
    this.a = Math.exp(sumLog / n);
    this.wbar = sumW / n;

    const nBlocks = (this.nBlocks = Math.max(2, Math.floor(n / subClusterSize(n))));
    this.blockStart = new Int32Array(nBlocks + 1);
    const base = Math.floor(n / nBlocks), extra = n % nBlocks;
    for (let k = 0; k < nBlocks; k++) this.blockStart[k + 1] = this.blockStart[k]! + base + (k < extra ? 1 : 0);

    this.next = new Int32Array(n);
    this.head = new Int32Array(nBlocks); this.tail = new Int32Array(nBlocks);
    this.count = new Int32Array(nBlocks); this.countB = new Int32Array(nBlocks);
    this.cW = new Float64Array(nBlocks); this.cS = new Float64Array(nBlocks);
    this.cx = new Float64Array(nBlocks); this.cy = new Float64Array(nBlocks); this.cz = new Float64Array(nBlocks);
    this.tag = new Uint8Array(nBlocks);
    this.idx1 = new Int32Array(n); this.idx2 = new Int32Array(n);
    this.d1 = new Float64Array(n); this.d2 = new Float64Array(n);
    this.l1 = new Int32Array(n); this.l2 = new Int32Array(n);
    this.keys = new Float64Array(n);
    this.near2 = new Int32Array(n);
    this.grid = createSphereGrid(n, 2 * rmax);
    this.contactI = new Int32Array(n - 1);
    this.contactJ = new Int32Array(n - 1);
  }

  /** Throws when the deadline has passed (checked every few calls; the clock is not free). */
  tick(): void {
    if ((++this.checkCounter & 7) === 0 && performance.now() > this.deadlineAt) throw new DeadlineExceeded();
  }

  /** Target Rg of a cluster of total volume weight W (n_eff = W / w̄; exactly N for the final merge). */
  targetRg(W: number, final: boolean): number {
    const nEff = final ? this.n : W / this.wbar;
    return this.a * Math.pow(nEff / this.kf, this.invDf);
  }

  /** Weight of a joining contact between materials mi and mj (segregation prefers same material). */
  contactWeight(mi: number, mj: number): number {
    return mi === mj ? 1 : 1 - this.seg;
  }

  /** Efraimidis–Spirakis key: sorting by it descending samples without replacement ∝ weight. */
  weightedKey(weight: number): number {
    const u = this.rng.double();
    return weight > 0 ? (weight === 1 ? u : Math.pow(u, 1 / weight)) : u - 1;
  }


  /** Recomputes W, centre of mass and W·Rg² of cluster c from its members (two passes, exact). */
  measure(c: number): void {
    const { x, y, z, r, w, next } = this;
    let W = 0, sx = 0, sy = 0, sz = 0;
    for (let p = this.head[c]!; p >= 0; p = next[p]!) {
      W += w[p]!; sx += w[p]! * x[p]!; sy += w[p]! * y[p]!; sz += w[p]! * z[p]!;
    }
    const cx = sx / W, cy = sy / W, cz = sz / W;
    let S = 0;
    for (let p = this.head[c]!; p >= 0; p = next[p]!) {
      const dx = x[p]! - cx, dy = y[p]! - cy, dz = z[p]! - cz;
      S += w[p]! * (dx * dx + dy * dy + dz * dz + SOLID_SPHERE * r[p]! * r[p]!);
    }
    this.cW[c] = W; this.cx[c] = cx; this.cy[c] = cy; this.cz[c] = cz; this.cS[c] = S;
    const nb = this.countB[c]!, na = this.count[c]! - nb;
    this.tag[c] = nb > na ? 1 : nb < na ? 0 : this.tag[c]!;
  }

  addContact(i: number, j: number): void {
    this.contactI[this.nContacts] = i;
    this.contactJ[this.nContacts] = j;
    this.nContacts++;
  }








  // Context of the merge attempt in progress (set by tryMerge, read by tryPair).
  mSt = 0;
  mMv = 0;
  mGamma = 0;
  mN2 = 0;








  /** Random rotation about the volume-weighted centre of mass, which goes to the origin. */
  finish(): { x: Float64Array; y: Float64Array; z: Float64Array; r: Float64Array; material: Uint8Array } {
    const { n, x, y, z, w } = this;
    let W = 0, sx = 0, sy = 0, sz = 0;
    for (let p = 0; p < n; p++) { W += w[p]!; sx += w[p]! * x[p]!; sy += w[p]! * y[p]!; sz += w[p]! * z[p]!; }
    const cx = sx / W, cy = sy / W, cz = sz / W;
    const R = randomRotation(this.rng);
    const ox = new Float64Array(n), oy = new Float64Array(n), oz = new Float64Array(n);
    for (let p = 0; p < n; p++) {
      const rx = x[p]! - cx, ry = y[p]! - cy, rz = z[p]! - cz;
      ox[p] = R[0]! * rx + R[1]! * ry + R[2]! * rz;
      oy[p] = R[3]! * rx + R[4]! * ry + R[5]! * rz;
      oz[p] = R[6]! * rx + R[7]! * ry + R[8]! * rz;
    }
    return { x: ox, y: oy, z: oz, r: this.r.slice(), material: this.mat.slice() };
  }
}

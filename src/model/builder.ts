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

/** `total` split into `parts` near-equal positive sizes (the first `total mod parts` one larger). */
function evenSizes(total: number, parts: number): number[] {
  const base = Math.floor(total / parts), extra = total % parts;
  return Array.from({ length: parts }, (_, k) => base + (k < extra ? 1 : 0));
}

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
  /** Per block: 1/Df, kf, reference radius a and mean weight w̄ of its particle–cluster growth. */
  readonly blockInvDf: Float64Array;
  readonly blockKf: Float64Array;
  readonly blockA: Float64Array;
  readonly blockWbar: Float64Array;
  /**
   * Domain mode (`domainSizeB` > 0): B domains are separate blocks, and two pure-B clusters never
   * pair while any cluster holds A (domains co-aggregate with the A network, not with each other).
   */
  readonly domains: boolean;

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

  /** First block of the B domains (domain mode; nBlocks otherwise). */
  firstDomainBlock = 0;

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

    this.domains = (p.domainSizeB ?? 0) > 0;
    const sizes = this.domains ? this.domainLayout(p, nA, nB, rng) : this.mixedLayout(n, nA, rng);
    let ka = 0, kb = 0, sumLog = 0, sumW = 0, rmax = 0;
    for (let q = 0; q < n; q++) {
      const m = this.mat[q]!;
      const rq = m === 0 ? rA[ka++]! : rB[kb++]!;
      this.r[q] = rq;
      this.w[q] = rq * rq * rq;
      sumLog += Math.log(rq);
      sumW += this.w[q]!;
      if (rq > rmax) rmax = rq;
    }
    this.a = Math.exp(sumLog / n);
    this.wbar = sumW / n;

    const nBlocks = (this.nBlocks = sizes.length);
    this.blockStart = new Int32Array(nBlocks + 1);
    for (let k = 0; k < nBlocks; k++) this.blockStart[k + 1] = this.blockStart[k]! + sizes[k]!;
    this.blockInvDf = new Float64Array(nBlocks).fill(this.invDf);
    this.blockKf = new Float64Array(nBlocks).fill(this.kf);
    this.blockA = new Float64Array(nBlocks).fill(this.a);
    this.blockWbar = new Float64Array(nBlocks).fill(this.wbar);
    if (this.domains) {
      // B domains grow by their own law, measured in their own particles' size.
      const invDfB = 1 / (p.domainFractalDimB ?? p.fractalDim), kfB = p.domainPrefactorB ?? p.prefactor;
      for (let k = 0; k < nBlocks; k++) {
        const s0 = this.blockStart[k]!, s1 = this.blockStart[k + 1]!;
        let pureB = true, lg = 0, sw = 0;
        for (let q = s0; q < s1; q++) { pureB &&= this.mat[q] === 1; lg += Math.log(this.r[q]!); sw += this.w[q]!; }
        if (!pureB || k < this.firstDomainBlock) continue;
        this.blockInvDf[k] = invDfB; this.blockKf[k] = kfB;
        this.blockA[k] = Math.exp(lg / (s1 - s0)); this.blockWbar[k] = sw / (s1 - s0);
      }
    }

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

  /** Target Rg of block c's sub-cluster during its particle–cluster growth (the block's own law). */
  blockTargetRg(c: number, W: number): number {
    return this.blockA[c]! * Math.pow(W / this.blockWbar[c]! / this.blockKf[c]!, this.blockInvDf[c]!);
  }

  /**
   * The original layout: labels sorted over positions (A first), each position pinned with
   * probability s, the unpinned labels shuffled among themselves (exact composition, purity rising
   * with s), cut into max(2, ⌊N/N_sub⌋) near-equal blocks. Returns the block sizes.
   */
  private mixedLayout(n: number, nA: number, rng: RandomStream): number[] {
    const labels = this.mat;
    labels.fill(1, nA);
    const free: number[] = [];
    for (let q = 0; q < n; q++) if (!(rng.double() < this.seg)) free.push(q);
    const freeLabels = free.map((q) => labels[q]!);
    shuffleInPlace(rng, freeLabels);
    free.forEach((q, k) => (labels[q] = freeLabels[k]!));
    this.firstDomainBlock = Math.max(2, Math.floor(n / subClusterSize(n)));
    return evenSizes(n, this.firstDomainBlock);
  }

  /**
   * Domain layout (docs/model.md, "Domains"): round(s·N_B) B particles form
   * max(1, round(s·N_B / domainSizeB)) near-equal pure-B domain blocks at the end; the other B
   * particles are shuffled among the A positions, which are cut into ⌊(N − that)/N_sub⌋ blocks
   * (at least one, and at least two blocks overall so the last merge is cluster–cluster).
   */
  private domainLayout(p: ModelParams, nA: number, nB: number, rng: RandomStream): number[] {
    const n = this.n;
    const nDom = Math.round(this.seg * nB);
    const nMixed = n - nDom;
    const labels = this.mat;
    labels.fill(0);
    labels.fill(1, nA, nMixed);
    shuffleInPlace(rng, labels.subarray(0, nMixed));
    labels.fill(1, nMixed);
    const domainBlocks = nDom > 0 ? Math.max(1, Math.min(nDom, Math.round(nDom / p.domainSizeB!))) : 0;
    let mixedBlocks = nMixed > 0 ? Math.max(1, Math.floor(nMixed / subClusterSize(n))) : 0;
    if (mixedBlocks + domainBlocks < 2 && nMixed >= 2) mixedBlocks = 2;
    const sizes = [...evenSizes(nMixed, mixedBlocks), ...evenSizes(nDom, domainBlocks)];
    if (sizes.length < 2) throw new Error(`internal: domain layout of N = ${n} gave ${sizes.length} block`);
    this.firstDomainBlock = mixedBlocks;
    return sizes;
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

/**
 * The stochastic 3D hetero-aggregate generator: a tunable hierarchical aggregation in the spirit of
 * FracVAL (Morán et al., Comput. Phys. Commun. 239 (2019) 225), written from the published
 * equations (FracVAL, PyFracVAL and MCAC are GPL; no code of theirs was translated). Differences
 * from FracVAL: the MEASURED Rg of both parts enters every merge, which makes every finished
 * aggregate obey the fractal law exactly; pairing backtracks; a deadline bounds the run time; and a
 * hetero layer places two materials with controllable segregation.
 */
import { UserError } from '../errors.js';
import { lognormal, randomRotation, shuffleInPlace, unitVector, type RandomStream } from '../random/index.js';
import { cellBucket, createSphereGrid, fillSphereGrid, type SphereGrid } from './grid.js';
import { validateModelParams } from './params.js';
import type { Aggregate, AggregateQuality, ModelParams } from './types.js';

// A local binding: module-transpiling loaders (tsx) turn imported calls into getter calls in hot loops.
const bucketOf = cellBucket;

/** Rg² of a solid sphere of radius r is (3/5) r². */
const SOLID_SPHERE = 0.6;
/** Relative tolerance of the non-overlap test for pairs that are not intended contacts. */
const OVERLAP_TOL = 1e-10;
/** Candidate contact pairs tried per cluster–cluster merge attempt. */
const PAIRS_PER_MERGE = 64;
/** Random orientations (zone point, contact-circle angle, spin) tried per candidate pair. */
const DRAWS_PER_PAIR = 32;
/** Partners a cluster tries in one cluster–cluster round before it is passed on to the next round. */
const PARTNERS_PER_ROUND = 4;
/** Largest candidate-pair set scanned exhaustively (beyond it, random draws only: bounded time). */
const FULL_SCAN_MAX_PAIRS = 1 << 22;
/** Random azimuths tried per candidate when a monomer joins a particle–cluster sub-cluster. */
const PC_AZIMUTHS = 16;
/** Random contacts sampled by the particle–cluster "closest overlap-free contact" fallback. */
const PC_FALLBACK_DRAWS = 128;

/** Defaults of {@link GenerateOptions}. */
export const GENERATE_DEFAULTS = Object.freeze({ deadlineMs: 10_000, maxRestarts: 20 });

/** Options of {@link generateAggregate}. */
export interface GenerateOptions {
  /** Aggregate id (default: `agg-` + the first 12 hex digits of the stream key). */
  id?: string;
  /** Seed text stored with the aggregate (default: the stream key). */
  seed?: string;
  /** Wall-clock budget, ms (default 10 000); exceeding it throws a {@link GenerationError}. */
  deadlineMs?: number;
  /** Restarts of the whole construction before giving up (default 20; in 600 draws from DEFAULT_PRIOR no success needed more than 13). */
  maxRestarts?: number;
}

/** Quality record of a generated aggregate (all fields filled). */
export interface GenerationQuality extends AggregateQuality {
  maxIntendedOverlapError: number;
  clamps: number;
  attempts: number;
  contacts: Array<[number, number]>;
  elapsedMs: number;
}

/**
 * The generator could not build an aggregate for these parameters within its restart or time
 * budget: usually a geometrically infeasible (Df, kf, σ) combination.
 */
export class GenerationError extends UserError {
  override name = 'GenerationError';
  constructor(
    message: string,
    readonly params: ModelParams,
    readonly restarts: number,
    readonly elapsedMs: number,
  ) {
    super(message);
  }
}

/**
 * Particle–cluster sub-cluster size N_sub (FracVAL's rule): 5 for N ≤ 50, 0.1·N below 500, else 50.
 * The number of sub-clusters is max(2, ⌊N / N_sub⌋), so the last merge is always cluster–cluster.
 */
export function subClusterSize(n: number): number {
  return n <= 50 ? 5 : n < 500 ? Math.round(0.1 * n) : 50;
}

/** The fractal law's Rg for N particles: a (N / kf)^(1/Df), a = geometric-mean radius. */
export function fractalLawRg(nParticles: number, meanRadiusGeo: number, fractalDim: number, prefactor: number): number {
  return meanRadiusGeo * Math.pow(nParticles / prefactor, 1 / fractalDim);
}

/**
 * Draws one hetero-aggregate from the model.
 *
 * Construction (see README "3D model"):
 * 1. Radii per material from lognormals truncated to [median/σ², median·σ²] (FracVAL's
 *    truncation), exactly nB = round(fractionB·N) particles of B.
 * 2. Labels are laid out over max(2, ⌊N/N_sub⌋) sub-cluster blocks (see *segregation* below).
 * 3. Each block grows particle by particle (particle–cluster); the monomer is placed at the distance
 *    Γ from the cluster's centre of mass that gives the sub-cluster the target Rg, touching one
 *    cluster particle: a point on the circle sphere(CM, Γ) ∩ sphere(x_i, (r_i + r_k)(1 − ε)).
 *    Intermediate targets use the mass-equivalent count: a (n_eff/kf)^(1/Df), n_eff = W / w̄.
 * 4. Clusters merge pairwise in rounds (cluster–cluster), partners of similar size, with Γ from
 *    `W²Rg² = W(W1 Rg1² + W2 Rg2²) + Γ² W1 W2` using the measured Rg of both parts (volume weights
 *    w = r³, solid spheres). Contacts are placed analytically: the second centre of mass on a
 *    spherical zone around the first, the contact on a circle, a random spin. Each cluster tries
 *    several partners; frustrated clusters pass to the next round; the construction restarts only
 *    when a whole round merges nothing.
 * 5. The final merge targets `Rg = a (N/kf)^(1/Df)` (a = geometric-mean radius of the realised
 *    radii), which the finished aggregate meets to rounding error. Small-n clamps of the target are
 *    allowed inside sub-clusters only (counted in `quality.clamps`).
 * 6. A uniformly random rotation, centred at the volume-weighted centre of mass.
 *
 * *Overlap* ε applies at the joining contacts only: d = (ri + rj)(1 − ε); all other pairs stay
 * apart. *Segregation* s moves the mixing index M = f_het/p0 monotonically from ≈ 1 (s = 0) towards
 * 0 (s = 1), with exact composition, through three levers that all scale with s:
 * - block purity: labels start sorted (A then B) over the sub-cluster blocks; each position keeps its
 *   sorted label with probability s, the others are shuffled among themselves;
 * - contact choice: a joining contact between different materials is chosen with weight 1 − s
 *   relative to same-material contacts (sub-clusters and cluster–cluster merges);
 * - pairing: with probability s a cluster only pairs with a cluster of its own majority material
 *   (waiting a round if those are busy), so at s = 1 the A and B domains meet in one final merge.
 *
 * Restarts keep the drawn radii and labels (so the size distributions are not conditioned on
 * success) and redo the geometry. Same (params, stream) → bit-identical aggregate; the clock only
 * decides when to give up (and fills `quality.elapsedMs`).
 * Throws {@link GenerationError} when no aggregate is found within the restart or time budget.
 */
export function generateAggregate(params: ModelParams, rng: RandomStream, opts: GenerateOptions = {}): Aggregate {
  const t0 = performance.now();
  const p = validateModelParams(params);
  const deadlineMs = opts.deadlineMs ?? GENERATE_DEFAULTS.deadlineMs;
  const maxRestarts = opts.maxRestarts ?? GENERATE_DEFAULTS.maxRestarts;
  if (!(deadlineMs > 0)) throw new RangeError(`generateAggregate: deadlineMs must be > 0, got ${deadlineMs}`);
  if (!(Number.isInteger(maxRestarts) && maxRestarts >= 0)) throw new RangeError(`generateAggregate: maxRestarts must be an integer >= 0, got ${maxRestarts}`);

  const b = new Builder(p, rng, t0 + deadlineMs);
  let restarts = 0;
  for (;;) {
    let ok: boolean;
    try {
      ok = b.build();
    } catch (e) {
      if (e instanceof DeadlineExceeded) {
        const ms = performance.now() - t0;
        throw new GenerationError(
          `could not generate an aggregate for ${describe(p)} within the deadline of ${deadlineMs} ms ` +
            `(${restarts} restarts, ${b.attempts} placement trials, stuck in ${b.stage}); ` +
            `this (Df, kf, σ) combination is probably geometrically infeasible: lower kf for high Df, or raise kf for low Df`,
          p, restarts, ms,
        );
      }
      throw e;
    }
    if (ok) break;
    if (restarts >= maxRestarts) {
      const ms = performance.now() - t0;
      throw new GenerationError(
        `could not generate an aggregate for ${describe(p)}: ${restarts + 1} constructions failed (${b.failure}; ` +
          `${b.attempts} placement trials, ${ms.toFixed(0)} ms); ` +
          `this (Df, kf, σ) combination is probably geometrically infeasible: lower kf for high Df, or raise kf for low Df`,
        p, restarts, ms,
      );
    }
    restarts++;
  }
  const particles = b.finish();
  const q = measureAggregateQuality(particles.x, particles.y, particles.z, particles.r, b.contactI, b.contactJ, p);
  const contacts: Array<[number, number]> = [];
  for (let k = 0; k < b.nContacts; k++) {
    const i = b.contactI[k]!, j = b.contactJ[k]!;
    contacts.push(i < j ? [i, j] : [j, i]);
  }
  const quality: GenerationQuality = {
    maxOverlap: q.maxOverlap,
    maxIntendedOverlapError: q.maxIntendedOverlapError,
    rgRelError: q.rgRelError,
    restarts,
    clamps: b.clamps,
    attempts: b.attempts,
    contacts,
    elapsedMs: +(performance.now() - t0).toFixed(3),
  };
  return {
    id: opts.id ?? `agg-${rng.key.slice(0, 12)}`,
    seed: opts.seed ?? rng.key,
    params: p,
    particles,
    quality,
  };
}

function describe(p: ModelParams): string {
  return `N = ${p.nParticles}, Df = ${p.fractalDim}, kf = ${p.prefactor}, σA = ${p.radiusSigmaA}, σB = ${p.radiusSigmaB}, overlap = ${p.overlap}`;
}

class DeadlineExceeded extends Error {}

/**
 * Recomputes from scratch what the generator promises: Rg against the law, the largest overlap of a
 * non-intended pair (hash grid), and the deviation of the intended contacts from ε.
 */
export function measureAggregateQuality(
  x: Float64Array, y: Float64Array, z: Float64Array, r: Float64Array,
  contactI: Int32Array, contactJ: Int32Array, params: ModelParams,
): { maxOverlap: number; maxIntendedOverlapError: number; rgRelError: number } {
  const n = x.length;
  let W = 0, sx = 0, sy = 0, sz = 0, sumLog = 0, rmax = 0;
  for (let i = 0; i < n; i++) {
    const w = r[i]! ** 3;
    W += w; sx += w * x[i]!; sy += w * y[i]!; sz += w * z[i]!;
    sumLog += Math.log(r[i]!);
    if (r[i]! > rmax) rmax = r[i]!;
  }
  const cx = sx / W, cy = sy / W, cz = sz / W;
  let q = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - cx, dy = y[i]! - cy, dz = z[i]! - cz;
    q += r[i]! ** 3 * (dx * dx + dy * dy + dz * dz + SOLID_SPHERE * r[i]! * r[i]!);
  }
  const rg = Math.sqrt(q / W);
  const law = fractalLawRg(n, Math.exp(sumLog / n), params.fractalDim, params.prefactor);

  // Intended partners of each particle as compressed rows (degrees are small; cheaper than a Set).
  const rowStart = new Int32Array(n + 1);
  for (let k = 0; k < contactI.length; k++) rowStart[Math.min(contactI[k]!, contactJ[k]!) + 1]!++;
  for (let i = 0; i < n; i++) rowStart[i + 1]! += rowStart[i]!;
  const partner = new Int32Array(contactI.length);
  const fill = rowStart.slice(0, n);
  let maxIntendedOverlapError = 0;
  for (let k = 0; k < contactI.length; k++) {
    const i = Math.min(contactI[k]!, contactJ[k]!), j = Math.max(contactI[k]!, contactJ[k]!);
    partner[fill[i]!++] = j;
    const d = dist(x[i]! - x[j]!, y[i]! - y[j]!, z[i]! - z[j]!);
    const c = (r[i]! + r[j]! - d) / (r[i]! + r[j]!);
    maxIntendedOverlapError = Math.max(maxIntendedOverlapError, Math.abs(c - params.overlap));
  }
  const g = createSphereGrid(n, 2 * rmax);
  const all = new Int32Array(n);
  for (let i = 0; i < n; i++) all[i] = i;
  fillSphereGrid(g, all, n, x, y, z);
  let maxOverlap = 0;
  for (let i = 0; i < n; i++) {
    const ix = Math.floor(x[i]! * g.inv), iy = Math.floor(y[i]! * g.inv), iz = Math.floor(z[i]! * g.inv);
    for (let ddx = -1; ddx <= 1; ddx++) for (let ddy = -1; ddy <= 1; ddy++) for (let ddz = -1; ddz <= 1; ddz++) {
      const bk = bucketOf(ix + ddx, iy + ddy, iz + ddz, g.mask);
      for (let t = g.start[bk]!, e = g.start[bk + 1]!; t < e; t++) {
        const j = g.items[t]!;
        if (j <= i) continue;
        let isIntended = false;
        for (let e = rowStart[i]!; e < rowStart[i + 1]!; e++) if (partner[e] === j) isIntended = true;
        if (isIntended) continue;
        const d = dist(x[i]! - x[j]!, y[i]! - y[j]!, z[i]! - z[j]!);
        const c = (r[i]! + r[j]! - d) / (r[i]! + r[j]!);
        if (c > maxOverlap) maxOverlap = c;
      }
    }
  }
  return { maxOverlap, maxIntendedOverlapError, rgRelError: Math.abs(rg / law - 1) };
}

/** Euclidean length (Math.hypot is several times slower and its extra range is not needed here). */
function dist(dx: number, dy: number, dz: number): number {
  return Math.sqrt(dx * dx + dy * dy + dz * dz);
}

/** Orthonormal vectors (p, q) perpendicular to unit vector (vx, vy, vz), written to out[0..6). */
function perpBasis(vx: number, vy: number, vz: number, out: Float64Array): void {
  // Cross with the coordinate axis least aligned with v, for a well-conditioned result.
  const ax = Math.abs(vx), ay = Math.abs(vy), az = Math.abs(vz);
  let px: number, py: number, pz: number;
  if (ax <= ay && ax <= az) { px = 0; py = vz; pz = -vy; }
  else if (ay <= az) { px = -vz; py = 0; pz = vx; }
  else { px = vy; py = -vx; pz = 0; }
  const inv = 1 / Math.sqrt(px * px + py * py + pz * pz);
  px *= inv; py *= inv; pz *= inv;
  out[0] = px; out[1] = py; out[2] = pz;
  out[3] = vy * pz - vz * py; out[4] = vz * px - vx * pz; out[5] = vx * py - vy * px;
}

/**
 * Mutable state of one construction. Structure of arrays over particles; clusters are linked lists
 * through `next`, so a merge concatenates in O(1) without allocating.
 */
class Builder {
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
  private minSlot = 0;
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
  private checkCounter = 0;

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
  private tick(): void {
    if ((++this.checkCounter & 7) === 0 && performance.now() > this.deadlineAt) throw new DeadlineExceeded();
  }

  /** Target Rg of a cluster of total volume weight W (n_eff = W / w̄; exactly N for the final merge). */
  private targetRg(W: number, final: boolean): number {
    const nEff = final ? this.n : W / this.wbar;
    return this.a * Math.pow(nEff / this.kf, this.invDf);
  }

  /** Weight of a joining contact between materials mi and mj (segregation prefers same material). */
  private contactWeight(mi: number, mj: number): number {
    return mi === mj ? 1 : 1 - this.seg;
  }

  /** Efraimidis–Spirakis key: sorting by it descending samples without replacement ∝ weight. */
  private weightedKey(weight: number): number {
    const u = this.rng.double();
    return weight > 0 ? (weight === 1 ? u : Math.pow(u, 1 / weight)) : u - 1;
  }

  /** One full construction; false if it got stuck (the caller restarts). */
  build(): boolean {
    this.nContacts = 0;
    this.clamps = 0;
    this.stage = 'particle–cluster growth';
    for (let c = 0; c < this.nBlocks; c++) {
      if (!this.growSubCluster(c)) {
        this.failure = `a particle–cluster sub-cluster could not place a particle without overlap`;
        return false;
      }
    }
    this.stage = 'cluster–cluster merging';
    return this.mergeClusters();
  }

  /** Recomputes W, centre of mass and W·Rg² of cluster c from its members (two passes, exact). */
  private measure(c: number): void {
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

  private addContact(i: number, j: number): void {
    this.contactI[this.nContacts] = i;
    this.contactJ[this.nContacts] = j;
    this.nContacts++;
  }

  /** Grows block c particle by particle (random order) into sub-cluster c. */
  private growSubCluster(c: number): boolean {
    const { x, y, z, r, mat, next, rng, idx1, d1, keys, eps } = this;
    const s0 = this.blockStart[c]!, s1 = this.blockStart[c + 1]!;
    const order = this.idx2; // scratch: this block's positions in random addition order
    const nb = s1 - s0;
    for (let k = 0; k < nb; k++) order[k] = s0 + k;
    shuffleInPlace(rng, order.subarray(0, nb));

    const p0 = order[0]!, p1 = order[1]!;
    x[p0] = 0; y[p0] = 0; z[p0] = 0;
    const u = unitVector(rng);
    const s = (r[p0]! + r[p1]!) * (1 - eps);
    x[p1] = s * u[0]; y[p1] = s * u[1]; z[p1] = s * u[2];
    next[p0] = p1; next[p1] = -1;
    this.head[c] = p0; this.tail[c] = p1; this.count[c] = 2;
    this.countB[c] = mat[p0]! + mat[p1]!;
    this.tag[c] = mat[p0]!;
    this.addContact(p0, p1);
    this.measure(c);
    idx1[0] = p0; idx1[1] = p1;

    for (let k = 2; k < nb; k++) {
      this.tick();
      const pk = order[k]!;
      const rk = r[pk]!, wk = this.w[pk]!, mk = mat[pk]!;
      const n1 = k;
      const W1 = this.cW[c]!, cx = this.cx[c]!, cy = this.cy[c]!, cz = this.cz[c]!;
      const W = W1 + wk;
      const rt = this.targetRg(W, false);
      const g2 = (W * W * rt * rt - W * (this.cS[c]! + wk * SOLID_SPHERE * rk * rk)) / (W1 * wk);
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
            keys[m] = this.weightedKey(this.contactWeight(mat[i]!, mk));
            nFeasible++;
          } else keys[m] = -Infinity;
        }
      }
      if (clamped) this.clamps++;
      let placed = false;
      for (let tries = 0; tries < nFeasible && !placed; tries++) {
        let bm = -1, bk = -Infinity;
        for (let m = 0; m < n1; m++) if (keys[m]! > bk) { bk = keys[m]!; bm = m; }
        if (bm < 0) break;
        keys[bm] = -Infinity;
        placed = this.placeMonomer(c, pk, idx1[bm]!, d1[bm]!, gamma, n1);
      }
      if (!placed) {
        if (!clamped) this.clamps++;
        if (!this.placeMonomerFallback(c, pk, gamma, n1)) return false;
      }
      // Link pk into the cluster.
      next[this.tail[c]!] = pk; next[pk] = -1; this.tail[c] = pk;
      this.count[c]!++;
      this.countB[c]! += mk;
      idx1[k] = pk;
      this.measure(c);
    }
    return true;
  }

  /** True if a sphere at (px, py, pz) of radius pr overlaps any of idx1[0..n1) except `skip`. */
  private overlapsMembers(px: number, py: number, pz: number, pr: number, n1: number, skip: number): boolean {
    const { x, y, z, r, idx1 } = this;
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
  private placeMonomer(c: number, pk: number, i: number, di: number, gamma: number, n1: number): boolean {
    const { x, y, z, r, rng, basis } = this;
    const cx = this.cx[c]!, cy = this.cy[c]!, cz = this.cz[c]!;
    const s = (r[i]! + r[pk]!) * (1 - this.eps);
    const ex = (x[i]! - cx) / di, ey = (y[i]! - cy) / di, ez = (z[i]! - cz) / di;
    let ct = gamma > 0 ? (gamma * gamma + di * di - s * s) / (2 * gamma * di) : 1;
    ct = ct > 1 ? 1 : ct < -1 ? -1 : ct;
    const st = Math.sqrt(1 - ct * ct);
    perpBasis(ex, ey, ez, basis);
    for (let t = 0; t < PC_AZIMUTHS; t++) {
      this.attempts++;
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
      if (this.overlapsMembers(px, py, pz, r[pk]!, n1, i)) continue;
      x[pk] = px; y[pk] = py; z[pk] = pz;
      this.addContact(i, pk);
      return true;
    }
    return false;
  }

  /**
   * Fallback when no contact realises Γ without overlap: among random overlap-free contacts with
   * any member, keep the one whose distance from the CM is closest to Γ.
   */
  private placeMonomerFallback(c: number, pk: number, gamma: number, n1: number): boolean {
    const { x, y, z, r, rng, idx1, mat } = this;
    const cx = this.cx[c]!, cy = this.cy[c]!, cz = this.cz[c]!;
    // Prefer same-material contacts in the first half of the draws, if the cluster has any.
    const mk = mat[pk]!;
    const hasSame = mk === 1 ? this.countB[c]! > 0 : this.countB[c]! < this.count[c]!;
    let best = Infinity, bx = 0, by = 0, bz = 0, bi = -1;
    for (let t = 0; t < PC_FALLBACK_DRAWS; t++) {
      this.attempts++;
      const m = Math.floor(rng.double() * n1);
      const i = idx1[m]!;
      if (hasSame && t < PC_FALLBACK_DRAWS / 2 && mat[i] !== mk && rng.double() >= this.contactWeight(mat[i]!, mk)) continue;
      const s = (r[i]! + r[pk]!) * (1 - this.eps);
      const uz = 2 * rng.double() - 1, phi = 2 * Math.PI * rng.double(), rho = s * Math.sqrt(1 - uz * uz);
      const px = x[i]! + rho * Math.cos(phi), py = y[i]! + rho * Math.sin(phi), pz = z[i]! + s * uz;
      const err = Math.abs(dist(px - cx, py - cy, pz - cz) - gamma);
      if (err >= best || this.overlapsMembers(px, py, pz, r[pk]!, n1, i)) continue;
      best = err; bx = px; by = py; bz = pz; bi = i;
    }
    if (bi < 0) return false;
    x[pk] = bx; y[pk] = by; z[pk] = bz;
    this.addContact(bi, pk);
    return true;
  }

  /** Cluster–cluster rounds until one cluster is left; false if a round merged nothing. */
  private mergeClusters(): boolean {
    const { rng } = this;
    let alive: number[] = [];
    for (let c = 0; c < this.nBlocks; c++) alive.push(c);
    const paired = new Uint8Array(this.nBlocks);
    while (alive.length > 1) {
      const k = alive.length;
      shuffleInPlace(rng, alive); // random tie-break among equal weights (stable sort below)
      const order = alive.slice().sort((u, v) => this.cW[u]! - this.cW[v]!);
      paired.fill(0);
      const dead = new Uint8Array(this.nBlocks);
      let merges = 0;
      for (let q = 0; q < k; q++) {
        const c = order[q]!;
        if (paired[c] || dead[c]) continue;
        const restricted = rng.double() < this.seg;
        let cands = this.partners(order, q, paired, dead, restricted);
        if (cands === null) continue; // waits: its own material's clusters are busy this round
        if (cands.length === 0 && restricted) cands = this.partners(order, q, paired, dead, false) ?? [];
        for (const d of cands) {
          this.tick();
          const kept = this.tryMerge(c, d, k === 2);
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
        this.failure = `no cluster–cluster merge succeeded in a round of ${k} clusters`;
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
  private partners(order: number[], q: number, paired: Uint8Array, dead: Uint8Array, restricted: boolean): number[] | null {
    const c = order[q]!;
    const out: number[] = [];
    let sameBusy = false;
    let lo = q - 1, hi = q + 1;
    const lc = Math.log(this.cW[c]!);
    while (out.length < PARTNERS_PER_ROUND && (lo >= 0 || hi < order.length)) {
      let pick: number;
      if (lo < 0) pick = hi++;
      else if (hi >= order.length) pick = lo--;
      else pick = Math.abs(Math.log(this.cW[order[lo]!]!) - lc) <= Math.abs(Math.log(this.cW[order[hi]!]!) - lc) ? lo-- : hi++;
      const d = order[pick]!;
      if (dead[d]) continue;
      if (restricted && this.tag[d] !== this.tag[c]) continue;
      if (paired[d]) { sameBusy ||= this.tag[d] === this.tag[c]; continue; }
      out.push(d);
    }
    if (restricted && out.length === 0 && sameBusy) return null;
    return out;
  }

  /**
   * Tries to join clusters ca and cb at the Γ of the exact Rg identity. Returns the id of the merged
   * cluster (the larger, static one), or −1 if no overlap-free placement was found.
   */
  private tryMerge(ca: number, cb: number, final: boolean): number {
    const st = this.count[ca]! >= this.count[cb]! ? ca : cb;
    const mv = st === ca ? cb : ca;
    const { x, y, z, r, next, idx1, idx2, d1, d2, l1, l2, eps, rng, mat } = this;
    const W1 = this.cW[st]!, W2 = this.cW[mv]!, W = W1 + W2;
    const rt = this.targetRg(W, final);
    const g2 = (W * W * rt * rt - W * (this.cS[st]! + this.cS[mv]!)) / (W1 * W2);
    if (!(g2 > 0)) return -1;
    const gamma = Math.sqrt(g2);
    const c1x = this.cx[st]!, c1y = this.cy[st]!, c1z = this.cz[st]!;
    const c2x = this.cx[mv]!, c2y = this.cy[mv]!, c2z = this.cz[mv]!;

    let n1 = 0, dmax1 = 0, rmax1 = 0;
    for (let p = this.head[st]!; p >= 0; p = next[p]!) {
      idx1[n1] = p;
      const d = dist(x[p]! - c1x, y[p]! - c1y, z[p]! - c1z);
      d1[n1++] = d;
      if (d > dmax1) dmax1 = d;
      if (r[p]! > rmax1) rmax1 = r[p]!;
    }
    let n2 = 0, dmax2 = 0, rmax2 = 0;
    for (let p = this.head[mv]!; p >= 0; p = next[p]!) {
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

    fillSphereGrid(this.grid, idx1, n1, x, y, z);
    this.mSt = st; this.mMv = mv; this.mGamma = gamma; this.mN2 = n2;
    // Material preference only matters if the two clusters share a material.
    const shareB = this.countB[st]! > 0 && this.countB[mv]! > 0;
    const shareA = this.countB[st]! < this.count[st]! && this.countB[mv]! < this.count[mv]!;
    const heteroWeight = shareA || shareB ? 1 - this.seg : 1;

    // Lazy random pairs first: in easy regimes the first feasible pair usually works.
    let tried = 0;
    if (m1 * m2 > PAIRS_PER_MERGE) {
      const budget = 16 * PAIRS_PER_MERGE;
      for (let t = 0; t < budget && tried < PAIRS_PER_MERGE; t++) {
        const a = l1[Math.floor(rng.double() * m1)]!, b = l2[Math.floor(rng.double() * m2)]!;
        if (!this.pairFeasible(a, b, gamma)) continue;
        if (heteroWeight < 1 && mat[idx1[a]!] !== mat[idx2[b]!] && !(rng.double() < heteroWeight)) continue;
        tried++;
        if (this.tryPair(a, b)) return st;
      }
    }
    if (tried >= PAIRS_PER_MERGE || m1 * m2 > FULL_SCAN_MAX_PAIRS) return -1;
    // Small or narrow feasible sets: scan them all, try in weighted random order.
    const nPairs = this.collectAllPairs(gamma, m1, m2, heteroWeight);
    const pairKey = this.pairKey;
    for (let t = 0; t < nPairs && tried < PAIRS_PER_MERGE; t++, tried++) {
      let bq = 0;
      for (let q = 1; q < nPairs; q++) if (pairKey[q]! > pairKey[bq]!) bq = q;
      pairKey[bq] = -Infinity;
      if (this.tryPair(this.pairI[bq]!, this.pairJ[bq]!)) return st;
    }
    return -1;
  }

  // Context of the merge attempt in progress (set by tryMerge, read by tryPair).
  private mSt = 0;
  private mMv = 0;
  private mGamma = 0;
  private mN2 = 0;

  /**
   * Random placements of the moving cluster with particle idx2[bb] touching idx1[a] at the current
   * Γ; on the first overlap-free one the clusters are joined and true is returned.
   */
  private tryPair(a: number, bb: number): boolean {
    const { x, y, z, r, next, idx1, idx2, d1, d2, eps, rng, tf, basis, basis2 } = this;
    const st = this.mSt, mv = this.mMv, gamma = this.mGamma, n2 = this.mN2;
    const c1x = this.cx[st]!, c1y = this.cy[st]!, c1z = this.cz[st]!;
    const c2x = this.cx[mv]!, c2y = this.cy[mv]!, c2z = this.cz[mv]!;
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
    this.orderByDistance(n2, j);
    const pox = basis2[0]!, poy = basis2[1]!, poz = basis2[2]!, qox = basis2[3]!, qoy = basis2[4]!, qoz = basis2[5]!;
    for (let draw = 0; draw < DRAWS_PER_PAIR; draw++) {
      if ((draw & 7) === 7) this.tick();
      this.attempts++;
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
      if (this.movingOverlaps(n2, i, j)) continue;
      // Accept: move cluster mv, link it into st.
      for (let m = 0; m < n2; m++) {
        const pp = idx2[m]!;
        const rx = x[pp]! - c2x, ry = y[pp]! - c2y, rz = z[pp]! - c2z;
        x[pp] = nx + tf[0]! * rx + tf[1]! * ry + tf[2]! * rz;
        y[pp] = ny + tf[3]! * rx + tf[4]! * ry + tf[5]! * rz;
        z[pp] = nz + tf[6]! * rx + tf[7]! * ry + tf[8]! * rz;
      }
      this.addContact(i, j);
      next[this.tail[st]!] = this.head[mv]!;
      this.tail[st] = this.tail[mv]!;
      this.count[st]! += this.count[mv]!;
      this.countB[st]! += this.countB[mv]!;
      if (this.countB[st]! * 2 === this.count[st]!) this.tag[st] = this.cW[st]! >= this.cW[mv]! ? this.tag[st]! : this.tag[mv]!;
      this.measure(st);
      return true;
    }
    return false;
  }

  /**
   * All feasible contact pairs (indices into idx1/idx2) of the filtered lists l1 × l2, keeping the
   * PAIRS_PER_MERGE with the largest weighted random keys (Efraimidis–Spirakis reservoir).
   */
  private collectAllPairs(gamma: number, m1: number, m2: number, heteroWeight: number): number {
    const { l1, l2 } = this;
    let found = 0;
    for (let u = 0; u < m1; u++) {
      const a = l1[u]!;
      for (let v = 0; v < m2; v++) {
        const b = l2[v]!;
        if (this.pairFeasible(a, b, gamma)) found = this.offerPair(a, b, found, heteroWeight);
      }
    }
    return Math.min(found, PAIRS_PER_MERGE);
  }

  private pairFeasible(a: number, b: number, gamma: number): boolean {
    const di = this.d1[a]!, dj = this.d2[b]!;
    const s = (this.r[this.idx1[a]!]! + this.r[this.idx2[b]!]!) * (1 - this.eps);
    const lo = Math.max(di - dj - s, Math.abs(dj - s) - di, 0);
    return gamma >= lo && gamma <= di + dj + s;
  }

  /** Adds pair (a, b) to the keyed reservoir of size PAIRS_PER_MERGE; returns the new count. */
  private offerPair(a: number, b: number, found: number, heteroWeight: number): number {
    const key = this.weightedKey(this.mat[this.idx1[a]!] === this.mat[this.idx2[b]!] ? 1 : heteroWeight);
    const { pairI, pairJ, pairKey } = this;
    if (found < PAIRS_PER_MERGE) {
      pairI[found] = a; pairJ[found] = b; pairKey[found] = key;
      if (found === 0 || key < pairKey[this.minSlot]!) this.minSlot = found;
      return found + 1;
    }
    if (key > pairKey[this.minSlot]!) {
      const q = this.minSlot;
      pairI[q] = a; pairJ[q] = b; pairKey[q] = key;
      // Rescan only after a replacement (rare once the reservoir holds high keys).
      let mq = 0;
      for (let t = 1; t < PAIRS_PER_MERGE; t++) if (pairKey[t]! < pairKey[mq]!) mq = t;
      this.minSlot = mq;
    }
    return found + 1;
  }


  /** Fills near2[0..n2) with the moving cluster's particles sorted by distance from particle j. */
  private orderByDistance(n2: number, j: number): void {
    const { x, y, z, idx2, near2, keys } = this;
    for (let m = 0; m < n2; m++) {
      const p = idx2[m]!;
      near2[m] = p;
      keys[p] = (x[p]! - x[j]!) ** 2 + (y[p]! - y[j]!) ** 2 + (z[p]! - z[j]!) ** 2;
    }
    near2.subarray(0, n2).sort((a, b) => keys[a]! - keys[b]!);
  }

  /** True if the moving cluster under transform `tf` overlaps the static one (grid), except (i, j). */
  private movingOverlaps(n2: number, i: number, j: number): boolean {
    const { x, y, z, r, near2, tf, grid } = this;
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

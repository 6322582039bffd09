/**
 * The stochastic 3D hetero-aggregate generator: a tunable hierarchical aggregation in the spirit of
 * FracVAL (Morán et al., Comput. Phys. Commun. 239 (2019) 225), written from the published
 * equations (FracVAL, PyFracVAL and MCAC are GPL; no code of theirs was translated). Differences
 * from FracVAL: the MEASURED Rg of both parts enters every merge, which makes every finished
 * aggregate obey the fractal law exactly; pairing backtracks; a deadline bounds the run time; and a
 * hetero layer places two materials with controllable segregation.
 */
import { UserError } from '../errors.js';
import type { RandomStream } from '../random/index.js';
import { Builder, DeadlineExceeded } from './builder.js';
import { mergeClusters } from './cluster-cluster.js';
import { growSubCluster } from './particle-cluster.js';
import { validateModelParams } from './params.js';
import { measureAggregateQuality } from './quality.js';
import type { Aggregate, AggregateQuality, ModelParams } from './types.js';

export { fractalLawRg, subClusterSize } from './geometry.js';
export { measureAggregateQuality } from './quality.js';

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
      ok = build(b);
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


/** One full construction; false if it got stuck (the caller restarts). */
function build(b: Builder): boolean {
  b.nContacts = 0;
  b.clamps = 0;
  b.stage = 'particle–cluster growth';
  for (let c = 0; c < b.nBlocks; c++) {
    if (!growSubCluster(b, c)) {
      b.failure = `a particle–cluster sub-cluster could not place a particle without overlap`;
      return false;
    }
  }
  b.stage = 'cluster–cluster merging';
  return mergeClusters(b);
}

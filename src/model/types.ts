/**
 * The data every later stage reads: a hetero-aggregate is a set of spheres of two materials.
 * Lengths are in nm; material 0 = A (TiO2), 1 = B (WO3).
 */

/** Material code of a particle. */
export const MATERIAL_A = 0;
/** Material code of a particle. */
export const MATERIAL_B = 1;

/**
 * Parameters of the stochastic 3D hetero-aggregate model (docs/model.md). Lengths in nm.
 */
export interface ModelParams {
  /** Number of primary particles N. */
  nParticles: number;
  /** Number fraction of material B (WO3). */
  fractionB: number;
  /** Lognormal median radius of material A particles, nm. */
  radiusMedianA: number;
  /** Lognormal median radius of material B particles, nm. */
  radiusMedianB: number;
  /** Lognormal geometric standard deviation of the A radii (≥ 1). */
  radiusSigmaA: number;
  /** Lognormal geometric standard deviation of the B radii (≥ 1). */
  radiusSigmaB: number;
  /** Fractal dimension Df of the law N = kf (Rg/a)^Df. */
  fractalDim: number;
  /** Fractal prefactor kf. */
  prefactor: number;
  /** 0 = materials mixed at random, 1 = single-material domains. */
  segregation: number;
  /** Sintering overlap ε at the joining contacts: d = (ri + rj)(1 − ε). */
  overlap: number;
}

/** Names of the model parameters, in canonical order. */
export const MODEL_PARAM_NAMES = [
  'nParticles',
  'fractionB',
  'radiusMedianA',
  'radiusMedianB',
  'radiusSigmaA',
  'radiusSigmaB',
  'fractalDim',
  'prefactor',
  'segregation',
  'overlap',
] as const satisfies readonly (keyof ModelParams)[];

export type ModelParamName = (typeof MODEL_PARAM_NAMES)[number];

/** Spheres as structure-of-arrays (the form the simulator and descriptors read). Lengths in nm. */
export interface Particles {
  x: Float64Array;
  y: Float64Array;
  z: Float64Array;
  /** Radius, nm. */
  r: Float64Array;
  /** 0 = A, 1 = B. */
  material: Uint8Array;
}

/** Per-aggregate quality record written by the generator. */
export interface AggregateQuality {
  /** Max over all pairs of (ri + rj − dij)/(ri + rj), recomputed from scratch (intended overlaps excluded). */
  maxOverlap: number;
  /** |Rg / (a (N/kf)^(1/Df)) − 1| recomputed from scratch. */
  rgRelError: number;
  /** Restarts of the whole construction. */
  restarts: number;
  /** Max over the intended (joining) contacts of |(ri + rj − dij)/(ri + rj) − ε| (generator output). */
  maxIntendedOverlapError?: number;
  /** Small-n Rg-target clamps inside particle–cluster sub-clusters (never in cluster–cluster merges). */
  clamps?: number;
  /** Placement trials (orientations tested for overlap), over all restarts. */
  attempts?: number;
  /** The N − 1 intended contacts (the spanning tree of joins) as particle-index pairs. */
  contacts?: Array<[number, number]>;
  /** Wall-clock generation time, ms (the only non-reproducible field). */
  elapsedMs?: number;
  [key: string]: unknown;
}

/** A generated (or imported) aggregate: the JSON Lines record of docs/model.md. */
export interface Aggregate {
  id: string;
  /** The seed (stream key or user seed) that reproduces this aggregate. */
  seed: string;
  params: ModelParams;
  particles: Particles;
  quality: AggregateQuality;
}

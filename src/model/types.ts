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
  /**
   * Domain morphology of B (docs/model.md, "Domains"; optional, absent or 0 = off, the original
   * construction): mean number of B particles per single-material B domain. When on, a share
   * `segregation` of the B particles grows in separate domains (each flame's own primary
   * aggregates) that then co-aggregate with the A network; the rest is dispersed among A.
   */
  domainSizeB?: number;
  /** Fractal dimension of the B domains' own growth (default: `fractalDim`); near 3 = compact. */
  domainFractalDimB?: number;
  /** Fractal prefactor of the B domains' own growth (default: `prefactor`). */
  domainPrefactorB?: number;
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

/**
 * Names of the optional domain-morphology parameters, in canonical order after
 * {@link MODEL_PARAM_NAMES}. A parameter set or prior carries them only when it uses them, so
 * every earlier parameter set, dataset table and file keeps its exact bytes.
 */
export const MORPHOLOGY_PARAM_NAMES = ['domainSizeB', 'domainFractalDimB', 'domainPrefactorB'] as const satisfies readonly (keyof ModelParams)[];

/** A parameter every parameter set has. */
export type CoreParamName = (typeof MODEL_PARAM_NAMES)[number];
/** An optional domain-morphology parameter. */
export type MorphologyParamName = (typeof MORPHOLOGY_PARAM_NAMES)[number];
/** Any model parameter's name. */
export type ModelParamName = CoreParamName | MorphologyParamName;

/** Every parameter name, core then morphology, in canonical order. */
export const ALL_PARAM_NAMES: readonly ModelParamName[] = [...MODEL_PARAM_NAMES, ...MORPHOLOGY_PARAM_NAMES];

/** The names `obj` (a parameter set or a prior) carries, in canonical order: the core ones, then the morphology ones it has. */
export function paramNamesOf(obj: Readonly<Partial<Record<ModelParamName, unknown>>>): ModelParamName[] {
  return [...MODEL_PARAM_NAMES, ...MORPHOLOGY_PARAM_NAMES.filter((n) => obj[n] !== undefined)];
}

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

/**
 * The value a parameter takes in a construction: the given one, or for an absent morphology
 * parameter its default (domainSizeB 0 = off, the domains' Df and kf those of the aggregate).
 */
export function paramValue(params: Readonly<ModelParams>, name: ModelParamName): number {
  const v = params[name];
  if (v !== undefined) return v;
  return name === 'domainFractalDimB' ? params.fractalDim : name === 'domainPrefactorB' ? params.prefactor : 0;
}

/**
 * One flat record of structural descriptors per aggregate (docs/descriptors.md), with canonical column
 * names, units and descriptions for tables and plots.
 */
import type { Particles } from '../model/types.js';
import { randomStream, type RandomStream } from '../random/index.js';
import { contactGraph, heteroCoordination, homoDomains, CONTACT_REL_TOL } from './contacts.js';
import { geometricMeanRadius, pairCountDimension } from './fractal.js';
import { DEFAULT_DENSITIES_G_CM3, gyration, particleWeights, phaseSeparation, principalFrame, type MaterialDensities } from './gyration.js';
import { DEFAULT_HULL_POINTS_PER_SPHERE, sphereHull } from './hull.js';
import { checkParticles } from './input.js';
import { DEFAULT_PROJECTIONS, meanProjectedArea, projectionDirections } from './projection.js';
import { unionVolume } from './volume.js';

/** Unit and one-line meaning of a descriptor. */
export interface DescriptorInfo {
  /** Unit ('' for dimensionless numbers and counts). */
  unit: string;
  description: string;
}

/**
 * Every descriptor in canonical column order, with unit and definition. Conventions: contact when
 * d_ij ≤ (r_i + r_j)(1 + 1e-6); material A = 0 (TiO2), B = 1 (WO3); Rg and centroids use solid
 * spheres (Rg² = Σ w(|x − c|² + 3/5 r²)/Σ w).
 */
export const DESCRIPTOR_INFO = {
  nParticles: { unit: '', description: 'number of primary particles N' },
  nA: { unit: '', description: 'number of material-A (TiO2) particles N_A' },
  nB: { unit: '', description: 'number of material-B (WO3) particles N_B' },
  radiusGeoMeanNm: { unit: 'nm', description: 'geometric-mean radius a = exp(mean ln r), the reference length of the fractal law' },
  contacts: { unit: '', description: 'number of contacts E (pairs with d ≤ (r_i + r_j)(1 + 1e-6))' },
  meanCoordination: { unit: '', description: 'mean coordination number CN = 2E/N' },
  heteroContacts: { unit: '', description: 'number of A–B contacts E_AB' },
  cnHet: { unit: '', description: 'hetero-coordination number CN_het = 2 E_AB / N' },
  cnHetPerA: { unit: '', description: 'B neighbours per A particle, E_AB / N_A (NaN if N_A = 0)' },
  cnHetPerB: { unit: '', description: 'A neighbours per B particle, E_AB / N_B (NaN if N_B = 0)' },
  heteroContactFraction: { unit: '', description: 'hetero-contact fraction f_het = E_AB / E (NaN if E = 0)' },
  mixingIndex: { unit: '', description: 'mixing index M = f_het / p0, p0 = 2 N_A N_B / (N(N − 1)); 1 random, < 1 segregated, > 1 alternating; 0 if one material is absent, NaN if E = 0' },
  domainsA: { unit: '', description: 'number of A homo-domains (connected components of A–A contacts)' },
  domainsB: { unit: '', description: 'number of B homo-domains' },
  largestDomainFractionA: { unit: '', description: 'largest A domain / N_A (NaN if N_A = 0)' },
  largestDomainFractionB: { unit: '', description: 'largest B domain / N_B (NaN if N_B = 0)' },
  meanDomainSize: { unit: '', description: 'mean homo-domain size over both materials, N / (domainsA + domainsB)' },
  rgVolumeNm: { unit: 'nm', description: 'volume-weighted radius of gyration (weights r³, solid-sphere term 3/5 r²)' },
  rgMassNm: { unit: 'nm', description: 'mass-weighted radius of gyration (weights ρ r³; ρ_A = 3.9, ρ_B = 7.16 g/cm³ by default)' },
  gyrationEigen1Nm2: { unit: 'nm²', description: 'largest eigenvalue λ1 of the volume-weighted gyration tensor G = Σ w[(x−c)(x−c)ᵀ + r²/5 I]/Σ w' },
  gyrationEigen2Nm2: { unit: 'nm²', description: 'middle eigenvalue λ2 of G' },
  gyrationEigen3Nm2: { unit: 'nm²', description: 'smallest eigenvalue λ3 of G (λ1 + λ2 + λ3 = Rg²)' },
  asphericityNm2: { unit: 'nm²', description: 'asphericity b = λ1 − (λ2 + λ3)/2 (Theodorou & Suter 1985)' },
  relativeShapeAnisotropy: { unit: '', description: 'relative shape anisotropy κ² = 1 − 3(λ1λ2 + λ2λ3 + λ3λ1)/(λ1 + λ2 + λ3)²: 0 sphere-like, → 1 rod' },
  fractalDimPairCount: { unit: '', description: 'pair-count fractal dimension: slope of ln #{pairs d < r} vs ln r over [4a, Rg] (biased low by finite size; NaN if Rg ≤ 4a)' },
  phaseSeparation: { unit: '', description: 'distance of the A and B volume-weighted centroids / rgVolumeNm (NaN if a material is absent)' },
  particleVolumeNm3: { unit: 'nm³', description: 'volume of the union of spheres (spheres inside others dropped, then sphere volumes minus pairwise lens volumes; a lower bound when three spheres share a point)' },
  hullVolumeNm3: { unit: 'nm³', description: 'volume of the convex hull of the union of spheres (sampled, a lower bound within the stated bound)' },
  hullAreaNm2: { unit: 'nm²', description: 'surface area of the convex hull (sampled, a lower bound)' },
  solidity: { unit: '', description: 'particleVolumeNm3 / hullVolumeNm3 (porosity = 1 − solidity); the sampled hull is a lower bound, so nearly convex aggregates can exceed 1 by the hull sampling error' },
  maxExtentNm: { unit: 'nm', description: 'maximum extent D_max = max_ij (d_ij + r_i + r_j), exact' },
  meanProjectedAreaNm2: { unit: 'nm²', description: 'mean area of the orthographic projection (exact union of discs) over K random orientations' },
  projectedAreaDiameterNm: { unit: 'nm', description: 'projected-area-equivalent diameter d_pa = √(4 A / π) of the mean projected area' },
} as const satisfies Record<string, DescriptorInfo>;

/** Name of a descriptor column. */
export type DescriptorName = keyof typeof DESCRIPTOR_INFO;

/** Descriptor names in canonical column order. */
export const DESCRIPTOR_NAMES = Object.keys(DESCRIPTOR_INFO) as DescriptorName[];

/** One aggregate's descriptors: a flat record of numbers (NaN where undefined, see DESCRIPTOR_INFO). */
export type Descriptors = Record<DescriptorName, number>;

/** Options of {@link describeAggregate}. */
export interface DescribeOptions {
  /**
   * Random stream for the projection orientations (default: a fixed stream, so results are
   * reproducible either way).
   */
  rng?: RandomStream;
  /** Number of projection orientations K (default 64). */
  projections?: number;
  /**
   * Explicit projection directions (packed [x0, y0, z0, …], in lab coordinates); overrides `rng`
   * and `projections`.
   */
  directions?: ArrayLike<number>;
  /** Lattice points per sphere for the convex hull (default 128). */
  hullPointsPerSphere?: number;
  /** Densities for the mass-weighted Rg, g/cm³ (default TiO2 3.9, WO3 7.16). */
  densities?: MaterialDensities;
  /** Relative contact tolerance (default 1e-6). */
  contactRelTol?: number;
}

/**
 * All structural descriptors of one aggregate (see {@link DESCRIPTOR_INFO} for definitions).
 * Deterministic given the options' rng. Hull sampling and projection orientations are taken in
 * the aggregate's principal frame, so every descriptor is invariant under rotations and
 * translations of the input (up to rounding; see `principalFrame` for symmetric aggregates).
 */
export function describeAggregate(p: Particles, opts: DescribeOptions = {}): Descriptors {
  const n = checkParticles(p, 'describeAggregate');
  const graph = contactGraph(p, opts.contactRelTol ?? CONTACT_REL_TOL);
  const het = heteroCoordination(graph, p.material);
  const dom = homoDomains(graph, p.material);
  const wV = particleWeights(p, 'volume');
  const gV = gyration(p, wV);
  const gM = gyration(p, particleWeights(p, 'mass', opts.densities ?? DEFAULT_DENSITIES_G_CM3));
  const frame = principalFrame(p, gV, wV);
  const hull = sphereHull(p, { pointsPerSphere: opts.hullPointsPerSphere ?? DEFAULT_HULL_POINTS_PER_SPHERE, frame });
  const volume = unionVolume(p, graph);
  const a = geometricMeanRadius(p.r);
  const df = pairCountDimension(p, { rangeNm: [4 * a, gV.rgNm] });
  const dirs = opts.directions ?? projectionDirections(opts.rng ?? randomStream('aggstem-describe-projections'), opts.projections ?? DEFAULT_PROJECTIONS, frame);
  const area = meanProjectedArea(p, dirs);
  const [l1, l2, l3] = gV.eigenvaluesNm2;
  return {
    nParticles: n,
    nA: het.nA,
    nB: het.nB,
    radiusGeoMeanNm: a,
    contacts: het.edges,
    meanCoordination: (2 * het.edges) / n,
    heteroContacts: het.heteroEdges,
    cnHet: het.cnHet,
    cnHetPerA: het.cnHetPerA,
    cnHetPerB: het.cnHetPerB,
    heteroContactFraction: het.heteroFraction,
    mixingIndex: het.mixingIndex,
    domainsA: dom.countA,
    domainsB: dom.countB,
    largestDomainFractionA: dom.largestFractionA,
    largestDomainFractionB: dom.largestFractionB,
    meanDomainSize: dom.meanSize,
    rgVolumeNm: gV.rgNm,
    rgMassNm: gM.rgNm,
    gyrationEigen1Nm2: l1,
    gyrationEigen2Nm2: l2,
    gyrationEigen3Nm2: l3,
    asphericityNm2: gV.asphericityNm2,
    relativeShapeAnisotropy: gV.relativeShapeAnisotropy,
    fractalDimPairCount: df.df,
    phaseSeparation: phaseSeparation(p, gV.rgNm),
    particleVolumeNm3: volume,
    hullVolumeNm3: hull.volumeNm3,
    hullAreaNm2: hull.areaNm2,
    solidity: volume / hull.volumeNm3,
    maxExtentNm: hull.maxExtentNm,
    meanProjectedAreaNm2: area,
    projectedAreaDiameterNm: Math.sqrt((4 * area) / Math.PI),
  };
}

/**
 * Structural descriptors of hetero-aggregates (docs/descriptors.md): contact graph, coordination and
 * hetero-coordination, mixing index, homo-domains, radius of gyration and gyration tensor, fractal
 * dimension estimates, convex hull and solidity, projected area, maximum extent, phase separation.
 *
 * Start with {@link describeAggregate} (one flat record per aggregate; column order in
 * {@link DESCRIPTOR_NAMES}, units and definitions in {@link DESCRIPTOR_INFO}); the building blocks
 * below are exported for notebooks and finer control. Lengths in nm.
 */
export { describeAggregate, DESCRIPTOR_INFO, DESCRIPTOR_NAMES } from './describe.js';
export type { DescribeOptions, DescriptorInfo, DescriptorName, Descriptors } from './describe.js';
export { contactGraph, coordination, heteroCoordination, homoDomains, CONTACT_REL_TOL } from './contacts.js';
export type { ContactGraph, Coordination, HeteroCoordination, HomoDomains } from './contacts.js';
export { gyration, particleWeights, principalFrame, phaseSeparation, symmetricEigen3, DEFAULT_DENSITIES_G_CM3 } from './gyration.js';
export type { Gyration, MaterialDensities, SymmetricEigen3 } from './gyration.js';
export { pairCountDimension, fitFractalLaw, geometricMeanRadius } from './fractal.js';
export type { PairCountFit, PairCountOptions, FractalLawFit } from './fractal.js';
export { lensVolume, unionVolume } from './volume.js';
export { sphereHull, fibonacciSphere, fibonacciInradius, maxExtentBruteForce, DEFAULT_HULL_POINTS_PER_SPHERE } from './hull.js';
export type { SphereHull, SphereHullOptions } from './hull.js';
export { projectedArea, meanProjectedArea, projectionDirections, circleUnionArea, DEFAULT_PROJECTIONS } from './projection.js';

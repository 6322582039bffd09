/** Tuning constants of the generator's construction (shared by its phases). */
/** Rg² of a solid sphere of radius r is (3/5) r². */
export const SOLID_SPHERE = 0.6;
/** Relative tolerance of the non-overlap test for pairs that are not intended contacts. */
export const OVERLAP_TOL = 1e-10;
/** Candidate contact pairs tried per cluster–cluster merge attempt. */
export const PAIRS_PER_MERGE = 64;
/** Random orientations (zone point, contact-circle angle, spin) tried per candidate pair. */
export const DRAWS_PER_PAIR = 32;
/** Partners a cluster tries in one cluster–cluster round before it is passed on to the next round. */
export const PARTNERS_PER_ROUND = 4;
/** Largest candidate-pair set scanned exhaustively (beyond it, random draws only: bounded time). */
export const FULL_SCAN_MAX_PAIRS = 1 << 22;
/** Random azimuths tried per candidate when a monomer joins a particle–cluster sub-cluster. */
export const PC_AZIMUTHS = 16;
/** Random contacts sampled by the particle–cluster "closest overlap-free contact" fallback. */
export const PC_FALLBACK_DRAWS = 128;

/**
 * Geometry shared by the generator's phases and its quality check: distances, an orthonormal basis,
 * the fractal law and FracVAL's sub-cluster size. docs/model.md.
 */
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


/** Euclidean length (Math.hypot is several times slower and its extra range is not needed here). */
export function dist(dx: number, dy: number, dz: number): number {
  return Math.sqrt(dx * dx + dy * dy + dz * dz);
}

/** Orthonormal vectors (p, q) perpendicular to unit vector (vx, vy, vz), written to out[0..6). */
export function perpBasis(vx: number, vy: number, vz: number, out: Float64Array): void {
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

/**
 * A reusable uniform spatial hash grid over a subset of the particles, for the generator's overlap
 * tests. Unlike `src/descriptors`' grid it owns preallocated buffers, so rebuilding it for every
 * cluster–cluster merge allocates nothing.
 */

/** Hash grid with cubic cells of side `cell`; bucket b holds items[start[b] .. start[b + 1]). */
export interface SphereGrid {
  /** Cell side, nm (≥ the largest sum of two radii, so a query only visits the 27 cells around it). */
  cell: number;
  /** 1 / cell. */
  inv: number;
  /** Table size − 1 (a power of two minus one). */
  mask: number;
  start: Int32Array;
  items: Int32Array;
  /** Scratch: bucket of each inserted item. */
  bucket: Int32Array;
}

/** Grid buffers for up to `capacity` particles; `cell` must be ≥ 2 r_max. */
export function createSphereGrid(capacity: number, cell: number): SphereGrid {
  let size = 64;
  while (size < 2 * capacity) size *= 2;
  return { cell, inv: 1 / cell, mask: size - 1, start: new Int32Array(size + 1), items: new Int32Array(capacity), bucket: new Int32Array(capacity) };
}

/** Bucket of integer cell (ix, iy, iz) (three large primes, as in Teschner et al. 2003). */
export function cellBucket(ix: number, iy: number, iz: number, mask: number): number {
  return (Math.imul(ix, 73856093) ^ Math.imul(iy, 19349663) ^ Math.imul(iz, 83492791)) & mask;
}

/**
 * Fills the grid with particles `idx[0..n)` (global indices into x, y, z). The table size adapts to
 * n so clearing stays O(n).
 */
export function fillSphereGrid(g: SphereGrid, idx: Int32Array, n: number, x: Float64Array, y: Float64Array, z: Float64Array): void {
  let size = 64;
  while (size < 2 * n && size * 2 <= g.start.length - 1) size *= 2;
  g.mask = size - 1;
  const { start, items, bucket, inv } = g;
  start.fill(0, 0, size + 1);
  for (let m = 0; m < n; m++) {
    const p = idx[m]!;
    const b = cellBucket(Math.floor(x[p]! * inv), Math.floor(y[p]! * inv), Math.floor(z[p]! * inv), g.mask);
    bucket[m] = b;
    start[b]!++;
  }
  // Inclusive prefix sums, then fill backwards: start[b] ends as the first slot of bucket b.
  for (let b = 1; b < size; b++) start[b]! += start[b - 1]!;
  start[size] = n;
  for (let m = n - 1; m >= 0; m--) items[--start[bucket[m]!]!] = idx[m]!;
}

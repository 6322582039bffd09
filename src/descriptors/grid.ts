/**
 * Uniform spatial hash grid for neighbour searches among spheres.
 *
 * Cells are cubes of side `cellSize`; a cell's integer coordinates are hashed into a power-of-two
 * table (so a long diagonal chain costs O(N) memory, not O(extent³)), and particles are
 * counting-sorted by bucket. A query visits the 27 cells around a particle and skips bucket
 * entries whose stored cell differs (hash collisions), so no candidate is seen twice.
 */
export interface HashGrid {
  readonly cellSize: number;
  readonly originX: number;
  readonly originY: number;
  readonly originZ: number;
  /** Integer cell coordinates of each particle. */
  readonly cx: Int32Array;
  readonly cy: Int32Array;
  readonly cz: Int32Array;
  /** Bucket b holds items[start[b] .. start[b+1]). */
  readonly start: Int32Array;
  readonly items: Int32Array;
  readonly mask: number;
}

/** Bucket of cell (ix, iy, iz). */
export function bucketOf(grid: HashGrid, ix: number, iy: number, iz: number): number {
  return (Math.imul(ix, 73856093) ^ Math.imul(iy, 19349663) ^ Math.imul(iz, 83492791)) & grid.mask;
}

/** Builds a hash grid over points (x, y, z) with cubic cells of side `cellSize` (> 0). */
export function buildHashGrid(x: ArrayLike<number>, y: ArrayLike<number>, z: ArrayLike<number>, cellSize: number): HashGrid {
  const n = x.length;
  if (!(cellSize > 0) || !Number.isFinite(cellSize)) throw new RangeError(`buildHashGrid: cellSize must be a finite number > 0, got ${cellSize}`);
  let ox = Infinity, oy = Infinity, oz = Infinity;
  for (let i = 0; i < n; i++) {
    if (x[i]! < ox) ox = x[i]!;
    if (y[i]! < oy) oy = y[i]!;
    if (z[i]! < oz) oz = z[i]!;
  }
  if (n === 0) ox = oy = oz = 0;
  let size = 16;
  while (size < 2 * n) size *= 2;
  const grid = {
    cellSize, originX: ox, originY: oy, originZ: oz,
    cx: new Int32Array(n), cy: new Int32Array(n), cz: new Int32Array(n),
    start: new Int32Array(size + 1), items: new Int32Array(n), mask: size - 1,
  };
  const bucket = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const ix = Math.floor((x[i]! - ox) / cellSize), iy = Math.floor((y[i]! - oy) / cellSize), iz = Math.floor((z[i]! - oz) / cellSize);
    grid.cx[i] = ix; grid.cy[i] = iy; grid.cz[i] = iz;
    const b = bucketOf(grid, ix, iy, iz);
    bucket[i] = b;
    grid.start[b + 1]!++;
  }
  for (let b = 0; b < size; b++) grid.start[b + 1]! += grid.start[b]!;
  const fill = grid.start.slice(0, size);
  for (let i = 0; i < n; i++) grid.items[fill[bucket[i]!]!++] = i;
  return grid;
}

/**
 * Calls `visit(j)` once for every particle j in the 27 cells around particle i's cell (including
 * i itself). Candidates still need an exact distance test.
 */
export function forEachNearby(grid: HashGrid, i: number, visit: (j: number) => void): void {
  const ix = grid.cx[i]!, iy = grid.cy[i]!, iz = grid.cz[i]!;
  for (let dx = -1; dx <= 1; dx++) {
    for (let dy = -1; dy <= 1; dy++) {
      for (let dz = -1; dz <= 1; dz++) {
        const jx = ix + dx, jy = iy + dy, jz = iz + dz;
        const b = bucketOf(grid, jx, jy, jz);
        for (let k = grid.start[b]!, e = grid.start[b + 1]!; k < e; k++) {
          const j = grid.items[k]!;
          if (grid.cx[j] === jx && grid.cy[j] === jy && grid.cz[j] === jz) visit(j);
        }
      }
    }
  }
}

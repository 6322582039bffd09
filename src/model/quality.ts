/** The generator's promises, re-measured from the finished spheres (docs/model.md, "quality"). */
import { cellBucket, createSphereGrid, fillSphereGrid } from './grid.js';
import * as K from './construction-constants.js';
import { dist as distImported, fractalLawRg } from './geometry.js';
import type { ModelParams } from './types.js';

// Constants as local bindings (tsx turns imported names into getter calls in hot loops).
const { SOLID_SPHERE } = K;

// Local bindings: module-transpiling loaders (tsx) turn imported calls into getter calls in hot loops.
const dist = distImported;

const bucketOf = cellBucket;

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

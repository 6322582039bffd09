/**
 * Element maps of a model aggregate: the simulator's per-material projected thickness on a field
 * that holds the whole aggregate. An EDX map's signal is proportional to the projected amount of
 * each element, so these are EDX maps without noise; `mapStatistics` blurs them like the real ones.
 */
import type { Particles } from '../model/types.js';
import { projectThickness } from '../stem/simulate.js';
import { MapInputError, type MaterialMaps } from './classify.js';

/** Options of {@link elementMapsOf}. */
export interface ElementMapOptions {
  /** Pixel size, nm (default 0.625, the published DFSP maps'). */
  pixelSizeNm?: number;
  /** Free border around the projected aggregate, nm (default 10). */
  marginNm?: number;
  /** Rotation applied before projecting along z (row-major 3 × 3; default identity). */
  rotation?: ArrayLike<number>;
}

/**
 * The two element maps (projected thickness of A and of B, nm) of `particles`, on a square field
 * centred on the aggregate and just large enough to hold it (at most 8192 px a side).
 *
 * @example
 * const maps = elementMapsOf(aggregate.particles, { pixelSizeNm: 0.625 });
 * mapStatistics(maps).solidityB;
 */
export function elementMapsOf(particles: Particles, opts: ElementMapOptions = {}): MaterialMaps {
  const px = opts.pixelSizeNm ?? 0.625;
  const margin = opts.marginNm ?? 10;
  if (!(px > 0 && Number.isFinite(px))) throw new MapInputError(`pixelSizeNm = ${px}; expected a positive number`);
  if (!(margin >= 0 && Number.isFinite(margin))) throw new MapInputError(`marginNm = ${margin}; expected a length >= 0`);
  const n = particles.r.length;
  // Extent in the projection plane after the rotation (projectThickness centres the bounding box).
  const R = opts.rotation ?? [1, 0, 0, 0, 1, 0, 0, 0, 1];
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = particles.x[i]!, y = particles.y[i]!, z = particles.z[i]!, r = particles.r[i]!;
    const u = R[0]! * x + R[1]! * y + R[2]! * z, v = R[3]! * x + R[4]! * y + R[5]! * z;
    x0 = Math.min(x0, u - r); x1 = Math.max(x1, u + r); y0 = Math.min(y0, v - r); y1 = Math.max(y1, v + r);
  }
  const half = n ? Math.max(x1 - x0, y1 - y0) / 2 : 0;
  const side = Math.ceil((2 * (half + margin)) / px);
  if (side > 8192) throw new MapInputError(`the aggregate spans ${(2 * half).toFixed(0)} nm: ${side} px at ${px} nm/px is more than the 8192 px a side this renders`);
  const t = projectThickness(particles, { widthPx: side, heightPx: side, pixelSizeNm: px }, { rotation: R, center: true });
  return { a: t.thicknessANm, b: t.thicknessBNm, widthPx: side, heightPx: side, pixelSizeNm: px };
}

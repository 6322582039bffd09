/**
 * Digital twins: 3D aggregates drawn from the model at the predicted parameters whose simulated
 * projections best match the observed image on 2D statistics (projected area, 2D radius of
 * gyration, intensity distribution). They are plausible 3D structures behind a 2D image, to render,
 * export and measure in 3D.
 *
 * Observed and candidate images go through the same aggregate detection (threshold + largest
 * component on the model's pixel grid), so noise and blur affect both sides alike.
 */
import { binImage } from '../image/bin.js';
import { generateAggregate, GenerationError } from '../model/generate.js';
import type { Aggregate, ModelParams } from '../model/types.js';
import { findAggregate } from '../preprocess/index.js';
import { deriveStream, randomStream, type Seed } from '../random/index.js';
import { simulateImage, type MicroscopeConfig } from '../stem/index.js';
import { wasserstein1 } from './metrics.js';

/** 2D statistics of a projected aggregate. */
export interface ProjectionStats {
  /** Area of the detected aggregate, nm². */
  areaNm2: number;
  /** 2D radius of gyration of the detected aggregate's pixels, nm. */
  rg2dNm: number;
  /** Background-subtracted intensities of the aggregate's pixels at 5 %, 10 %, …, 95 %. */
  intensityQuantiles: Float64Array;
}

const QUANTILES = Array.from({ length: 19 }, (_, i) => 0.05 * (i + 1));

/** Statistics of the aggregate in a size × size image at `pixelSizeNm`, or null when none is found. */
export function projectionStats(image: Float32Array, size: number, pixelSizeNm: number): ProjectionStats | null {
  const agg = findAggregate(image, size, size);
  if (!agg) return null;
  let n = 0, sx = 0, sy = 0;
  const vals: number[] = [];
  for (let p = 0; p < agg.mask.length; p++) {
    if (!agg.mask[p]) continue;
    const x = p % size, y = (p - x) / size;
    n++; sx += x; sy += y;
    vals.push(image[p]! - agg.background.level);
  }
  const cx = sx / n, cy = sy / n;
  let s2 = 0;
  for (let p = 0; p < agg.mask.length; p++) {
    if (!agg.mask[p]) continue;
    const x = p % size, y = (p - x) / size;
    s2 += (x - cx) ** 2 + (y - cy) ** 2;
  }
  vals.sort((a, b) => a - b);
  const q = Float64Array.from(QUANTILES, (f) => vals[Math.min(vals.length - 1, Math.floor(f * vals.length))]!);
  return { areaNm2: n * pixelSizeNm ** 2, rg2dNm: Math.sqrt(s2 / n) * pixelSizeNm, intensityQuantiles: q };
}

/**
 * Dissimilarity of two projections: |ln(area ratio)| + |ln(Rg₂D ratio)| + the Wasserstein distance
 * between the intensity quantiles relative to the observed median intensity. 0 for identical
 * statistics; each term is scale-free, so none dominates by its unit.
 */
export function projectionDistance(observed: ProjectionStats, candidate: ProjectionStats): number {
  const med = Math.max(1e-12, Math.abs(observed.intensityQuantiles[9]!));
  return (
    Math.abs(Math.log(candidate.areaNm2 / observed.areaNm2)) +
    Math.abs(Math.log(candidate.rg2dNm / observed.rg2dNm)) +
    wasserstein1(observed.intensityQuantiles, candidate.intensityQuantiles) / med
  );
}

/** Options of {@link digitalTwins}. */
export interface DigitalTwinOptions {
  /** Twins to keep (default 5). */
  keep?: number;
  /** Candidates to draw (default 20 × keep). */
  candidates?: number;
  /** Seed of the candidate draws (default 0). */
  seed?: Seed;
  /** Generator deadline per candidate, ms (default 10 000). */
  deadlineMs?: number;
  onProgress?: (done: number, total: number) => void;
}

/** One digital twin. */
export interface DigitalTwin {
  aggregate: Aggregate;
  /** Its simulated (noisy) image on the model's grid. */
  image: Float32Array;
  stats: ProjectionStats;
  /** {@link projectionDistance} to the observed image (smaller is closer). */
  distance: number;
}

/** Result of {@link digitalTwins}. */
export interface DigitalTwinResult {
  observed: ProjectionStats;
  /** Best first. */
  twins: DigitalTwin[];
  /** Candidates drawn, and those the generator could not build or whose projection showed no aggregate. */
  candidates: number;
  failed: number;
}

/**
 * Draws candidate aggregates at `params`, simulates each with `microscope` (then bins to the
 * observed image's grid), and keeps the `keep` whose projection statistics are closest to the
 * observed image's. `observed` is size × size at `pixelSizeNm` (the CNN input grid), which must be
 * an integer multiple of the microscope's pixel size.
 */
export function digitalTwins(observed: Float32Array, size: number, pixelSizeNm: number, params: ModelParams, microscope: MicroscopeConfig, opts: DigitalTwinOptions = {}): DigitalTwinResult {
  const keep = opts.keep ?? 5;
  const total = opts.candidates ?? 20 * keep;
  if (!(Number.isInteger(keep) && keep >= 1 && Number.isInteger(total) && total >= keep)) {
    throw new RangeError(`digitalTwins: need integers 1 <= keep <= candidates, got keep ${keep}, candidates ${total}`);
  }
  const binning = Math.round(pixelSizeNm / microscope.pixelSizeNm);
  if (binning < 1 || Math.abs(binning * microscope.pixelSizeNm - pixelSizeNm) > 1e-6 * pixelSizeNm || microscope.widthPx !== size * binning || microscope.heightPx !== size * binning) {
    throw new RangeError(`digitalTwins: the observed grid (${size} px at ${pixelSizeNm} nm) is not the microscope's ${microscope.widthPx}×${microscope.heightPx} px at ${microscope.pixelSizeNm} nm binned by an integer factor`);
  }
  const obs = projectionStats(observed, size, pixelSizeNm);
  if (!obs) throw new RangeError('digitalTwins: no aggregate found in the observed image');
  const root = randomStream(opts.seed ?? 0, 'twins');
  const found: DigitalTwin[] = [];
  let failed = 0;
  for (let k = 0; k < total; k++) {
    const s = deriveStream(root, k);
    let aggregate: Aggregate;
    try {
      aggregate = generateAggregate(params, deriveStream(s, 'aggregate'), { deadlineMs: opts.deadlineMs ?? 10_000, id: `twin-${k}` });
    } catch (e) {
      if (!(e instanceof GenerationError)) throw e;
      failed++;
      opts.onProgress?.(k + 1, total);
      continue;
    }
    const img = simulateImage(aggregate.particles, microscope, deriveStream(s, 'image'));
    const image = binImage(img.noisy, microscope.widthPx, microscope.heightPx, binning);
    const stats = projectionStats(image, size, pixelSizeNm);
    if (!stats) failed++;
    else found.push({ aggregate, image, stats, distance: projectionDistance(obs, stats) });
    opts.onProgress?.(k + 1, total);
  }
  found.sort((a, b) => a.distance - b.distance);
  return { observed: obs, twins: found.slice(0, keep), candidates: total, failed };
}

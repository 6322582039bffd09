/**
 * Posterior-predictive check of a real element map: the same statistics measured on element maps of
 * aggregates drawn from the model (at one parameter point, or over a prior), and where the real
 * value falls in that distribution. docs/maps.md.
 */
import { generateAggregate, GenerationError } from '../model/generate.js';
import { samplePrior, validateModelParams, validateModelPrior, type ModelPrior } from '../model/params.js';
import type { ModelParams } from '../model/types.js';
import { deriveStream, randomStream, type Seed } from '../random/index.js';
import { MapInputError } from './classify.js';
import { elementMapsOf } from './render.js';
import { MAP_STATISTIC_NAMES, mapStatistics, mapStatisticsRecord, type MapStatistics, type MapStatisticsOptions } from './statistics.js';

/** What the model is drawn from: one parameter point or a prior. */
export type ModelSource = { params: ModelParams } | { prior: ModelPrior };

/** Options of {@link predictiveCheck}. */
export interface PredictiveCheckOptions extends MapStatisticsOptions {
  /** Model aggregates to draw (default 40). */
  count?: number;
  /** Seed of the draws (default 0). */
  seed?: Seed;
  /** Pixel size of the rendered model maps, nm (default: the real map's). */
  pixelSizeNm?: number;
  /** Called after each drawn aggregate. */
  onProgress?: (done: number, total: number) => void;
}

/** One statistic: the real value against the model's draws. */
export interface PredictiveRow {
  statistic: string;
  observed: number;
  modelMedian: number;
  modelLow5: number;
  modelHigh95: number;
  /** Share of model values below the observed one (ties count half): 0.5 = typical, near 0 or 1 = unusual. */
  percentile: number;
}

/** The result of {@link predictiveCheck}. */
export interface PredictiveCheck {
  rows: PredictiveRow[];
  /** Model draws used (failed generations are redrawn up to twice, then skipped and counted). */
  draws: number;
  failed: number;
  seed: string;
}

/**
 * Measures `count` model aggregates' element maps with the same options as the real map and places
 * each real statistic in their distribution.
 *
 * @example
 * const real = mapStatistics(mapsFromOverlay('map.png', { pixelSizeNm: 0.625 }));
 * predictiveCheck(real, { prior: DFSP_PRIOR }, { count: 40 }).rows;
 */
export function predictiveCheck(real: MapStatistics, source: ModelSource, opts: PredictiveCheckOptions = {}): PredictiveCheck {
  const count = opts.count ?? 40;
  if (!(Number.isInteger(count) && count >= 2 && count <= 10000)) throw new MapInputError(`count = ${count}; expected an integer in [2, 10000]`);
  const seed = String(opts.seed ?? 0);
  const prior = 'prior' in source ? validateModelPrior(source.prior) : null;
  const fixed = 'params' in source ? validateModelParams(source.params) : null;
  const px = opts.pixelSizeNm ?? real.pixelSizeNm;
  const stats: Record<string, number>[] = [];
  let failed = 0;
  for (let i = 0; i < count; i++) {
    let done = false;
    for (let attempt = 0; attempt < 3 && !done; attempt++) {
      const s = randomStream(seed, 'edx-compare', i, attempt);
      const params = fixed ?? samplePrior(prior!, deriveStream(s, 'params'));
      try {
        const agg = generateAggregate(params, deriveStream(s, 'aggregate'));
        stats.push(mapStatisticsRecord(mapStatistics(elementMapsOf(agg.particles, { pixelSizeNm: px }), { ...real.options, ...stripUndefined(opts) })));
        done = true;
      } catch (e) {
        if (!(e instanceof GenerationError)) throw e;
      }
    }
    if (!done) failed++;
    opts.onProgress?.(i + 1, count);
  }
  const observed = mapStatisticsRecord(real);
  const rows = MAP_STATISTIC_NAMES.map((name) => {
    const v = stats.map((s) => s[name]!).filter(Number.isFinite).sort((x, y) => x - y);
    const o = observed[name];
    const q = (p: number) => (v.length ? v[Math.min(v.length - 1, Math.max(0, Math.round(p * (v.length - 1))))]! : NaN);
    const below = v.filter((x) => x < o).length, equal = v.filter((x) => x === o).length;
    return { statistic: name, observed: o, modelMedian: q(0.5), modelLow5: q(0.05), modelHigh95: q(0.95), percentile: v.length && Number.isFinite(o) ? (below + equal / 2) / v.length : NaN };
  });
  return { rows, draws: stats.length, failed, seed };
}

function stripUndefined(o: PredictiveCheckOptions): MapStatisticsOptions {
  const out: Record<string, unknown> = {};
  for (const k of ['smoothPx', 'threshold', 'normalisePercentile', 'minDomainDiameterNm'] as const) if (o[k] !== undefined) out[k] = o[k];
  return out as MapStatisticsOptions;
}

/**
 * The two routes from an image to the imaged aggregate's descriptors, side by side:
 *
 * - **θ route** (the paper's): predict θ̂, draw aggregates at θ̂, take E[D | θ̂];
 * - **direct route**: the network's own descriptor heads predict D of the imaged aggregate.
 *
 * Both are scored against the ground-truth aggregate, beside the prior-mean baseline and the
 * perfect-θ floor (E[D | θ] with the TRUE θ: the best any θ route can do, limited by the model's
 * own randomness at that θ).
 */
import * as aq from 'arquero';
import { pitCoverage } from './calibration.js';
import type { DescriptorDraws } from './errors.js';
import { descriptorSampleTable } from './errors.js';
import { finite, median, r2Score, relativeError } from './metrics.js';

/** Direct descriptor predictions for n test samples × Q descriptors (row-major), raw units. */
export interface DirectDescriptorPredictions {
  names: readonly string[];
  truth: Float64Array;
  mean: Float64Array;
  median: Float64Array;
  lower68: Float64Array;
  upper68: Float64Array;
  lower95: Float64Array;
  upper95: Float64Array;
  /** Posterior CDF at the truth (PIT). */
  pit: Float64Array;
}

function col(a: Float64Array, Q: number, j: number): Float64Array {
  return Float64Array.from({ length: a.length / Q }, (_, i) => a[i * Q + j]!);
}

/**
 * One row per directly predicted descriptor: median relative error against the ground truth by the
 * direct route, by the θ route (when draws exist for it), the perfect-θ floor, the prior-mean
 * baseline (a constant `baseline[name]`, E[D | θ̄], scored on all samples), the
 * direct route's R² and its 68 % / 95 % interval coverage. The θ-route columns are over the samples
 * that were drawn (`draws`, possibly a subset: the first `draws.groundTruth.length` samples).
 */
export function descriptorRouteTable(direct: DirectDescriptorPredictions, draws?: DescriptorDraws, baseline?: Readonly<Record<string, number>>): aq.ColumnTable {
  const Q = direct.names.length;
  const long = draws ? (descriptorSampleTable(draws).objects() as Record<string, number | string>[]) : [];
  return aq.from(direct.names.map((name, j) => {
    const t = col(direct.truth, Q, j), m = col(direct.mean, Q, j), md = col(direct.median, Q, j);
    const rel = finite(Float64Array.from(t, (v, i) => relativeError(v, m[i]!)));
    const relMedian = finite(Float64Array.from(t, (v, i) => relativeError(v, md[i]!)));
    const r = long.filter((x) => x.descriptor === name);
    const c = (k: string) => finite(r.map((x) => x[k] as number));
    const pit = col(direct.pit, Q, j);
    const ok = Float64Array.from(t).filter(Number.isFinite);
    const b = baseline?.[name];
    const relBase = b === undefined ? new Float64Array(0) : finite(Float64Array.from(t, (v) => relativeError(v, b)));
    return {
      descriptor: name,
      n: ok.length,
      directMedianRelError: median(rel),
      directMedianRelErrorOfMedian: median(relMedian),
      directR2: r2Score(finite(t), m.filter((_, i) => Number.isFinite(t[i]!))),
      thetaRouteMedianRelError: r.length ? median(c('relErrorVsGroundTruth')) : NaN,
      perfectThetaFloor: r.length ? median(c('modelSpreadVsGroundTruth')) : NaN,
      baselineMedianRelError: relBase.length ? median(relBase) : NaN,
      thetaRouteSamples: r.length,
      coverage68: pitCoverage(pit, 0.68),
      coverage95: pitCoverage(pit, 0.95),
    };
  }));
}

/** Long per-sample table of the direct route: truth, mean, median, intervals, PIT per descriptor. */
export function directSampleTable(direct: DirectDescriptorPredictions): aq.ColumnTable {
  const Q = direct.names.length;
  const n = direct.truth.length / Q;
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    direct.names.forEach((name, j) => {
      const k = i * Q + j;
      out.push({
        sample: i, descriptor: name, truth: direct.truth[k], mean: direct.mean[k], median: direct.median[k],
        lower68: direct.lower68[k], upper68: direct.upper68[k], lower95: direct.lower95[k], upper95: direct.upper95[k], pit: direct.pit[k],
      });
    });
  }
  return aq.from(out);
}

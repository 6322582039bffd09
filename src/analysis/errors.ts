/**
 * The error analysis of docs/error-analysis.md as arquero tables.
 *
 * For every test sample (true θ, ground-truth aggregate G) the estimator predicts θ̂ ± σ̂; K aggregates
 * are drawn at θ̂ and K at θ, and every descriptor D is compared: E[D | θ̂] against E[D | θ] (the
 * prediction error without the model's own randomness), against D(G), and as distributions
 * (Wasserstein distance). A baseline that always predicts the prior mean θ̄ is scored the same way.
 *
 * The draws at θ̂ and at θ use the same random streams (common random numbers), so a perfect predictor
 * gives exactly zero descriptor error against E[D | θ] and exactly the model's own spread against D(G).
 */
import * as aq from 'arquero';
import { pitCoverage } from './calibration.js';
import {
  finite, intervalCoverage, mean, meanAbsoluteError, median, r2Score, relativeError, rmse, wasserstein1,
} from './metrics.js';

/** Parameter predictions for n test samples and P parameters, all in raw units (row-major n × P). */
export interface ParamPredictions {
  names: readonly string[];
  truth: Float64Array;
  mean: Float64Array;
  sd: Float64Array;
  /** The baseline's constant prediction per parameter (the prior mean). */
  baseline: Float64Array;
  /**
   * Posterior CDF at the truth (PIT), n × P. When present, coverages are those of the posterior's
   * own central intervals (quantiles), not of mean ± z·sd.
   */
  pit?: Float64Array;
}

/** Descriptor values of the draws behind the descriptor error analysis. */
export interface DescriptorDraws {
  names: readonly string[];
  /** Per test sample: K × D values (draw-major) of aggregates drawn at the predicted parameters. */
  atPredicted: Float64Array[];
  /** Per test sample: K × D values of aggregates drawn at the true parameters (same streams as atPredicted). */
  atTrue: Float64Array[];
  /** Per test sample: D values of the ground-truth aggregate. */
  groundTruth: Float64Array[];
  /** Kb × D values of aggregates drawn at the baseline parameters (shared by all samples). */
  atBaseline: Float64Array;
}

function column(flat: Float64Array, stride: number, col: number, rows: number): Float64Array {
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) out[i] = flat[i * stride + col]!;
  return out;
}

function checkPredictions(p: ParamPredictions): number {
  const P = p.names.length;
  if (P === 0) throw new RangeError('ParamPredictions: no parameter names');
  if (p.truth.length % P !== 0) throw new RangeError(`ParamPredictions: truth has ${p.truth.length} values, not a multiple of ${P} parameters`);
  const n = p.truth.length / P;
  for (const k of ['mean', 'sd'] as const) {
    if (p[k].length !== n * P) throw new RangeError(`ParamPredictions.${k}: expected ${n * P} values, got ${p[k].length}`);
  }
  if (p.baseline.length !== P) throw new RangeError(`ParamPredictions.baseline: expected ${P} values, got ${p.baseline.length}`);
  return n;
}

/**
 * One row per parameter: R², MAE, RMSE, mean and median relative error, the same for the prior-mean
 * baseline, and the coverage of the predicted 68 % and 95 % intervals.
 */
export function parameterErrorTable(p: ParamPredictions): aq.ColumnTable {
  const n = checkPredictions(p);
  const P = p.names.length;
  const rows = p.names.map((name, j) => {
    const t = column(p.truth, P, j, n), m = column(p.mean, P, j, n), s = column(p.sd, P, j, n);
    const b = new Float64Array(n).fill(p.baseline[j]!);
    const rel = finite(Float64Array.from(t, (v, i) => relativeError(v, m[i]!)));
    const relB = finite(Float64Array.from(t, (v) => relativeError(v, p.baseline[j]!)));
    return {
      parameter: name,
      n,
      r2: r2Score(t, m),
      mae: meanAbsoluteError(t, m),
      rmse: rmse(t, m),
      meanRelError: mean(rel),
      medianRelError: median(rel),
      baselineR2: r2Score(t, b),
      baselineMae: meanAbsoluteError(t, b),
      baselineMedianRelError: median(relB),
      coverage68: p.pit ? pitCoverage(column(p.pit, P, j, n), 0.68) : intervalCoverage(t, m, s, 0.68),
      coverage95: p.pit ? pitCoverage(column(p.pit, P, j, n), 0.95) : intervalCoverage(t, m, s, 0.95),
      meanPredictedSd: mean(s),
    };
  });
  return aq.from(rows);
}

/** Long table (sample, parameter, truth, predicted mean and sd, baseline) for figures. */
export function parameterSampleTable(p: ParamPredictions): aq.ColumnTable {
  const n = checkPredictions(p);
  const P = p.names.length;
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < P; j++) {
      rows.push({ sample: i, parameter: p.names[j], truth: p.truth[i * P + j], predicted: p.mean[i * P + j], sd: p.sd[i * P + j], baseline: p.baseline[j] });
    }
  }
  return aq.from(rows);
}

/**
 * Observed coverage of the predicted central intervals at several nominal levels, per parameter
 * (for the calibration plot): the posterior's quantile intervals when `pit` is given, else the
 * Gaussian mean ± z·sd.
 */
export function calibrationTable(p: ParamPredictions, levels: readonly number[] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.68, 0.7, 0.8, 0.9, 0.95, 0.99]): aq.ColumnTable {
  const n = checkPredictions(p);
  const P = p.names.length;
  const rows: Record<string, unknown>[] = [];
  p.names.forEach((name, j) => {
    const t = column(p.truth, P, j, n), m = column(p.mean, P, j, n), s = column(p.sd, P, j, n);
    const pit = p.pit ? column(p.pit, P, j, n) : null;
    for (const level of levels) rows.push({ parameter: name, nominal: level, observed: pit ? pitCoverage(pit, level) : intervalCoverage(t, m, s, level), n });
  });
  return aq.from(rows);
}

function checkDraws(d: DescriptorDraws): { n: number; D: number } {
  const D = d.names.length;
  const n = d.groundTruth.length;
  if (d.atPredicted.length !== n || d.atTrue.length !== n) {
    throw new RangeError(`DescriptorDraws: ${n} ground truths but ${d.atPredicted.length} predicted and ${d.atTrue.length} true draw sets`);
  }
  for (let i = 0; i < n; i++) {
    if (d.groundTruth[i]!.length !== D) throw new RangeError(`DescriptorDraws.groundTruth[${i}]: expected ${D} values`);
    if (d.atPredicted[i]!.length % D || d.atTrue[i]!.length % D) throw new RangeError(`DescriptorDraws sample ${i}: draw arrays are not a multiple of ${D} descriptors`);
  }
  if (d.atBaseline.length % D) throw new RangeError(`DescriptorDraws.atBaseline is not a multiple of ${D} descriptors`);
  return { n, D };
}

/** Per-sample, per-descriptor comparison rows (the long form behind {@link descriptorErrorTable}). */
export function descriptorSampleTable(d: DescriptorDraws): aq.ColumnTable {
  const { n, D } = checkDraws(d);
  const rows: Record<string, unknown>[] = [];
  // Draws the generator could not build are NaN rows: expectations are over the built draws.
  const baseCols = d.names.map((_, j) => finite(column(d.atBaseline, D, j, d.atBaseline.length / D)));
  const baseMeans = baseCols.map((c) => mean(c));
  for (let i = 0; i < n; i++) {
    const kp = d.atPredicted[i]!.length / D, kt = d.atTrue[i]!.length / D;
    d.names.forEach((name, j) => {
      const pred = finite(column(d.atPredicted[i]!, D, j, kp)), tru = finite(column(d.atTrue[i]!, D, j, kt));
      const ePred = mean(pred), eTrue = mean(tru), gt = d.groundTruth[i]![j]!;
      rows.push({
        sample: i,
        descriptor: name,
        expectedAtPredicted: ePred,
        expectedAtTrue: eTrue,
        groundTruth: gt,
        expectedAtBaseline: baseMeans[j],
        relErrorVsExpected: relativeError(eTrue, ePred),
        relErrorVsGroundTruth: relativeError(gt, ePred),
        modelSpreadVsGroundTruth: relativeError(gt, eTrue),
        wasserstein: wasserstein1(pred, tru),
        baselineRelErrorVsExpected: relativeError(eTrue, baseMeans[j]!),
        baselineRelErrorVsGroundTruth: relativeError(gt, baseMeans[j]!),
        baselineWasserstein: wasserstein1(baseCols[j]!, tru),
      });
    });
  }
  return aq.from(rows);
}

/**
 * One row per descriptor: mean and median relative errors of E[D | θ̂] against E[D | θ] and against
 * the ground truth D(G), the model's own spread (what a perfect predictor scores against D(G)), the
 * mean Wasserstein distance between the draws at θ̂ and at θ, and the same for the prior-mean baseline.
 */
export function descriptorErrorTable(d: DescriptorDraws): aq.ColumnTable {
  const long = descriptorSampleTable(d).objects() as Record<string, number | string>[];
  return aq.from(d.names.map((name) => {
    const rows = long.filter((r) => r.descriptor === name);
    const col = (k: string) => finite(rows.map((r) => r[k] as number));
    return {
      descriptor: name,
      n: rows.length,
      meanRelErrorVsExpected: mean(col('relErrorVsExpected')),
      medianRelErrorVsExpected: median(col('relErrorVsExpected')),
      meanRelErrorVsGroundTruth: mean(col('relErrorVsGroundTruth')),
      medianRelErrorVsGroundTruth: median(col('relErrorVsGroundTruth')),
      medianModelSpreadVsGroundTruth: median(col('modelSpreadVsGroundTruth')),
      meanWasserstein: mean(col('wasserstein')),
      baselineMedianRelErrorVsExpected: median(col('baselineRelErrorVsExpected')),
      baselineMedianRelErrorVsGroundTruth: median(col('baselineRelErrorVsGroundTruth')),
      baselineMeanWasserstein: mean(col('baselineWasserstein')),
    };
  }));
}

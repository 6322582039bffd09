/**
 * Runs the error analysis of a trained estimator on a dataset's test split (docs/error-analysis.md) and builds the
 * report content: predict θ̂ ± σ̂ for every test image, draw K aggregates at θ̂ and K at θ (common
 * random numbers), describe them, and compare against the ground truth stored in the dataset.
 */
import * as aq from 'arquero';
import { Piscina } from 'piscina';
import type { Estimator } from '../cnn/estimator.js';
import { posteriorCdf, predictArrays, predictBatch } from '../cnn/predict.js';
import type { PitValues } from './calibration.js';
import type { DirectDescriptorPredictions } from './routes.js';
import { readImages, readSamples, type Dataset } from '../dataset/loader.js';
import { descriptorColumn } from '../dataset/table.js';
import { DESCRIPTOR_INFO, DESCRIPTOR_NAMES } from '../descriptors/index.js';
import { paramsFromEstimate, priorCentre, thetaToVector } from '../model/theta.js';
import type { ModelParams } from '../model/types.js';
import type { Seed } from '../random/index.js';
import { drawDescriptors, drawKeys, type DrawTask } from './draws.js';
import {
  descriptorErrorTable, descriptorSampleTable, parameterErrorTable, parameterSampleTable,
  type DescriptorDraws, type ParamPredictions,
} from './errors.js';
import { calibrationSpec, descriptorErrorHistogramSpec, descriptorRouteSpec, parameterScoreSpec, predictedVsTrueSpec, rankHistogramSpec } from './figures.js';
import { pitCalibrationTable, rankHistogramTable } from './calibration.js';
import { descriptorRouteTable } from './routes.js';
import type { ReportContent } from './report.js';

/** Options of {@link evaluateEstimator}. */
export interface EvaluateOptions {
  /** Aggregates drawn per test sample at θ̂ and at θ (default 20). */
  draws?: number;
  /** Aggregates drawn at the baseline (prior-mean) parameters (default 4 × draws). */
  baselineDraws?: number;
  /** At most this many test samples (default: all). */
  maxSamples?: number;
  /**
   * Draw aggregates (the θ route and the perfect-θ floor) for the first this many samples only
   * (default: all). Predictions, the direct route and calibration always use every sample.
   */
  drawSamples?: number;
  /** Seed of the draws (default 0). */
  seed?: Seed;
  /** Worker threads for the draws (default 2; 0 = in this thread). */
  workers?: number;
  /** Projection orientations per drawn aggregate (default 16). */
  projections?: number;
  /** Generator deadline per drawn aggregate, ms (default 10 000). */
  deadlineMs?: number;
  /**
   * What the estimator sees: the stored `noisy` images (default), the `clean` ones (an oracle
   * trained on noise-free images), or a function giving model-ready channel-last inputs of the
   * given test sample indices (oracles on other inputs, e.g. per-material thickness maps).
   */
  images?: 'noisy' | 'clean' | ((indices: Int32Array) => Float32Array);
  /** Progress callback: `stage` is 'predict' or 'draws'. */
  onProgress?: (done: number, total: number, stage: 'predict' | 'draws') => void;
}

/** Everything the error analysis computed. */
export interface EvaluationResult {
  params: ParamPredictions;
  /** Draws for the θ route, for the first `settings.drawSamples` test samples. */
  draws: DescriptorDraws;
  /** The direct route: the network's descriptor heads (models trained with them). */
  direct?: DirectDescriptorPredictions;
  /** PIT values of the parameters (and descriptors, after them) for the calibration checks. */
  pit: PitValues;
  /** Dataset indices of the evaluated test samples. */
  indices: Int32Array;
  /** The baseline parameter point (prior centre in scaled units). */
  baselineParams: ModelParams;
  settings: { draws: number; baselineDraws: number; projections: number; seed: string; drawSamples: number };
  elapsedSeconds: number;
}

export { priorCentre, paramsFromEstimate } from '../model/theta.js';

async function runDraws(tasks: DrawTask[], workers: number, onDone: () => void): Promise<Float64Array[]> {
  if (workers <= 0) {
    return tasks.map((t) => {
      const r = drawDescriptors(t);
      onDone();
      return r;
    });
  }
  const entry = import.meta.url.endsWith('.ts') ? './draw-worker-tsx.mjs' : './draw-worker.js';
  const pool = new Piscina({ filename: new URL(entry, import.meta.url).href, minThreads: workers, maxThreads: workers });
  try {
    return await Promise.all(tasks.map((t) => pool.run(t).then((r: Float64Array) => { onDone(); return r; })));
  } finally {
    await pool.destroy();
  }
}

/**
 * The error analysis of `estimator` on the test split of `ds`. The draws at θ̂ and at θ for sample i
 * share their random streams, so differences come from the parameters alone.
 */
export async function evaluateEstimator(estimator: Estimator, ds: Dataset, opts: EvaluateOptions = {}): Promise<EvaluationResult> {
  const t0 = Date.now();
  const K = opts.draws ?? 20;
  const Kb = opts.baselineDraws ?? 4 * K;
  const projections = opts.projections ?? 16;
  const deadlineMs = opts.deadlineMs ?? 10_000;
  const seed = String(opts.seed ?? 0);
  if (!(Number.isInteger(K) && K >= 1)) throw new RangeError(`evaluateEstimator: draws must be an integer >= 1, got ${K}`);
  const names = estimator.meta.paramNames;
  const dsNames = ds.paramNames;
  const missing = names.filter((n) => !dsNames.includes(n));
  if (missing.length) throw new Error(`the estimator predicts ${missing.join(', ')}, which the dataset does not vary`);

  const samples = readSamples(ds, 'test');
  let n = samples.indices.length;
  if (opts.maxSamples !== undefined) n = Math.min(n, opts.maxSamples);
  if (n === 0) throw new Error(`dataset ${ds.dir} has no test samples to evaluate`);
  const indices = samples.indices.slice(0, n);
  const P = names.length;
  const Pds = dsNames.length;

  // Predictions, in batches so memory stays bounded.
  const truth = new Float64Array(n * P), mean = new Float64Array(n * P), sd = new Float64Array(n * P);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < P; j++) truth[i * P + j] = samples.params[i * Pds + dsNames.indexOf(names[j]!)]!;
  }
  const dNames = estimator.meta.descriptorNames ?? [];
  const Q = dNames.length;
  for (const d of dNames) if (!samples.descriptors[d]) throw new Error(`the estimator predicts descriptor ${d}, which dataset ${ds.dir} does not store`);
  const T = P + Q;
  const pit = new Float64Array(n * T);
  const dq = () => new Float64Array(n * Q);
  const direct: DirectDescriptorPredictions = { names: dNames, truth: dq(), mean: dq(), median: dq(), lower68: dq(), upper68: dq(), lower95: dq(), upper95: dq(), pit: dq() };
  const side = ds.imageSize;
  const chunk = 64;
  for (let s = 0; s < n; s += chunk) {
    const idx = indices.slice(s, Math.min(n, s + chunk));
    const inputs = opts.images;
    const est = typeof inputs === 'function'
      ? await predictArrays(estimator, inputs(idx), idx.length)
      : await (async () => {
        const imgs = readImages(ds, idx, inputs ?? 'noisy');
        return predictBatch(estimator, Array.from(idx, (_, k) => ({
          data: imgs.subarray(k * side * side, (k + 1) * side * side), widthPx: side, heightPx: side, pixelSizeNm: ds.pixelSizeNm,
        })));
      })();
    est.forEach((e, k) => {
      const i = s + k;
      for (let j = 0; j < P; j++) {
        mean[i * P + j] = e.mean[j]!;
        sd[i * P + j] = e.sd[j]!;
        pit[i * T + j] = posteriorCdf(estimator.meta, e, j, truth[i * P + j]!);
      }
      for (let q = 0; q < Q; q++) {
        const d = e.descriptors!;
        const t = samples.descriptors[dNames[q]!]![i]!;
        direct.truth[i * Q + q] = t;
        direct.mean[i * Q + q] = d.mean[q]!;
        direct.median[i * Q + q] = d.median[q]!;
        direct.lower68[i * Q + q] = d.lower68[q]!;
        direct.upper68[i * Q + q] = d.upper68[q]!;
        direct.lower95[i * Q + q] = d.lower95[q]!;
        direct.upper95[i * Q + q] = d.upper95[q]!;
        direct.pit[i * Q + q] = pit[i * T + P + q] = posteriorCdf(estimator.meta, e, P + q, t);
      }
    });
    opts.onProgress?.(Math.min(n, s + chunk), n, 'predict');
  }
  const baselineParams = priorCentre(ds.prior);
  const baseline = thetaToVector(baselineParams, names);

  // Draws: per sample one task at θ̂ and one at θ with the same keys, plus the baseline.
  const tasks: DrawTask[] = [];
  const nDraw = Math.min(n, opts.drawSamples ?? n);
  for (let i = 0; i < nDraw; i++) {
    const keys = drawKeys(seed, indices[i]!, K);
    const trueValues = Array.from(names, (_, j) => truth[i * P + j]!);
    const thetaTrue = paramsFromEstimate(ds.prior, names, trueValues);
    // Keep every varying parameter of the dataset at its true value (the estimator may not predict all).
    dsNames.forEach((nm, j) => { if (!names.includes(nm)) thetaTrue[nm] = samples.params[i * Pds + j]!; });
    const thetaHat = paramsFromEstimate(ds.prior, names, mean.subarray(i * P, (i + 1) * P));
    dsNames.forEach((nm) => { if (!names.includes(nm)) thetaHat[nm] = thetaTrue[nm]!; });
    tasks.push({ params: thetaHat, keys, projections, deadlineMs, attempts: 3 });
    tasks.push({ params: thetaTrue, keys, projections, deadlineMs, attempts: 3 });
  }
  tasks.push({ params: baselineParams, keys: drawKeys(seed, 'baseline', Kb), projections, deadlineMs, attempts: 3 });
  let done = 0;
  const results = await runDraws(tasks, opts.workers ?? 2, () => opts.onProgress?.(++done, tasks.length, 'draws'));

  const D = DESCRIPTOR_NAMES.length;
  const groundTruth: Float64Array[] = [];
  for (let i = 0; i < nDraw; i++) groundTruth.push(Float64Array.from(DESCRIPTOR_NAMES, (nm) => samples.descriptors[nm]?.[i] ?? NaN));
  const draws: DescriptorDraws = {
    names: DESCRIPTOR_NAMES,
    atPredicted: results.filter((_, t) => t < 2 * nDraw && t % 2 === 0),
    atTrue: results.filter((_, t) => t < 2 * nDraw && t % 2 === 1),
    groundTruth,
    atBaseline: results[2 * nDraw]!,
  };
  if (draws.atBaseline.length !== Kb * D) throw new Error('internal: baseline draws have the wrong size');
  return {
    params: { names, truth, mean, sd, baseline, pit: pitColumns(pit, T, P, 0) },
    draws,
    ...(Q ? { direct } : {}),
    // Descriptor targets named like their dataset column (nParticles counted → nParticlesMeasured).
    pit: { names: [...names, ...dNames.map(descriptorColumn)], pit },
    indices,
    baselineParams,
    settings: { draws: K, baselineDraws: Kb, projections, seed, drawSamples: nDraw },
    elapsedSeconds: (Date.now() - t0) / 1000,
  };
}

/** Columns [from, from + width) of an n × T row-major array. */
function pitColumns(a: Float64Array, T: number, width: number, from: number): Float64Array {
  const n = a.length / T;
  const out = new Float64Array(n * width);
  for (let i = 0; i < n; i++) for (let j = 0; j < width; j++) out[i * width + j] = a[i * T + from + j]!;
  return out;
}

/** E[D | θ̄] per descriptor from the baseline draws (the prior-mean baseline's constant prediction). */
export function baselineDescriptorMeans(draws: DescriptorDraws): Record<string, number> {
  const D = draws.names.length;
  const k = draws.atBaseline.length / D;
  return Object.fromEntries(draws.names.map((name, j) => {
    let s = 0, c = 0;
    for (let r = 0; r < k; r++) { const v = draws.atBaseline[r * D + j]!; if (Number.isFinite(v)) { s += v; c++; } }
    return [name, c ? s / c : NaN];
  }));
}

/** Descriptors shown in the histogram figure (the rest are in the tables). */
export const KEY_DESCRIPTORS = [
  'cnHet', 'heteroContactFraction', 'mixingIndex', 'meanCoordination', 'rgVolumeNm', 'maxExtentNm',
  'projectedAreaDiameterNm', 'fractalDimPairCount', 'solidity', 'relativeShapeAnisotropy', 'phaseSeparation', 'largestDomainFractionB',
] as const;

/** Another estimator scored on the same test images, shown beside this one in the report. */
export interface EvaluationComparison {
  /** What it is, e.g. "shipped quick model (datasets/quick-model)". */
  label: string;
  result: EvaluationResult;
}

/** Per parameter and directly predicted descriptor: this estimator's score beside another's on the same images. */
export function comparisonTable(result: EvaluationResult, other: EvaluationComparison): aq.ColumnTable {
  const mine = parameterErrorTable(result.params).objects() as Record<string, number | string>[];
  const theirs = new Map((parameterErrorTable(other.result.params).objects() as Record<string, number | string>[]).map((r) => [r.parameter, r]));
  const rows: Record<string, unknown>[] = mine.map((r) => ({
    target: r.parameter, score: 'R²', thisModel: r.r2, other: theirs.get(r.parameter)?.r2 ?? NaN,
  }));
  const base = baselineDescriptorMeans(result.draws);
  if (result.direct) {
    const a = descriptorRouteTable(result.direct, undefined, base).objects() as Record<string, number | string>[];
    const b = other.result.direct ? new Map((descriptorRouteTable(other.result.direct, undefined, base).objects() as Record<string, number | string>[]).map((r) => [r.descriptor, r])) : new Map();
    for (const r of a) rows.push({ target: r.descriptor, score: 'median relative error (direct)', thisModel: r.directMedianRelError, other: b.get(r.descriptor)?.directMedianRelError ?? NaN });
  }
  return aq.from(rows);
}

/** The report content (tables + figures) of an evaluation. */
export function evaluationReport(result: EvaluationResult, facts: Record<string, string | number> = {}, compare?: EvaluationComparison): ReportContent {
  const ptab = parameterErrorTable(result.params);
  const dtab = descriptorErrorTable(result.draws);
  const psamples = parameterSampleTable(result.params);
  const dsamples = descriptorSampleTable(result.draws);
  const cal = pitCalibrationTable(result.pit);
  const ranks = rankHistogramTable(result.pit);
  const routes = result.direct ? descriptorRouteTable(result.direct, result.draws, baselineDescriptorMeans(result.draws)) : null;
  const keys: readonly string[] = KEY_DESCRIPTORS;
  const keySamples = (dsamples.objects() as { descriptor: string }[]).filter((r) => keys.includes(r.descriptor));
  return {
    title: 'aggstem error analysis',
    facts: {
      ...facts,
      'test samples': result.indices.length,
      'draws per sample (at θ̂ and at θ)': result.settings.draws,
      'baseline draws': result.settings.baselineDraws,
      'draw seed': result.settings.seed,
      'samples with draws (θ route, floor)': result.settings.drawSamples,
      'elapsed, s': result.elapsedSeconds.toFixed(1),
    },
    sections: [
      { kind: 'table', title: 'Parameters: CNN vs prior-mean baseline', table: ptab, file: 'parameters', caption: 'R², MAE, RMSE and relative errors of the predicted parameters on the test split, the same for a baseline that always predicts the prior centre, and the coverage of the predicted central 68 % / 95 % intervals (calibrated: ≈ 0.68 / 0.95).' },
      { kind: 'figure', title: 'Predicted vs true', spec: predictedVsTrueSpec(psamples) },
      { kind: 'figure', title: 'R² per parameter', spec: parameterScoreSpec(ptab, 'r2') },
      ...(routes ? [
        { kind: 'table' as const, title: 'Descriptors of the imaged aggregate: direct route vs θ route vs floor vs baseline', table: routes, file: 'routes', caption: 'Median relative error against the ground-truth aggregate of the network\'s descriptor heads (direct), of E[D | θ̂] from aggregates drawn at the predicted parameters (θ route, the paper\'s), of E[D | θ] at the TRUE parameters (perfect-θ floor: the best any θ route can do) and of E[D | θ̄] at the prior centre (baseline); the direct route\'s R² and the coverage of its 68 % / 95 % intervals.' },
        { kind: 'figure' as const, title: 'Descriptor routes', spec: descriptorRouteSpec(routes) },
      ] : []),
      ...(compare ? [{ kind: 'table' as const, title: `This model vs the ${compare.label} on the same test images`, table: comparisonTable(result, compare), file: 'comparison', caption: `R² per parameter and the median relative error of the directly predicted descriptors, for the model of this run and for the ${compare.label} (NaN where it does not predict that target).` }] : []),
      { kind: 'figure', title: 'Calibration of the predicted uncertainty (12 levels, parameters and descriptors)', spec: calibrationSpec(cal) },
      { kind: 'figure', title: 'Rank (PIT) histograms', spec: rankHistogramSpec(ranks) },
      { kind: 'table', title: 'Descriptors: E[D | θ̂] vs E[D | θ] and vs the ground truth', table: dtab, file: 'descriptors', caption: 'Relative errors of the descriptor expectation at the predicted parameters against the expectation at the true parameters (the prediction error without the model\'s own randomness) and against the ground-truth aggregate; the model\'s own spread is what a perfect predictor scores against the ground truth; Wasserstein distances compare the distributions of the draws.' },
      { kind: 'figure', title: 'Descriptor error histograms', spec: descriptorErrorHistogramSpec(keySamples) },
      { kind: 'table', title: 'Descriptor definitions', table: descriptorInfoTable(), digits: 3 },
      { kind: 'html', title: 'Per-sample tables', html: `<p>Per-sample predictions and descriptor comparisons: <a href="parameter-samples.csv">parameter-samples.csv</a> · <a href="descriptor-samples.csv">descriptor-samples.csv</a> · <a href="calibration.csv">calibration.csv</a> · <a href="rank-histogram.csv">rank-histogram.csv</a>${result.direct ? ' · <a href="direct-samples.csv">direct-samples.csv</a>' : ''} (and .parquet); <a href="summary.json">summary.json</a>.</p>` },
    ],
  };
}

function descriptorInfoTable() {
  return aq.from(DESCRIPTOR_NAMES.map((name) => ({ descriptor: name, unit: DESCRIPTOR_INFO[name].unit, description: DESCRIPTOR_INFO[name].description })));
}

/**
 * Runs the error analysis of a trained estimator on a dataset's test split (DESIGN §6) and builds the
 * report content: predict θ̂ ± σ̂ for every test image, draw K aggregates at θ̂ and K at θ (common
 * random numbers), describe them, and compare against the ground truth stored in the dataset.
 */
import * as aq from 'arquero';
import { Piscina } from 'piscina';
import type { Estimator } from '../cnn/estimator.js';
import { predictBatch } from '../cnn/predict.js';
import { readImages, readSamples, type Dataset } from '../dataset/loader.js';
import { DESCRIPTOR_INFO, DESCRIPTOR_NAMES } from '../descriptors/index.js';
import type { ModelPrior } from '../model/params.js';
import { PARAM_LIMITS } from '../model/params.js';
import { MODEL_PARAM_NAMES, type ModelParamName, type ModelParams } from '../model/types.js';
import type { Seed } from '../random/index.js';
import { drawDescriptors, drawKeys, type DrawTask } from './draws.js';
import {
  calibrationTable, descriptorErrorTable, descriptorSampleTable, parameterErrorTable, parameterSampleTable,
  type DescriptorDraws, type ParamPredictions,
} from './errors.js';
import { calibrationSpec, descriptorErrorHistogramSpec, parameterScoreSpec, predictedVsTrueSpec } from './figures.js';
import type { ReportContent } from './report.js';

/** Options of {@link evaluateEstimator}. */
export interface EvaluateOptions {
  /** Aggregates drawn per test sample at θ̂ and at θ (default 20). */
  draws?: number;
  /** Aggregates drawn at the baseline (prior-mean) parameters (default 4 × draws). */
  baselineDraws?: number;
  /** At most this many test samples (default: all). */
  maxSamples?: number;
  /** Seed of the draws (default 0). */
  seed?: Seed;
  /** Worker threads for the draws (default 2; 0 = in this thread). */
  workers?: number;
  /** Projection orientations per drawn aggregate (default 16). */
  projections?: number;
  /** Generator deadline per drawn aggregate, ms (default 10 000). */
  deadlineMs?: number;
  /** Progress callback: `stage` is 'predict' or 'draws'. */
  onProgress?: (done: number, total: number, stage: 'predict' | 'draws') => void;
}

/** Everything the error analysis computed. */
export interface EvaluationResult {
  params: ParamPredictions;
  draws: DescriptorDraws;
  /** Dataset indices of the evaluated test samples. */
  indices: Int32Array;
  /** The baseline parameter point (prior centre in scaled units). */
  baselineParams: ModelParams;
  settings: { draws: number; baselineDraws: number; projections: number; seed: string };
  elapsedSeconds: number;
}

/**
 * The prior's centre in the estimator's scaled space: the arithmetic mean of a uniform prior, the
 * geometric mean of a log-uniform one (rounded for integers), the value of a fixed one. This is what
 * the "prior mean" baseline predicts for every image.
 */
export function priorCentre(prior: ModelPrior): ModelParams {
  const out = {} as ModelParams;
  for (const name of MODEL_PARAM_NAMES) {
    const p = prior[name];
    out[name] = p.kind === 'fixed' ? p.value : p.kind === 'uniform' ? (p.lo + p.hi) / 2 : Math.round(Math.sqrt(p.lo * p.hi));
  }
  return out;
}

/**
 * Full model parameters from estimated values of the varying ones: fixed ones from the prior, the
 * estimates clamped into the prior's support (the generator cannot draw outside it) and N rounded.
 */
export function paramsFromEstimate(prior: ModelPrior, names: readonly ModelParamName[], values: ArrayLike<number>): ModelParams {
  const out = priorCentre(prior);
  names.forEach((name, j) => {
    const p = prior[name];
    let v = values[j]!;
    if (p.kind !== 'fixed') v = Math.min(p.hi, Math.max(p.lo, v));
    const lim = PARAM_LIMITS[name];
    if (lim.integer) v = Math.round(v);
    out[name] = v;
  });
  return out;
}

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
  const side = ds.imageSize;
  const chunk = 64;
  for (let s = 0; s < n; s += chunk) {
    const idx = indices.slice(s, Math.min(n, s + chunk));
    const imgs = readImages(ds, idx, 'noisy');
    const est = await predictBatch(estimator, Array.from(idx, (_, k) => ({
      data: imgs.subarray(k * side * side, (k + 1) * side * side), widthPx: side, heightPx: side, pixelSizeNm: ds.pixelSizeNm,
    })));
    est.forEach((e, k) => {
      for (let j = 0; j < P; j++) {
        mean[(s + k) * P + j] = e.mean[j]!;
        sd[(s + k) * P + j] = e.sd[j]!;
      }
    });
    opts.onProgress?.(Math.min(n, s + chunk), n, 'predict');
  }
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < P; j++) truth[i * P + j] = samples.params[i * Pds + dsNames.indexOf(names[j]!)]!;
  }
  const baselineParams = priorCentre(ds.prior);
  const baseline = Float64Array.from(names, (nm) => baselineParams[nm]);

  // Draws: per sample one task at θ̂ and one at θ with the same keys, plus the baseline.
  const tasks: DrawTask[] = [];
  for (let i = 0; i < n; i++) {
    const keys = drawKeys(seed, indices[i]!, K);
    const trueValues = Array.from(names, (_, j) => truth[i * P + j]!);
    const thetaTrue = paramsFromEstimate(ds.prior, names, trueValues);
    // Keep every varying parameter of the dataset at its true value (the estimator may not predict all).
    dsNames.forEach((nm, j) => { if (!names.includes(nm)) thetaTrue[nm] = samples.params[i * Pds + j]!; });
    const thetaHat = paramsFromEstimate(ds.prior, names, mean.subarray(i * P, (i + 1) * P));
    dsNames.forEach((nm) => { if (!names.includes(nm)) thetaHat[nm] = thetaTrue[nm]; });
    tasks.push({ params: thetaHat, keys, projections, deadlineMs, attempts: 3 });
    tasks.push({ params: thetaTrue, keys, projections, deadlineMs, attempts: 3 });
  }
  tasks.push({ params: baselineParams, keys: drawKeys(seed, 'baseline', Kb), projections, deadlineMs, attempts: 3 });
  let done = 0;
  const results = await runDraws(tasks, opts.workers ?? 2, () => opts.onProgress?.(++done, tasks.length, 'draws'));

  const D = DESCRIPTOR_NAMES.length;
  const groundTruth: Float64Array[] = [];
  for (let i = 0; i < n; i++) groundTruth.push(Float64Array.from(DESCRIPTOR_NAMES, (nm) => samples.descriptors[nm]?.[i] ?? NaN));
  const draws: DescriptorDraws = {
    names: DESCRIPTOR_NAMES,
    atPredicted: results.filter((_, t) => t < 2 * n && t % 2 === 0),
    atTrue: results.filter((_, t) => t < 2 * n && t % 2 === 1),
    groundTruth,
    atBaseline: results[2 * n]!,
  };
  if (draws.atBaseline.length !== Kb * D) throw new Error('internal: baseline draws have the wrong size');
  return {
    params: { names, truth, mean, sd, baseline },
    draws,
    indices,
    baselineParams,
    settings: { draws: K, baselineDraws: Kb, projections, seed },
    elapsedSeconds: (Date.now() - t0) / 1000,
  };
}

/** Descriptors shown in the histogram figure (the rest are in the tables). */
export const KEY_DESCRIPTORS = [
  'cnHet', 'heteroContactFraction', 'mixingIndex', 'meanCoordination', 'rgVolumeNm', 'maxExtentNm',
  'projectedAreaDiameterNm', 'fractalDimPairCount', 'solidity', 'relativeShapeAnisotropy', 'phaseSeparation', 'largestDomainFractionB',
] as const;

/** The report content (tables + figures) of an evaluation. */
export function evaluationReport(result: EvaluationResult, facts: Record<string, string | number> = {}): ReportContent {
  const ptab = parameterErrorTable(result.params);
  const dtab = descriptorErrorTable(result.draws);
  const psamples = parameterSampleTable(result.params);
  const dsamples = descriptorSampleTable(result.draws);
  const cal = calibrationTable(result.params);
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
      'elapsed, s': result.elapsedSeconds.toFixed(1),
    },
    sections: [
      { kind: 'table', title: 'Parameters: CNN vs prior-mean baseline', table: ptab, file: 'parameters', caption: 'R², MAE, RMSE and relative errors of the predicted parameters on the test split, the same for a baseline that always predicts the prior centre, and the coverage of the predicted 68 % / 95 % Gaussian intervals (calibrated: ≈ 0.68 / 0.95).' },
      { kind: 'figure', title: 'Predicted vs true', spec: predictedVsTrueSpec(psamples) },
      { kind: 'figure', title: 'R² per parameter', spec: parameterScoreSpec(ptab, 'r2') },
      { kind: 'figure', title: 'Calibration of the predicted uncertainty', spec: calibrationSpec(cal) },
      { kind: 'table', title: 'Descriptors: E[D | θ̂] vs E[D | θ] and vs the ground truth', table: dtab, file: 'descriptors', caption: 'Relative errors of the descriptor expectation at the predicted parameters against the expectation at the true parameters (the prediction error without the model\'s own randomness) and against the ground-truth aggregate; the model\'s own spread is what a perfect predictor scores against the ground truth; Wasserstein distances compare the distributions of the draws.' },
      { kind: 'figure', title: 'Descriptor error histograms', spec: descriptorErrorHistogramSpec(keySamples) },
      { kind: 'table', title: 'Descriptor definitions', table: descriptorInfoTable(), digits: 3 },
      { kind: 'html', title: 'Per-sample tables', html: '<p>Per-sample predictions and descriptor comparisons: <a href="parameter-samples.csv">parameter-samples.csv</a> · <a href="descriptor-samples.csv">descriptor-samples.csv</a> · <a href="calibration.csv">calibration.csv</a> (and .parquet).</p>' },
    ],
  };
}

function descriptorInfoTable() {
  return aq.from(DESCRIPTOR_NAMES.map((name) => ({ descriptor: name, unit: DESCRIPTOR_INFO[name].unit, description: DESCRIPTOR_INFO[name].description })));
}

/**
 * Vega-lite figures of the error analysis. Each function returns a plain JSON spec with its data
 * inlined, so it renders in a notebook (`show(spec)`), in the HTML report and in any vega-lite tool.
 */
import type * as aq from 'arquero';

/** A vega-lite (v5 schema) specification as plain JSON. */
export type VegaLiteSpec = Record<string, unknown> & { $schema: string };

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

function rowsOf(t: aq.ColumnTable | Record<string, unknown>[]): Record<string, unknown>[] {
  const rows = Array.isArray(t) ? t : (t.objects() as Record<string, unknown>[]);
  // JSON cannot carry NaN/Infinity: drop such fields so vega sees them as missing.
  return rows.map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => typeof v !== 'number' || Number.isFinite(v))));
}

/**
 * Predicted against true value, one panel per parameter (independent scales), with ±1σ error bars,
 * the identity line and the prior-mean baseline as a dashed rule. Input: {@link parameterSampleTable}.
 */
export function predictedVsTrueSpec(samples: aq.ColumnTable | Record<string, unknown>[], opts: { columns?: number; title?: string } = {}): VegaLiteSpec {
  return {
    $schema: SCHEMA,
    title: opts.title ?? 'Predicted vs true parameters (±1σ; dashed: prior-mean baseline)',
    data: { values: rowsOf(samples) },
    transform: [
      { calculate: 'datum.predicted - datum.sd', as: 'lo' },
      { calculate: 'datum.predicted + datum.sd', as: 'hi' },
    ],
    facet: { field: 'parameter', type: 'nominal', title: null },
    columns: opts.columns ?? 3,
    resolve: { scale: { x: 'independent', y: 'independent' } },
    spec: {
      width: 180,
      height: 180,
      layer: [
        { mark: { type: 'rule', color: '#bbb' }, encoding: { x: { field: 'truth', type: 'quantitative', aggregate: 'min' }, y: { field: 'truth', type: 'quantitative', aggregate: 'min' }, x2: { field: 'truth', aggregate: 'max' }, y2: { field: 'truth', aggregate: 'max' } } },
        { mark: { type: 'rule', strokeDash: [4, 3], color: '#d62728' }, encoding: { y: { field: 'baseline', type: 'quantitative', aggregate: 'mean' } } },
        { mark: { type: 'rule', opacity: 0.35 }, encoding: { x: { field: 'truth', type: 'quantitative', title: 'true', scale: { zero: false } }, y: { field: 'lo', type: 'quantitative', title: 'predicted', scale: { zero: false } }, y2: { field: 'hi' } } },
        { mark: { type: 'point', filled: true, size: 18 }, encoding: { x: { field: 'truth', type: 'quantitative' }, y: { field: 'predicted', type: 'quantitative' }, tooltip: [{ field: 'sample' }, { field: 'truth' }, { field: 'predicted' }, { field: 'sd' }] } },
      ],
    },
  };
}

/**
 * Histograms of the per-sample relative error of E[D | θ̂] against E[D | θ], one panel per descriptor,
 * the estimator beside the prior-mean baseline. Input: {@link descriptorSampleTable}.
 */
export function descriptorErrorHistogramSpec(samples: aq.ColumnTable | Record<string, unknown>[], opts: { columns?: number; maxRelError?: number } = {}): VegaLiteSpec {
  const cap = opts.maxRelError ?? 1;
  return {
    $schema: SCHEMA,
    title: 'Relative error of E[D | predicted θ] vs E[D | true θ] (CNN vs prior-mean baseline)',
    data: { values: rowsOf(samples) },
    transform: [
      { fold: ['relErrorVsExpected', 'baselineRelErrorVsExpected'], as: ['predictor', 'relError'] },
      { calculate: "datum.predictor === 'relErrorVsExpected' ? 'CNN' : 'prior mean'", as: 'predictor' },
      { filter: 'isValid(datum.relError) && isFinite(datum.relError)' },
      { calculate: `min(datum.relError, ${cap})`, as: 'relErrorCapped' },
    ],
    facet: { field: 'descriptor', type: 'nominal', title: null },
    columns: opts.columns ?? 4,
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 160,
      height: 110,
      mark: { type: 'bar', opacity: 0.6 },
      encoding: {
        x: { field: 'relErrorCapped', type: 'quantitative', bin: { maxbins: 20, extent: [0, cap] }, title: `relative error (capped at ${cap})` },
        y: { aggregate: 'count', type: 'quantitative', stack: null, title: 'samples' },
        color: { field: 'predictor', type: 'nominal', scale: { domain: ['CNN', 'prior mean'], range: ['#1f77b4', '#d62728'] } },
      },
    },
  };
}

/**
 * Calibration of the predicted uncertainty: observed against nominal coverage of the Gaussian
 * intervals, per parameter, with the diagonal of perfect calibration. Input: {@link calibrationTable}.
 */
export function calibrationSpec(table: aq.ColumnTable | Record<string, unknown>[]): VegaLiteSpec {
  return {
    $schema: SCHEMA,
    title: 'Uncertainty calibration (observed vs nominal interval coverage)',
    width: 320,
    height: 320,
    layer: [
      { data: { values: [{ nominal: 0, observed: 0 }, { nominal: 1, observed: 1 }] }, mark: { type: 'line', color: '#999', strokeDash: [4, 3] }, encoding: { x: { field: 'nominal', type: 'quantitative' }, y: { field: 'observed', type: 'quantitative' } } },
      {
        data: { values: rowsOf(table) },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'nominal', type: 'quantitative', title: 'nominal coverage', scale: { domain: [0, 1] } },
          y: { field: 'observed', type: 'quantitative', title: 'observed coverage', scale: { domain: [0, 1] } },
          color: { field: 'parameter', type: 'nominal' },
          tooltip: [{ field: 'parameter' }, { field: 'nominal' }, { field: 'observed' }],
        },
      },
    ],
  };
}

/**
 * Bar chart comparing a per-parameter score of the estimator and the baseline (e.g. R² or MAE).
 * Input: {@link parameterErrorTable}.
 */
export function parameterScoreSpec(table: aq.ColumnTable | Record<string, unknown>[], score: 'r2' | 'mae' = 'r2'): VegaLiteSpec {
  const base = score === 'r2' ? 'baselineR2' : 'baselineMae';
  return {
    $schema: SCHEMA,
    title: score === 'r2' ? 'R² per parameter: CNN vs prior-mean baseline' : 'MAE per parameter: CNN vs prior-mean baseline',
    data: { values: rowsOf(table) },
    transform: [
      { fold: [score, base], as: ['predictor', 'value'] },
      { calculate: `datum.predictor === '${score}' ? 'CNN' : 'prior mean'`, as: 'predictor' },
    ],
    width: 360,
    height: 200,
    mark: 'bar',
    encoding: {
      x: { field: 'parameter', type: 'nominal', title: null },
      xOffset: { field: 'predictor' },
      y: { field: 'value', type: 'quantitative', title: score === 'r2' ? 'R²' : 'MAE' },
      color: { field: 'predictor', type: 'nominal', scale: { domain: ['CNN', 'prior mean'], range: ['#1f77b4', '#d62728'] } },
      tooltip: [{ field: 'parameter' }, { field: 'predictor' }, { field: 'value', format: '.3f' }],
    },
  };
}

/**
 * The descriptor routes side by side: median relative error against the ground-truth aggregate of
 * the direct route, the θ route, the perfect-θ floor and the prior-mean baseline, per descriptor.
 * Input: `descriptorRouteTable`.
 */
export function descriptorRouteSpec(table: aq.ColumnTable | Record<string, unknown>[]): VegaLiteSpec {
  const routes = ['directMedianRelError', 'thetaRouteMedianRelError', 'perfectThetaFloor', 'baselineMedianRelError'];
  const labels = ['direct (descriptor heads)', 'θ route (draws at θ̂)', 'perfect-θ floor (draws at θ)', 'prior-mean baseline'];
  return {
    $schema: SCHEMA,
    title: 'Descriptor of the imaged aggregate: median relative error by route',
    data: { values: rowsOf(table) },
    transform: [
      { fold: routes, as: ['route', 'value'] },
      { filter: 'isValid(datum.value) && isFinite(datum.value)' },
      { calculate: routes.map((r, i) => `datum.route === '${r}' ? '${labels[i]}'`).join(' : ') + " : datum.route", as: 'route' },
    ],
    width: 420,
    height: 220,
    mark: 'bar',
    encoding: {
      x: { field: 'descriptor', type: 'nominal', title: null },
      xOffset: { field: 'route', sort: labels },
      y: { field: 'value', type: 'quantitative', title: 'median relative error vs ground truth' },
      color: { field: 'route', type: 'nominal', sort: labels, scale: { domain: labels, range: ['#2ca02c', '#1f77b4', '#9467bd', '#d62728'] } },
      tooltip: [{ field: 'descriptor' }, { field: 'route' }, { field: 'value', format: '.3f' }],
    },
  };
}

/**
 * Rank (PIT) histograms, one small panel per target, with the count a calibrated estimator expects
 * as a rule. Input: `rankHistogramTable`.
 */
export function rankHistogramSpec(table: aq.ColumnTable | Record<string, unknown>[], opts: { columns?: number } = {}): VegaLiteSpec {
  return {
    $schema: SCHEMA,
    title: 'Rank (PIT) histograms: flat = calibrated, ∪ over-confident, ∩ under-confident',
    data: { values: rowsOf(table) },
    facet: { field: 'parameter', type: 'nominal', title: null },
    columns: opts.columns ?? 5,
    spec: {
      width: 120,
      height: 80,
      layer: [
        { mark: { type: 'bar', color: '#1f77b4' }, encoding: { x: { field: 'binLo', type: 'quantitative', bin: { binned: true, step: 0.1 }, title: 'PIT' }, x2: { field: 'binHi' }, y: { field: 'count', type: 'quantitative', title: 'count' } } },
        { mark: { type: 'rule', color: '#d62728', strokeDash: [4, 3] }, encoding: { y: { field: 'expected', type: 'quantitative', aggregate: 'mean' } } },
      ],
    },
  };
}

/** One learning-curve point: training images and the evaluation summary's numbers. */
export interface LearningCurvePoint {
  model: string;
  trainImages: number;
  clean: boolean;
  /** What an oracle row saw instead of noisy images (`clean` rows say so through `clean`). */
  oracleInput?: 'thickness';
  summary: { parameters: Record<string, Record<string, number>>; descriptors: Record<string, Record<string, number>> };
}

/**
 * Learning curves of the accuracy study: R² per parameter against training images (log axis), and
 * the imaged aggregate's cnHet median relative error by route with the baseline and perfect-θ floor
 * as rules. Oracle points (noise-free images, per-material thickness maps) get their own symbols.
 */
export function learningCurveSpec(points: readonly LearningCurvePoint[]): VegaLiteSpec {
  const r2: Record<string, unknown>[] = [];
  const cn: Record<string, unknown>[] = [];
  for (const p of points) {
    const kind = p.oracleInput === 'thickness' ? 'oracle (thickness maps A, B)' : p.clean ? 'oracle (noise-free images)' : 'noisy images';
    for (const [name, v] of Object.entries(p.summary.parameters)) r2.push({ trainImages: p.trainImages, parameter: name, r2: v.r2, kind });
    const d = p.summary.descriptors.cnHet;
    if (d) {
      cn.push({ trainImages: p.trainImages, route: 'direct', value: d.directMedianRelError, kind });
      cn.push({ trainImages: p.trainImages, route: 'θ route', value: d.thetaRouteMedianRelError, kind });
      cn.push({ trainImages: p.trainImages, route: 'perfect-θ floor', value: d.perfectThetaFloor, kind });
      cn.push({ trainImages: p.trainImages, route: 'prior-mean baseline', value: d.baselineMedianRelError, kind });
    }
  }
  const x = { field: 'trainImages', type: 'quantitative', scale: { type: 'log' }, title: 'training images' };
  const shape = { field: 'kind', type: 'nominal', title: null, scale: { domain: ['noisy images', 'oracle (noise-free images)', 'oracle (thickness maps A, B)'], range: ['circle', 'square', 'diamond'] } };
  return {
    $schema: SCHEMA,
    title: 'Accuracy study: learning curves on a fresh test set',
    resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
    hconcat: [
      {
        title: 'R² per parameter',
        data: { values: rowsOf(r2) },
        width: 300, height: 240,
        mark: { type: 'line', point: true },
        encoding: { x, y: { field: 'r2', type: 'quantitative', title: 'R²', scale: { domain: [-0.1, 1] } }, color: { field: 'parameter', type: 'nominal' }, shape, detail: { field: 'kind' }, tooltip: [{ field: 'parameter' }, { field: 'trainImages' }, { field: 'r2', format: '.3f' }, { field: 'kind' }] },
      },
      {
        title: 'CN_het of the imaged aggregate',
        data: { values: rowsOf(cn) },
        width: 300, height: 240,
        mark: { type: 'line', point: true },
        encoding: { x, y: { field: 'value', type: 'quantitative', title: 'median relative error' }, color: { field: 'route', type: 'nominal' }, shape, detail: { field: 'kind' }, tooltip: [{ field: 'route' }, { field: 'trainImages' }, { field: 'value', format: '.3f' }, { field: 'kind' }] },
      },
    ],
  };
}

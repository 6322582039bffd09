/**
 * Publication figures as vega-lite specs (docs/notebooks.md, "Paper figures"): one print style, the
 * quantities' symbols and units from `symbols.ts` in every axis, legend and panel title, grids without
 * empty cells. Specs are laid out at 96 px per inch of the journal width they are meant for
 * (`JOURNAL_WIDTH_PX`), so `saveFigure(spec, 'fig.pdf', { widthMm: JOURNAL_WIDTH_MM.double })` prints
 * their 10 px text at 7.5 pt. Sub/superscripts are `<sub>`/`<sup>` markup, typeset by aggstem's SVG
 * renderer (kernel-ext) and by plotly.
 */
import type { VegaLiteSpec } from './figures.js';
import type { EvaluationResult } from './evaluate.js';
import type { ParamPrior } from '../model/params.js';
import { quantityLabel, quantitySymbol } from './symbols.js';
import { parameterErrorTable, parameterSampleTable } from './errors.js';
import { pitCalibrationTable } from './calibration.js';
import { coverageStandardError } from './metrics.js';
import { descriptorRouteTable, directSampleTable } from './routes.js';
import { baselineDescriptorMeans } from './evaluate.js';
import type { SphereSet } from './aggregate-figure.js';
import { MATERIAL_STYLES, sphereBounds } from './aggregate-figure.js';

/** Common journal figure widths, mm (single and double column, e.g. Elsevier 90/190, ACS 85/178, IOP 84/174). */
export const JOURNAL_WIDTH_MM = { single: 85, double: 175 } as const;
/** The same widths in CSS px (96 per inch): the width to lay a spec out at. */
export const JOURNAL_WIDTH_PX = { single: Math.round((85 / 25.4) * 96), double: Math.round((175 / 25.4) * 96) } as const;

/** The print style of every paper figure: sans-serif 10 px labels, 11 px titles, no grid, no frame. */
export const PAPER_CONFIG = {
  font: 'Helvetica, Arial, sans-serif',
  view: { stroke: null },
  axis: { labelFontSize: 10, titleFontSize: 10, titleFontWeight: 'normal', grid: false, domainColor: '#333', tickColor: '#333', labelColor: '#222', titleColor: '#222' },
  legend: { labelFontSize: 10, titleFontSize: 10, titleFontWeight: 'normal', labelLimit: 240 },
  header: { labelFontSize: 10, titleFontSize: 10 },
  title: { fontSize: 11, fontWeight: 'bold', anchor: 'start', subtitleFontSize: 10, subtitleColor: '#555', subtitleFontWeight: 'normal' },
  concat: { spacing: 14 },
} as const;

/** Route colours and names used in every figure (the same order everywhere). */
export const ROUTE_STYLE = {
  domain: ['CNN, direct', 'CNN, θ route', 'perfect-θ floor', 'prior-mean baseline'],
  range: ['#1f4e79', '#4c9bd6', '#7f7f7f', '#d62728'],
} as const;

function withStyle(spec: Record<string, unknown>): VegaLiteSpec {
  return { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', config: PAPER_CONFIG, ...spec };
}

/** Columns for `n` panels with the fewest empty cells (ties: the most columns up to `max`). */
export function gridColumns(n: number, max = 4): number {
  return bestGrid(n, max).columns;
}

function bestGrid(n: number, max: number): { columns: number; empty: number } {
  let columns = Math.max(1, Math.min(n, max)), empty = Infinity;
  for (let c = Math.min(n, max); c >= 2; c--) {
    const e = Math.ceil(n / c) * c - n;
    if (e < empty) { columns = c; empty = e; }
  }
  return { columns, empty: Number.isFinite(empty) ? empty : 0 };
}

/** A round upper axis limit ≥ x: the coarsest step (10ⁿ, 10ⁿ/2, 10ⁿ/5, 10ⁿ/10) within 20 % of x (0.93 → 1, 0.55 → 0.6, 1.2 → 1.2). */
export function niceCeil(x: number): number {
  const unit = 10 ** Math.floor(Math.log10(x));
  for (const s of [unit, unit / 2, unit / 5, unit / 10]) {
    const v = Number((Math.ceil(x / s - 1e-9) * s).toPrecision(12));
    if (v <= 1.2 * x) return v;
  }
  return x;
}

function rangeOf(prior: ParamPrior | undefined, values: number[]): [number, number] {
  if (prior && prior.kind !== 'fixed') return [prior.lo, prior.hi];
  const f = values.filter(Number.isFinite);
  return [Math.min(...f), Math.max(...f)];
}

/**
 * Predicted against true parameters, one panel per parameter (symbol and unit as the panel title,
 * both axes over the prior range, ±1σ̂ bars, dashed: the prior-mean baseline), and — when it fills
 * the grid's last row — a panel with each parameter's R².
 *
 * @example await saveFigure(predictedVsTrueFigure(result, ds.prior), 'fig4.pdf', { widthMm: 175 });
 */
export function predictedVsTrueFigure(result: Pick<EvaluationResult, 'params'>, prior: Readonly<Record<string, ParamPrior>> = {}, opts: { widthPx?: number; title?: string } = {}): VegaLiteSpec {
  const names = result.params.names;
  const rows = parameterSampleTable(result.params).objects() as Record<string, number | string>[];
  const scores = parameterErrorTable(result.params).objects() as Record<string, number | string>[];
  // The R² panel is added when it fills the grid better than the parameter panels alone (no empty cells).
  const withScores = bestGrid(names.length + 1, 4).empty <= bestGrid(names.length, 4).empty;
  const columns = gridColumns(names.length + (withScores ? 1 : 0));
  const panelPx = Math.floor(((opts.widthPx ?? JOURNAL_WIDTH_PX.double) - 60) / columns) - 50;
  const panels: Record<string, unknown>[] = names.map((name) => {
    const own = rows.filter((r) => r.parameter === name);
    const domain = rangeOf(prior[name], own.flatMap((r) => [r.truth as number, r.predicted as number]));
    const scale = { domain, nice: false, zero: false, clamp: true };
    const q = quantitySymbol(name);
    return {
      width: panelPx, height: panelPx,
      title: { text: `${q.symbol}${q.unit ? ` (${q.unit})` : ''}`, fontSize: 11, fontWeight: 'normal' },
      data: { values: own },
      layer: [
        { data: { values: [{ a: domain[0], b: domain[1] }] }, mark: { type: 'rule', color: '#aaa' },
          encoding: { x: { field: 'a', type: 'quantitative', scale }, y: { field: 'a', type: 'quantitative', scale }, x2: { field: 'b' }, y2: { field: 'b' } } },
        { mark: { type: 'rule', strokeDash: [4, 3], color: ROUTE_STYLE.range[3] }, encoding: { y: { field: 'baseline', type: 'quantitative', aggregate: 'mean', scale } } },
        { transform: [{ calculate: 'datum.predicted - datum.sd', as: 'lo' }, { calculate: 'datum.predicted + datum.sd', as: 'hi' }],
          mark: { type: 'rule', color: '#4c9bd6', opacity: 0.45 }, encoding: { x: { field: 'truth', type: 'quantitative', scale }, y: { field: 'lo', type: 'quantitative', scale }, y2: { field: 'hi' } } },
        { mark: { type: 'point', filled: true, size: 14, color: ROUTE_STYLE.range[0] },
          encoding: { x: { field: 'truth', type: 'quantitative', title: 'true', scale, axis: { tickCount: 4 } }, y: { field: 'predicted', type: 'quantitative', title: 'predicted', scale, axis: { tickCount: 4 } } } },
      ],
    };
  });
  if (withScores) panels.push({
    width: panelPx, height: panelPx,
    title: { text: 'R<sup>2</sup> on the test images', fontSize: 11, fontWeight: 'normal' },
    data: { values: scores.map((s) => ({ symbol: quantitySymbol(String(s.parameter)).symbol, r2: Math.max(-0.2, s.r2 as number) })) },
    layer: [
      { mark: { type: 'bar', color: ROUTE_STYLE.range[0], height: { band: 0.7 } }, encoding: { y: { field: 'symbol', type: 'nominal', sort: null, title: null }, x: { field: 'r2', type: 'quantitative', title: 'R<sup>2</sup> (baseline: 0)', scale: { domain: [Math.min(0, ...scores.map((s) => s.r2 as number).filter(Number.isFinite)), 1] } } } },
      { mark: { type: 'text', align: 'left', dx: 3, fontSize: 9 }, encoding: { y: { field: 'symbol', type: 'nominal', sort: null }, x: { field: 'r2', type: 'quantitative' }, text: { field: 'r2', format: '.2f' } } },
    ],
  });
  return withStyle({
    title: { text: opts.title ?? 'CNN estimates against the true parameters', subtitle: `${rows.length / Math.max(1, names.length)} test images; bars ±1σ̂; dashed: prior-mean baseline` },
    columns, concat: panels,
  });
}

/** Observed coverage of the central intervals against nominal coverage, with the ±2 binomial-SE band. */
function coveragePanel(rows: Record<string, unknown>[], n: number, title: string, sizePx: number): Record<string, unknown> {
  const band = Array.from({ length: 21 }, (_, k) => {
    const p = Math.min(0.999, Math.max(0.001, k / 20)), se = coverageStandardError(p, n);
    return { nominal: k / 20, lo: Math.max(0, p - 2 * se), hi: Math.min(1, p + 2 * se) };
  });
  const axis = { format: '~%', values: [0, 0.25, 0.5, 0.75, 1] };
  return {
    width: sizePx, height: sizePx, title: { text: title, fontSize: 11, fontWeight: 'normal' },
    layer: [
      { data: { values: band }, mark: { type: 'area', color: '#e3e3e3' },
        encoding: { x: { field: 'nominal', type: 'quantitative', title: 'nominal coverage', scale: { domain: [0, 1] }, axis }, y: { field: 'lo', type: 'quantitative', title: 'observed coverage', scale: { domain: [0, 1] }, axis }, y2: { field: 'hi' } } },
      { data: { values: [{ v: 0 }, { v: 1 }] }, mark: { type: 'line', color: '#777', strokeDash: [4, 3] }, encoding: { x: { field: 'v', type: 'quantitative' }, y: { field: 'v', type: 'quantitative' } } },
      { data: { values: rows }, mark: { type: 'line', point: { size: 12 }, strokeWidth: 1.3 },
        encoding: { x: { field: 'nominal', type: 'quantitative' }, y: { field: 'observed', type: 'quantitative' }, color: { field: 'symbol', type: 'nominal', title: null, sort: null, scale: { scheme: 'tableau10' } } } },
    ],
  };
}

/**
 * Calibration of the predicted posteriors: observed against nominal coverage of the central
 * intervals, (a) for the parameters and (b) for the directly predicted descriptors, with the band a
 * calibrated estimator stays inside about 95 % of the time.
 */
export function calibrationFigure(result: Pick<EvaluationResult, 'pit' | 'params' | 'indices'>, opts: { widthPx?: number } = {}): VegaLiteSpec {
  const params = new Set(result.params.names);
  const rows: Record<string, unknown>[] = (pitCalibrationTable(result.pit).objects() as Record<string, unknown>[]).map((r) => ({ ...r, symbol: quantitySymbol(String(r.parameter)).symbol }));
  const n = result.indices.length;
  const desc = rows.filter((r) => !params.has(String(r.parameter)));
  const size = Math.floor(((opts.widthPx ?? JOURNAL_WIDTH_PX.double) - 220) / (desc.length ? 2 : 1));
  const panels = [coveragePanel(rows.filter((r) => params.has(String(r.parameter))), n, desc.length ? 'a) model parameters' : 'model parameters', Math.min(size, 260))];
  if (desc.length) panels.push(coveragePanel(desc, n, 'b) descriptors of the imaged aggregate', Math.min(size, 260)));
  return withStyle({
    title: { text: 'Calibration of the predicted uncertainty', subtitle: `${n} test images; grey: ±2 binomial standard errors around the diagonal` },
    hconcat: panels, resolve: { scale: { color: 'independent' } },
  });
}

/**
 * Descriptors of the imaged aggregate: (a) CN<sub>het</sub> predicted against the truth, (b) the median
 * relative error of each descriptor by route — the network's direct estimate, the θ route (aggregates
 * drawn at θ̂), the perfect-θ floor (drawn at the true θ: the best any θ route can do) and the
 * prior-mean baseline.
 */
export function descriptorErrorFigure(result: Pick<EvaluationResult, 'draws' | 'direct' | 'indices'>, opts: { widthPx?: number; descriptor?: string } = {}): VegaLiteSpec {
  const key = opts.descriptor ?? 'cnHet';
  const baseline = baselineDescriptorMeans(result.draws);
  const routeRows: Record<string, unknown>[] = [];
  let scatter: Record<string, unknown>[] = [];
  if (result.direct) {
    for (const r of descriptorRouteTable(result.direct, result.draws, baseline).objects() as Record<string, number | string>[]) {
      const symbol = quantitySymbol(String(r.descriptor)).symbol;
      const add = (route: string, v: number) => { if (Number.isFinite(v)) routeRows.push({ symbol, route, value: v }); };
      add(ROUTE_STYLE.domain[0], r.directMedianRelError as number);
      add(ROUTE_STYLE.domain[1], r.thetaRouteMedianRelError as number);
      add(ROUTE_STYLE.domain[2], r.perfectThetaFloor as number);
      add(ROUTE_STYLE.domain[3], r.baselineMedianRelError as number);
    }
    scatter = (directSampleTable(result.direct).objects() as Record<string, number | string>[]).filter((r) => r.descriptor === key)
      .map((r) => ({ truth: r.truth, predicted: r.median, lo: r.lower68, hi: r.upper68 }));
  }
  const width = opts.widthPx ?? JOURNAL_WIDTH_PX.double;
  const label = quantityLabel(key, { form: 'symbol' });
  const lim = niceCeil(Math.max(1e-9, ...scatter.flatMap((r) => [r.truth as number, r.hi as number]).filter(Number.isFinite)));
  const scale = { domain: [0, lim], nice: false };
  const panelA = {
    width: 220, height: 220, title: { text: `a) ${label} of the imaged aggregate`, fontSize: 11, fontWeight: 'normal' },
    data: { values: scatter },
    layer: [
      { data: { values: [{ v: 0 }, { v: lim }] }, mark: { type: 'line', color: '#aaa' }, encoding: { x: { field: 'v', type: 'quantitative', scale }, y: { field: 'v', type: 'quantitative', scale } } },
      ...(baseline[key] !== undefined ? [{ data: { values: [{ b: baseline[key] }] }, mark: { type: 'rule', strokeDash: [4, 3], color: ROUTE_STYLE.range[3] }, encoding: { y: { field: 'b', type: 'quantitative', scale } } }] : []),
      { mark: { type: 'rule', color: '#4c9bd6', opacity: 0.45 }, encoding: { x: { field: 'truth', type: 'quantitative', scale }, y: { field: 'lo', type: 'quantitative', scale }, y2: { field: 'hi' } } },
      { mark: { type: 'point', filled: true, size: 14, color: ROUTE_STYLE.range[0] },
        encoding: { x: { field: 'truth', type: 'quantitative', title: `true ${label}`, scale }, y: { field: 'predicted', type: 'quantitative', title: `predicted ${label} (direct, 68 % interval)`, scale } } },
    ],
  };
  const descriptors = [...new Set(routeRows.map((r) => r.symbol))].length;
  const panelB = {
    width: Math.max(160, width - 220 - 230), height: 220, title: { text: 'b) median relative error by route', fontSize: 11, fontWeight: 'normal' },
    data: { values: routeRows },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'symbol', type: 'nominal', sort: null, title: null, axis: { labelAngle: 0 } },
      xOffset: { field: 'route', type: 'nominal', sort: ROUTE_STYLE.domain },
      y: { field: 'value', type: 'quantitative', title: 'median relative error', axis: { format: '~%' }, scale: { domain: [0, niceCeil(Math.max(0.01, ...routeRows.map((r) => r.value as number)) * 1.05)], nice: false } },
      color: { field: 'route', type: 'nominal', title: null, scale: { domain: ROUTE_STYLE.domain, range: ROUTE_STYLE.range }, legend: { orient: 'bottom', direction: 'horizontal', columns: 2, labelLimit: 160 } },
    },
  };
  return withStyle({
    title: { text: 'Descriptors of the imaged aggregate', subtitle: `${result.indices.length} test images; ${descriptors} descriptors; red dashed: prior-mean baseline` },
    hconcat: [panelA, panelB], resolve: { scale: { color: 'independent' } },
  });
}

/**
 * Model examples: each aggregate projected along z (spheres back to front, paler with depth, y down
 * as in an image), on one common nm scale, with a material legend.
 */
export function modelGalleryFigure(items: readonly { particles: SphereSet; title: string }[], opts: { columns?: number; panelPx?: number; title?: string; subtitle?: string } = {}): VegaLiteSpec {
  if (items.length === 0) throw new RangeError('modelGalleryFigure: expected at least one aggregate');
  const columns = opts.columns ?? gridColumns(items.length, 3);
  const panelPx = opts.panelPx ?? Math.floor((JOURNAL_WIDTH_PX.double - 120) / columns) - 40;
  // Per aggregate and axis: [centre, half-width] of its bounding box.
  const boxes = items.map(({ particles }) => {
    const { lo, hi } = sphereBounds([particles]);
    return lo.map((l, d) => [(l + hi[d]!) / 2, (hi[d]! - l) / 2] as const);
  });
  const half = Math.ceil(Math.max(...boxes.flatMap((b) => [b[0]![1], b[1]![1]])) + 3);
  const pxPerNm = panelPx / (2 * half);
  const colours = MATERIAL_STYLES.map((m) => m.color);
  const lighten = (hex: string, t: number) => '#' + [1, 3, 5].map((o) => Math.round(parseInt(hex.slice(o, o + 2), 16) * (1 - t) + 255 * t).toString(16).padStart(2, '0')).join('');
  const scaleX = { domain: [-half, half], nice: false }, scaleY = { domain: [-half, half], nice: false, reverse: true };
  const materials = ['TiO<sub>2</sub>', 'WO<sub>3</sub>'];
  const panels = items.map(({ particles: p, title }, k) => {
    const [[cx], [cy], [cz, hz]] = boxes[k]!;
    const spheres = Array.from(p.x, (_, i) => ({
      x: p.x[i]! - cx!, y: p.y[i]! - cy!, z: p.z[i]! - cz!,
      area: Math.PI * (p.r[i]! * pxPerNm) ** 2,
      fill: lighten(colours[p.material[i]!] ?? '#999999', 0.5 * (0.5 - (p.z[i]! - cz!) / (2 * hz! || 1))),
    }));
    return {
      width: panelPx, height: panelPx, title: { text: title, fontSize: 11, fontWeight: 'normal' },
      layer: [
        { data: { values: spheres }, mark: { type: 'circle', opacity: 1, stroke: '#333', strokeWidth: 0.3 },
          encoding: {
            x: { field: 'x', type: 'quantitative', scale: scaleX, title: 'x (nm)', axis: { tickCount: 5 } }, y: { field: 'y', type: 'quantitative', scale: scaleY, title: 'y (nm)', axis: { tickCount: 5 } },
            size: { field: 'area', type: 'quantitative', scale: null, legend: null }, fill: { field: 'fill', type: 'nominal', scale: null }, order: { field: 'z', type: 'quantitative' },
          } },
        // Invisible carrier of the material legend (the spheres' own fill is shaded by depth).
        { data: { values: materials.map((m) => ({ m })) }, mark: { type: 'circle', opacity: 0 },
          encoding: { x: { datum: 0, type: 'quantitative', scale: scaleX }, y: { datum: 0, type: 'quantitative', scale: scaleY },
            color: { field: 'm', type: 'nominal', title: null, scale: { domain: materials, range: colours.slice(0, 2) }, legend: { orient: 'top', direction: 'horizontal', labelLimit: 80, symbolOpacity: 1, symbolStrokeColor: '#333', symbolStrokeWidth: 0.3 } } } },
      ],
    };
  });
  return withStyle({
    ...(opts.title ? { title: { text: opts.title, ...(opts.subtitle ? { subtitle: opts.subtitle } : {}) } } : {}),
    columns, concat: panels,
  });
}

/**
 * `show(x)`: the one display call for notebooks. It recognises what `x` is and sends the richest
 * bundle for it through the running tslab kernel.
 */
import { inspect } from 'node:util';
import { aggregateBundle, plotlyBundle, type AggregateFigureOptions, type PlotlyFigure, type SphereSet } from './aggregate-figure.js';
import { imageBundleWithInfo, type ImageBundleOptions, type ImageLike } from './image.js';
import { isVegaLiteSpec, vegaLiteBundle, vegaLiteToSvg, type VegaLiteSpec } from './vega.js';
import { imageFigure } from './image-figure.js';
import { datasetBundle, gridBundle, imageSeriesBundle, isDataset, isImageSeries, type GridOptions } from './grid.js';
import { isTableLike, tableBundle, type TableBundleOptions } from './table.js';
import { displayBundle, displayMode, isSocketBusy, NoKernelError } from './tslab-bridge.js';
import { MIME, type MimeBundle } from './mime.js';
import { asDisplayImage, isArrayLike, isImageLike, isStemImage, type StemChannel } from './display-image.js';
import { descriptorBundle, estimateBundle, isDescriptorRecord, isEstimate, isEvaluationResult, isTrainingHistory, type EstimateLike } from './records.js';
import { evaluationBundle } from './evaluation.js';
import { trainingHistorySpec } from '../src/analysis/history-figure.js';
import type { EvaluationResult } from '../src/analysis/evaluate.js';

export { asDisplayImage, isImageLike, type StemChannel } from './display-image.js';
export { gridBundle, type GridOptions } from './grid.js';

/** What `show` recognised a value as. */
export type ShowKind = 'aggregate' | 'particles' | 'image' | 'images' | 'dataset' | 'vega-lite' | 'plotly' | 'table' | 'descriptors' | 'estimate' | 'history' | 'evaluation' | 'bundle' | 'text';

/** True for sphere sets: `x, y, z, r, material` arrays of one length. */
export function isSphereSet(x: unknown): x is SphereSet {
  if (x === null || typeof x !== 'object') return false;
  const o = x as Record<string, unknown>;
  const keys = ['x', 'y', 'z', 'r', 'material'];
  return keys.every((k) => isArrayLike(o[k])) && keys.every((k) => (o[k] as ArrayLike<number>).length === (o.x as ArrayLike<number>).length);
}

function isPlotlyFigure(x: unknown): x is PlotlyFigure {
  if (x === null || typeof x !== 'object') return false;
  const o = x as Record<string, unknown>;
  return Array.isArray(o.data) && o.data.every((t) => t !== null && typeof t === 'object') && (o.layout === undefined || typeof o.layout === 'object');
}

/** What `show(x)` would display `x` as. */
export function showKind(x: unknown): ShowKind {
  if (x !== null && typeof x === 'object') {
    if (isSphereSet((x as { particles?: unknown }).particles)) return 'aggregate';
    if (isSphereSet(x)) return 'particles';
    if (isImageLike(x)) return 'image';
    if (isImageSeries(x)) return 'images';
    if (isDataset(x)) return 'dataset';
    if (isTableLike(x)) return 'table';
    if (isVegaLiteSpec(x)) return 'vega-lite';
    if (isPlotlyFigure(x)) return 'plotly';
    if (isEvaluationResult(x)) return 'evaluation';
    if (isTrainingHistory(x)) return 'history';
    if (isEstimate(x)) return 'estimate';
    if (isDescriptorRecord(x)) return 'descriptors';
    if ((x as Record<string, unknown>)[MIME.plain] !== undefined && Object.keys(x).every((k) => /^[a-z]+\/[\w.+-]+$/.test(k))) return 'bundle';
  }
  return 'text';
}

/** Options of {@link show} (each applies to the kinds it names). */
export interface ShowOptions extends AggregateFigureOptions, ImageBundleOptions, TableBundleOptions {
  /** For a simulated `StemImage`: which map to show (default `noisy`). */
  channel?: StemChannel;
  /**
   * Images: a colour bar (vector SVG figure with the PNG as fallback). Default: on for a simulated
   * `StemImage`, titled with what the channel's values are; a string titles it (with the unit).
   */
  colorBar?: boolean | string;
  /**
   * plotly.js for the `text/html` twin of 3D figures: `auto` (default) inlines it into the first
   * figure of the kernel session and reuses it later; `inline` always; `none` leaves the HTML
   * twin out (smallest notebooks; only frontends with a plotly renderer show the figure).
   */
  plotlyJs?: 'auto' | 'inline' | 'none';
}

// Per kernel process, like plotly.py's notebook renderer: the page has plotly.js once the first
// figure's HTML ran. Restarting the kernel restarts this too (a fresh page load re-runs outputs).
let plotlyJsSent = false;

/** Forget that plotly.js was inlined: the next 3D figure inlines it again (e.g. after a page reload). */
export function resetPlotlyInjection(): void {
  plotlyJsSent = false;
}

function plotlyHtmlOptions(opts: ShowOptions): { includePlotlyJs: boolean; noHtml: boolean } {
  const mode = opts.plotlyJs ?? 'auto';
  if (mode === 'none') return { includePlotlyJs: false, noHtml: true };
  const include = mode === 'inline' || !plotlyJsSent;
  return { includePlotlyJs: include, noHtml: false };
}

/**
 * The MIME bundle `show(x, opts)` sends. It reads (never sets) the once-per-session plotly.js flag
 * unless `plotly` says whether to inline plotly.js. Async because vega-lite SVGs render asynchronously.
 */
export async function bundleFor(
  x: unknown,
  opts: ShowOptions = {},
  plotly: { includePlotlyJs: boolean; noHtml: boolean } = plotlyHtmlOptions(opts),
): Promise<{ kind: ShowKind; bundle: MimeBundle; metadata: Record<string, Record<string, unknown>> }> {
  const kind = showKind(x);
  switch (kind) {
    case 'aggregate':
    case 'particles':
      return { kind, bundle: aggregateBundle(x as SphereSet, { ...opts, ...plotly }), metadata: {} };
    case 'plotly':
      return { kind, bundle: plotlyBundle(x as PlotlyFigure, plotly), metadata: {} };
    case 'image': {
      const r = imageBundleWithInfo(asDisplayImage(x, opts.channel) as ImageLike, opts);
      if (opts.colorBar === false || (opts.colorBar === undefined && !isStemImage(x))) return { kind, bundle: r.bundle, metadata: r.metadata };
      // With a colour bar: the vector figure first (frontends prefer SVG), the PNG as fallback.
      const figure = imageFigure(x, {
        ...(opts.channel ? { channel: opts.channel } : {}), ...(opts.colormap ? { colormap: opts.colormap } : {}), ...(opts.range ? { range: opts.range } : {}),
        ...(typeof opts.colorBar === 'string' ? { colorBar: opts.colorBar } : {}),
        ...(opts.scaleBar === false ? { scaleBarNm: false as const } : typeof opts.scaleBar === 'object' && opts.scaleBar.lengthNm ? { scaleBarNm: opts.scaleBar.lengthNm } : {}),
      });
      return { kind, bundle: { [MIME.svg]: await vegaLiteToSvg(figure), ...r.bundle }, metadata: r.metadata };
    }
    case 'images':
      return { kind, bundle: imageSeriesBundle(x as unknown[], opts), metadata: {} };
    case 'dataset':
      return { kind, bundle: datasetBundle(x as Parameters<typeof datasetBundle>[0]), metadata: {} };
    case 'vega-lite':
      return { kind, bundle: await vegaLiteBundle(x as VegaLiteSpec), metadata: {} };
    case 'table':
      return { kind, bundle: tableBundle(x as Parameters<typeof tableBundle>[0], opts), metadata: {} };
    case 'descriptors':
      return { kind, bundle: descriptorBundle(x as Record<string, number>, opts.caption ? { caption: opts.caption } : {}), metadata: {} };
    case 'estimate':
      return { kind, bundle: estimateBundle(x as EstimateLike, opts.caption ? { caption: opts.caption } : {}), metadata: {} };
    case 'history':
      return { kind, bundle: await vegaLiteBundle(trainingHistorySpec(x as Parameters<typeof trainingHistorySpec>[0]) as VegaLiteSpec), metadata: {} };
    case 'evaluation':
      return { kind, bundle: await evaluationBundle(x as EvaluationResult), metadata: {} };
    case 'bundle':
      return { kind, bundle: x as MimeBundle, metadata: {} };
    default:
      return { kind, bundle: { [MIME.plain]: typeof x === 'string' ? x : inspect(x, { depth: 4, colors: false }) }, metadata: {} };
  }
}

/**
 * Displays `x` in the running notebook cell as the richest output for what it is:
 * - an `Aggregate` or particle arrays `{x, y, z, r, material}` → interactive 3D plotly view
 *   (spheres coloured by material, hover on centres);
 * - an image `{data, width, height, pixelSizeNm?}` → PNG with a scale bar; a simulated `StemImage`
 *   (or `colorBar: true`) → vector figure with scale bar and colour bar (`channel` picks the map);
 * - an array of images (a tilt series) → labelled grid (tilt angles as captions);
 * - an opened dataset (`openDataset`) → its splits, image geometry and prior, and a grid of test images titled with their parameters;
 * - a vega-lite spec → interactive chart + static SVG;
 * - an arquero table → HTML table;
 * - a descriptor record (`describeAggregate`) → table with units and meanings;
 * - an estimate (`predict`) → medians with 68 %/95 % intervals and units (and its descriptor estimates);
 * - a training history (`run.history`) → loss and validation NLL chart, best epoch marked;
 * - an evaluation result (`evaluateEstimator`) → scores, predicted vs true, calibration, descriptor routes;
 * - a plotly figure `{data, layout}` → plotly view; a ready MIME bundle → as is;
 * - anything else → text.
 *
 * Always `await show(...)`: vega-lite rendering is asynchronous, and an output sent after its cell
 * finished would land in another cell. Throws a clear error outside a tslab kernel (use the
 * `*Bundle` builders there).
 */
export async function show(x: unknown, opts: ShowOptions = {}): Promise<void> {
  if (displayMode() === 'none') throw new NoKernelError('show()');
  const plotly = plotlyHtmlOptions(opts);
  const { kind, bundle, metadata } = await bundleFor(x, opts, plotly);
  // The kernel's socket refuses a send while the previous message is in flight: wait and resend.
  for (let waitedMs = 0; ; waitedMs += 10) {
    try {
      displayBundle(bundle, { metadata });
      break;
    } catch (e) {
      if (!isSocketBusy(e) || waitedMs >= 5000) throw e;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  if (plotly.includePlotlyJs && (kind === 'aggregate' || kind === 'particles' || kind === 'plotly')) plotlyJsSent = true;
}

/**
 * Shows images side by side in one labelled grid (each with its own contrast and scale bar): a tilt
 * series, dataset samples, the clean and noisy maps of one simulation.
 *
 * @example
 * await showGrid([img, img, img], { channel: 'clean', titles: ['a', 'b', 'c'] });
 */
export async function showGrid(items: unknown[], opts: GridOptions = {}): Promise<void> {
  if (displayMode() === 'none') throw new NoKernelError('showGrid()');
  displayBundle(gridBundle(items, opts));
}

/**
 * Two images side by side with titles, e.g. a real micrograph and its best digital twin.
 *
 * @example
 * await compare(observed, twinImage, { titles: ['observed', 'twin'] });
 */
export async function compare(a: unknown, b: unknown, opts: GridOptions = {}): Promise<void> {
  await showGrid([a, b], { columns: 2, titles: opts.titles ?? ['left', 'right'], ...opts });
}

/**
 * Notebook MIME bundles of the 3D aggregate views. The figure builders themselves live in the
 * library (`src/analysis/aggregate-figure.ts`) so the CLI's pages use them too; re-exported here.
 */
import {
  aggregateFigure, describeSpheres, plotlyHtml, type AggregateFigureOptions, type PlotlyFigure, type PlotlyHtmlOptions, type SphereSet,
} from '../src/analysis/aggregate-figure.js';
import { MIME, type MimeBundle } from './mime.js';

export {
  MATERIAL_STYLES, aggregateFigure, defaultIcosphereLevel, describeSpheres, icosphere, plotlyHtml, plotlyJsSource,
  type AggregateFigureOptions, type Icosphere, type MaterialStyle, type PlotlyFigure, type PlotlyHtmlOptions, type SphereSet,
} from '../src/analysis/aggregate-figure.js';

/** Options of {@link plotlyBundle}. */
export interface PlotlyBundleOptions extends PlotlyHtmlOptions {
  /** The `text/plain` twin (default: a one-line description of the traces). */
  text?: string;
  /** Leave out the `text/html` twin (smaller notebooks; only frontends with a plotly renderer show the figure). */
  noHtml?: boolean;
}

/**
 * Bundle of a plotly figure: `application/vnd.plotly.v1+json` (JupyterLab with jupyterlab-plotly,
 * VS Code), `text/html` (everywhere else, see {@link plotlyHtml}) and `text/plain`.
 */
export function plotlyBundle(fig: PlotlyFigure, opts: PlotlyBundleOptions = {}): MimeBundle {
  const bundle: MimeBundle = {
    [MIME.plotly]: { data: fig.data, layout: fig.layout, config: fig.config ?? {}, ...(fig.frames ? { frames: fig.frames } : {}) },
  };
  if (!opts.noHtml) bundle[MIME.html] = plotlyHtml(fig, opts);
  bundle[MIME.plain] = opts.text ?? `<plotly figure: ${fig.data.map((t) => String(t.type ?? 'scatter')).join(', ')}${fig.frames ? `; ${fig.frames.length} frames on a slider` : ''}>`;
  return bundle;
}

/**
 * Bundle of an interactive 3D view of an aggregate (see {@link aggregateFigure}):
 * `{ application/vnd.plotly.v1+json, text/html, text/plain }`.
 * Accepts the particle arrays or a whole `Aggregate` (its `particles` are drawn).
 */
export function aggregateBundle(
  p: SphereSet | { particles: SphereSet; id?: string },
  opts: AggregateFigureOptions & PlotlyBundleOptions = {},
): MimeBundle {
  const spheres = 'particles' in p ? p.particles : p;
  const title = opts.title ?? ('particles' in p && typeof p.id === 'string' ? p.id : undefined);
  const fig = aggregateFigure(spheres, { ...opts, ...(title ? { title } : {}) });
  return plotlyBundle(fig, { ...opts, text: opts.text ?? describeSpheres(spheres, opts.materials) });
}

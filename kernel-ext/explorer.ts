/**
 * Predicted against true, linked to the images: a plotly figure whose slider (or a click on a point,
 * in pages that run the figure's HTML) shows the test image behind the selected point next to the
 * chart. Frames carry the highlight and the image, so it works in a static HTML export.
 */
import type { PlotlyFigure } from '../src/analysis/aggregate-figure.js';
import { encodePng, renderImage, type ImageLike } from './image.js';

/** Inputs of {@link predictionExplorerFigure}: one entry per test image. */
export interface PredictionPoints {
  truth: ArrayLike<number>;
  predicted: ArrayLike<number>;
  /** Posterior sd (error bars), optional. */
  sd?: ArrayLike<number>;
  images: ImageLike[];
  /** Axis title, e.g. `N (particles)`. */
  label: string;
}

/**
 * The figure: left the scatter with a diagonal and the selected point in red, right the selected
 * image (contrast-stretched, scale bar); one frame per point.
 *
 * @example
 * await show(predictionExplorerFigure({ truth, predicted, sd, images, label: 'N' }));
 */
export function predictionExplorerFigure(p: PredictionPoints, opts: { heightPx?: number; maxPoints?: number } = {}): PlotlyFigure {
  const n = Math.min(p.truth.length, p.predicted.length, p.images.length, opts.maxPoints ?? 60);
  if (n === 0) throw new RangeError('predictionExplorerFigure: no points');
  const t = Array.from({ length: n }, (_, i) => p.truth[i]!), y = Array.from({ length: n }, (_, i) => p.predicted[i]!);
  const lo = Math.min(...t, ...y), hi = Math.max(...t, ...y);
  const pad = 0.05 * (hi - lo || 1);
  const urls = p.images.slice(0, n).map((img) => `data:image/png;base64,${Buffer.from(encodePng(renderImage(img, { scaleBar: true }))).toString('base64')}`);
  const scatter = {
    type: 'scatter', mode: 'markers', name: 'test images', x: t, y, customdata: t.map((_, i) => String(i)),
    ...(p.sd ? { error_y: { type: 'data', array: Array.from({ length: n }, (_, i) => p.sd![i]!), thickness: 1, width: 0, color: '#9ab' } } : {}),
    marker: { size: 7, color: '#4C78A8' }, hovertemplate: `true %{x:.3g}<br>predicted %{y:.3g}<br>image %{customdata}<extra></extra>`,
  };
  const diagonal = { type: 'scatter', mode: 'lines', name: 'perfect', x: [lo - pad, hi + pad], y: [lo - pad, hi + pad], line: { color: '#999', dash: 'dot' }, hoverinfo: 'skip' };
  const selected = (i: number) => ({ type: 'scatter', mode: 'markers', name: 'selected', x: [t[i]], y: [y[i]], marker: { size: 14, color: 'rgba(0,0,0,0)', line: { color: '#d62728', width: 3 } }, hoverinfo: 'skip' });
  const image = (i: number) => [{ source: urls[i], xref: 'paper', yref: 'paper', x: 0.56, y: 1, sizex: 0.44, sizey: 1, xanchor: 'left', yanchor: 'top', sizing: 'contain', layer: 'above' }];
  const frames = t.map((_, i) => ({ name: String(i), data: [scatter, diagonal, selected(i)], layout: { images: image(i), annotations: [{ xref: 'paper', yref: 'paper', x: 0.78, y: 1.06, showarrow: false, text: `image ${i}: true ${t[i]!.toPrecision(3)}, predicted ${y[i]!.toPrecision(3)}` }] } }));
  return {
    data: [scatter, diagonal, selected(0)],
    layout: {
      height: opts.heightPx ?? 420,
      margin: { l: 60, r: 10, t: 40, b: 90 },
      xaxis: { domain: [0, 0.5], title: { text: `true ${p.label}` }, range: [lo - pad, hi + pad] },
      yaxis: { title: { text: `predicted ${p.label}` }, range: [lo - pad, hi + pad], scaleanchor: 'x' },
      showlegend: false,
      images: image(0),
      annotations: frames[0]!.layout.annotations,
      sliders: [{ currentvalue: { prefix: 'test image ' }, pad: { t: 50 }, steps: t.map((_, i) => ({ label: String(i), method: 'animate', args: [[String(i)], { mode: 'immediate', frame: { duration: 0, redraw: true }, transition: { duration: 0 } }] })) }],
      meta: { aggstemClickToFrame: true },
    },
    frames,
    config: { displaylogo: false },
  };
}

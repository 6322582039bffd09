/**
 * A 3D view with a slider over precomputed aggregates (e.g. one aggregate grown at segregation 0,
 * 0.25, …, 1 from the same random stream): plotly frames and a slider, so the interaction works in
 * JupyterLab, VS Code and a static HTML export alike — no kernel needed to move the slider.
 */
import { aggregateFigure, sphereBounds, type AggregateFigureOptions, type PlotlyFigure, type SphereSet } from './aggregate-figure.js';

/**
 * One frame per sphere set, switched by a slider labelled `labels`. The scene's ranges cover every
 * set (so sizes compare between frames) with equal scales on the three axes.
 *
 * @example
 * const aggs = [0, 0.5, 1].map((s) => generateAggregate({ ...MODEL_PRESETS.quick, segregation: s }, randomStream(1)));
 * await show(aggregateFramesFigure(aggs.map((a) => a.particles), ['s = 0', 's = 0.5', 's = 1']));
 */
export function aggregateFramesFigure(sets: SphereSet[], labels: string[], opts: AggregateFigureOptions & { sliderTitle?: string } = {}): PlotlyFigure {
  if (!Array.isArray(sets) || sets.length === 0) throw new RangeError('aggregateFramesFigure: expected at least one sphere set');
  if (labels.length !== sets.length) throw new RangeError(`aggregateFramesFigure: ${labels.length} labels for ${sets.length} sphere sets`);
  // One trace per frame (the sphere mesh): frames replace traces by index.
  const figs = sets.map((s) => aggregateFigure(s, { ...opts, centres: false }));
  const { lo, hi } = sphereBounds(sets);
  const span = Math.max(...hi.map((h, d) => h - lo[d]!));
  const axis = (d: number, title: string) => ({ title: { text: title }, range: [(lo[d]! + hi[d]!) / 2 - span / 2, (lo[d]! + hi[d]!) / 2 + span / 2], showbackground: false, zeroline: false, autorange: false });
  const base = figs[0]!;
  return {
    data: base.data,
    layout: {
      ...base.layout,
      scene: { aspectmode: 'cube', xaxis: axis(0, 'x (nm)'), yaxis: axis(1, 'y (nm)'), zaxis: axis(2, 'z (nm)') },
      margin: { l: 0, r: 0, t: opts.title ? 40 : 10, b: 60 },
      sliders: [{
        active: 0,
        currentvalue: { prefix: opts.sliderTitle ? `${opts.sliderTitle}: ` : '', visible: true },
        pad: { t: 10 },
        steps: labels.map((label) => ({ label, method: 'animate', args: [[label], { mode: 'immediate', frame: { duration: 0, redraw: true }, transition: { duration: 0 } }] })),
      }],
    },
    frames: figs.map((f, k) => ({ name: labels[k]!, data: f.data })),
    config: base.config ?? {},
  };
}

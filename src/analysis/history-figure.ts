/**
 * The training history as a chart: training loss and validation NLL per epoch (one panel each, as
 * the two losses have different scales), the best epoch marked.
 */
import type { EpochLog } from '../cnn/estimator.js';

/**
 * Vega-lite spec of a training history (`trainEstimator(...).history`, `meta.training.history`).
 *
 * @example
 * await show(trainingHistorySpec(run.history));
 */
export function trainingHistorySpec(history: readonly EpochLog[], opts: { title?: string } = {}): Record<string, unknown> {
  if (history.length === 0) throw new RangeError('trainingHistorySpec: the history is empty');
  const rows: Record<string, unknown>[] = [];
  let best = -1, bestNll = Infinity;
  for (const h of history) {
    rows.push({ epoch: h.epoch + 1, series: `training loss (${h.phase})`, value: h.loss });
    if (Number.isFinite(h.valNll)) rows.push({ epoch: h.epoch + 1, series: 'validation NLL', value: h.valNll });
    if (Number.isFinite(h.valNll) && h.valNll < bestNll) (bestNll = h.valNll), (best = h.epoch + 1);
  }
  const x = { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } };
  const panel = (series: string, title: string) => ({
    width: 300, height: 200, title,
    layer: [
      { transform: [{ filter: `indexof(datum.series, ${JSON.stringify(series)}) === 0` }], mark: { type: 'line', point: true },
        encoding: { x, y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } }, tooltip: [{ field: 'epoch' }, { field: 'value', format: '.4f' }] } },
      ...(best > 0 ? [{ data: { values: [{ epoch: best }] }, mark: { type: 'rule', strokeDash: [4, 3], color: '#888' }, encoding: { x: { field: 'epoch', type: 'quantitative' } } }] : []),
    ],
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: opts.title ?? `Training history (${history.length} epochs${best > 0 ? `; best validation NLL at epoch ${best}` : ''})`,
    data: { values: rows },
    hconcat: [panel('training loss', 'training loss'), ...(best > 0 ? [panel('validation NLL', 'validation NLL (scaled units; lower is better)')] : [])],
  };
}

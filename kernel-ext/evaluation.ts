/**
 * `show(evaluateEstimator(...))`: the headline of an error analysis in one output — the parameter
 * scores, predicted against true, calibration and, for models with descriptor heads, both descriptor
 * routes — as HTML tables with the charts' SVG inline (so it reads the same in every frontend and
 * export; the full report is `writeEvaluation`).
 */
import { pitCalibrationTable } from '../src/analysis/calibration.js';
import { baselineDescriptorMeans, type EvaluationResult } from '../src/analysis/evaluate.js';
import { parameterErrorTable, parameterSampleTable } from '../src/analysis/errors.js';
import { calibrationSpec, predictedVsTrueSpec } from '../src/analysis/figures.js';
import { descriptorRouteTable } from '../src/analysis/routes.js';
import { MIME, escapeHtml, type MimeBundle } from './mime.js';
import { tableBundle } from './table.js';
import { vegaLiteToSvg } from './vega.js';

/** The bundle `show()` sends for an {@link EvaluationResult}. */
export async function evaluationBundle(result: EvaluationResult): Promise<MimeBundle> {
  const params = parameterErrorTable(result.params).select('parameter', 'n', 'r2', 'baselineR2', 'mae', 'coverage68', 'coverage95');
  const sections: string[] = [];
  const text: string[] = [`evaluation of ${result.indices.length} test images (${result.settings.drawSamples} with ${result.settings.draws} draws at θ̂ and θ)`];
  const add = (title: string, html: string, plain: string) => {
    sections.push(`<h4 style="margin:12px 0 4px">${escapeHtml(title)}</h4>${html}`);
    text.push(`${title}\n${plain}`);
  };
  const pb = tableBundle(params, { digits: 3 });
  add('Parameters', pb[MIME.html] as string, pb[MIME.plain] as string);
  add('Predicted against true', await vegaLiteToSvg(predictedVsTrueSpec(parameterSampleTable(result.params), { columns: 4 })), '(chart)');
  add('Calibration', await vegaLiteToSvg(calibrationSpec(pitCalibrationTable(result.pit))), '(chart)');
  if (result.direct) {
    const routes = descriptorRouteTable(result.direct, result.draws, baselineDescriptorMeans(result.draws)).select('descriptor', 'directMedianRelError', 'thetaRouteMedianRelError', 'perfectThetaFloor', 'baselineMedianRelError');
    const rb = tableBundle(routes, { digits: 3 });
    add('The imaged aggregate\'s descriptors: direct route, θ route, perfect-θ floor, baseline (median relative errors)', rb[MIME.html] as string, rb[MIME.plain] as string);
  }
  return { [MIME.html]: `<div class="aggstem-evaluation">${sections.join('')}</div>`, [MIME.plain]: text.join('\n\n') };
}

/**
 * A compact, machine-readable summary of an evaluation (`summary.json` of `aggstem evaluate`, the
 * rows of the accuracy study): per-parameter scores, per-descriptor route errors, coverage at every
 * calibration level, plus the provenance record the caller passes in.
 */
import { CALIBRATION_LEVELS, pitCoverage } from './calibration.js';
import { baselineDescriptorMeans, type EvaluationResult } from './evaluate.js';
import { parameterErrorTable } from './errors.js';
import { descriptorRouteTable } from './routes.js';

/** Plain JSON of the evaluation's headline numbers. */
export interface EvaluationSummary {
  provenance: Record<string, unknown>;
  testSamples: number;
  drawSamples: number;
  parameters: Record<string, Record<string, number>>;
  descriptors: Record<string, Record<string, number>>;
  /** Observed coverage per target (parameters then descriptors) at each nominal level. */
  coverage: Record<string, Record<string, number>>;
  elapsedSeconds: number;
}

const finiteOrNull = (v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v);

function rowsByName(objects: Record<string, unknown>[], key: string): Record<string, Record<string, number>> {
  return Object.fromEntries(objects.map((r) => [String(r[key]), Object.fromEntries(Object.entries(r).filter(([k]) => k !== key).map(([k, v]) => [k, finiteOrNull(v)])) as Record<string, number>]));
}

/** The summary of `result`; `provenance` should name the model (path, sha256), data, backend, code version and seed. */
export function evaluationSummary(result: EvaluationResult, provenance: Record<string, unknown>): EvaluationSummary {
  const T = result.pit.names.length;
  const n = result.pit.pit.length / T;
  const coverage: Record<string, Record<string, number>> = {};
  result.pit.names.forEach((name, j) => {
    const col = Float64Array.from({ length: n }, (_, i) => result.pit.pit[i * T + j]!);
    coverage[name] = Object.fromEntries(CALIBRATION_LEVELS.map((l) => [String(l), pitCoverage(col, l)]));
  });
  const routes = result.direct ? descriptorRouteTable(result.direct, result.draws, baselineDescriptorMeans(result.draws)) : null;
  return {
    provenance,
    testSamples: result.indices.length,
    drawSamples: result.settings.drawSamples,
    parameters: rowsByName(parameterErrorTable(result.params).objects() as Record<string, unknown>[], 'parameter'),
    descriptors: routes ? rowsByName(routes.objects() as Record<string, unknown>[], 'descriptor') : {},
    coverage,
    elapsedSeconds: result.elapsedSeconds,
  };
}

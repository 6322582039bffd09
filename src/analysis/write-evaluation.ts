/**
 * Writes an evaluation to a folder: the self-contained HTML report, the long tables (CSV + Parquet)
 * and `summary.json` with the provenance record. What `aggstem evaluate` and {@link runPipeline}
 * leave behind (docs/error-analysis.md).
 */
import { join } from 'node:path';
import type { ColumnTable } from 'arquero';
import { writeFileAtomic } from '../io/atomic.js';
import { writeTableCsv, writeTableParquet } from '../io/table.js';
import { pitCalibrationTable, rankHistogramTable } from './calibration.js';
import { descriptorSampleTable, parameterSampleTable } from './errors.js';
import { evaluationReport, type EvaluationComparison, type EvaluationResult } from './evaluate.js';
import { writeReport } from './report.js';
import { directSampleTable } from './routes.js';
import { evaluationSummary } from './summary.js';

/**
 * Writes `result` into `outDir` and returns the path of `index.html`. `facts` are shown at the top
 * of the report; `provenance` (model path and sha256, dataset, backend, code version, seed) goes to
 * `summary.json`.
 */
export function writeEvaluation(outDir: string, result: EvaluationResult, facts: Record<string, string | number>, provenance: Record<string, unknown>, compare?: EvaluationComparison): string {
  const index = writeReport(outDir, evaluationReport(result, facts, compare));
  const tables: [string, ColumnTable][] = [
    ['parameter-samples', parameterSampleTable(result.params)],
    ['descriptor-samples', descriptorSampleTable(result.draws)],
    ['calibration', pitCalibrationTable(result.pit)],
    ['rank-histogram', rankHistogramTable(result.pit)],
  ];
  if (result.direct) tables.push(['direct-samples', directSampleTable(result.direct)]);
  for (const [file, table] of tables) {
    writeTableCsv(join(outDir, `${file}.csv`), table);
    writeTableParquet(join(outDir, `${file}.parquet`), table);
  }
  writeFileAtomic(join(outDir, 'summary.json'), JSON.stringify(evaluationSummary(result, provenance), null, 1) + '\n');
  return index;
}

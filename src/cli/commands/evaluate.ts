/**
 * `aggstem evaluate`: the error analysis of a trained estimator on a dataset's test split, written as
 * tables (CSV + Parquet) and a self-contained HTML report.
 *
 *   aggstem evaluate --model MODEL --data DIR --out REPORT [--draws K] [--max-samples N]
 *                    [--workers k] [--seed S] [--projections P] [--backend auto|tensorflow|wasm|cpu] [--quiet]
 */
import { join } from 'node:path';
import { evaluateEstimator, evaluationReport } from '../../analysis/evaluate.js';
import { writeReport } from '../../analysis/report.js';
import { calibrationTable, descriptorSampleTable, parameterSampleTable } from '../../analysis/errors.js';
import { writeTableCsv, writeTableParquet } from '../../io/table.js';
import { disposeEstimator, EstimatorFileError, loadEstimator } from '../../cnn/estimator.js';
import { intFlag, parseCommandArgs, requireFlag } from '../args.js';
import { UserError } from '../errors.js';
import { backendFlag, openDatasetFor, startBackend } from '../resources.js';
import { progressBar, type ProgressBar } from '../progress.js';

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('evaluate', argv, {
    model: { type: 'string' },
    data: { type: 'string' },
    out: { type: 'string' },
    draws: { type: 'string' },
    'max-samples': { type: 'string' },
    workers: { type: 'string' },
    seed: { type: 'string' },
    projections: { type: 'string' },
    backend: { type: 'string' },
    quiet: { type: 'boolean' },
  });
  const modelDir = requireFlag('evaluate', 'model', values.model as string | undefined);
  const dataDir = requireFlag('evaluate', 'data', values.data as string | undefined);
  const outDir = requireFlag('evaluate', 'out', values.out as string | undefined);
  const draws = intFlag('evaluate', 'draws', values.draws as string | undefined, 20, 1);
  const maxSamples = values['max-samples'] === undefined ? undefined : intFlag('evaluate', 'max-samples', values['max-samples'] as string, 0, 1);
  const workers = intFlag('evaluate', 'workers', values.workers as string | undefined, 2, 0);
  const projections = intFlag('evaluate', 'projections', values.projections as string | undefined, 16, 1);
  const backendPref = backendFlag('evaluate', values.backend as string | undefined);
  const quiet = Boolean(values.quiet);
  const say = (m: string) => { if (!quiet) process.stderr.write(m + '\n'); };

  const ds = openDatasetFor('evaluate', dataDir);
  const be = await startBackend('evaluate', backendPref, say);
  let estimator;
  try {
    estimator = await loadEstimator(modelDir);
  } catch (e) {
    if (e instanceof EstimatorFileError) throw new UserError(`aggstem evaluate: ${e.message}`);
    throw e;
  }
  const bars: Partial<Record<'predict' | 'draws', ProgressBar>> = {};
  try {
    const result = await evaluateEstimator(estimator, ds, {
      draws, maxSamples, workers, projections,
      seed: (values.seed as string | undefined) ?? 0,
      onProgress: (done, total, stage) => {
        const bar = (bars[stage] ??= progressBar(stage === 'predict' ? 'predict' : 'draws  ', total, { quiet }));
        bar.update(done);
        if (done === total) bar.finish();
      },
    });
    const content = evaluationReport(result, {
      model: modelDir,
      dataset: ds.dir,
      'dataset config hash': ds.manifest.configHash.slice(0, 16),
      backend: be.name,
      'image size': `${ds.imageSize}×${ds.imageSize} px at ${ds.pixelSizeNm} nm`,
    });
    const index = writeReport(outDir, content);
    for (const [file, table] of [['parameter-samples', parameterSampleTable(result.params)], ['descriptor-samples', descriptorSampleTable(result.draws)], ['calibration', calibrationTable(result.params)]] as const) {
      writeTableCsv(join(outDir, `${file}.csv`), table);
      writeTableParquet(join(outDir, `${file}.parquet`), table);
    }
    console.log(index);
    return 0;
  } finally {
    disposeEstimator(estimator);
  }
}

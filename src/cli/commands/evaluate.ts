/**
 * `aggstem evaluate`: the error analysis of a trained estimator on a dataset's test split, written as
 * tables (CSV + Parquet) and a self-contained HTML report.
 *
 *   aggstem evaluate --model MODEL --data DIR --out REPORT [--draws K] [--max-samples N] [--draw-samples M]
 *                    [--workers k] [--seed S] [--projections P] [--backend auto|tensorflow|wasm|cpu] [--quiet]
 */
import { resolve } from 'node:path';
import { evaluateEstimator } from '../../analysis/evaluate.js';
import { writeEvaluation } from '../../analysis/write-evaluation.js';
import { codeVersion, disposeEstimator, loadEstimator } from '../../cnn/estimator.js';
import { intFlag, parseCommandArgs, requireFlag } from '../args.js';
import { backendFlag, openDatasetFor, startBackend } from '../resources.js';
import { progressBar, type ProgressBar } from '../progress.js';

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('evaluate', argv, {
    model: { type: 'string' },
    data: { type: 'string' },
    out: { type: 'string' },
    draws: { type: 'string' },
    'max-samples': { type: 'string' },
    'draw-samples': { type: 'string' },
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
  const drawSamples = values['draw-samples'] === undefined ? undefined : intFlag('evaluate', 'draw-samples', values['draw-samples'] as string, 0, 1);
  const workers = intFlag('evaluate', 'workers', values.workers as string | undefined, 2, 0);
  const projections = intFlag('evaluate', 'projections', values.projections as string | undefined, 16, 1);
  const backendPref = backendFlag('evaluate', values.backend as string | undefined);
  const quiet = Boolean(values.quiet);
  const say = (m: string) => { if (!quiet) process.stderr.write(m + '\n'); };

  const ds = openDatasetFor('evaluate', dataDir);
  const be = await startBackend('evaluate', backendPref, say);
  const estimator = await loadEstimator(modelDir);
  const bars: Partial<Record<'predict' | 'draws', ProgressBar>> = {};
  try {
    const result = await evaluateEstimator(estimator, ds, {
      draws, maxSamples, drawSamples, workers, projections,
      seed: (values.seed as string | undefined) ?? 0,
      onProgress: (done, total, stage) => {
        const bar = (bars[stage] ??= progressBar(stage === 'predict' ? 'predict' : 'draws  ', total, { quiet }));
        bar.update(done);
        if (done === total) bar.finish();
      },
    });
    const index = writeEvaluation(outDir, result, {
      model: modelDir,
      dataset: ds.dir,
      'dataset config hash': ds.manifest.configHash.slice(0, 16),
      backend: be.name,
      'image size': `${ds.imageSize}×${ds.imageSize} px at ${ds.pixelSizeNm} nm`,
    }, {
      model: resolve(modelDir), modelSha256: estimator.meta.files, modelCodeVersion: estimator.meta.codeVersion,
      dataset: ds.dir, datasetConfigHash: ds.manifest.configHash, backend: be.name, codeVersion: codeVersion(),
      drawSeed: String((values.seed as string | undefined) ?? 0),
    });
    console.log(index);
    return 0;
  } finally {
    disposeEstimator(estimator);
  }
}

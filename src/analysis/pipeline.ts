/**
 * The whole study as one library call: dataset → training → evaluation → report, each stage writing
 * into its folder of `outDir` (`dataset/`, `model/`, `report/`), so an interrupted run resumes where
 * it stopped: finished dataset shards are verified and kept, training continues from its last
 * checkpoint, the evaluation is redone. `aggstem pipeline` and `npm start` are thin adapters.
 *
 * ```ts
 * const { reportIndex } = await runPipeline({ preset: 'quick', outDir: 'runs/quick' }, {
 *   onProgress: (e) => console.log(e.stage, e.done, '/', e.total),
 * });
 * ```
 */
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { initBackend, type BackendPreference } from '../cnn/backend/index.js';
import { datasetSource } from '../cnn/dataset-source.js';
import { codeVersion, disposeEstimator, loadEstimator, readEstimatorMeta, shippedModelDir, type EstimatorMeta } from '../cnn/estimator.js';
import { trainEstimator } from '../cnn/train.js';
import type { EpochLog } from '../cnn/estimator.js';
import { datasetConfig, type DatasetPresetName } from '../dataset/config.js';
import { generateDataset } from '../dataset/generate.js';
import { openDataset, type Dataset } from '../dataset/loader.js';
import { evaluateEstimator, type EvaluationComparison } from './evaluate.js';
import { writeEvaluation } from './write-evaluation.js';

/** What to run. Unset numbers come from the preset's defaults ({@link PIPELINE_DEFAULTS}). */
export interface PipelineConfig {
  preset: DatasetPresetName;
  outDir: string;
  /** Dataset samples (default: the preset's). */
  count?: number;
  epochs?: number;
  /** Aggregates drawn per test image at θ̂ and at θ. */
  draws?: number;
  /** At most this many test images in the evaluation. */
  maxSamples?: number;
  /** Worker threads of dataset generation and draws (default: CPUs). */
  workers?: number;
  /** Seed of the dataset, the training and the draws (default '1'). */
  seed?: string;
  backend?: BackendPreference;
}

/** Per-preset defaults; `small` is the two-minute mode of the tests and demos (AGGSTEM_SMALL=1 in the CLI). */
export const PIPELINE_DEFAULTS = {
  quick: { epochs: 20, draws: 20, maxSamples: 200 },
  paper: { epochs: 40, draws: 20, maxSamples: 1000 },
  dfsp: { epochs: 20, draws: 10, maxSamples: 100 },
  small: { count: 240, epochs: 4, draws: 4, maxSamples: 40 },
} as const;

/** A progress event: a stage starting (`done` 0), advancing, or a line worth showing (`message`). */
export interface PipelineProgress {
  stage: 'dataset' | 'training' | 'evaluation';
  /** 1-based stage number of 3. */
  index: number;
  done: number;
  total: number;
  message?: string;
  /** The epoch just finished (training). */
  epoch?: EpochLog;
}

/** What {@link runPipeline} produced. */
export interface PipelineResult {
  datasetDir: string;
  modelDir: string;
  reportDir: string;
  /** Path of the report's `index.html`. */
  reportIndex: string;
  backend: string;
  seconds: number;
}

/** Runs dataset → training → evaluation → report (see the module doc). */
export async function runPipeline(config: PipelineConfig, opts: { small?: boolean; onProgress?: (p: PipelineProgress) => void; signal?: AbortSignal } = {}): Promise<PipelineResult> {
  const t0 = Date.now();
  const d = opts.small ? PIPELINE_DEFAULTS.small : { ...PIPELINE_DEFAULTS[config.preset], count: undefined };
  const count = config.count ?? d.count;
  const epochs = config.epochs ?? d.epochs;
  const draws = config.draws ?? d.draws;
  const maxSamples = config.maxSamples ?? d.maxSamples;
  const workers = config.workers ?? availableParallelism();
  const seed = config.seed ?? '1';
  const numericSeed = /^-?\d+$/.test(seed) && Number.isSafeInteger(Number(seed)) ? Number(seed) : seed;
  const datasetDir = join(config.outDir, 'dataset'), modelDir = join(config.outDir, 'model'), reportDir = join(config.outDir, 'report');
  const say = (p: PipelineProgress) => opts.onProgress?.(p);

  say({ stage: 'dataset', index: 1, done: 0, total: count ?? 0, message: `dataset (${config.preset}${count ? `, ${count} samples` : ''}) → ${datasetDir}` });
  await generateDataset(datasetConfig({ preset: config.preset, seed: numericSeed, ...(count ? { count } : {}) }), datasetDir, {
    workers,
    log: (m) => say({ stage: 'dataset', index: 1, done: 0, total: 0, message: m }),
    onProgress: (p) => say({ stage: 'dataset', index: 1, done: p.done, total: p.total }),
  });

  const be = await initBackend(config.backend ?? 'auto');
  say({ stage: 'training', index: 2, done: 0, total: epochs, message: `training (${epochs} epochs) → ${modelDir}; backend: ${be.name} (${be.reason})` });
  const ds = openDataset(datasetDir);
  // resume continues an interrupted run and starts a fresh one when there is no checkpoint.
  const trained = await trainEstimator(datasetSource(ds), {
    epochs, seed: numericSeed, outDir: modelDir, resume: true, ...(opts.signal ? { signal: opts.signal } : {}),
    onEpochEnd: (log) => say({ stage: 'training', index: 2, done: log.epoch + 1, total: epochs, epoch: log }),
  });
  disposeEstimator(trained.estimator);
  if (trained.interrupted) throw new Error('runPipeline: interrupted during training; run it again to resume');

  say({ stage: 'evaluation', index: 3, done: 0, total: 0, message: `evaluation (${draws} draws per test image) → ${reportDir}` });
  const estimator = await loadEstimator(modelDir);
  try {
    const result = await evaluateEstimator(estimator, ds, {
      draws, workers: Math.max(1, workers), seed, ...(maxSamples ? { maxSamples } : {}),
      onProgress: (done, total, stage) => say({ stage: 'evaluation', index: 3, done, total, message: stage }),
    });
    const compare = await compareShipped(estimator.meta, ds, seed, workers, maxSamples, (m) => say({ stage: 'evaluation', index: 3, done: 0, total: 0, message: m }));
    const reportIndex = writeEvaluation(reportDir, result, {
      model: modelDir, dataset: ds.dir, 'dataset config hash': ds.manifest.configHash.slice(0, 16), backend: be.name,
      'image size': `${ds.imageSize}×${ds.imageSize} px at ${ds.pixelSizeNm} nm`,
    }, {
      model: resolve(modelDir), modelSha256: estimator.meta.files, dataset: ds.dir, datasetConfigHash: ds.manifest.configHash,
      backend: be.name, codeVersion: codeVersion(), drawSeed: seed,
    }, compare ?? undefined);
    return { datasetDir, modelDir, reportDir, reportIndex, backend: be.name, seconds: (Date.now() - t0) / 1000 };
  } finally {
    disposeEstimator(estimator);
  }
}

/**
 * The shipped model scored on the same test images (predictions only, no draws), when it fits the
 * run's geometry and parameters; null otherwise (e.g. the `paper` preset).
 */
async function compareShipped(meta: EstimatorMeta, ds: Dataset, seed: string, workers: number, maxSamples: number | undefined, note: (m: string) => void): Promise<EvaluationComparison | null> {
  const dir = shippedModelDir('quick');
  let shipped: EstimatorMeta;
  try {
    shipped = readEstimatorMeta(dir);
  } catch {
    return null;
  }
  const fits = shipped.input.sizePx === meta.input.sizePx && Math.abs(shipped.input.pixelSizeNm - meta.input.pixelSizeNm) < 1e-9 &&
    shipped.paramNames.every((n) => ds.paramNames.includes(n));
  if (!fits) return null;
  note('scoring the shipped quick model on the same test images');
  const est = await loadEstimator(dir);
  try {
    const result = await evaluateEstimator(est, ds, { draws: 1, baselineDraws: 4, drawSamples: 0, workers: Math.max(1, workers), seed, ...(maxSamples ? { maxSamples } : {}) });
    return { label: 'shipped quick model (datasets/quick-model)', result };
  } finally {
    disposeEstimator(est);
  }
}

/**
 * The accuracy study (docs/accuracy.md): learning curves of the estimator on the `quick` geometry.
 *
 * For each training-set size (nested subsets of one 25 000-sample dataset, `trainCount`) a network
 * is trained with the same recipe, then evaluated on a FRESH test dataset drawn with a seed nothing
 * was trained on: R² and coverage per parameter, the direct descriptor route, the θ route (draws at
 * θ̂), the perfect-θ floor (draws at the true θ), the prior-mean baseline, coverage at 12 levels,
 * and training time. An oracle row trains the same network on the noise-free images.
 *
 *   npm run bench accuracy                 # everything: hours on 2 cores; resumable (re-run continues)
 *   AGGSTEM_STUDY_DIR=runs/study AGGSTEM_STUDY_SIZES=2000,5000 npm run bench accuracy
 *
 * Datasets, models and evaluations live in AGGSTEM_STUDY_DIR (default runs/study); finished models
 * are reused. The JSON result also goes to docs/results/accuracy-study.json with a vega-lite figure.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluateEstimator } from '../src/analysis/evaluate.js';
import { evaluationSummary, type EvaluationSummary } from '../src/analysis/summary.js';
import { initBackend } from '../src/cnn/backend/index.js';
import { datasetSource, disposeEstimator, loadEstimator, readEstimatorMeta, trainEstimator } from '../src/cnn/index.js';
import { codeVersion } from '../src/cnn/estimator.js';
import { datasetConfig, generateDataset, openDataset } from '../src/dataset/index.js';
import { writeFileAtomic } from '../src/io/atomic.js';
import { learningCurveSpec } from '../src/analysis/figures.js';
import { vegaLiteToSvg } from '../kernel-ext/vega.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = process.env.AGGSTEM_STUDY_DIR ?? join(root, 'runs', 'study');
const sizes = (process.env.AGGSTEM_STUDY_SIZES ?? '2000,5000,10000,22475').split(',').map(Number);
const oracleSize = Number(process.env.AGGSTEM_STUDY_ORACLE ?? 5000);
const EPOCHS = 20, LR_DECAY = 0.9, SEED = 1;
const DRAW_SAMPLES = Number(process.env.AGGSTEM_STUDY_DRAW_SAMPLES ?? 300);
const DRAWS = 10;

/** The exact recipe: also what docs/accuracy.md and datasets/README.md quote. */
export const STUDY = {
  train: { preset: 'quick' as const, seed: 1, count: 25_000, split: { val: 0.06, test: 0.04 } },
  test: { preset: 'quick' as const, seed: 'fresh-test-2026', count: 1500, split: { val: 0, test: 1 } },
  training: { epochs: EPOCHS, lrDecay: LR_DECAY, seed: SEED, batchSize: 32, head: 'binned, 32 bins', network: 'quick' },
  evaluation: { drawSamples: DRAW_SAMPLES, draws: DRAWS, seed: 0 },
};

async function ensureDataset(name: string, cfg: typeof STUDY.train | typeof STUDY.test): Promise<string> {
  const out = join(dir, name);
  await generateDataset(datasetConfig(cfg), out, { log: (m) => console.error(`  ${m}`) });
  return out;
}

async function ensureModel(dataDir: string, name: string, trainCount: number, clean: boolean): Promise<string> {
  const out = join(dir, 'models', name);
  const ds = openDataset(dataDir);
  const full = trainCount >= ds.splitCounts.train;
  const source = datasetSource(ds, { ...(full ? {} : { trainCount }), clean });
  if (existsSync(join(out, 'aggstem-model.json'))) {
    const m = readEstimatorMeta(out);
    if (m.training.epochsRun >= EPOCHS || m.training.stoppedEarly) return out;
  }
  console.error(`  training ${name} (${source.info.counts.train} images${clean ? ', clean' : ''})`);
  const r = await trainEstimator(source, { network: 'quick', epochs: EPOCHS, lrDecay: LR_DECAY, seed: SEED, outDir: out, resume: true });
  disposeEstimator(r.estimator);
  return out;
}

interface StudyRow {
  model: string;
  trainImages: number;
  clean: boolean;
  epochsRun: number;
  bestEpoch: number;
  trainingSeconds: number;
  imagesPerSecond: number;
  summary: EvaluationSummary;
}

async function evaluateModel(modelDir: string, testDir: string, backend: string, clean: boolean): Promise<EvaluationSummary> {
  const cached = join(modelDir, 'study-evaluation.json');
  // An evaluation of these exact model files with these settings is reused (it is a pure function of them).
  if (existsSync(cached)) {
    const c = JSON.parse(readFileSync(cached, 'utf8')) as EvaluationSummary;
    const files = readEstimatorMeta(modelDir).files;
    const p = c.provenance as { modelSha256?: { weights?: string }; settings?: unknown };
    if (p.modelSha256?.weights === files.weights && JSON.stringify(p.settings) === JSON.stringify(STUDY.evaluation)) return c;
  }
  const est = await loadEstimator(modelDir);
  try {
    const ds = openDataset(testDir);
    const result = await evaluateEstimator(est, ds, { draws: DRAWS, drawSamples: DRAW_SAMPLES, seed: 0, workers: 2, ...(clean ? { images: 'clean' as const } : {}) });
    const s = evaluationSummary(result, {
      model: modelDir, modelSha256: est.meta.files, testData: ds.dir, testConfigHash: ds.manifest.configHash, backend, codeVersion: codeVersion(), drawSeed: '0',
      settings: STUDY.evaluation, clean,
    });
    writeFileAtomic(cached, JSON.stringify(s, null, 1) + '\n');
    return s;
  } finally {
    disposeEstimator(est);
  }
}

export async function run(): Promise<object> {
  mkdirSync(join(dir, 'models'), { recursive: true });
  const be = await initBackend('auto');
  const trainDir = await ensureDataset('data25k', STUDY.train);
  const testDir = await ensureDataset('test-data', STUDY.test);
  const plan: { name: string; n: number; clean: boolean }[] = [
    ...sizes.map((n) => ({ name: n >= 22475 ? 'full' : `n${n}`, n, clean: false })),
    ...(oracleSize > 0 ? [{ name: `clean-n${oracleSize}`, n: oracleSize, clean: true }] : []),
  ];
  const rows: StudyRow[] = [];
  for (const p of plan) {
    const modelDir = await ensureModel(trainDir, p.name, p.n, p.clean);
    const meta = readEstimatorMeta(modelDir);
    const hist = meta.training.history;
    const trainingSeconds = hist.reduce((s, h) => s + h.seconds, 0);
    console.error(`  evaluating ${p.name}`);
    const te = Date.now();
    const summary = await evaluateModel(modelDir, testDir, be.name, p.clean);
    rows.push({
      model: p.name, trainImages: meta.data.counts.train, clean: p.clean, epochsRun: hist.length, bestEpoch: meta.training.bestEpoch,
      trainingSeconds, imagesPerSecond: hist.reduce((s, h) => s + h.imagesPerSecond, 0) / hist.length, summary,
    });
    console.error(`  ${p.name}: evaluated in ${((Date.now() - te) / 1000).toFixed(0)} s`);
  }
  const out = { study: STUDY, backend: be.name, codeVersion: codeVersion(), rows };
  const resultsDir = join(root, 'docs', 'results');
  mkdirSync(resultsDir, { recursive: true });
  writeFileAtomic(join(resultsDir, 'accuracy-study.json'), JSON.stringify(out, null, 1) + '\n');
  const spec = learningCurveSpec(rows);
  writeFileAtomic(join(resultsDir, 'accuracy-study.vl.json'), JSON.stringify(spec, null, 1) + '\n');
  writeFileAtomic(join(resultsDir, 'accuracy-study.svg'), await vegaLiteToSvg(spec));
  return out;
}

/**
 * The accuracy study (docs/accuracy.md): learning curves of the estimator on the `quick` geometry.
 *
 * For each training-set size (nested subsets of one 25 000-sample dataset, `trainCount`) a network
 * is trained with the same recipe, then evaluated on a FRESH test dataset drawn with a seed nothing
 * was trained on: R² and coverage per parameter, the direct descriptor route, the θ route (draws at
 * θ̂), the perfect-θ floor (draws at the true θ), the prior-mean baseline, coverage at 12 levels,
 * and training time (sizes up to 22 475 from the 25 000-sample dataset, 40 000 from a 44 500-sample
 * one with the same seed). Two oracle rows bound what the images can carry: the same network trained on
 * the noise-free images, and on the two per-material projected thickness maps as input channels
 * (recomputed from the samples' seeds: sample i is a pure function of (config, i)).
 *
 *   npm run bench accuracy                 # everything: hours on 2 cores; resumable (re-run continues)
 *   AGGSTEM_STUDY_DIR=runs/study AGGSTEM_STUDY_SIZES=2000,5000 npm run bench accuracy
 *   AGGSTEM_STUDY_TRAIN=0 npm run bench accuracy   # evaluate the models as they are, train nothing
 *
 * Datasets, models and evaluations live in AGGSTEM_STUDY_DIR (default runs/study); finished models
 * are reused. The JSON result also goes to docs/results/accuracy-study.json with a vega-lite figure.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluateEstimator, type EvaluateOptions } from '../src/analysis/evaluate.js';
import { evaluationSummary, type EvaluationSummary } from '../src/analysis/summary.js';
import { initBackend } from '../src/cnn/backend/index.js';
import { arraySource, datasetSource, disposeEstimator, loadEstimator, readEstimatorMeta, trainEstimator } from '../src/cnn/index.js';
import { codeVersion } from '../src/cnn/estimator.js';
import { datasetConfig, generateDataset, openDataset, readSamples, type Dataset } from '../src/dataset/index.js';
import { computeSample } from '../src/dataset/sample.js';
import { createStemWorkspace } from '../src/stem/index.js';
import { writeFileAtomic } from '../src/io/atomic.js';
import { learningCurveSpec } from '../src/analysis/figures.js';
import { vegaLiteToSvg } from '../kernel-ext/vega.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = process.env.AGGSTEM_STUDY_DIR ?? join(root, 'runs', 'study');
const sizes = (process.env.AGGSTEM_STUDY_SIZES ?? '2000,5000,10000,22475').split(',').map(Number);
const oracleSize = Number(process.env.AGGSTEM_STUDY_ORACLE ?? 5000);
const thicknessOracleSize = Number(process.env.AGGSTEM_STUDY_THICKNESS_ORACLE ?? 5000);
// The 40 000-image point needs its own, larger dataset (same seed: its first 25 000 samples are the
// 25 000-sample dataset's). 0 leaves it out.
const largeSize = Number(process.env.AGGSTEM_STUDY_LARGE ?? 40000);
// AGGSTEM_STUDY_TRAIN=0 evaluates the models as they are (an interrupted run's best epoch so far;
// each row records the epochs it ran) instead of training them to EPOCHS first.
const trainMore = process.env.AGGSTEM_STUDY_TRAIN !== '0';
const EPOCHS = 20, LR_DECAY = 0.9, SEED = 1;
const DRAW_SAMPLES = Number(process.env.AGGSTEM_STUDY_DRAW_SAMPLES ?? 300);
const DRAWS = 10;

/** The exact recipe: also what docs/accuracy.md and datasets/README.md quote. */
export const STUDY = {
  train: { preset: 'quick' as const, seed: 1, count: 25_000, split: { val: 0.06, test: 0.04 } },
  test: { preset: 'quick' as const, seed: 'fresh-test-2026', count: 1500, split: { val: 0, test: 1 } },
  large: { preset: 'quick' as const, seed: 1, count: 44_500, split: { val: 0.06, test: 0.04 } },
  training: { epochs: EPOCHS, lrDecay: LR_DECAY, seed: SEED, batchSize: 32, head: 'binned, 32 bins', network: 'quick' },
  evaluation: { drawSamples: DRAW_SAMPLES, draws: DRAWS, seed: 0 },
};

async function ensureDataset(name: string, cfg: typeof STUDY.train | typeof STUDY.test | typeof STUDY.large): Promise<string> {
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
    if (m.training.epochsRun >= EPOCHS || m.training.stoppedEarly || !trainMore) return out;
  }
  console.error(`  training ${name} (${source.info.counts.train} images${clean ? ', clean' : ''})`);
  const r = await trainEstimator(source, { network: 'quick', epochs: EPOCHS, lrDecay: LR_DECAY, seed: SEED, outDir: out, resume: true });
  disposeEstimator(r.estimator);
  return out;
}

/**
 * The per-material thickness maps `[n, side, side, 2]` of samples `indices` of a dataset, recomputed
 * with `computeSample` (pure in (config, index)); each sample's parameters are checked against the
 * stored table so a drifted generator cannot silently feed the oracle other aggregates.
 */
function thicknessInputs(ds: Dataset, indices: ArrayLike<number>, params: Float64Array, label: string): Float32Array {
  const side = ds.imageSize;
  const P = ds.paramNames.length;
  const out = new Float32Array(indices.length * side * side * 2);
  const ws = createStemWorkspace();
  const t0 = Date.now();
  for (let k = 0; k < indices.length; k++) {
    const r = computeSample(ds.manifest.config, indices[k]!, ws, { thickness: true });
    ds.paramNames.forEach((nm, j) => {
      if (r.params[nm] !== params[k * P + j]) throw new Error(`thickness oracle: sample ${indices[k]} recomputed with ${nm} = ${r.params[nm]}, the table has ${params[k * P + j]}`);
    });
    out.set(r.thicknessNm!, k * side * side * 2);
    if ((k + 1) % 500 === 0) console.error(`  ${label}: thickness maps ${k + 1}/${indices.length} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
  return out;
}

/** Rows `keep` of a row-major `[n, width]` array. */
function rowsWhere(a: Float64Array, width: number, keep: boolean[]): Float64Array {
  const out: number[] = [];
  keep.forEach((k, i) => { if (k) for (let j = 0; j < width; j++) out.push(a[i * width + j]!); });
  return Float64Array.from(out);
}

/** Descriptor columns of `samples` as a row-major `[n, Q]` array in `names` order. */
function descriptorRows(samples: { descriptors: Record<string, Float64Array>; indices: Int32Array }, names: readonly string[]): Float64Array {
  const n = samples.indices.length;
  const out = new Float64Array(n * names.length);
  names.forEach((d, q) => { for (let i = 0; i < n; i++) out[i * names.length + q] = samples.descriptors[d]![i]!; });
  return out;
}

/** Trains the thickness-map oracle on the same training subset as the noisy row of that size. */
async function ensureThicknessModel(dataDir: string, name: string, trainCount: number): Promise<string> {
  const out = join(dir, 'models', name);
  if (existsSync(join(out, 'aggstem-model.json'))) {
    const m = readEstimatorMeta(out);
    if (m.training.epochsRun >= EPOCHS || m.training.stoppedEarly || !trainMore) return out;
  }
  const ds = openDataset(dataDir);
  const base = datasetSource(ds, { trainCount });
  const train = readSamples(ds, 'train');
  const keep = Array.from(train.indices, (i) => i < base.info.maxIndex!);
  const trainIdx = train.indices.filter((_, i) => keep[i]!);
  const trainParams = rowsWhere(train.params, ds.paramNames.length, keep);
  const val = readSamples(ds, 'val');
  const names = base.descriptorNames ?? [];
  const source = arraySource({
    paramNames: base.paramNames, scaling: base.scaling, imageSize: ds.imageSize, pixelSizeNm: ds.pixelSizeNm, channels: 2, augment: true,
    ...(names.length ? { descriptorNames: names, descriptorScaling: base.descriptorScaling } : {}),
    prior: ds.prior, microscope: ds.microscope,
    train: { images: thicknessInputs(ds, trainIdx, trainParams, 'train'), params: trainParams, descriptors: rowsWhere(descriptorRows(train, names), names.length, keep) },
    val: { images: thicknessInputs(ds, val.indices, val.params, 'val'), params: val.params, descriptors: descriptorRows(val, names) },
  });
  source.info = { ...source.info, dir: ds.dir, configHash: ds.manifest.configHash, maxIndex: base.info.maxIndex, augment: true, oracleInput: 'thickness maps of A and B (nm), binned like the images' };
  console.error(`  training ${name} (${source.info.counts.train} thickness-map pairs)`);
  const r = await trainEstimator(source, { network: 'quick', epochs: EPOCHS, lrDecay: LR_DECAY, seed: SEED, outDir: out, resume: true });
  disposeEstimator(r.estimator);
  return out;
}

interface StudyRow {
  model: string;
  trainImages: number;
  clean: boolean;
  oracleInput?: 'thickness';
  epochsRun: number;
  bestEpoch: number;
  trainingSeconds: number;
  imagesPerSecond: number;
  summary: EvaluationSummary;
}

async function evaluateModel(modelDir: string, testDir: string, backend: string, clean: boolean, thickness = false): Promise<EvaluationSummary> {
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
    let images: EvaluateOptions['images'] = clean ? 'clean' : 'noisy';
    if (thickness) {
      // Recompute the test samples' thickness maps once, then serve them by index.
      const test = readSamples(ds, 'test');
      const maps = thicknessInputs(ds, test.indices, test.params, 'test');
      const at = new Map(Array.from(test.indices, (i, k) => [i, k]));
      const frame = ds.imageSize * ds.imageSize * 2;
      images = (idx) => {
        const out = new Float32Array(idx.length * frame);
        idx.forEach((i, k) => out.set(maps.subarray(at.get(i)! * frame, (at.get(i)! + 1) * frame), k * frame));
        return out;
      };
    }
    const result = await evaluateEstimator(est, ds, { draws: DRAWS, drawSamples: DRAW_SAMPLES, seed: 0, workers: 2, images });
    const s = evaluationSummary(result, {
      model: modelDir, modelSha256: est.meta.files, testData: ds.dir, testConfigHash: ds.manifest.configHash, backend, codeVersion: codeVersion(), drawSeed: '0',
      settings: STUDY.evaluation, clean, ...(thickness ? { oracleInput: 'thickness' } : {}),
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
  const largeDir = largeSize > 0 ? await ensureDataset('data45k', STUDY.large) : null;
  const plan: { name: string; n: number; clean: boolean; thickness?: boolean; data?: string }[] = [
    ...sizes.map((n) => ({ name: n >= 22475 ? 'full' : `n${n}`, n, clean: false })),
    ...(oracleSize > 0 ? [{ name: `clean-n${oracleSize}`, n: oracleSize, clean: true }] : []),
    ...(thicknessOracleSize > 0 ? [{ name: `thickness-n${thicknessOracleSize}`, n: thicknessOracleSize, clean: false, thickness: true }] : []),
    ...(largeDir ? [{ name: `n${largeSize}`, n: largeSize, clean: false, data: largeDir }] : []),
  ];
  const rows: StudyRow[] = [];
  for (const p of plan) {
    const modelDir = p.thickness ? await ensureThicknessModel(trainDir, p.name, p.n) : await ensureModel(p.data ?? trainDir, p.name, p.n, p.clean);
    const meta = readEstimatorMeta(modelDir);
    const hist = meta.training.history;
    const trainingSeconds = hist.reduce((s, h) => s + h.seconds, 0);
    console.error(`  evaluating ${p.name}`);
    const te = Date.now();
    const summary = await evaluateModel(modelDir, testDir, be.name, p.clean, p.thickness);
    rows.push({
      model: p.name, trainImages: meta.data.counts.train, clean: p.clean, ...(p.thickness ? { oracleInput: 'thickness' as const } : {}), epochsRun: hist.length, bestEpoch: meta.training.bestEpoch,
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

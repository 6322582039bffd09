/**
 * A trained estimator: a tfjs network plus everything needed to use it correctly — parameter names
 * and scaling, the input size, pixel size and intensity transform, the prior and microscope the
 * training images came from, and the training history. On disk it is a directory:
 *
 * - `model.json` + `weights.bin`: standard tfjs Layers model files (loadable by any tfjs);
 * - `aggstem-model.json`: the {@link EstimatorMeta} below, with sha256 checksums of both tfjs files.
 */
import { UserError } from '../errors.js';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from '../io/atomic.js';
import type { ModelParamName } from '../model/types.js';
import { outputWidth, targetCount, validateNetworkSpec, type NetworkSpec } from './network.js';
import { validateParamScaling, type ParamScaling } from './scaling.js';
import { validateTargetScaling, type TargetScale } from './targets.js';
import { validateModelPrior, type ModelPrior } from '../model/params.js';
import { validateMicroscopeConfig, type MicroscopeConfig } from '../stem/config.js';
import type { TrainingSourceInfo } from './source.js';

/** File names inside an estimator directory. */
export const ESTIMATOR_FILES = { topology: 'model.json', weights: 'weights.bin', meta: 'aggstem-model.json' } as const;

/**
 * The fixed intensity transform applied to every input image before the network:
 * `x / divisor`. The divisor is measured once on the first training batch (its 99.9th percentile
 * pixel) and then frozen, so real images normalised to the same intensity units see the same map.
 */
export interface InputTransform {
  kind: 'divide';
  divisor: number;
}

/** One epoch of the training history. */
export interface EpochLog {
  /** 0-based epoch number. */
  epoch: number;
  /** Learning rate used in this epoch. */
  learningRate: number;
  /** `mse` during the warm-up epochs, `nll` afterwards. */
  phase: 'mse' | 'nll';
  /** Mean training loss (of this epoch's phase) over its batches. */
  loss: number;
  /** Validation Gaussian negative log-likelihood per parameter (scaled units), NaN without validation data. */
  valNll: number;
  /** Validation mean squared error of the scaled mean, NaN without validation data. */
  valMse: number;
  /** Validation RMSE per parameter, scaled units. */
  valRmse: number[];
  /** Wall-clock seconds of the epoch (training + validation). */
  seconds: number;
  /** Training images per second. */
  imagesPerSecond: number;
}

/** The training record stored with a model. */
export interface TrainingRecord {
  seed: string | number;
  epochsRequested: number;
  epochsRun: number;
  bestEpoch: number;
  /** The monitored loss at `bestEpoch` (validation NLL, or training loss without validation data). */
  bestLoss: number;
  stoppedEarly: boolean;
  batchSize: number;
  learningRate: number;
  lrDecay: number;
  warmupEpochs: number;
  patience: number;
  /** TensorFlow.js backend the model was trained on. */
  backend: string;
  history: EpochLog[];
}

/** The contents of `aggstem-model.json`. */
export interface EstimatorMeta {
  format: 'aggstem-estimator';
  /** 1: Gaussian head over the parameters only; 2: adds descriptor targets and/or the binned head. */
  formatVersion: 1 | 2;
  /** Estimated parameters, canonical order (= order of the network outputs). */
  paramNames: ModelParamName[];
  scaling: ParamScaling;
  /** Descriptors of the imaged aggregate predicted after the parameters (format 2). */
  descriptorNames?: string[];
  /** Their scaling to [0, 1], from the training split. */
  descriptorScaling?: TargetScale[];
  /** Post-hoc recalibration fitted on the validation split: one softmax temperature per target (binned head). */
  calibration?: { method: 'temperature'; temperatures: number[] };
  network: NetworkSpec;
  input: { sizePx: number; pixelSizeNm: number; transform: InputTransform };
  /** Model prior of the training data, when known (validated on load). */
  prior?: ModelPrior;
  /** Microscope preset/config of the training images, when known. */
  microscope?: MicroscopeConfig;
  /** Where the training data came from (kind, dataset manifest hash, counts). */
  data: TrainingSourceInfo;
  training: TrainingRecord;
  /** aggstem version (+ git commit when run from a checkout) that trained the model. */
  codeVersion: string;
  /** sha256 of `model.json` and `weights.bin`, so a half-updated directory is detected. */
  files: { topology: string; weights: string };
}

/** A loaded or freshly trained estimator. Call {@link disposeEstimator} when done to free its tensors. */
export interface Estimator {
  model: tf.LayersModel;
  meta: EstimatorMeta;
}

/** Error for a model directory that is missing, incomplete or corrupt. */
export class EstimatorFileError extends UserError {
  override name = 'EstimatorFileError';
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Applies the input transform to raw intensities (new array). */
export function applyInputTransform(t: InputTransform, data: ArrayLike<number>): Float32Array {
  const out = new Float32Array(data.length);
  const inv = 1 / t.divisor;
  for (let i = 0; i < data.length; i++) out[i] = data[i]! * inv;
  return out;
}

/** Measures the input transform on a sample of training images (99.9th percentile pixel; 1 if that is ≤ 0). */
export function fitInputTransform(images: Float32Array): InputTransform {
  const sorted = Float32Array.from(images).sort();
  const q = sorted[Math.min(sorted.length - 1, Math.floor(0.999 * sorted.length))] ?? 1;
  return { kind: 'divide', divisor: Number.isFinite(q) && q > 0 ? q : 1 };
}

let cachedVersion: string | null = null;

/**
 * The aggstem version string: package.json version plus the git commit when run from a checkout.
 * Read once per process, so a long run records the code it started with even if the checkout moves on.
 */
export function codeVersion(): string {
  cachedVersion ??= readCodeVersion();
  return cachedVersion;
}

function readCodeVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  let v = 'unknown';
  try {
    v = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return v;
  }
  if (existsSync(join(dir, '.git'))) {
    const r = spawnSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: dir, encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) v += `+${r.stdout.trim()}`;
  }
  return v;
}

/** The tfjs files of a model, in memory. */
export interface ModelFiles {
  topology: string;
  weights: Uint8Array;
}

/**
 * Serialises a model to the standard tfjs `model.json` + `weights.bin` pair, in memory. We capture
 * the artifacts with tfjs's own save handler and write the files ourselves, so they land atomically
 * and can be checksummed (tfjs's file handlers write in place).
 */
export async function modelToFiles(model: tf.LayersModel): Promise<ModelFiles> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    }),
  );
  const a = artifacts!;
  const wd = Array.isArray(a.weightData) ? tf.io.CompositeArrayBuffer.join(a.weightData) : a.weightData!;
  const topology = JSON.stringify({
    modelTopology: a.modelTopology,
    format: a.format,
    generatedBy: a.generatedBy,
    convertedBy: a.convertedBy ?? null,
    weightsManifest: [{ paths: [ESTIMATOR_FILES.weights], weights: a.weightSpecs }],
  });
  return { topology, weights: new Uint8Array(wd) };
}

/** Rebuilds a model from its tfjs files (inverse of {@link modelToFiles}). */
export async function modelFromFiles(files: ModelFiles, where = 'model'): Promise<tf.LayersModel> {
  let j: { modelTopology?: unknown; weightsManifest?: { weights: tf.io.WeightsManifestEntry[] }[] };
  try {
    j = JSON.parse(files.topology);
  } catch (e) {
    throw new EstimatorFileError(`${where}: model.json is not valid JSON (${(e as Error).message})`);
  }
  if (!j.modelTopology || !Array.isArray(j.weightsManifest)) throw new EstimatorFileError(`${where}: model.json has no modelTopology/weightsManifest; not a tfjs Layers model`);
  const weightSpecs = j.weightsManifest.flatMap((g) => g.weights);
  const w = files.weights;
  const weightData = w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) as ArrayBuffer;
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: j.modelTopology as object, weightSpecs, weightData }));
}

/**
 * Writes an estimator directory: `weights.bin`, then `model.json`, then `aggstem-model.json` (last,
 * with the checksums of the other two), each atomically. Returns the metadata as written.
 */
export async function saveEstimator(estimator: Estimator, dir: string): Promise<EstimatorMeta> {
  const files = await modelToFiles(estimator.model);
  return writeEstimatorFiles(dir, files, estimator.meta);
}

/** Writes already-serialised model files plus metadata (see {@link saveEstimator}). */
export function writeEstimatorFiles(dir: string, files: ModelFiles, meta: Omit<EstimatorMeta, 'files'> & { files?: EstimatorMeta['files'] }): EstimatorMeta {
  const full: EstimatorMeta = { ...meta, files: { topology: sha256(files.topology), weights: sha256(files.weights) } };
  writeFileAtomic(join(dir, ESTIMATOR_FILES.weights), files.weights);
  writeFileAtomic(join(dir, ESTIMATOR_FILES.topology), files.topology);
  writeFileAtomic(join(dir, ESTIMATOR_FILES.meta), JSON.stringify(full, null, 1) + '\n');
  return full;
}

/** Reads and checks `aggstem-model.json` of a model directory (no tensors are created). */
export function readEstimatorMeta(dir: string): EstimatorMeta {
  const p = join(dir, ESTIMATOR_FILES.meta);
  if (!existsSync(p)) {
    throw new EstimatorFileError(`model directory ${dir} has no ${ESTIMATOR_FILES.meta}; expected a directory written by \`aggstem train\``);
  }
  let m: EstimatorMeta;
  try {
    m = JSON.parse(readFileSync(p, 'utf8')) as EstimatorMeta;
  } catch (e) {
    throw new EstimatorFileError(`${p} is not valid JSON (${(e as Error).message})`);
  }
  if (m.format !== 'aggstem-estimator' || (m.formatVersion !== 1 && m.formatVersion !== 2)) {
    throw new EstimatorFileError(`${p}: format ${JSON.stringify(m.format)} version ${JSON.stringify(m.formatVersion)}; expected "aggstem-estimator" version 1 or 2 (a newer aggstem wrote it?)`);
  }
  m.scaling = validateParamScaling(m.scaling, p);
  m.network = validateNetworkSpec(m.network, `${p}: network`);
  if (!Array.isArray(m.paramNames) || m.paramNames.join() !== m.scaling.map((s) => s.name).join()) {
    throw new EstimatorFileError(`${p}: paramNames ${JSON.stringify(m.paramNames)} do not match the scaling entries`);
  }
  if (m.network.nParams !== m.paramNames.length) throw new EstimatorFileError(`${p}: network.nParams = ${m.network.nParams} but ${m.paramNames.length} parameter names`);
  const dNames = m.descriptorNames ?? [];
  if (!Array.isArray(dNames) || dNames.some((d) => typeof d !== 'string')) throw new EstimatorFileError(`${p}: descriptorNames must be an array of names`);
  if (dNames.length) {
    try {
      m.descriptorScaling = validateTargetScaling(m.descriptorScaling, p);
    } catch (e) {
      throw new EstimatorFileError((e as Error).message);
    }
    if (m.descriptorScaling.map((s) => s.name).join() !== dNames.join()) throw new EstimatorFileError(`${p}: descriptorNames do not match the descriptorScaling entries`);
  }
  if ((m.network.nDescriptors ?? 0) !== dNames.length) throw new EstimatorFileError(`${p}: network.nDescriptors = ${m.network.nDescriptors ?? 0} but ${dNames.length} descriptor names`);
  // Prior and microscope are typed and validated once, here, so no consumer re-checks them.
  try {
    if (m.prior !== undefined) m.prior = validateModelPrior(m.prior);
    if (m.microscope !== undefined) m.microscope = validateMicroscopeConfig(m.microscope);
  } catch (e) {
    throw new EstimatorFileError(`${p}: ${(e as Error).message}`);
  }
  const cal = m.calibration;
  if (cal !== undefined) {
    if (cal.method !== 'temperature' || !Array.isArray(cal.temperatures) || cal.temperatures.length !== targetCount(m.network) || !cal.temperatures.every((t) => typeof t === 'number' && t > 0)) {
      throw new EstimatorFileError(`${p}: bad "calibration" ${JSON.stringify(cal)}; expected {method: "temperature", temperatures: ${targetCount(m.network)} positive numbers}`);
    }
  }
  const inp = m.input;
  if (!inp || !(inp.sizePx === m.network.inputSize) || !(inp.pixelSizeNm > 0) || inp.transform?.kind !== 'divide' || !(inp.transform.divisor > 0)) {
    throw new EstimatorFileError(`${p}: bad "input" section ${JSON.stringify(inp)}; expected {sizePx: ${m.network.inputSize}, pixelSizeNm > 0, transform: {kind: "divide", divisor > 0}}`);
  }
  return m;
}

/**
 * Loads an estimator directory written by `aggstem train` / {@link saveEstimator}. Checks the
 * checksums of `model.json` and `weights.bin` against `aggstem-model.json` (a mismatch means an
 * interrupted write: re-run the training with `--resume`). Needs an initialised tfjs backend.
 */
export async function loadEstimator(dir: string): Promise<Estimator> {
  const meta = readEstimatorMeta(dir);
  const read = (name: string): Buffer => {
    const p = join(dir, name);
    if (!existsSync(p)) throw new EstimatorFileError(`model directory ${dir} is missing ${name}`);
    return readFileSync(p);
  };
  const topology = read(ESTIMATOR_FILES.topology).toString('utf8');
  const weights = new Uint8Array(read(ESTIMATOR_FILES.weights));
  if (sha256(topology) !== meta.files?.topology || sha256(weights) !== meta.files?.weights) {
    throw new EstimatorFileError(
      `model directory ${dir}: ${ESTIMATOR_FILES.topology}/${ESTIMATOR_FILES.weights} do not match the checksums in ${ESTIMATOR_FILES.meta} (interrupted write or edited files); re-run \`aggstem train --resume\` or re-copy the model`,
    );
  }
  const model = await modelFromFiles({ topology, weights }, dir);
  const outShape = model.outputs[0]!.shape;
  const inShape = model.inputs[0]!.shape;
  if (outShape[1] !== outputWidth(meta.network) || inShape[1] !== meta.input.sizePx || inShape[2] !== meta.input.sizePx) {
    model.dispose();
    throw new EstimatorFileError(`model directory ${dir}: network shape ${JSON.stringify(inShape)} → ${JSON.stringify(outShape)} does not fit ${meta.paramNames.length} parameters, ${meta.descriptorNames?.length ?? 0} descriptors (${meta.network.head?.kind ?? 'gaussian'} head) at ${meta.input.sizePx} px`);
  }
  return { model, meta };
}

/** Frees the estimator's tensors. */
export function disposeEstimator(estimator: Estimator): void {
  estimator.model.dispose();
}

/**
 * The directory of a model shipped with aggstem (`datasets/<name>-model`), e.g. `shippedModelDir('quick')`
 * — what `aggstem predict --model quick` uses. Any other string is returned unchanged (a path).
 */
export function shippedModelDir(nameOrPath: string): string {
  if (existsSync(nameOrPath) || nameOrPath !== 'quick') return nameOrPath;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'datasets', 'quick-model');
}

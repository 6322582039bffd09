/**
 * Training: a custom loop (`optimizer.minimize` per batch) rather than `model.fit`, because fit
 * shuffles with Math.random and cannot restore an optimizer mid-run. The loop is seeded end to end
 * (initialisers from the seed, batch order from the source as a pure function of (seed, epoch)),
 * checkpoints after every epoch — weights, Adam state, best weights, history — into a directory that
 * is renamed into place whole, and resumes from the last checkpoint to continue the SAME run.
 *
 * Targets: the P varying parameters and, when the source has them, Q descriptors of the imaged
 * aggregate, all scaled to [0, 1]. Loss with the `binned` head (default): the negative log density
 * `−log(K · p_bin(y))` of the truth's bin under each target's softmax over K bins (targets whose
 * value is undefined for a sample are masked out); after training, one softmax temperature per
 * target is fitted on the validation split (`calibration.temperatures`). With the `gaussian` head:
 * mean squared error of the scaled mean for `warmupEpochs` epochs, then the Gaussian negative
 * log-likelihood `½ (log σ² + (y − μ)²/σ²) + ½ log 2π` per target (scaled units). Learning rate
 * `lr · lrDecay^epoch` (a schedule that does not depend on the total epoch count, so `--epochs` can
 * be raised on resume). Early stopping on the validation NLL with `patience`; the saved model holds
 * the best epoch's weights.
 */
import { UserError } from '../errors.js';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from '../io/atomic.js';
import type { Seed } from '../random/index.js';
import {
  ESTIMATOR_FILES,
  applyInputTransform,
  codeVersion,
  fitInputTransform,
  modelToFiles,
  sha256,
  writeEstimatorFiles,
  type EpochLog,
  type Estimator,
  type EstimatorMeta,
  type InputTransform,
} from './estimator.js';
import { buildNetwork, networkSpec, splitOutput, targetCount, validateNetworkSpec, type HeadSpec, type NetworkPreset, type NetworkSpec } from './network.js';
import { binIndex, binProbabilities, binnedMoments, fitTemperature } from './posterior.js';
import { scaleTargets } from './targets.js';
import type { TrainingBatch, TrainingSource } from './source.js';

/** Progress after one training batch. */
export interface BatchInfo {
  epoch: number;
  /** 0-based batch number within the epoch. */
  batch: number;
  /** Expected batches per epoch (from the source's counts). */
  batchesPerEpoch: number;
  /** This batch's loss. */
  loss: number;
  /** Images in this batch. */
  size: number;
}

/** State passed to `onEpochEnd` beside the epoch's log. */
export interface EpochInfo {
  /** The network as it is after this epoch (do not dispose it; read weights or predict with it). */
  model: tf.LayersModel;
  epochs: number;
  bestEpoch: number;
  bestLoss: number;
  epochsSinceBest: number;
}

/** Options of {@link trainEstimator}. */
export interface TrainOptions {
  /** Architecture: a preset or a full spec. Default by input size: ≥ 192 px `paper`, ≥ 96 px `quick`, else `tiny`. */
  network?: NetworkPreset | NetworkSpec;
  /** Total epochs (default 30). May be raised when resuming. */
  epochs?: number;
  /** Mini-batch size (default 32). */
  batchSize?: number;
  /** Seed of the whole run: initialisation and batch order (default 1). */
  seed?: Seed;
  /** Initial Adam learning rate (default 1e-3). */
  learningRate?: number;
  /** Learning rate factor per epoch (default 0.95). */
  lrDecay?: number;
  /** Epochs of mean-squared-error warm-up before the NLL (default 1). */
  warmupEpochs?: number;
  /** Stop after this many NLL epochs without a better validation loss (default 6). */
  patience?: number;
  /**
   * Model directory. When given, the best model is written there as soon as it improves and a
   * checkpoint after every epoch (`<outDir>/checkpoint/`). Without it training stays in memory.
   */
  outDir?: string;
  /** Continue the run checkpointed in `outDir` (a fresh run starts when there is no checkpoint). */
  resume?: boolean;
  /** Called after every batch (await-ed). */
  onBatchEnd?: (info: BatchInfo) => void | Promise<void>;
  /** Called after every epoch (await-ed), e.g. to update a notebook display. */
  onEpochEnd?: (log: EpochLog, info: EpochInfo) => void | Promise<void>;
  /** Stops training at the next batch; the last completed epoch's checkpoint stays resumable. */
  signal?: AbortSignal;
  /**
   * The posterior head: `{ kind: 'binned', bins: 32 }` (default) or `{ kind: 'gaussian' }` (the
   * original head). Ignored when `network` is a full spec (its `head` counts).
   */
  head?: HeadSpec;
}

/** What {@link trainEstimator} returns. */
export interface TrainResult {
  /** The estimator with the best epoch's weights. */
  estimator: Estimator;
  history: EpochLog[];
  bestEpoch: number;
  stoppedEarly: boolean;
  /** True when `signal` stopped the run before its last epoch. */
  interrupted: boolean;
  /** The epoch the run resumed at, or null for a fresh run. */
  resumedAtEpoch: number | null;
}

/** A training request that conflicts with the model directory or is invalid. */
export class TrainConfigError extends UserError {
  override name = 'TrainConfigError';
}

/** The part of a run's configuration that must not change on resume. */
interface RunConfig {
  seed: Seed;
  batchSize: number;
  learningRate: number;
  lrDecay: number;
  warmupEpochs: number;
  network: NetworkSpec;
  paramNames: string[];
  scaling: unknown;
  imageSize: number;
  pixelSizeNm: number;
  /** The dataset's config hash (null for in-memory data). */
  dataConfigHash: string | null;
  /** Descriptor targets and their scaling (absent for parameter-only runs). */
  descriptorNames?: string[];
  descriptorScaling?: unknown;
  maxIndex?: number;
  clean?: boolean;
}

interface CheckpointState {
  format: 'aggstem-checkpoint';
  formatVersion: 1;
  /** Completed epochs = the next epoch to run. */
  nextEpoch: number;
  config: RunConfig;
  inputTransform: InputTransform;
  history: EpochLog[];
  bestEpoch: number;
  bestLoss: number | null;
  epochsSinceBest: number;
  specs: { weights: tf.io.WeightsManifestEntry[]; optimizer: tf.io.WeightsManifestEntry[] };
  sha256: { weights: string; optimizer: string; best: string };
}

const LOG_2PI_HALF = 0.5 * Math.log(2 * Math.PI);

function positiveInt(name: string, v: number): number {
  if (!(Number.isInteger(v) && v >= 1)) throw new TrainConfigError(`trainEstimator: ${name} = ${v}; expected a positive integer`);
  return v;
}

function defaultPreset(inputSize: number): NetworkPreset {
  return inputSize >= 192 ? 'paper' : inputSize >= 96 ? 'quick' : 'tiny';
}

/** Gaussian NLL per parameter (mean over batch and parameters), scaled units. */
function nllLoss(mean: tf.Tensor, logVar: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return tf.tidy(() =>
    tf.add(tf.mul(tf.mean(tf.add(logVar, tf.mul(tf.squaredDifference(y, mean), tf.exp(tf.neg(logVar))))), 0.5), LOG_2PI_HALF) as tf.Scalar,
  );
}

function mseLoss(mean: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.squaredDifference(y, mean)) as tf.Scalar);
}

// --- checkpoints -----------------------------------------------------------------------------------

const CKPT_DIR = 'checkpoint';
const epochDirName = (nextEpoch: number) => `epoch-${String(nextEpoch).padStart(4, '0')}`;

function latestCheckpoint(outDir: string): string | null {
  const dir = join(outDir, CKPT_DIR);
  if (!existsSync(dir)) return null;
  const names = readdirSync(dir)
    .filter((n) => /^epoch-\d{4,}$/.test(n) && existsSync(join(dir, n, 'state.json')))
    .sort();
  return names.length ? join(dir, names[names.length - 1]!) : null;
}

async function encode(tensors: tf.Tensor[], prefix: string): Promise<{ data: Uint8Array; specs: tf.io.WeightsManifestEntry[] }> {
  const { data, specs } = await tf.io.encodeWeights(tensors.map((tensor, i) => ({ name: `${prefix}${i}`, tensor })));
  return { data: new Uint8Array(data), specs };
}

function decode(data: Uint8Array, specs: tf.io.WeightsManifestEntry[], prefix: string): tf.Tensor[] {
  const map = tf.io.decodeWeights(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer, specs);
  return specs.map((_, i) => map[`${prefix}${i}`]!);
}

function weightsAsTensors(values: Float32Array[], like: tf.Tensor[]): tf.Tensor[] {
  return values.map((v, i) => tf.tensor(v, like[i]!.shape, 'float32'));
}

async function writeCheckpoint(
  outDir: string,
  state: Omit<CheckpointState, 'specs' | 'sha256'>,
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  best: Float32Array[],
): Promise<void> {
  const root = join(outDir, CKPT_DIR);
  mkdirSync(root, { recursive: true });
  const w = await encode(model.getWeights(), 'w');
  const optWeights = await optimizer.getWeights();
  const o = await encode(optWeights.map((n) => n.tensor), 'o');
  // getWeights() of Adam returns a fresh iterations scalar; the rest are its live variables.
  optWeights[0]?.tensor.dispose();
  const bestBytes = new Uint8Array(best.reduce((s, a) => s + a.byteLength, 0));
  let off = 0;
  for (const a of best) { bestBytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), off); off += a.byteLength; }
  const full: CheckpointState = { ...state, specs: { weights: w.specs, optimizer: o.specs }, sha256: { weights: sha256(w.data), optimizer: sha256(o.data), best: sha256(bestBytes) } };
  const name = epochDirName(state.nextEpoch);
  const tmp = join(root, `.${name}.tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  writeFileAtomic(join(tmp, 'weights.bin'), w.data);
  writeFileAtomic(join(tmp, 'optimizer.bin'), o.data);
  writeFileAtomic(join(tmp, 'best.bin'), bestBytes);
  writeFileAtomic(join(tmp, 'state.json'), JSON.stringify(full) + '\n');
  const final = join(root, name);
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  for (const n of readdirSync(root)) if (n !== name) rmSync(join(root, n), { recursive: true, force: true });
}

interface LoadedCheckpoint {
  state: CheckpointState;
  weights: tf.Tensor[];
  optimizer: tf.Tensor[];
  best: Float32Array[];
}

function readCheckpoint(dir: string): LoadedCheckpoint {
  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as CheckpointState;
  if (state.format !== 'aggstem-checkpoint' || state.formatVersion !== 1) throw new TrainConfigError(`${dir}/state.json is not an aggstem checkpoint (format ${JSON.stringify(state.format)})`);
  const bytes = (name: 'weights' | 'optimizer' | 'best') => {
    const b = new Uint8Array(readFileSync(join(dir, `${name}.bin`)));
    if (sha256(b) !== state.sha256[name]) throw new TrainConfigError(`checkpoint ${dir}: ${name}.bin does not match its checksum (corrupt file)`);
    return b;
  };
  const weights = decode(bytes('weights'), state.specs.weights, 'w');
  const optimizer = decode(bytes('optimizer'), state.specs.optimizer, 'o');
  const bb = bytes('best');
  const best: Float32Array[] = [];
  let off = 0;
  for (const t of weights) {
    const n = t.size;
    best.push(new Float32Array(bb.buffer.slice(bb.byteOffset + off, bb.byteOffset + off + 4 * n)));
    off += 4 * n;
  }
  return { state, weights, optimizer, best };
}

/** JSON with object keys sorted, so equal settings compare equal whatever their key order. */
function canonical(x: unknown): string {
  return JSON.stringify(x, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0))) : v,
  );
}

function configDiff(a: RunConfig, b: RunConfig): string[] {
  return (Object.keys(a) as (keyof RunConfig)[])
    .filter((k) => canonical(a[k]) !== canonical(b[k]))
    .map((k) => `${k}: checkpoint ${JSON.stringify(a[k])}, now ${JSON.stringify(b[k])}`);
}

// --- validation ---------------------------------------------------------------------------------

interface Validation {
  /** Mean negative log density per defined target (scaled units). */
  nll: number;
  mse: number;
  /** RMSE of the posterior mean per target, scaled units. */
  rmse: number[];
  /** With `fit`: the NLL-optimal softmax temperature per target (binned head). */
  temperatures?: number[];
}

async function validate(source: TrainingSource, spec: NetworkSpec, model: tf.LayersModel, t: InputTransform, batchSize: number, seed: Seed, fit = false): Promise<Validation> {
  const T = targetCount(spec);
  const binned = spec.head?.kind === 'binned';
  const K = binned ? (spec.head as { bins: number }).bins : 0;
  let nllSum = 0, nDefined = 0;
  const se = new Float64Array(T), cnt = new Float64Array(T);
  const keepLogits: number[][] = Array.from({ length: T }, () => []);
  const keepY: number[][] = Array.from({ length: T }, () => []);
  for await (const b of iterate(source.batches('val', { batchSize, epoch: 0, seed }))) {
    const bt = batchTensors(source, spec, t, b);
    const outT = model.predict(bt.xs) as tf.Tensor;
    let out: Float32Array;
    let logVar: Float32Array | null = null;
    if (binned) {
      out = (await outT.data()) as Float32Array;
    } else {
      const split = splitOutput(spec, outT);
      out = (await split.mean.data()) as Float32Array;
      logVar = (await split.logVar.data()) as Float32Array;
      split.mean.dispose();
      split.logVar.dispose();
    }
    outT.dispose();
    disposeBatch(bt);
    for (let i = 0; i < b.size; i++) {
      for (let j = 0; j < T; j++) {
        if (!bt.mask[i * T + j]) continue;
        const y = bt.y[i * T + j]!;
        let m: number;
        if (binned) {
          const row = out.subarray((i * T + j) * K, (i * T + j + 1) * K);
          const p = binProbabilities(row);
          m = binnedMoments(p).mean;
          nllSum -= Math.log(K * Math.max(p[binIndex(y, K)]!, 1e-300));
          if (fit) { for (let k = 0; k < K; k++) keepLogits[j]!.push(row[k]!); keepY[j]!.push(y); }
        } else {
          m = out[i * T + j]!;
          const lv = logVar![i * T + j]!;
          nllSum += 0.5 * (lv + (y - m) ** 2 * Math.exp(-lv)) + LOG_2PI_HALF;
        }
        se[j] += (y - m) ** 2;
        cnt[j]++;
        nDefined++;
      }
    }
  }
  let seAll = 0;
  for (let j = 0; j < T; j++) seAll += se[j]!;
  return {
    nll: nDefined ? nllSum / nDefined : NaN,
    mse: nDefined ? seAll / nDefined : NaN,
    rmse: Array.from(se, (s, j) => (cnt[j] ? Math.sqrt(s / cnt[j]!) : NaN)),
    ...(fit ? { temperatures: keepY.map((y, j) => fitTemperature(keepLogits[j]!, y, K)) } : {}),
  };
}

// --- the loop --------------------------------------------------------------------------------------

async function* iterate<T>(it: Iterable<T> | AsyncIterable<T>): AsyncGenerator<T> {
  for await (const x of it as AsyncIterable<T>) yield x;
}

interface BatchTensors {
  xs: tf.Tensor4D;
  /** Scaled targets `[n, T]` (0 where masked). */
  ys: tf.Tensor2D;
  /** Scaled targets on the CPU, and the 0/1 mask of defined values. */
  y: Float32Array;
  mask: Float32Array;
  /** Binned head: one-hot bins × mask `[n, T·K]`. */
  onehot?: tf.Tensor2D;
  /** Number of defined targets in the batch. */
  defined: number;
}

function batchTensors(source: TrainingSource, spec: NetworkSpec, t: InputTransform, b: TrainingBatch): BatchTensors {
  const side = source.imageSize;
  const P = source.paramNames.length;
  const Q = source.descriptorNames?.length ?? 0;
  if (b.images.length !== b.size * side * side || b.params.length !== b.size * P || (Q > 0 && b.descriptors?.length !== b.size * Q)) {
    throw new Error(`training batch shape: ${b.images.length} image values / ${b.params.length} parameter values / ${b.descriptors?.length ?? 0} descriptor values for ${b.size} samples of ${side}×${side} px, ${P} parameters and ${Q} descriptors`);
  }
  const T = P + Q;
  const scales = [...source.scaling, ...(source.descriptorScaling ?? [])];
  const { y, mask } = scaleTargets(scales, b.params, P, b.descriptors, Q, b.size);
  let defined = 0;
  for (let i = 0; i < mask.length; i++) defined += mask[i]!;
  if (P > 0) {
    // Parameters are always defined; a missing one is a data error, not a masked target.
    for (let i = 0; i < b.size; i++) for (let j = 0; j < P; j++) {
      if (!mask[i * T + j]) throw new RangeError(`training batch: ${source.paramNames[j]} = ${b.params[i * P + j]} (row ${i}) cannot be scaled; expected a finite number inside the prior's scale`);
    }
  }
  const xs = tf.tensor4d(applyInputTransform(t, b.images), [b.size, side, side, 1]);
  const ys = tf.tensor2d(y, [b.size, T]);
  let onehot: tf.Tensor2D | undefined;
  if (spec.head?.kind === 'binned') {
    const K = spec.head.bins;
    const oh = new Float32Array(b.size * T * K);
    for (let i = 0; i < b.size * T; i++) if (mask[i]) oh[i * K + binIndex(y[i]!, K)] = 1;
    onehot = tf.tensor2d(oh, [b.size, T * K]);
  }
  return { xs, ys, y, mask, onehot, defined };
}

function disposeBatch(bt: BatchTensors): void {
  bt.xs.dispose();
  bt.ys.dispose();
  bt.onehot?.dispose();
}

/** Binned head: mean negative log density `−log(K p)` over the defined targets. */
function binnedLoss(logits: tf.Tensor, onehot: tf.Tensor, n: number, T: number, K: number, defined: number): tf.Scalar {
  return tf.tidy(() => {
    const logp = tf.logSoftmax(tf.reshape(logits, [n, T, K]), -1);
    const picked = tf.sum(tf.mul(tf.reshape(onehot, [n, T, K]), logp));
    return tf.sub(tf.div(tf.neg(picked), Math.max(1, defined)), Math.log(K)) as tf.Scalar;
  });
}

/**
 * Trains an estimator on `source`. Deterministic for a given seed and backend; with `outDir` it
 * checkpoints every epoch and `resume: true` continues an interrupted run exactly (same batches,
 * same weights up to float rounding). Tensor memory is constant across epochs.
 */
export async function trainEstimator(source: TrainingSource, opts: TrainOptions = {}): Promise<TrainResult> {
  const epochs = positiveInt('epochs', opts.epochs ?? 30);
  const batchSize = positiveInt('batchSize', opts.batchSize ?? 32);
  const patience = positiveInt('patience', opts.patience ?? 6);
  // A full spec carries its own head (none = Gaussian, as older specs); otherwise opts.head, default binned.
  const headKind = typeof opts.network === 'object' ? (opts.network.head?.kind ?? 'gaussian') : (opts.head?.kind ?? 'binned');
  const warmupEpochs = opts.warmupEpochs ?? (headKind === 'binned' ? 0 : 1);
  if (!(Number.isInteger(warmupEpochs) && warmupEpochs >= 0)) throw new TrainConfigError(`trainEstimator: warmupEpochs = ${warmupEpochs}; expected an integer >= 0`);
  const learningRate = opts.learningRate ?? 1e-3;
  const lrDecay = opts.lrDecay ?? 0.95;
  if (!(learningRate > 0 && lrDecay > 0 && lrDecay <= 1)) throw new TrainConfigError(`trainEstimator: learningRate = ${learningRate}, lrDecay = ${lrDecay}; expected learningRate > 0 and 0 < lrDecay <= 1`);
  const seed = opts.seed ?? 1;
  const P = source.paramNames.length;
  const Q = source.descriptorNames?.length ?? 0;
  const net = opts.network ?? defaultPreset(source.imageSize);
  const head: HeadSpec = opts.head ?? { kind: 'binned', bins: 32 };
  // A parameter-only Gaussian spec stays exactly the spec older versions wrote (no new keys), so
  // those runs resume and reproduce unchanged.
  const fromPreset = (name: NetworkPreset): NetworkSpec => ({
    ...networkSpec(name, source.imageSize, P),
    ...(Q ? { nDescriptors: Q } : {}),
    ...(head.kind === 'binned' ? { head } : {}),
  });
  const spec = validateNetworkSpec(typeof net === 'string' ? fromPreset(net) : net);
  if (spec.inputSize !== source.imageSize || spec.nParams !== P || (spec.nDescriptors ?? 0) !== Q) {
    throw new TrainConfigError(`trainEstimator: network is for ${spec.inputSize} px / ${spec.nParams} parameters / ${spec.nDescriptors ?? 0} descriptors but the data has ${source.imageSize} px / ${P} parameters / ${Q} descriptors`);
  }
  const binned = spec.head?.kind === 'binned';
  const T = targetCount(spec);
  const config: RunConfig = {
    seed, batchSize, learningRate, lrDecay, warmupEpochs, network: spec,
    paramNames: [...source.paramNames], scaling: source.scaling, imageSize: source.imageSize,
    pixelSizeNm: source.pixelSizeNm, dataConfigHash: source.info.configHash ?? null,
    ...(Q ? { descriptorNames: [...source.descriptorNames!], descriptorScaling: source.descriptorScaling } : {}),
    ...(source.info.maxIndex !== undefined ? { maxIndex: source.info.maxIndex } : {}),
    ...(source.info.clean ? { clean: true } : {}),
  };

  let ckpt: LoadedCheckpoint | null = null;
  if (opts.outDir) {
    const latest = latestCheckpoint(opts.outDir);
    if (latest && !opts.resume) {
      throw new TrainConfigError(`${opts.outDir} already holds a training run (checkpoint ${latest}); resume it (--resume) or choose another output directory`);
    }
    if (!latest && existsSync(join(opts.outDir, ESTIMATOR_FILES.meta))) {
      throw new TrainConfigError(`${opts.outDir} already holds a model (${ESTIMATOR_FILES.meta}) but no checkpoint to resume; choose another output directory`);
    }
    if (latest) {
      ckpt = readCheckpoint(latest);
      const diff = configDiff(ckpt.state.config, config);
      if (diff.length) {
        ckpt.weights.forEach((t) => t.dispose());
        ckpt.optimizer.forEach((t) => t.dispose());
        throw new TrainConfigError(`cannot resume ${opts.outDir}: the run's settings changed (${diff.join('; ')})`);
      }
    }
  } else if (opts.resume) {
    throw new TrainConfigError('trainEstimator: resume needs outDir (the directory holding the checkpoint)');
  }

  const model = buildNetwork(spec, seed);
  const optimizer = tf.train.adam(learningRate);
  const varList = model.trainableWeights.map((w) => w.read() as tf.Variable);
  let history: EpochLog[] = [];
  let startEpoch = 0;
  let bestEpoch = -1;
  let bestLoss = Infinity;
  let epochsSinceBest = 0;
  let best: Float32Array[] = [];
  let inputTransform: InputTransform | null = null;
  if (ckpt) {
    model.setWeights(ckpt.weights);
    ckpt.weights.forEach((t) => t.dispose());
    const names = ckpt.optimizer.map((tensor, i) => ({ name: `o${i}`, tensor }));
    await optimizer.setWeights(names);
    ckpt.optimizer.forEach((t) => t.dispose());
    history = ckpt.state.history;
    startEpoch = ckpt.state.nextEpoch;
    bestEpoch = ckpt.state.bestEpoch;
    bestLoss = ckpt.state.bestLoss ?? Infinity;
    epochsSinceBest = ckpt.state.epochsSinceBest;
    best = ckpt.best;
    inputTransform = ckpt.state.inputTransform;
  }

  const batchesPerEpoch = Math.ceil(source.info.counts.train / batchSize);
  const hasVal = source.info.counts.val > 0;
  let temperatures: number[] | null = null;
  const baseMeta = (): Omit<EstimatorMeta, 'files'> => ({
    format: 'aggstem-estimator',
    formatVersion: binned || Q ? 2 : 1,
    paramNames: [...source.paramNames],
    scaling: source.scaling,
    ...(Q ? { descriptorNames: [...source.descriptorNames!], descriptorScaling: source.descriptorScaling! } : {}),
    ...(temperatures ? { calibration: { method: 'temperature' as const, temperatures } } : {}),
    network: spec,
    input: { sizePx: source.imageSize, pixelSizeNm: source.pixelSizeNm, transform: inputTransform! },
    ...(source.info.prior !== undefined ? { prior: source.info.prior } : {}),
    ...(source.info.microscope !== undefined ? { microscope: source.info.microscope } : {}),
    data: source.info,
    training: {
      seed, epochsRequested: epochs, epochsRun: history.length, bestEpoch, bestLoss: Number.isFinite(bestLoss) ? bestLoss : NaN,
      stoppedEarly: false, batchSize, learningRate, lrDecay, warmupEpochs, patience, backend: tf.getBackend(), history,
    },
    codeVersion: codeVersion(),
  });
  const exportModel = async (meta: Omit<EstimatorMeta, 'files'>): Promise<EstimatorMeta> => {
    const files = await modelToFiles(model);
    return opts.outDir ? writeEstimatorFiles(opts.outDir, files, meta) : { ...meta, files: { topology: sha256(files.topology), weights: sha256(files.weights) } };
  };

  let interrupted = false;
  let stoppedEarly = false;
  try {
    for (let epoch = startEpoch; epoch < epochs; epoch++) {
      if (epochsSinceBest >= patience) { stoppedEarly = true; break; }
      if (opts.signal?.aborted) { interrupted = true; break; }
      const lr = learningRate * lrDecay ** epoch;
      // tfjs optimizers have no learning-rate setter; Adam reads this field on every step.
      (optimizer as unknown as { learningRate: number }).learningRate = lr;
      const phase: EpochLog['phase'] = epoch < warmupEpochs ? 'mse' : 'nll';
      const t0 = performance.now();
      let lossSum = 0, nSeen = 0, batchNo = 0;
      for await (const b of iterate(source.batches('train', { batchSize, epoch, seed }))) {
        if (opts.signal?.aborted) { interrupted = true; break; }
        inputTransform ??= fitInputTransform(b.images);
        const bt = batchTensors(source, spec, inputTransform, b);
        const cost = optimizer.minimize(() => {
          const out = model.apply(bt.xs, { training: true }) as tf.Tensor;
          if (binned) return binnedLoss(out, bt.onehot!, b.size, T, (spec.head as { bins: number }).bins, bt.defined);
          const { mean, logVar } = splitOutput(spec, out);
          return phase === 'mse' ? mseLoss(mean, bt.ys) : nllLoss(mean, logVar, bt.ys);
        }, true, varList) as tf.Scalar;
        const loss = (await cost.data())[0]!;
        cost.dispose();
        disposeBatch(bt);
        if (!Number.isFinite(loss)) throw new Error(`training diverged: loss ${loss} at epoch ${epoch}, batch ${batchNo}; lower the learning rate`);
        lossSum += loss * b.size;
        nSeen += b.size;
        await opts.onBatchEnd?.({ epoch, batch: batchNo, batchesPerEpoch, loss, size: b.size });
        batchNo++;
      }
      if (interrupted) break;
      if (nSeen === 0) throw new Error(`epoch ${epoch}: the training split yielded no batches`);
      const trainSeconds = (performance.now() - t0) / 1000;

      // Validation: inference-mode batch norm, fixed batches (epoch 0 order), no augmentation.
      const v = hasVal ? await validate(source, spec, model, inputTransform!, batchSize, seed) : null;
      const log: EpochLog = {
        epoch, learningRate: lr, phase, loss: lossSum / nSeen,
        valNll: v ? v.nll : NaN,
        valMse: v ? v.mse : NaN,
        valRmse: v ? v.rmse : Array.from({ length: T }, () => NaN),
        seconds: (performance.now() - t0) / 1000,
        imagesPerSecond: nSeen / trainSeconds,
      };
      history = [...history, log];
      const monitored = hasVal ? log.valNll : log.loss;
      let improved = false;
      if (phase === 'mse') {
        // Warm-up epochs are provisional bests; the first NLL epoch always replaces them.
        bestEpoch = epoch; bestLoss = Infinity; epochsSinceBest = 0; improved = true;
      } else if (monitored < bestLoss) {
        bestEpoch = epoch; bestLoss = monitored; epochsSinceBest = 0; improved = true;
      } else {
        epochsSinceBest++;
      }
      if (improved) {
        best = model.getWeights().map((t) => t.dataSync() as Float32Array).map((a) => Float32Array.from(a));
        if (opts.outDir) await exportModel(baseMeta());
      }
      if (opts.outDir) {
        await writeCheckpoint(opts.outDir, {
          format: 'aggstem-checkpoint', formatVersion: 1, nextEpoch: epoch + 1, config, inputTransform: inputTransform!,
          history, bestEpoch, bestLoss: Number.isFinite(bestLoss) ? bestLoss : null, epochsSinceBest,
        }, model, optimizer, best);
      }
      await opts.onEpochEnd?.(log, { model, epochs, bestEpoch, bestLoss, epochsSinceBest });
    }
    if (!interrupted && !stoppedEarly && epochsSinceBest >= patience && history.length < epochs) stoppedEarly = true;
  } catch (e) {
    optimizer.dispose();
    model.dispose();
    throw e;
  }
  optimizer.dispose();

  if (best.length) {
    const current = model.getWeights();
    const ts = weightsAsTensors(best, current);
    model.setWeights(ts);
    ts.forEach((t) => t.dispose());
  }
  if (!inputTransform) {
    model.dispose();
    throw new Error('trainEstimator: no epoch completed, so there is no model (interrupted before the first epoch ended?)');
  }
  if (binned && hasVal && !interrupted) {
    // Recalibration on the validation split: one softmax temperature per target.
    const v = await validate(source, spec, model, inputTransform, batchSize, seed, true);
    temperatures = v.temperatures!;
  }
  const meta0 = baseMeta();
  meta0.training.stoppedEarly = stoppedEarly;
  const meta = await exportModel(meta0);
  return { estimator: { model, meta }, history, bestEpoch, stoppedEarly, interrupted, resumedAtEpoch: ckpt ? startEpoch : null };
}

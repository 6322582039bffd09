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
import { existsSync, mkdirSync } from 'node:fs';
import { lockDir, type DirLock } from '../io/lock.js';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Seed } from '../random/index.js';
import { batchTensors, binnedLoss, disposeBatch, iterate, mseLoss, nllLoss, validate } from './batch-loss.js';
import { configDiff, latestCheckpoint, readCheckpoint, TrainConfigError, weightsAsTensors, writeCheckpoint, type LoadedCheckpoint, type RunConfig } from './checkpoint.js';
import {
  ESTIMATOR_FILES,
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
import type { TrainingSource } from './source.js';

export { TrainConfigError } from './checkpoint.js';

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

function positiveInt(name: string, v: number): number {
  if (!(Number.isInteger(v) && v >= 1)) throw new TrainConfigError(`trainEstimator: ${name} = ${v}; expected a positive integer`);
  return v;
}

function defaultPreset(inputSize: number): NetworkPreset {
  return inputSize >= 192 ? 'paper' : inputSize >= 96 ? 'quick' : 'tiny';
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
    ...((source.channels ?? 1) > 1 ? { inputChannels: source.channels } : {}),
  });
  const spec = validateNetworkSpec(typeof net === 'string' ? fromPreset(net) : net);
  if (spec.inputSize !== source.imageSize || spec.nParams !== P || (spec.nDescriptors ?? 0) !== Q || (spec.inputChannels ?? 1) !== (source.channels ?? 1)) {
    throw new TrainConfigError(`trainEstimator: network is for ${spec.inputSize} px × ${spec.inputChannels ?? 1} channels / ${spec.nParams} parameters / ${spec.nDescriptors ?? 0} descriptors but the data has ${source.imageSize} px × ${source.channels ?? 1} channels / ${P} parameters / ${Q} descriptors`);
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

  let lock: DirLock | null = null;
  if (opts.outDir) {
    mkdirSync(opts.outDir, { recursive: true });
    // One training run per directory: a second run into the same --out is refused, not raced.
    lock = lockDir(opts.outDir, { file: '.aggstem-train.lock', error: (m) => new TrainConfigError(m) });
  }
  try {
    return await trainLocked(source, opts, { epochs, batchSize, patience, warmupEpochs, learningRate, lrDecay, seed, P, Q, spec, binned, T, config });
  } finally {
    lock?.release();
  }
}

interface Resolved {
  epochs: number; batchSize: number; patience: number; warmupEpochs: number; learningRate: number; lrDecay: number; seed: Seed;
  P: number; Q: number; spec: NetworkSpec; binned: boolean; T: number; config: RunConfig;
}

async function trainLocked(source: TrainingSource, opts: TrainOptions, r: Resolved): Promise<TrainResult> {
  const { epochs, batchSize, patience, warmupEpochs, learningRate, lrDecay, seed, Q, spec, binned, T, config } = r;
  let ckpt: LoadedCheckpoint | null = null;
  if (opts.outDir) {
    const latest = latestCheckpoint(opts.outDir);
    if (latest && !opts.resume) {
      throw new TrainConfigError(`${opts.outDir} already holds a training run (checkpoint ${latest}); resume it (--resume) or choose another output directory`);
    }
    if (!latest && existsSync(join(opts.outDir, ESTIMATOR_FILES.meta))) {
      throw new TrainConfigError(`${opts.outDir} already holds a model (${ESTIMATOR_FILES.meta}) but no checkpoint to resume; choose another output directory`);
    }
    const foreign = [ESTIMATOR_FILES.topology, ESTIMATOR_FILES.weights].filter((f) => existsSync(join(opts.outDir!, f)));
    if (!latest && foreign.length) {
      throw new TrainConfigError(`${opts.outDir} holds ${foreign.join(' and ')} that aggstem did not write (no ${ESTIMATOR_FILES.meta}, no checkpoint); training would overwrite them: choose another output directory`);
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

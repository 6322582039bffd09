/**
 * Batches as tensors, the losses of both posterior heads, and the validation pass (with the
 * temperature fit of the binned head). docs/cnn.md, "Posterior heads".
 */
import * as tf from '@tensorflow/tfjs';
import type { Seed } from '../random/index.js';
import { applyInputTransform, type InputTransform } from './estimator.js';
import { splitOutput, targetCount, type NetworkSpec } from './network.js';
import { binIndex, binProbabilities, binnedMoments, fitTemperature } from './posterior.js';
import type { TrainingBatch, TrainingSource } from './source.js';
import { scaleTargets } from './targets.js';

export const LOG_2PI_HALF = 0.5 * Math.log(2 * Math.PI);

/** Gaussian NLL per parameter (mean over batch and parameters), scaled units. */
export function nllLoss(mean: tf.Tensor, logVar: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return tf.tidy(() =>
    tf.add(tf.mul(tf.mean(tf.add(logVar, tf.mul(tf.squaredDifference(y, mean), tf.exp(tf.neg(logVar))))), 0.5), LOG_2PI_HALF) as tf.Scalar,
  );
}

export function mseLoss(mean: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.squaredDifference(y, mean)) as tf.Scalar);
}

export async function* iterate<T>(it: Iterable<T> | AsyncIterable<T>): AsyncGenerator<T> {
  for await (const x of it as AsyncIterable<T>) yield x;
}

export interface BatchTensors {
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

export function batchTensors(source: TrainingSource, spec: NetworkSpec, t: InputTransform, b: TrainingBatch): BatchTensors {
  const side = source.imageSize;
  const C = source.channels ?? 1;
  const P = source.paramNames.length;
  const Q = source.descriptorNames?.length ?? 0;
  if (b.images.length !== b.size * side * side * C || b.params.length !== b.size * P || (Q > 0 && b.descriptors?.length !== b.size * Q)) {
    throw new Error(`training batch shape: ${b.images.length} image values / ${b.params.length} parameter values / ${b.descriptors?.length ?? 0} descriptor values for ${b.size} samples of ${side}×${side} px × ${C} channels, ${P} parameters and ${Q} descriptors`);
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
  const xs = tf.tensor4d(applyInputTransform(t, b.images), [b.size, side, side, C]);
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

export function disposeBatch(bt: BatchTensors): void {
  bt.xs.dispose();
  bt.ys.dispose();
  bt.onehot?.dispose();
}

/** Binned head: mean negative log density `−log(K p)` over the defined targets. */
export function binnedLoss(logits: tf.Tensor, onehot: tf.Tensor, n: number, T: number, K: number, defined: number): tf.Scalar {
  return tf.tidy(() => {
    const logp = tf.logSoftmax(tf.reshape(logits, [n, T, K]), -1);
    const picked = tf.sum(tf.mul(tf.reshape(onehot, [n, T, K]), logp));
    return tf.sub(tf.div(tf.neg(picked), Math.max(1, defined)), Math.log(K)) as tf.Scalar;
  });
}

export interface Validation {
  /** Mean negative log density per defined target (scaled units). */
  nll: number;
  mse: number;
  /** RMSE of the posterior mean per target, scaled units. */
  rmse: number[];
  /** With `fit`: the NLL-optimal softmax temperature per target (binned head). */
  temperatures?: number[];
}

export async function validate(source: TrainingSource, spec: NetworkSpec, model: tf.LayersModel, t: InputTransform, batchSize: number, seed: Seed, fit = false): Promise<Validation> {
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

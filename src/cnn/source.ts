/**
 * Where training images come from. The trainer reads a {@link TrainingSource}: the on-disk dataset
 * (through `src/dataset`'s streaming loader, see `datasetSource`) or plain in-memory arrays
 * ({@link arraySource}, for notebooks, tests and synthetic experiments).
 */
import type { ModelPrior } from '../model/params.js';
import type { ModelParamName } from '../model/types.js';
import type { MicroscopeConfig } from '../stem/config.js';
import { d4Transform } from '../dataset/augment.js';
import { randomStream, shuffleInPlace, type Seed } from '../random/index.js';
import type { ParamScaling } from './scaling.js';
import type { TargetScale } from './targets.js';

/** One mini-batch: images `[size, side, side]` row-major (`[size, side, side, C]` with C channels) and raw parameters `[size, P]`. */
export interface TrainingBatch {
  images: Float32Array;
  params: Float64Array;
  /** `[size, Q]` raw descriptor targets in `descriptorNames` order (when the source has any). */
  descriptors?: Float64Array;
  size: number;
}

/** Which part of the data a batch stream covers. */
export type TrainingSplit = 'train' | 'val';

/** Provenance recorded in the saved model. */
export interface TrainingSourceInfo {
  kind: 'dataset' | 'arrays';
  /** sha256 of the dataset's manifest.json file (datasets only). */
  manifestHash?: string;
  /** The dataset's config hash: it identifies the samples, which are pure functions of the config (datasets only). */
  configHash?: string;
  /** Whether training images were D4-augmented / got fresh noise per epoch (datasets only). */
  augment?: boolean;
  freshNoise?: boolean;
  /** Dataset directory as given (datasets only). */
  dir?: string;
  /** The model prior the parameters were drawn from, if known. */
  prior?: ModelPrior;
  /** Microscope config of the images, if known. */
  microscope?: MicroscopeConfig;
  /** Samples per split. */
  counts: { train: number; val: number };
  /** Only dataset samples with index below this were used (learning-curve subsets). */
  maxIndex?: number;
  /** Trained on the noise-free images (an oracle, not a usable estimator for real images). */
  clean?: boolean;
  /** An oracle's input other than images, in words (e.g. per-material thickness maps). */
  oracleInput?: string;
}

/** A stream of training and validation batches plus what the network needs to know about them. */
export interface TrainingSource {
  /** The estimated (varying) parameters, in canonical order: the network's output order. */
  paramNames: ModelParamName[];
  /** Their scaling to [0, 1]. */
  scaling: ParamScaling;
  /** Descriptor targets of the imaged aggregate, predicted after the parameters (default none). */
  descriptorNames?: string[];
  /** Their scaling to [0, 1] (same length as `descriptorNames`). */
  descriptorScaling?: TargetScale[];
  /** Side of the square input images, px. */
  imageSize: number;
  /** Channels per pixel, interleaved (default 1: an image; 2 for the thickness-map oracle). */
  channels?: number;
  /** Pixel size of the input images, nm. */
  pixelSizeNm: number;
  info: TrainingSourceInfo;
  /**
   * The batches of one epoch. Must be a pure function of (split, epoch, batchSize, seed), so that a
   * resumed run sees exactly the batches the interrupted one would have seen. Validation batches
   * should not be augmented and should carry fixed noise, so validation losses compare across epochs.
   */
  batches(split: TrainingSplit, opts: { batchSize: number; epoch: number; seed: Seed }): Iterable<TrainingBatch> | AsyncIterable<TrainingBatch>;
}

/** Images and raw parameters held in memory. */
export interface ArraySplit {
  /** `[n, side, side]` row-major (`[n, side, side, C]` with `channels: C`). */
  images: Float32Array;
  /** `[n, P]` raw parameter values, columns in `paramNames` order. */
  params: ArrayLike<number>;
  /** `[n, Q]` raw descriptor values, columns in `descriptorNames` order (with `descriptorNames`). */
  descriptors?: ArrayLike<number>;
}

/**
 * A {@link TrainingSource} over in-memory arrays. Training batches are reshuffled every epoch with
 * a stream derived from (seed, epoch); validation batches keep their order. With `augment: true`
 * every training image gets one of the 8 symmetries of the square (the same for all its channels),
 * drawn from (seed, epoch) like the dataset loader's; validation images are never augmented.
 *
 * @example
 * const src = arraySource({ paramNames, scaling, imageSize: 64, pixelSizeNm: 1.6, channels: 2,
 *   train: { images: thickness, params }, augment: true });
 */
export function arraySource(opts: {
  paramNames: ModelParamName[];
  scaling: ParamScaling;
  imageSize: number;
  pixelSizeNm: number;
  train: ArraySplit;
  val?: ArraySplit;
  prior?: ModelPrior;
  microscope?: MicroscopeConfig;
  descriptorNames?: string[];
  descriptorScaling?: TargetScale[];
  /** Channels per pixel, interleaved (default 1). */
  channels?: number;
  /** D4-augment training images (default false). */
  augment?: boolean;
}): TrainingSource {
  const { paramNames, scaling, imageSize } = opts;
  const channels = opts.channels ?? 1;
  if (!(Number.isInteger(channels) && channels >= 1 && channels <= 16)) throw new RangeError(`arraySource: channels = ${channels}; expected an integer in [1, 16]`);
  const p = paramNames.length;
  const dNames = opts.descriptorNames ?? [];
  const q = dNames.length;
  if ((opts.descriptorScaling ?? []).map((s) => s.name).join() !== dNames.join()) {
    throw new Error(`arraySource: descriptorScaling names do not match descriptorNames [${dNames.join(', ')}]`);
  }
  if (scaling.length !== p || scaling.some((s, j) => s.name !== paramNames[j])) {
    throw new Error(`arraySource: scaling names [${scaling.map((s) => s.name).join(', ')}] do not match paramNames [${paramNames.join(', ')}]`);
  }
  const pix = imageSize * imageSize * channels;
  const count = (name: string, s: ArraySplit | undefined): number => {
    if (!s) return 0;
    const n = s.images.length / pix;
    if (!Number.isInteger(n)) throw new RangeError(`arraySource: ${name}.images has ${s.images.length} values, not a multiple of ${imageSize}×${imageSize}×${channels}`);
    if (s.params.length !== n * p) throw new RangeError(`arraySource: ${name}.params has ${s.params.length} values, expected ${n} × ${p}`);
    if (q && s.descriptors?.length !== n * q) throw new RangeError(`arraySource: ${name}.descriptors has ${s.descriptors?.length ?? 0} values, expected ${n} × ${q}`);
    return n;
  };
  const nTrain = count('train', opts.train);
  const nVal = count('val', opts.val);
  if (nTrain === 0) throw new RangeError('arraySource: the training split is empty');

  function* gen(split: TrainingSplit, batchSize: number, epoch: number, seed: Seed): Generator<TrainingBatch> {
    const data = split === 'train' ? opts.train : opts.val;
    const n = split === 'train' ? nTrain : nVal;
    if (!data || n === 0) return;
    const order = Int32Array.from({ length: n }, (_, i) => i);
    const rng = randomStream(seed, 'array-source', 'epoch', epoch);
    if (split === 'train') shuffleInPlace(rng, order);
    const augment = split === 'train' && (opts.augment ?? false);
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start);
      const images = new Float32Array(size * pix);
      const params = new Float64Array(size * p);
      const descriptors = new Float64Array(size * q);
      for (let b = 0; b < size; b++) {
        const i = order[start + b]!;
        const src = data.images.subarray(i * pix, (i + 1) * pix);
        if (augment) d4Channels(src, imageSize, channels, rng.uint32() & 7, images.subarray(b * pix, (b + 1) * pix));
        else images.set(src, b * pix);
        for (let j = 0; j < p; j++) params[b * p + j] = data.params[i * p + j]!;
        for (let j = 0; j < q; j++) descriptors[b * q + j] = data.descriptors![i * q + j]!;
      }
      yield { images, params, size, ...(q ? { descriptors } : {}) };
    }
  }
  return {
    paramNames,
    scaling,
    imageSize,
    ...(channels > 1 ? { channels } : {}),
    pixelSizeNm: opts.pixelSizeNm,
    ...(q ? { descriptorNames: [...dNames], descriptorScaling: opts.descriptorScaling } : {}),
    info: { kind: 'arrays', prior: opts.prior, microscope: opts.microscope, counts: { train: nTrain, val: nVal } },
    batches: (split, o) => gen(split, o.batchSize, o.epoch, o.seed),
  };
}

/** The D4 transform `t` of an interleaved `[n, n, C]` image, the same for every channel. */
function d4Channels(src: Float32Array, n: number, C: number, t: number, out: Float32Array): void {
  if (C === 1) {
    d4Transform(src, n, t, out);
    return;
  }
  const plane = new Float32Array(n * n), moved = new Float32Array(n * n);
  for (let c = 0; c < C; c++) {
    for (let i = 0; i < n * n; i++) plane[i] = src[i * C + c]!;
    d4Transform(plane, n, t, moved);
    for (let i = 0; i < n * n; i++) out[i * C + c] = moved[i]!;
  }
}

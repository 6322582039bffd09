/**
 * The residual CNN: conv stem, residual stages with stride-2 downsampling, global average pooling,
 * a dense layer and a head over T = P parameters + Q descriptors, all in scaled [0, 1] space:
 *
 * - `binned` (default for new training): K logits per target, a piecewise-constant posterior on
 *   [0, 1] (see `posterior.ts`; docs/cnn.md);
 * - `gaussian` (the original head, still loaded and trainable): a mean (sigmoid) and a log-variance
 *   squashed into [logVarMin, logVarMax] (sigmoid, then affine outside the network), 2T outputs.
 *
 * Only layers whose kernels exist on every backend (wasm included, given the project's registered
 * Conv2DBackpropFilter) are used: conv2d, batch norm, relu, add, mean, dense, sigmoid, concat.
 */
import * as tf from '@tensorflow/tfjs';
import { deriveStream, int32Seed, randomStream, type Seed } from '../random/index.js';

/** Architecture of the estimator network (stored in `aggstem-model.json`). */
export interface NetworkSpec {
  /** Side of the square input image, px. */
  inputSize: number;
  /** Number of estimated parameters P (the network has 2P outputs). */
  nParams: number;
  /** Filters of the stem convolution. */
  stemFilters: number;
  /** Kernel size of the stem convolution. */
  stemKernel: number;
  /** Stride of the stem convolution. */
  stemStride: number;
  /** Filters per residual stage; every stage starts with a stride-2 block. */
  stageFilters: number[];
  /** Residual blocks per stage. */
  blocksPerStage: number;
  /** Width of the dense layer before the heads. */
  denseUnits: number;
  /** Batch normalisation after every convolution. */
  batchNorm: boolean;
  /** Lower clamp of the predicted log-variance (scaled units). */
  logVarMin: number;
  /** Upper clamp of the predicted log-variance (scaled units). */
  logVarMax: number;
  /** Image-conditioned descriptor targets Q predicted after the P parameters (default 0). */
  nDescriptors?: number;
  /** The posterior head (default `{ kind: 'gaussian' }`, the format of models trained before heads existed). */
  head?: HeadSpec;
  /**
   * Input channels (default 1, an image). More channels are for oracles that see what a microscope
   * cannot record, e.g. the two per-material thickness maps (docs/accuracy.md).
   */
  inputChannels?: number;
}

/** Which posterior the network outputs per target. */
export type HeadSpec = { kind: 'gaussian' } | { kind: 'binned'; bins: number };

/** Targets T = parameters + descriptors of a spec. */
export function targetCount(spec: Pick<NetworkSpec, 'nParams' | 'nDescriptors'>): number {
  return spec.nParams + (spec.nDescriptors ?? 0);
}

/** Width of the network's output row: 2T (Gaussian) or K·T (binned). */
export function outputWidth(spec: Pick<NetworkSpec, 'nParams' | 'nDescriptors' | 'head'>): number {
  const t = targetCount(spec);
  return spec.head?.kind === 'binned' ? spec.head.bins * t : 2 * t;
}

/** Named architectures: `paper` for 256 × 256 input, `quick` for 128 × 128, `tiny` for tests and demos. */
export type NetworkPreset = 'paper' | 'quick' | 'tiny';

/** The architecture preset for an input size and parameter count. */
export function networkSpec(preset: NetworkPreset, inputSize: number, nParams: number): NetworkSpec {
  const head = { nParams, inputSize, batchNorm: true, logVarMin: -11, logVarMax: 1 };
  switch (preset) {
    case 'paper':
      return { ...head, stemFilters: 32, stemKernel: 5, stemStride: 2, stageFilters: [32, 64, 128, 256], blocksPerStage: 2, denseUnits: 128 };
    case 'quick':
      return { ...head, stemFilters: 16, stemKernel: 3, stemStride: 2, stageFilters: [24, 32, 64], blocksPerStage: 1, denseUnits: 64 };
    case 'tiny':
      // Without batch norm: on tiny data sets the batch statistics' noise dominates (measured).
      // No 8-channel layers: training 8-filter convs at 64 × 64 px corrupts the heap inside native
      // TensorFlow 2.21's oneDNN kernels (process abort "double free or corruption"; fine with
      // TF_ENABLE_ONEDNN_OPTS=0 or on wasm, and with 16 filters) — a native bug we steer around.
      return { ...head, batchNorm: false, stemFilters: 16, stemKernel: 3, stemStride: 1, stageFilters: [16, 24], blocksPerStage: 1, denseUnits: 16 };
    default:
      throw new RangeError(`networkSpec: unknown preset "${String(preset)}"; expected paper, quick or tiny`);
  }
}

/** Checks a network spec (from a file or a caller); throws naming the bad field. */
export function validateNetworkSpec(x: unknown, where = 'network'): NetworkSpec {
  const s = x as Partial<NetworkSpec>;
  if (!s || typeof s !== 'object') throw new Error(`${where}: expected an object, got ${JSON.stringify(x)}`);
  const posInt = (k: keyof NetworkSpec) => {
    const v = s[k];
    if (!(typeof v === 'number' && Number.isInteger(v) && v >= 1)) throw new Error(`${where}.${k} = ${JSON.stringify(v)}; expected a positive integer`);
  };
  (['inputSize', 'nParams', 'stemFilters', 'stemKernel', 'stemStride', 'blocksPerStage', 'denseUnits'] as const).forEach(posInt);
  if (!Array.isArray(s.stageFilters) || s.stageFilters.length === 0 || !s.stageFilters.every((f) => Number.isInteger(f) && f >= 1)) {
    throw new Error(`${where}.stageFilters = ${JSON.stringify(s.stageFilters)}; expected a non-empty array of positive integers`);
  }
  if (typeof s.batchNorm !== 'boolean') throw new Error(`${where}.batchNorm = ${JSON.stringify(s.batchNorm)}; expected true or false`);
  if (!(typeof s.logVarMin === 'number' && typeof s.logVarMax === 'number' && s.logVarMax > s.logVarMin)) {
    throw new Error(`${where}: logVarMin/logVarMax = ${s.logVarMin}/${s.logVarMax}; expected numbers with min < max`);
  }
  if (s.nDescriptors !== undefined && !(Number.isInteger(s.nDescriptors) && s.nDescriptors >= 0)) {
    throw new Error(`${where}.nDescriptors = ${JSON.stringify(s.nDescriptors)}; expected an integer >= 0`);
  }
  if (s.head !== undefined) {
    const h = s.head as { kind?: unknown; bins?: unknown };
    if (h.kind === 'binned') {
      if (!(typeof h.bins === 'number' && Number.isInteger(h.bins) && h.bins >= 2 && h.bins <= 1024)) {
        throw new Error(`${where}.head.bins = ${JSON.stringify(h.bins)}; expected an integer in [2, 1024]`);
      }
    } else if (h.kind !== 'gaussian') {
      throw new Error(`${where}.head.kind = ${JSON.stringify(h.kind)}; expected "binned" or "gaussian"`);
    }
  }
  if (s.inputChannels !== undefined && !(Number.isInteger(s.inputChannels) && s.inputChannels >= 1 && s.inputChannels <= 16)) {
    throw new Error(`${where}.inputChannels = ${JSON.stringify(s.inputChannels)}; expected an integer in [1, 16]`);
  }
  const down = s.stemStride! * 2 ** s.stageFilters.length;
  if (s.inputSize! < down) throw new Error(`${where}.inputSize = ${s.inputSize} is smaller than the network's total stride ${down}`);
  return s as NetworkSpec;
}

/**
 * Builds the (untrained) network. Every initializer gets its own non-zero seed derived from `seed`
 * (tfjs treats seed 0 or a missing seed as "use Math.random").
 */
export function buildNetwork(spec: NetworkSpec, seed: Seed): tf.LayersModel {
  validateNetworkSpec(spec);
  const root = randomStream(seed, 'cnn-init');
  let k = 0;
  const he = () => tf.initializers.heNormal({ seed: int32Seed(deriveStream(root, 'layer', k++)) });
  const glorot = () => tf.initializers.glorotUniform({ seed: int32Seed(deriveStream(root, 'layer', k++)) });
  const bn = (x: tf.SymbolicTensor) =>
    spec.batchNorm ? (tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-3 }).apply(x) as tf.SymbolicTensor) : x;
  const relu = (x: tf.SymbolicTensor) => tf.layers.reLU().apply(x) as tf.SymbolicTensor;
  const conv = (x: tf.SymbolicTensor, filters: number, kernel: number, strides: number) =>
    tf.layers
      .conv2d({ filters, kernelSize: kernel, strides, padding: 'same', useBias: !spec.batchNorm, kernelInitializer: he() })
      .apply(x) as tf.SymbolicTensor;

  const input = tf.input({ shape: [spec.inputSize, spec.inputSize, spec.inputChannels ?? 1], name: 'image' });
  let x = relu(bn(conv(input, spec.stemFilters, spec.stemKernel, spec.stemStride)));
  let channels = spec.stemFilters;
  for (const filters of spec.stageFilters) {
    for (let b = 0; b < spec.blocksPerStage; b++) {
      const stride = b === 0 ? 2 : 1;
      let y = relu(bn(conv(x, filters, 3, stride)));
      y = bn(conv(y, filters, 3, 1));
      const shortcut = stride !== 1 || channels !== filters ? bn(conv(x, filters, 1, stride)) : x;
      x = relu(tf.layers.add().apply([y, shortcut]) as tf.SymbolicTensor);
      channels = filters;
    }
  }
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: spec.denseUnits, activation: 'relu', kernelInitializer: he() }).apply(x) as tf.SymbolicTensor;
  const T = targetCount(spec);
  if (spec.head?.kind === 'binned') {
    // Small initial logits: every posterior starts near flat (the prior in scaled space).
    const logits = tf.layers
      .dense({ units: T * spec.head.bins, kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 0.01, seed: int32Seed(deriveStream(root, 'layer', k++)) }), name: 'logits' })
      .apply(x) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: logits, name: 'aggstem_estimator' });
  }
  const mean = tf.layers
    .dense({ units: T, activation: 'sigmoid', kernelInitializer: glorot(), name: 'mean' })
    .apply(x) as tf.SymbolicTensor;
  // The variance head starts near the middle of its range with a small kernel, so early NLL steps
  // are not dominated by extreme precisions.
  const logVarUnit = tf.layers
    .dense({ units: T, activation: 'sigmoid', kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: 0.01, seed: int32Seed(deriveStream(root, 'layer', k++)) }), name: 'logvar_unit' })
    .apply(x) as tf.SymbolicTensor;
  const out = tf.layers.concatenate({ axis: -1, name: 'mean_logvar' }).apply([mean, logVarUnit]) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'aggstem_estimator' });
}

/**
 * Splits the network output `[n, 2P]` into the scaled mean and the log-variance `[n, P]` each
 * (the affine map of the variance unit into [logVarMin, logVarMax] lives here, not in the graph, so
 * the saved model needs no custom layer).
 */
export function splitOutput(spec: Pick<NetworkSpec, 'nParams' | 'nDescriptors' | 'logVarMin' | 'logVarMax'>, out: tf.Tensor): { mean: tf.Tensor2D; logVar: tf.Tensor2D } {
  const T = targetCount(spec);
  return tf.tidy(() => {
    const [mean, unit] = tf.split(out as tf.Tensor2D, [T, T], 1) as [tf.Tensor2D, tf.Tensor2D];
    const logVar = tf.add(tf.mul(unit, spec.logVarMax - spec.logVarMin), spec.logVarMin) as tf.Tensor2D;
    return { mean, logVar };
  });
}

/** Number of trainable scalars of a model. */
export function countParameters(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((s, w) => s + w.shape.reduce<number>((a, b) => a * (b ?? 1), 1), 0);
}

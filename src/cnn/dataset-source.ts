/**
 * The on-disk dataset (`aggstem dataset`) as a {@link TrainingSource}: training batches come from
 * the dataset's streaming loader with D4 augmentation and fresh detector noise per epoch (on a
 * worker thread, see `prefetch`); validation batches are the stored noisy images, unaugmented, in a fixed order.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { batches, DatasetError, MANIFEST_FILE, readSamples, type Dataset } from '../dataset/index.js';
import { DEFAULT_DESCRIPTOR_TARGETS, descriptorScalingFromValues, type TargetScale } from './targets.js';
import { sha256 } from './estimator.js';
import { prefetchBatches } from './prefetch.js';
import { paramScalingFromPrior } from './scaling.js';
import type { TrainingSource } from './source.js';

/** Options of {@link datasetSource}. */
export interface DatasetSourceOptions {
  /** Random rotation/flip (D4) of every training image, new each epoch (default true). */
  augment?: boolean;
  /** Redraw the detector noise of every training image from its clean intensity each epoch (default true). */
  freshNoise?: boolean;
  /**
   * Load training batches on a worker thread, overlapping with training (default true). The
   * batches are identical either way.
   */
  prefetch?: boolean;
  /**
   * Descriptors of the imaged aggregate to predict beside θ (default {@link DEFAULT_DESCRIPTOR_TARGETS};
   * `[]` for parameters only). Their [0, 1] scaling comes from the training split.
   */
  descriptors?: readonly string[];
  /** Train on samples with index below this only (nested subsets for learning curves; default all). */
  maxIndex?: number;
  /** Train on the first `trainCount` training samples by index (sets `maxIndex`; nested subsets). */
  trainCount?: number;
  /** Use the clean (noise-free) images for training and validation: the oracle row of the accuracy study. */
  clean?: boolean;
}

/** Wraps an opened dataset (`openDataset(dir)`) for {@link trainEstimator}. */
export function datasetSource(ds: Dataset, opts: DatasetSourceOptions = {}): TrainingSource {
  const scaling = paramScalingFromPrior(ds.prior);
  if (scaling.map((s) => s.name).join() !== ds.paramNames.join()) {
    throw new DatasetError(`datasetSource: ${ds.dir}: the manifest's parameters [${ds.paramNames.join(', ')}] differ from the prior's varying ones [${scaling.map((s) => s.name).join(', ')}]`);
  }
  const augment = opts.augment ?? true;
  const freshNoise = opts.freshNoise ?? true;
  const prefetch = opts.prefetch ?? true;
  const descriptorNames = [...(opts.descriptors ?? DEFAULT_DESCRIPTOR_TARGETS)];
  let maxIndex = opts.maxIndex;
  // The training split's table (indices and descriptors), read once when anything needs it.
  const train = descriptorNames.length || maxIndex !== undefined || opts.trainCount !== undefined ? readSamples(ds, 'train') : null;
  if (opts.trainCount !== undefined) {
    if (maxIndex !== undefined) throw new Error('datasetSource: give maxIndex or trainCount, not both');
    const idx = Int32Array.from(train!.indices).sort();
    if (!(Number.isInteger(opts.trainCount) && opts.trainCount >= 1 && opts.trainCount <= idx.length)) {
      throw new DatasetError(`datasetSource: trainCount = ${opts.trainCount}; ${ds.dir} has ${idx.length} training samples`);
    }
    maxIndex = idx[opts.trainCount - 1]! + 1;
  }
  const clean = opts.clean ?? false;
  let counts = { train: ds.splitCounts.train, val: ds.splitCounts.val };
  let descriptorScaling: TargetScale[] = [];
  if (train) {
    const keep = Array.from(train.indices, (i) => maxIndex === undefined || i < maxIndex);
    if (maxIndex !== undefined) counts = { ...counts, train: keep.filter(Boolean).length };
    if (counts.train === 0) throw new DatasetError(`datasetSource: ${ds.dir} has no training samples below index ${maxIndex}`);
    const values: Record<string, Float64Array> = {};
    for (const d of descriptorNames) {
      const col = train.descriptors[d];
      if (!col) throw new DatasetError(`datasetSource: descriptor "${d}" is not stored in ${ds.dir}; it has ${ds.manifest.descriptorNames.join(', ')}`);
      values[d] = col.filter((_, i) => keep[i]);
    }
    descriptorScaling = descriptorScalingFromValues(descriptorNames, values);
  }
  const loaderExtras = {
    ...(descriptorNames.length ? { descriptorNames } : {}),
    ...(maxIndex !== undefined ? { maxIndex } : {}),
  };
  return {
    paramNames: [...ds.paramNames],
    scaling,
    ...(descriptorNames.length ? { descriptorNames, descriptorScaling } : {}),
    imageSize: ds.imageSize,
    pixelSizeNm: ds.pixelSizeNm,
    info: {
      kind: 'dataset',
      dir: ds.dir,
      manifestHash: sha256(readFileSync(join(ds.dir, MANIFEST_FILE))),
      configHash: ds.manifest.configHash,
      prior: ds.prior,
      microscope: ds.microscope,
      counts,
      augment,
      freshNoise: freshNoise && !clean,
      ...(maxIndex !== undefined ? { maxIndex } : {}),
      ...(clean ? { clean: true } : {}),
    },
    batches: (split, o) =>
      split === 'train'
        ? (prefetch ? prefetchBatches : batches)(ds, { split, batchSize: o.batchSize, epoch: o.epoch, seed: o.seed, augment, freshNoise: freshNoise && !clean, ...(clean ? { kind: 'clean' as const } : {}), ...loaderExtras })
        : batches(ds, { split, batchSize: o.batchSize, epoch: 0, seed: o.seed, shuffle: false, augment: false, freshNoise: false, ...(clean ? { kind: 'clean' as const } : {}), ...(descriptorNames.length ? { descriptorNames } : {}) }),
  };
}

/**
 * The on-disk dataset (`aggstem dataset`) as a {@link TrainingSource}: training batches come from
 * the dataset's streaming loader with D4 augmentation and fresh detector noise per epoch (on a
 * worker thread, see `prefetch`); validation batches are the stored noisy images, unaugmented, in a fixed order.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { batches, MANIFEST_FILE, type Dataset } from '../dataset/index.js';
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
}

/** Wraps an opened dataset (`openDataset(dir)`) for {@link trainEstimator}. */
export function datasetSource(ds: Dataset, opts: DatasetSourceOptions = {}): TrainingSource {
  const scaling = paramScalingFromPrior(ds.prior);
  if (scaling.map((s) => s.name).join() !== ds.paramNames.join()) {
    throw new Error(`datasetSource: ${ds.dir}: the manifest's parameters [${ds.paramNames.join(', ')}] differ from the prior's varying ones [${scaling.map((s) => s.name).join(', ')}]`);
  }
  const augment = opts.augment ?? true;
  const freshNoise = opts.freshNoise ?? true;
  const prefetch = opts.prefetch ?? true;
  return {
    paramNames: [...ds.paramNames],
    scaling,
    imageSize: ds.imageSize,
    pixelSizeNm: ds.pixelSizeNm,
    info: {
      kind: 'dataset',
      dir: ds.dir,
      manifestHash: sha256(readFileSync(join(ds.dir, MANIFEST_FILE))),
      configHash: ds.manifest.configHash,
      prior: ds.prior,
      microscope: ds.microscope,
      counts: { train: ds.splitCounts.train, val: ds.splitCounts.val },
      augment,
      freshNoise,
    },
    batches: (split, o) =>
      split === 'train'
        ? (prefetch ? prefetchBatches : batches)(ds, { split, batchSize: o.batchSize, epoch: o.epoch, seed: o.seed, augment, freshNoise })
        : batches(ds, { split, batchSize: o.batchSize, epoch: 0, seed: o.seed, shuffle: false, augment: false, freshNoise: false }),
  };
}

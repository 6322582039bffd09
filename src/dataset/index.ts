/**
 * Training datasets at scale: deterministic, parallel, resumable, shardable (docs/datasets.md).
 *
 * Sample i of a dataset is a pure function of (dataset seed, i): θ drawn from the prior, the
 * aggregate grown, its HAADF-STEM image simulated, its descriptors computed. On disk a dataset is a
 * directory of shards (`shard-00000.clean.npy`, `.noisy.npy`, `.csv`) plus `manifest.json` with
 * the config, its hash, the code version, counts, redraw statistics and SHA-256 checksums.
 *
 * - {@link datasetConfig} / {@link DATASET_PRESETS}: what to generate (`quick`, `paper`).
 * - {@link generateDataset}: generate, resume, or generate one part (`part: "i/n"`).
 * - {@link mergeDatasets}: combine parts from several machines; {@link verifyDataset}: check one.
 * - {@link openDataset}, {@link batches}, {@link readSamples}, {@link readImages}: the streaming
 *   loader for training and evaluation; {@link splitOf}: the train/val/test split.
 */
export {
  DATASET_PRESETS,
  QUICK_DATASET_PRIOR,
  datasetConfig,
  datasetConfigHash,
  loadDatasetConfigFile,
  storedImageSize,
  storedPixelSizeNm,
  validateDatasetConfig,
} from './config.js';
export type { DatasetConfig, DatasetConfigInput, DatasetPresetName } from './config.js';
export { DatasetError } from './errors.js';
export { generateDataset } from './generate.js';
export type { GenerateDatasetOptions, GenerateProgress, GenerateSummary } from './generate.js';
export { binnedNoiseConfig, d4Transform } from './augment.js';
export { batches, openDataset, readImages, readSamples } from './loader.js';
export type { Batch, BatchOptions, Dataset } from './loader.js';
export { MANIFEST_FILE, readManifest, checkShardFiles } from './manifest.js';
export type { CodeVersion, DatasetManifest, RunRecord, ShardEntry, ShardFileEntry } from './manifest.js';
export { mergeDatasets, verifyDataset } from './merge.js';
export type { MergeSummary, VerifyReport } from './merge.js';
export { parsePart, shardFiles, shardRange, shardsOfPart } from './plan.js';
export type { DatasetPart } from './plan.js';
export type { RedrawCounts, RegionCounts } from './redraws.js';
export { binImage, computeSample } from './sample.js';
export type { RejectReason, SampleResult } from './sample.js';
export { DEFAULT_SPLIT_FRACTIONS, SPLITS, splitOf } from './split.js';
export type { Split, SplitFractions } from './split.js';

/**
 * The CNN estimator: a residual network that predicts the varying model parameters of an
 * aggregate from its HAADF-STEM image, and descriptors of the imaged aggregate itself, each as a
 * calibrated posterior (binned head; the Gaussian head of older models still loads). docs/cnn.md.
 *
 * Typical use:
 * ```ts
 * const { tf } = await initBackend('auto');           // src/cnn/backend
 * const est = await loadEstimator('datasets/quick-model');
 * const e = await predict(est, { data, widthPx: 128, heightPx: 128, pixelSizeNm: 1.6 });
 * e.names.forEach((n, j) => console.log(n, e.mean[j], '±', e.sd[j], [e.lower95[j], e.upper95[j]]));
 * e.descriptors?.names.forEach((n, j) => console.log(n, e.descriptors!.median[j]));
 * ```
 * Training: `trainEstimator(datasetSource(openDataset(dir)), { outDir, epochs, onEpochEnd })`.
 */
export {
  paramScalingFromPrior,
  scaleParams,
  unscaleParams,
  scaleValue,
  unscaleValue,
  unscaleDerivative,
  validateParamScaling,
  type ParamScale,
  type ParamScaling,
} from './scaling.js';
export {
  buildNetwork,
  networkSpec,
  validateNetworkSpec,
  splitOutput,
  countParameters,
  targetCount,
  outputWidth,
  type HeadSpec,
  type NetworkSpec,
  type NetworkPreset,
} from './network.js';
export { arraySource, type TrainingSource, type TrainingBatch, type TrainingSplit, type TrainingSourceInfo, type ArraySplit } from './source.js';
export {
  ESTIMATOR_FILES,
  EstimatorFileError,
  applyInputTransform,
  fitInputTransform,
  saveEstimator,
  loadEstimator,
  readEstimatorMeta,
  disposeEstimator,
  modelToFiles,
  modelFromFiles,
  type Estimator,
  type EstimatorMeta,
  type EpochLog,
  type TrainingRecord,
  type InputTransform,
  type ModelFiles,
} from './estimator.js';
export {
  predict,
  predictBatch,
  predictArrays,
  resampleToModelGrid,
  fitImageToModel,
  estimatesFromScaled,
  estimatesFromLogits,
  posteriorCdf,
  outOfDistributionWarnings,
  type TargetSummary,
  type DescriptorEstimate,
  EstimatorInputError,
  type EstimatorImage,
  type ParamEstimate,
  type PredictOptions,
} from './predict.js';
export { datasetSource, type DatasetSourceOptions } from './dataset-source.js';
export { binProbabilities, binIndex, binnedCdf, binnedQuantile, binnedMoments, binnedNll, fitTemperature } from './posterior.js';
export { DEFAULT_DESCRIPTOR_TARGETS, descriptorScalingFromValues, validateTargetScaling, scaleTargets, type TargetScale } from './targets.js';
export { trainEstimator, TrainConfigError, type TrainOptions, type TrainResult, type BatchInfo, type EpochInfo } from './train.js';
export * from './backend/index.js';

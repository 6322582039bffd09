/**
 * aggstem: characterise 3D nanoparticle hetero-aggregates from 2D HAADF-STEM images.
 *
 * Data flow: ModelParams → generate → Aggregate → describe / simulate → Dataset → train →
 * Estimator → predict → digital twins → evaluate. Each stage lives in its own folder of `src/`;
 * this file is the curated public API, grouped by stage (docs/architecture.md). Internals stay
 * importable by path (`aggstem/dist/src/<stage>/<module>.js`) for tests and experiments.
 *
 * ```ts
 * import * as ag from 'aggstem';
 * const agg = ag.generateAggregate(ag.MODEL_PRESETS.quick, ag.randomStream(1, 'aggregate', 0));
 * const img = ag.simulateImage(agg.particles, ag.microscopePreset('quick'), ag.randomStream(1, 'image', 0));
 * ```
 *
 * @packageDocumentation
 */
export { UserError } from './errors.js';


// ── random: Seeded, splittable random streams and distributions: every random choice takes an explicit stream (docs/reproducibility.md).
export {
  randomStream, deriveStream, uniform, integer, normal, lognormal, logUniformInt, shuffleInPlace, unitVector,
  randomRotation, normalCdf, normalQuantile, type Truncation,
} from './random/index.js';
export { poisson } from './random/poisson.js';
export { type PathSegment, type RandomStream, type Seed, type UniformSource } from './random/types.js';

// ── model: The stochastic 3D hetero-aggregate model: parameters and priors, the θ codec, the generator, JSON Lines files (docs/model.md).
export {
  GENERATE_DEFAULTS, GenerationError, generateAggregate, type GenerateOptions, type GenerationQuality,
} from './model/generate.js';
export { fractalLawRg } from './model/geometry.js';
export {
  AggregateFormatError, aggregateToJsonLine, iterateAggregatesJsonl, parseAggregateLine, readAggregatesJsonl,
  writeAggregatesJsonl,
} from './model/jsonl.js';
export {
  DEFAULT_PRIOR, DFSP_PRIOR, MODEL_PRESETS, ModelParamError, PARAM_LIMITS, QUICK_PRIOR, describeParamLimit,
  resolveModelParams, samplePrior, validateModelParams, validateModelPrior, varyingParams, priorCentre,
  type ModelPresetName, type ModelPrior, type ParamLimit, type ParamPrior,
} from './model/params.js';
export { measureAggregateQuality } from './model/quality.js';
export {
  completeParams, paramsFromEstimate, paramScalingFromPrior, scaleParams, scaleValue, thetaToVector,
  unscaleDerivative, unscaleParams, unscaleValue, type ParamScale, type ParamScaling,
} from './model/theta.js';
export {
  ALL_PARAM_NAMES, MATERIAL_A, MATERIAL_B, MODEL_PARAM_NAMES, MORPHOLOGY_PARAM_NAMES, paramNamesOf, paramValue,
  type Aggregate, type AggregateQuality, type CoreParamName, type ModelParamName, type ModelParams,
  type MorphologyParamName, type Particles,
} from './model/types.js';

// ── descriptors: Structural descriptors of an aggregate: coordination, hetero-coordination, mixing, Rg, fractal dimension, hull, projections (docs/descriptors.md).
export {
  contactGraph, coordination, heteroCoordination, homoDomains, CONTACT_REL_TOL, type ContactGraph,
  type Coordination, type HeteroCoordination, type HomoDomains,
} from './descriptors/contacts.js';
export {
  describeAggregate, DESCRIPTOR_INFO, DESCRIPTOR_NAMES, type DescribeOptions, type DescriptorInfo,
  type DescriptorName, type Descriptors,
} from './descriptors/describe.js';
export {
  pairCountDimension, fitFractalLaw, geometricMeanRadius, type PairCountFit, type PairCountOptions,
  type FractalLawFit,
} from './descriptors/fractal.js';
export {
  gyration, particleWeights, principalFrame, phaseSeparation, DEFAULT_DENSITIES_G_CM3, type Gyration,
  type MaterialDensities,
} from './descriptors/gyration.js';
export { sphereHull, DEFAULT_HULL_POINTS_PER_SPHERE, type SphereHull, type SphereHullOptions } from './descriptors/hull.js';
export { projectedArea, meanProjectedArea, projectionDirections, DEFAULT_PROJECTIONS } from './descriptors/projection.js';
export { unionVolume } from './descriptors/volume.js';

// ── io: Microscope image files (DM3/DM4, MRC, EMD, TIFF, PNG, NPY) and aggstem's own image and table writers (docs/image-files.md).
export { loadHdf5, hdf5Loaded, readEmd } from './io/emd.js';
export { ImageFormatError } from './io/errors.js';
export {
  pixelSizeOf, imageStats, type ImageArray, type ImageDtype, type ImageFormat, type MicroscopeImage,
  type PixelSize,
} from './io/image.js';
export {
  encodeNpy, writeNpy, decodeNpy, readNpy, readNpyHeader, readNpyFrames, openNpyStack, type NpyTypedArray,
  type NpyDtype, type NpyHeader, type NpyArray, type NpyStackWriter,
} from './io/npy.js';
export {
  encodePng16, encodePng8, writePng16, writePng8, decodePng, annotatePng, type PngMeta, type DecodedPngImage,
} from './io/png.js';
export { decodeImage, detectImageFormat, readImage, readImageAsync, type ReadImageOptions } from './io/read.js';
export {
  encodeTiffFloat32, encodeTiffUint16, encodeTiffGrey, writeTiffFloat32, writeTiffUint16, type TiffMeta,
  type TiffGreyArray,
} from './io/tiff.js';

// ── image: the one image type after reading, the one resampler, binning, aggregate detection and centring.
export { type Image2D, resampleToGrid } from './image/index.js';

// ── maps: statistics of two-element (STEM-EDX) maps, overlays, the model check (docs/maps.md).
export {
  classifyMaps, MapInputError, LABEL_A, LABEL_B, LABEL_BACKGROUND, type ClassifyOptions, type MaterialLabels,
  type MaterialMaps,
} from './maps/classify.js';
export { predictiveCheck, type ModelSource, type PredictiveCheck, type PredictiveCheckOptions, type PredictiveRow } from './maps/compare.js';
export { mapsFromFiles, mapsFromOverlay, type Channel, type MaskRect, type OverlayOptions } from './maps/read.js';
export { elementMapsOf, type ElementMapOptions } from './maps/render.js';
export { mapStatistics, mapStatisticsRecord, MAP_STATISTIC_NAMES, type MapStatistics, type MapStatisticsOptions } from './maps/statistics.js';

// ── stem: HAADF-STEM image simulation: projection, optics, blur, noise, tilt series (docs/stem.md).
export {
  DEFAULT_MICROSCOPE, MICROSCOPE_PRESETS, MicroscopeConfigError, electronWavelengthPm, loadIntensityCurve,
  loadMicroscopeConfig, microscopePreset, resolveMicroscopeConfig, validateIntensityCurve,
  validateMicroscopeConfig, type CarbonFilmConfig, type DefocusConfig, type DetectorConfig,
  type DistortionConfig, type IntensityCurve, type MaterialOptics, type MicroscopeConfig,
  type MicroscopeConfigInput, type MicroscopePresetName,
} from './stem/config.js';
export { addNoise, type StemNoisyImage } from './stem/noise.js';
export {
  haadfFraction, materialIntensity, opticalDensityFunction, carbonFilmThickness, type OpticalDensityFn,
} from './stem/optics.js';
export { type ImageGeometry as StemGeometry } from './stem/project.js';
export {
  simulateImage, tiltSeries, projectThickness, createStemWorkspace, type StemImage, type StemWorkspace,
  type SimulateImageOptions,
} from './stem/simulate.js';
export { writeStemImage, type StemImageFile, type StemImageFiles } from './stem/write.js';

// ── dataset: Training datasets: deterministic, parallel, resumable, shardable; the streaming loader (docs/datasets.md).
export { binnedNoiseConfig, d4Transform } from './dataset/augment.js';
export {
  DATASET_PRESETS, QUICK_DATASET_PRIOR, datasetConfig, datasetConfigHash, loadDatasetConfigFile,
  storedImageSize, storedPixelSizeNm, validateDatasetConfig, type DatasetConfig, type DatasetConfigInput,
  type DatasetPresetName,
} from './dataset/config.js';
export { DatasetError } from './dataset/errors.js';
export { generateDataset, type GenerateDatasetOptions, type GenerateProgress, type GenerateSummary } from './dataset/generate.js';
export {
  batches, openDataset, readImages, readSamples, type Batch, type BatchOptions, type Dataset,
} from './dataset/loader.js';
export { MANIFEST_FILE, readManifest, type DatasetManifest, type ShardEntry } from './dataset/manifest.js';
export { mergeDatasets, verifyDataset, type MergeSummary, type VerifyReport } from './dataset/merge.js';
export { parsePart, type DatasetPart } from './dataset/plan.js';
export { binImage, computeSample, type RejectReason, type SampleResult } from './dataset/sample.js';
export { DEFAULT_SPLIT_FRACTIONS, SPLITS, splitOf, type Split, type SplitFractions } from './dataset/split.js';

// ── cnn: The CNN estimator: backends, network, posterior heads, training, prediction (docs/cnn.md).
export {
  initBackend, nativeTensorFlowStatus, BackendUnavailableError, type BackendName, type BackendPreference,
  type BackendInfo, type BackendOptions, type NativeStatus,
} from './cnn/backend/select.js';
export { TrainConfigError } from './cnn/checkpoint.js';
export { datasetSource, type DatasetSourceOptions } from './cnn/dataset-source.js';
export {
  EstimatorFileError, saveEstimator, loadEstimator, readEstimatorMeta, disposeEstimator, shippedModelDir, type Estimator,
  type EstimatorMeta, type EpochLog, type TrainingRecord, type InputTransform,
} from './cnn/estimator.js';
export {
  buildNetwork, networkSpec, countParameters, targetCount, type HeadSpec, type NetworkSpec,
  type NetworkPreset,
} from './cnn/network.js';
export { binProbabilities, binnedCdf, binnedQuantile, binnedMoments, fitTemperature } from './cnn/posterior.js';
export {
  predict, predictBatch, predictArrays, resampleToModelGrid, fitImageToModel, posteriorCdf, type TargetSummary,
  type DescriptorEstimate, EstimatorInputError, type EstimatorImage, type ParamEstimate, type PredictOptions,
} from './cnn/predict.js';
export {
  arraySource, type TrainingSource, type TrainingBatch, type TrainingSplit, type TrainingSourceInfo,
  type ArraySplit,
} from './cnn/source.js';
export { DEFAULT_DESCRIPTOR_TARGETS, descriptorScalingFromValues, type TargetScale } from './cnn/targets.js';
export { trainEstimator, type TrainOptions, type TrainResult, type BatchInfo, type EpochInfo } from './cnn/train.js';

// ── preprocess: Real images to the CNN input: beam-fraction normalisation, resampling, aggregate detection and centring (docs/real-images.md).
export { modelInputSpec, isAggstemBeamFraction, type EstimatorInputInfo, type ImageFileInfo } from './preprocess/model-input.js';
export {
  PreprocessError, estimateBackground, findAggregate, normaliseToBeamFraction, prepareImage, resampleImage,
  resolveBeamLevels, type BeamLevels, type ModelInputSpec, type PrepareOptions, type PreparedImage,
  type RawImage,
} from './preprocess/prepare.js';

// ── analysis: Error analysis, calibration, descriptor routes, figures, reports, digital twins, the pipeline (docs/error-analysis.md).
export {
  CALIBRATION_LEVELS, pitCoverage, pitCalibrationTable, rankHistogramTable, chiSquareSurvival,
  type PitValues,
} from './analysis/calibration.js';
export {
  parameterErrorTable, parameterSampleTable, calibrationTable, descriptorSampleTable, descriptorErrorTable,
  type ParamPredictions, type DescriptorDraws,
} from './analysis/errors.js';
export {
  evaluateEstimator, baselineDescriptorMeans, evaluationReport, type EvaluateOptions, type EvaluationResult,
  KEY_DESCRIPTORS,
} from './analysis/evaluate.js';
export {
  predictedVsTrueSpec, descriptorErrorHistogramSpec, calibrationSpec, parameterScoreSpec,
  descriptorRouteSpec, rankHistogramSpec, type VegaLiteSpec,
} from './analysis/figures.js';
export {
  r2Score, meanAbsoluteError, rmse, relativeError, relativeErrors, wasserstein1, intervalCoverage,
  coverageStandardError,
} from './analysis/metrics.js';
export { renderReportHtml, writeReport, type ReportSection, type ReportContent } from './analysis/report.js';
export { descriptorRouteTable, directSampleTable, type DirectDescriptorPredictions } from './analysis/routes.js';
export { evaluationSummary, type EvaluationSummary } from './analysis/summary.js';
export {
  projectionStats, projectionDistance, digitalTwins, type ProjectionStats, type DigitalTwinOptions,
  type DigitalTwin, type DigitalTwinResult,
} from './analysis/twins.js';
export { writeEvaluation } from './analysis/write-evaluation.js';
export { runPipeline, PIPELINE_DEFAULTS, type PipelineConfig, type PipelineProgress, type PipelineResult } from './analysis/pipeline.js';
export {
  aggregateFigure, plotlyHtml, MATERIAL_STYLES, type AggregateFigureOptions, type PlotlyFigure, type SphereSet, type MaterialStyle,
} from './analysis/aggregate-figure.js';
export { aggregateFramesFigure } from './analysis/aggregate-frames.js';
export { trainingHistorySpec } from './analysis/history-figure.js';
export { quantitySymbol, quantityLabel, type QuantitySymbol, type QuantityLabelOptions } from './analysis/symbols.js';
export { predictedVsTrueFigure, calibrationFigure, descriptorErrorFigure, modelGalleryFigure, gridColumns, PAPER_CONFIG, ROUTE_STYLE, JOURNAL_WIDTH_MM, JOURNAL_WIDTH_PX } from './analysis/paper-figures.js';

/**
 * From a real (or saved simulated) HAADF-STEM image to the CNN's input: normalise the detector signal
 * to the fraction of the beam, resample to the model's pixel size, find the aggregate and centre it in
 * the model's field (`prepare.ts`), and the glue to a trained estimator (`model-input.ts`).
 * docs/real-images.md.
 */
export {
  LEVEL_METADATA_KEYS,
  PreprocessError,
  centreWindow,
  estimateBackground,
  findAggregate,
  normaliseToBeamFraction,
  prepareImage,
  resampleImage,
  resolveBeamLevels,
  windowOrigin,
  type BeamLevels,
  type ModelInputSpec,
  type PrepareOptions,
  type PreparedImage,
  type RawImage,
} from './prepare.js';
export { modelInputSpec, isAggstemBeamFraction, type EstimatorInputInfo, type ImageFileInfo } from './model-input.js';

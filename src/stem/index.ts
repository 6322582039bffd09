/**
 * HAADF-STEM image simulation (DESIGN §3): projected mass thickness of sphere aggregates with
 * multislice/experiment-calibrated optical densities (Bremen TiO2/WO3 values by default), carbon
 * support film, probe blur and optional depth-dependent defocus, scan distortions, exact Poisson
 * shot noise and a detector chain.
 *
 * ```ts
 * const cfg = microscopePreset('quick');
 * const img = simulateImage(aggregate.particles, cfg, randomStream(1, 'image', 0), { rotation: randomRotation(rng) });
 * img.noisy; // Float32Array, normalised HAADF fraction, img.heightPx × img.widthPx, row-major
 * ```
 *
 * @module stem
 */
export {
  DEFAULT_MICROSCOPE,
  MICROSCOPE_PRESETS,
  MicroscopeConfigError,
  electronWavelengthPm,
  loadIntensityCurve,
  loadMicroscopeConfig,
  microscopePreset,
  resolveMicroscopeConfig,
  validateIntensityCurve,
  validateMicroscopeConfig,
  type CarbonFilmConfig,
  type DefocusConfig,
  type DetectorConfig,
  type DistortionConfig,
  type IntensityCurve,
  type MaterialOptics,
  type MicroscopeConfig,
  type MicroscopeConfigInput,
  type MicroscopePresetName,
} from './config.js';
export {
  simulateImage,
  tiltSeries,
  projectThickness,
  axisRotation,
  createStemWorkspace,
  type StemImage,
  type StemWorkspace,
  type SimulateOptions,
} from './simulate.js';
export { addNoise, type NoisyImage } from './noise.js';
export {
  haadfFraction,
  materialIntensity,
  opticalDensityFunction,
  carbonFilmThickness,
  type OpticalDensityFn,
} from './optics.js';
export {
  gaussianBlur,
  gaussianKernel1d,
  convolveSeparable,
  defocusKernel2d,
  convolve2dAdd,
  type BlurScratch,
} from './blur.js';
export {
  scanDisplacement,
  resampleBilinear,
  resampleNearest,
  hasDistortion,
  type DisplacementField,
} from './distort.js';
export {
  placeParticles,
  rasterizeThickness,
  createThicknessBuffers,
  sphereCornerIntegral,
  materialMaskFrom,
  MASK_MIN_THICKNESS_NM,
  type ImageGeometry,
  type PlacedParticles,
  type ThicknessBuffers,
} from './project.js';
export { smoothGaussianField } from './field.js';
export { writeStemImage, type StemImageFiles } from './write.js';

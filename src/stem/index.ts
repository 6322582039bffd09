/**
 * HAADF-STEM image simulation (docs/stem.md): projected mass thickness of sphere aggregates with
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
  type SimulateImageOptions,
} from './simulate.js';
export { addNoise, type StemNoisyImage } from './noise.js';
export {
  haadfFraction,
  materialIntensity,
  opticalDensityFunction,
  carbonFilmThickness,
  type OpticalDensityFn,
} from './optics.js';
// Building blocks (blur kernels, resampling, rasterisation, random fields) are importable from
// their modules ('./blur.js', './distort.js', './project.js', './field.js'); they are not re-exported
// here because their generic names could collide in the package-wide barrel.
export { MASK_MIN_THICKNESS_NM, type ImageGeometry as StemGeometry } from './project.js';
export { writeStemImage, type StemImageFile, type StemImageFiles } from './write.js';

/**
 * Glue between a trained estimator and {@link prepareImage}: the model's input spec, and how to
 * recognise files that aggstem itself wrote in beam-fraction units.
 */
import type { ModelInputSpec } from './prepare.js';

/** The parts of a saved estimator's metadata (`aggstem-model.json`) that preprocessing needs. */
export interface EstimatorInputInfo {
  input: { sizePx: number; pixelSizeNm: number };
  /** Microscope config of the training images, when recorded (carbon film sets the background). */
  microscope?: unknown;
}

/**
 * The model's input spec for {@link prepareImage}: size and pixel size of the CNN input, and the
 * bare support film's beam fraction `1 − exp(−R_C t_C)` from the training microscope (0 when the
 * model does not record it).
 */
export function modelInputSpec(meta: EstimatorInputInfo): ModelInputSpec {
  const carbon = (meta.microscope as { carbon?: { thicknessNm?: unknown; opticalDensityPerNm?: unknown } } | undefined)?.carbon;
  const t = Number(carbon?.thicknessNm), r = Number(carbon?.opticalDensityPerNm);
  const backgroundBeamFraction = Number.isFinite(t) && Number.isFinite(r) && t >= 0 && r >= 0 ? 1 - Math.exp(-r * t) : 0;
  return { size: meta.input.sizePx, pixelSizeNm: meta.input.pixelSizeNm, backgroundBeamFraction };
}

/** The fields of a read image file (`MicroscopeImage`) used to recognise aggstem's own outputs. */
export interface ImageFileInfo {
  format: string;
  dtype: string;
  metadata?: Record<string, unknown>;
}

/**
 * True for files aggstem writes in beam-fraction units: the float32 `intensity.tif` of
 * `aggstem simulate` (its TIFF description starts "aggstem normalised"; files written before are recognised too) and floating-point `.npy`
 * arrays (dataset image stacks, `clean.npy`). NPY carries no metadata, so a float array is taken as
 * beam fractions; integer arrays are treated as detector counts. Pass explicit levels to override.
 */
export function isAggstemBeamFraction(img: ImageFileInfo): boolean {
  if (img.format === 'tiff') {
    // ImageJ-style files keep the description's lines as key=value pairs, so look at the keys too.
    const description = img.metadata?.description;
    const imagej = img.metadata?.imagej;
    const keys = imagej && typeof imagej === 'object' ? Object.keys(imagej) : [];
    if ((typeof description === 'string' && /^aggstem normalised/.test(description)) || keys.some((k) => k.startsWith('aggstem normalised'))) return true;
  }
  return img.format === 'npy' && (img.dtype === 'float32' || img.dtype === 'float64');
}

/**
 * From a real (or saved simulated) HAADF-STEM image to the CNN's input: normalise the detector signal
 * to the fraction of the beam, resample to the model's pixel size, find the aggregate and centre it in
 * the model's field. Every choice made is reported, and images the model cannot handle are refused
 * with a clear message instead of producing a meaningless prediction.
 */
import { UserError } from '../errors.js';
import { centreWindow, estimateBackground, findAggregate, windowOrigin } from '../image/aggregate.js';
import { resampleImage } from '../image/resample.js';

export { centreWindow, estimateBackground, findAggregate, resampleImage, windowOrigin };

/** An image as read from a file (the subset of `MicroscopeImage` this stage needs). */
export interface RawImage {
  data: ArrayLike<number>;
  width: number;
  height: number;
  /** Pixel size in nm, or null when the file does not say. */
  pixelSizeNm: number | null;
  metadata?: Record<string, unknown>;
}

/** The detector levels that map a reading S to the beam fraction I = (S − vacuum)/(fullBeam − vacuum). */
export interface BeamLevels {
  vacuum: number;
  fullBeam: number;
  /** Where each level came from. */
  vacuumSource: 'user' | 'metadata' | 'estimated' | 'normalised';
  fullBeamSource: 'user' | 'metadata' | 'normalised';
}

/** What the model expects (from the saved estimator). */
export interface ModelInputSpec {
  /** Side of the square input, px. */
  size: number;
  /** Pixel size of the input, nm. */
  pixelSizeNm: number;
  /**
   * Beam fraction of the bare support film in the training images (1 − exp(−R_C t_C)); the estimated
   * background is mapped to it so real and simulated backgrounds agree. 0 when unknown.
   */
  backgroundBeamFraction?: number;
}

/** Options of {@link prepareImage}. */
export interface PrepareOptions {
  /** Pixel size in nm when the file has none (or to override it). */
  pixelSizeNm?: number;
  /** Detector reading of vacuum (no specimen). Estimated from the background when absent. */
  vacuumLevel?: number;
  /** Detector reading with the whole beam on the detector. */
  fullBeamLevel?: number;
  /** The data are already beam fractions (e.g. aggstem's own `intensity.tif`). */
  normalised?: boolean;
  /** Threshold for the aggregate mask, in robust standard deviations of the background (default 4). */
  thresholdSigma?: number;
  /** Gaussian smoothing (px of the resampled image) before thresholding (default 1). */
  smoothPx?: number;
}

/** The CNN-ready image and the record of how it was made. */
export interface PreparedImage {
  /** size × size beam fractions, row-major. */
  data: Float32Array;
  size: number;
  pixelSizeNm: number;
  levels: BeamLevels;
  aggregate: {
    /** Pixels of the largest connected component above threshold (in the resampled image). */
    areaPx: number;
    /** Bounding box in the resampled image [x0, y0, x1, y1] (inclusive). */
    bbox: [number, number, number, number];
    /** Intensity-weighted centroid in the resampled image (the window is centred on the bounding box). */
    centroid: [number, number];
  };
  /** Position of the output window's top-left pixel in the resampled image (may be negative). */
  windowOriginPx: [number, number];
  /** Human-readable choices (pixel size source, levels source, resampling, shift). */
  notes: string[];
}

/** An image the model cannot handle, or missing information; the message says what to do. */
export class PreprocessError extends UserError {
  override name = 'PreprocessError';
}

/** Keys under which aggstem's own files carry detector levels (PNG tEXt / TIFF description). */
export const LEVEL_METADATA_KEYS = { vacuum: ['vacuumLevel', 'offset'], fullBeam: ['fullBeamLevel'] } as const;

function metaNumber(meta: Record<string, unknown> | undefined, keys: readonly string[]): number | undefined {
  if (!meta) return undefined;
  const pools = [meta, meta.text as Record<string, unknown> | undefined, meta.aggstem as Record<string, unknown> | undefined];
  for (const pool of pools) {
    if (!pool || typeof pool !== 'object') continue;
    for (const k of keys) {
      const v = Number((pool as Record<string, unknown>)[k]);
      if ((pool as Record<string, unknown>)[k] !== undefined && Number.isFinite(v)) return v;
    }
  }
  return undefined;
}

/** Decides the detector levels from the options, the file's metadata and the background. */
export function resolveBeamLevels(img: RawImage, opts: PrepareOptions = {}): BeamLevels {
  if (opts.normalised || img.metadata?.normalised === true || (img.metadata?.text as Record<string, unknown> | undefined)?.normalised === 'beam-fraction') {
    return { vacuum: 0, fullBeam: 1, vacuumSource: 'normalised', fullBeamSource: 'normalised' };
  }
  let fullBeam = opts.fullBeamLevel, fullBeamSource: BeamLevels['fullBeamSource'] = 'user';
  if (fullBeam === undefined) {
    fullBeam = metaNumber(img.metadata, LEVEL_METADATA_KEYS.fullBeam);
    fullBeamSource = 'metadata';
  }
  if (fullBeam === undefined) {
    throw new PreprocessError(
      'the full-beam detector level is unknown: the file does not record it. Pass it (CLI --full-beam LEVEL: the detector reading with the whole beam on the detector), or pass already-normalised beam fractions (--normalised).',
    );
  }
  let vacuum = opts.vacuumLevel, vacuumSource: BeamLevels['vacuumSource'] = 'user';
  if (vacuum === undefined) {
    vacuum = metaNumber(img.metadata, LEVEL_METADATA_KEYS.vacuum);
    vacuumSource = 'metadata';
  }
  if (vacuum === undefined) {
    vacuum = estimateBackground(img.data).level;
    vacuumSource = 'estimated';
  }
  if (!(fullBeam > vacuum)) {
    throw new PreprocessError(`full-beam level ${fullBeam} must exceed the vacuum level ${vacuum}`);
  }
  return { vacuum, fullBeam, vacuumSource, fullBeamSource };
}

/** Beam fractions (S − vacuum)/(fullBeam − vacuum). */
export function normaliseToBeamFraction(data: ArrayLike<number>, levels: BeamLevels): Float32Array {
  const out = new Float32Array(data.length);
  const scale = 1 / (levels.fullBeam - levels.vacuum);
  for (let i = 0; i < data.length; i++) out[i] = (data[i]! - levels.vacuum) * scale;
  return out;
}

/**
 * The whole path from a file's image to the CNN input: beam-fraction normalisation (levels from the
 * options, the metadata, or the background), resampling to the model's pixel size, aggregate
 * detection and centring. Throws {@link PreprocessError} when the pixel size is unknown, no aggregate
 * is found, or the aggregate is larger than the model's field.
 */
export function prepareImage(img: RawImage, model: ModelInputSpec, opts: PrepareOptions = {}, earlierNotes: string[] = []): PreparedImage {
  const notes: string[] = [...earlierNotes];
  if (!(img.width > 0 && img.height > 0) || img.data.length !== img.width * img.height) {
    throw new PreprocessError(`image has ${img.data.length} values, expected width × height = ${img.width} × ${img.height} (a single 2D frame)`);
  }
  const pixelSizeNm = opts.pixelSizeNm ?? img.pixelSizeNm;
  if (pixelSizeNm === null || pixelSizeNm === undefined || !(pixelSizeNm > 0)) {
    throw new PreprocessError('the pixel size is unknown: the file carries no length calibration. Pass it (CLI --pixel-size NM).');
  }
  notes.push(`pixel size ${pixelSizeNm} nm (${opts.pixelSizeNm !== undefined ? 'given' : 'from the file'})`);
  const levels = resolveBeamLevels(img, opts);
  notes.push(levels.vacuumSource === 'normalised' ? 'data already in beam fractions' : `vacuum level ${levels.vacuum.toPrecision(6)} (${levels.vacuumSource}), full-beam level ${levels.fullBeam.toPrecision(6)} (${levels.fullBeamSource})`);
  let frac = normaliseToBeamFraction(img.data, levels);
  const scale = pixelSizeNm / model.pixelSizeNm;
  // (A window already cut here is at most (size + 5·scale)² ≤ (6·size)² px once resampled: no second cut.)
  if (earlierNotes.length === 0 && Math.ceil(img.width * scale) * Math.ceil(img.height * scale) > maxResampledPx(model)) {
    // Resampling the whole image would allocate far more than the model's field (a coarse image
    // upsampled to the model's pixel size): decide at the source resolution whether the aggregate
    // can fit, then resample only a window around it (docs/real-images.md, "Memory").
    const crop = cropAroundAggregate(img.data, frac, img.width, img.height, pixelSizeNm, levels, model, opts);
    const note = `only the ${crop.width}×${crop.height} px window around the aggregate (of ${img.width}×${img.height}) is resampled: the whole image would be ${Math.ceil(img.width * scale)}×${Math.ceil(img.height * scale)} px at ${model.pixelSizeNm} nm`;
    return prepareImage({ ...img, data: crop.data, width: crop.width, height: crop.height }, model, { ...opts, pixelSizeNm }, [note]);
  }
  const rs = resampleImage(frac, img.width, img.height, pixelSizeNm, model.pixelSizeNm);
  if (rs.width !== img.width || rs.height !== img.height) notes.push(`resampled ${img.width}×${img.height} at ${pixelSizeNm} nm → ${rs.width}×${rs.height} at ${model.pixelSizeNm} nm`);
  frac = rs.data;
  const agg = findAggregate(frac, rs.width, rs.height, opts);
  if (!agg) throw new PreprocessError('no aggregate found: nothing stands above the background noise');
  const bgTarget = model.backgroundBeamFraction ?? 0;
  if (levels.vacuumSource === 'estimated') {
    // The estimated "vacuum" is the support-film background; map it to the film level the model saw.
    const shift = bgTarget - agg.background.level;
    for (let i = 0; i < frac.length; i++) frac[i]! += shift;
    notes.push(`background set to the model's film level ${bgTarget.toPrecision(3)}`);
  }
  // Centre the detected bounding box, as the simulator centres the projected bounding box of every
  // training image (so real and simulated aggregates sit alike in the field).
  const [x0, y0, x1, y1] = agg.bbox;
  const cx = (x0 + x1 + 1) / 2 - 0.5, cy = (y0 + y1 + 1) / 2 - 0.5;
  const half = model.size / 2;
  const reach = Math.max(x1 - x0 + 1, y1 - y0 + 1) / 2;
  if (reach > half) {
    throw new PreprocessError(
      `the aggregate (${x1 - x0 + 1}×${y1 - y0 + 1} px at ${model.pixelSizeNm} nm, reaching ${(reach * model.pixelSizeNm).toFixed(0)} nm from its centre) does not fit the model's ${model.size}×${model.size} px field (${(half * model.pixelSizeNm).toFixed(0)} nm from the centre)`,
    );
  }
  const fill = levels.vacuumSource === 'estimated' ? bgTarget : agg.background.level;
  const data = centreWindow(frac, rs.width, rs.height, cx, cy, model.size, fill);
  notes.push(`aggregate ${agg.areaPx} px in a ${x1 - x0 + 1}×${y1 - y0 + 1} px box, centred at (${cx.toFixed(1)}, ${cy.toFixed(1)}) of the resampled image`);
  return { data, size: model.size, pixelSizeNm: model.pixelSizeNm, levels, aggregate: { areaPx: agg.areaPx, bbox: agg.bbox, centroid: agg.centroid }, windowOriginPx: windowOrigin(cx, cy, model.size), notes };
}


/** The largest resampled image, px, before preprocessing works on a window instead: (4 × model side)². */
function maxResampledPx(model: ModelInputSpec): number {
  return (4 * model.size) ** 2;
}

/**
 * The window of the source image (beam fractions) around the aggregate that covers the model's
 * field plus a 2 px margin, or a {@link PreprocessError} when the aggregate, measured at the source
 * resolution, is larger than the field. Allocates only in proportion to the input and the window.
 */
function cropAroundAggregate(
  raw: ArrayLike<number>, frac: Float32Array, w: number, h: number, pixelSizeNm: number, levels: BeamLevels, model: ModelInputSpec, opts: PrepareOptions,
): { data: Float32Array; width: number; height: number } {
  const agg = findAggregate(frac, w, h, { ...opts, smoothPx: 0 });
  if (!agg) throw new PreprocessError('no aggregate found: nothing stands above the background noise');
  const [x0, y0, x1, y1] = agg.bbox;
  const fieldNm = model.size * model.pixelSizeNm;
  const extentNm = Math.max(x1 - x0 + 1, y1 - y0 + 1) * pixelSizeNm;
  if (extentNm > fieldNm) {
    throw new PreprocessError(
      `the aggregate (${x1 - x0 + 1}×${y1 - y0 + 1} px at ${pixelSizeNm} nm, ${extentNm.toFixed(0)} nm across) does not fit the model's ${model.size}×${model.size} px field (${fieldNm.toFixed(0)} nm across at ${model.pixelSizeNm} nm)`,
    );
  }
  const side = Math.ceil(fieldNm / pixelSizeNm) + 4;
  const cx = (x0 + x1 + 1) / 2, cy = (y0 + y1 + 1) / 2;
  const ox = Math.round(cx - side / 2), oy = Math.round(cy - side / 2);
  const data = new Float32Array(side * side);
  // Raw values, so the levels are derived again exactly as for a small image; outside: background.
  const fill = levels.vacuum + agg.background.level * (levels.fullBeam - levels.vacuum);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const sx = ox + x, sy = oy + y;
      data[y * side + x] = sx >= 0 && sy >= 0 && sx < w && sy < h ? raw[sy * w + sx]! : fill;
    }
  }
  return { data, width: side, height: side };
}

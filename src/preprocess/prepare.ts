/**
 * From a real (or saved simulated) HAADF-STEM image to the CNN's input: normalise the detector signal
 * to the fraction of the beam, resample to the model's pixel size, find the aggregate and centre it in
 * the model's field. Every choice made is reported, and images the model cannot handle are refused
 * with a clear message instead of producing a meaningless prediction.
 */
import { UserError } from '../errors.js';

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

/**
 * Robust background statistics: the median and MAD-based σ of the pixels, iterated on the pixels
 * within 3σ of the median so the (minority) aggregate pixels do not bias them.
 */
export function estimateBackground(data: ArrayLike<number>): { level: number; sigma: number } {
  let vals = Float64Array.from(data as ArrayLike<number>);
  if (vals.length === 0) throw new PreprocessError('estimateBackground: empty image');
  let level = 0, sigma = 0;
  for (let it = 0; it < 5; it++) {
    const s = Float64Array.from(vals).sort();
    level = s[s.length >> 1]!;
    const dev = Float64Array.from(s, (v) => Math.abs(v - level)).sort();
    sigma = 1.4826 * dev[dev.length >> 1]!;
    if (sigma === 0) break;
    const keep = vals.filter((v) => Math.abs(v - level) <= 3 * sigma);
    if (keep.length === vals.length || keep.length < 16) break;
    vals = keep;
  }
  return { level, sigma };
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
 * Resamples a row-major image from `fromNm` to `toNm` pixels. Downsampling averages the exact pixel
 * areas (a box filter that conserves the mean intensity, matching the dataset's 2 × 2 binning);
 * upsampling interpolates bilinearly.
 */
export function resampleImage(data: ArrayLike<number>, width: number, height: number, fromNm: number, toNm: number): { data: Float32Array; width: number; height: number } {
  if (!(fromNm > 0 && toNm > 0)) throw new PreprocessError(`resampleImage: pixel sizes must be > 0 (got ${fromNm} → ${toNm} nm)`);
  const s = toNm / fromNm;
  const w = Math.max(1, Math.round(width / s)), h = Math.max(1, Math.round(height / s));
  const out = new Float32Array(w * h);
  if (Math.abs(s - 1) < 1e-12) {
    for (let i = 0; i < out.length; i++) out[i] = data[i]!;
    return { data: out, width, height };
  }
  if (s > 1) {
    // Separable area weights: output cell [i·s, (i+1)·s) overlaps input cells fractionally.
    const weights = (n: number, nIn: number) => {
      const idx: number[][] = [], wt: number[][] = [];
      for (let o = 0; o < n; o++) {
        const a = o * s, b = Math.min((o + 1) * s, nIn);
        const ii: number[] = [], ww: number[] = [];
        for (let k = Math.floor(a); k < Math.ceil(b); k++) {
          const ov = Math.min(b, k + 1) - Math.max(a, k);
          if (ov > 0) { ii.push(k); ww.push(ov / (b - a)); }
        }
        idx.push(ii); wt.push(ww);
      }
      return { idx, wt };
    };
    const cx = weights(w, width), cy = weights(h, height);
    const tmp = new Float64Array(w * height);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < w; x++) {
        let acc = 0;
        const ii = cx.idx[x]!, ww = cx.wt[x]!;
        for (let k = 0; k < ii.length; k++) acc += ww[k]! * data[y * width + ii[k]!]!;
        tmp[y * w + x] = acc;
      }
    }
    for (let y = 0; y < h; y++) {
      const ii = cy.idx[y]!, ww = cy.wt[y]!;
      for (let x = 0; x < w; x++) {
        let acc = 0;
        for (let k = 0; k < ii.length; k++) acc += ww[k]! * tmp[ii[k]! * w + x]!;
        out[y * w + x] = acc;
      }
    }
    return { data: out, width: w, height: h };
  }
  for (let y = 0; y < h; y++) {
    const fy = Math.min(height - 1, Math.max(0, (y + 0.5) * s - 0.5));
    const y0 = Math.floor(fy), y1 = Math.min(height - 1, y0 + 1), ty = fy - y0;
    for (let x = 0; x < w; x++) {
      const fx = Math.min(width - 1, Math.max(0, (x + 0.5) * s - 0.5));
      const x0 = Math.floor(fx), x1 = Math.min(width - 1, x0 + 1), tx = fx - x0;
      out[y * w + x] =
        (1 - ty) * ((1 - tx) * data[y0 * width + x0]! + tx * data[y0 * width + x1]!) +
        ty * ((1 - tx) * data[y1 * width + x0]! + tx * data[y1 * width + x1]!);
    }
  }
  return { data: out, width: w, height: h };
}

function gaussianSmooth(data: Float32Array, w: number, h: number, sigmaPx: number): Float32Array {
  if (!(sigmaPx > 0)) return data;
  const r = Math.ceil(3 * sigmaPx);
  const k = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += k[i + r] = Math.exp(-(i * i) / (2 * sigmaPx * sigmaPx));
  for (let i = 0; i < k.length; i++) k[i]! /= sum;
  const tmp = new Float32Array(w * h), out = new Float32Array(w * h);
  const clamp = (v: number, n: number) => (v < 0 ? 0 : v >= n ? n - 1 : v);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    let a = 0;
    for (let i = -r; i <= r; i++) a += k[i + r]! * data[y * w + clamp(x + i, w)]!;
    tmp[y * w + x] = a;
  }
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    let a = 0;
    for (let i = -r; i <= r; i++) a += k[i + r]! * tmp[clamp(y + i, h) * w + x]!;
    out[y * w + x] = a;
  }
  return out;
}

/**
 * The aggregate as the largest 8-connected component of the smoothed image above
 * `background + thresholdSigma·σ` (σ of the smoothed background). Returns its mask, bounding box,
 * area and intensity-weighted centroid.
 */
export function findAggregate(data: Float32Array, width: number, height: number, opts: { thresholdSigma?: number; smoothPx?: number } = {}) {
  const sm = gaussianSmooth(data, width, height, opts.smoothPx ?? 1);
  const bg = estimateBackground(sm);
  const thr = bg.level + (opts.thresholdSigma ?? 4) * Math.max(bg.sigma, 1e-12);
  const label = new Int32Array(width * height).fill(-1);
  const stack = new Int32Array(width * height);
  let best = -1, bestArea = 0, comp = 0;
  for (let start = 0; start < width * height; start++) {
    if (label[start] !== -1 || sm[start]! <= thr) continue;
    let top = 0, area = 0;
    stack[top++] = start;
    label[start] = comp;
    while (top > 0) {
      const p = stack[--top]!;
      area++;
      const px = p % width, py = (p - px) / width;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        const nx = px + dx, ny = py + dy;
        if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
        const q = ny * width + nx;
        if (label[q] === -1 && sm[q]! > thr) { label[q] = comp; stack[top++] = q; }
      }
    }
    if (area > bestArea) { bestArea = area; best = comp; }
    comp++;
  }
  if (best < 0) return null;
  let x0 = width, y0 = height, x1 = -1, y1 = -1, sw = 0, sx = 0, sy = 0;
  const mask = new Uint8Array(width * height);
  for (let p = 0; p < width * height; p++) {
    if (label[p] !== best) continue;
    mask[p] = 1;
    const x = p % width, y = (p - x) / width;
    if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
    const wgt = Math.max(0, data[p]! - bg.level);
    sw += wgt; sx += wgt * x; sy += wgt * y;
  }
  const centroid: [number, number] = sw > 0 ? [sx / sw, sy / sw] : [(x0 + x1) / 2, (y0 + y1) / 2];
  return { mask, areaPx: bestArea, bbox: [x0, y0, x1, y1] as [number, number, number, number], centroid, threshold: thr, background: bg };
}

/** Top-left pixel of the size × size window centred on (cx, cy). */
export function windowOrigin(cx: number, cy: number, size: number): [number, number] {
  return [Math.round(cx - size / 2 + 0.5), Math.round(cy - size / 2 + 0.5)];
}

/** Crops/pads a size × size window centred on (cx, cy), filling outside pixels with `fill`. */
export function centreWindow(data: Float32Array, width: number, height: number, cx: number, cy: number, size: number, fill: number): Float32Array {
  const out = new Float32Array(size * size).fill(fill);
  const [ox, oy] = windowOrigin(cx, cy, size);
  for (let y = 0; y < size; y++) {
    const sy = y + oy;
    if (sy < 0 || sy >= height) continue;
    for (let x = 0; x < size; x++) {
      const sx = x + ox;
      if (sx >= 0 && sx < width) out[y * size + x] = data[sy * width + sx]!;
    }
  }
  return out;
}

/**
 * The whole path from a file's image to the CNN input: beam-fraction normalisation (levels from the
 * options, the metadata, or the background), resampling to the model's pixel size, aggregate
 * detection and centring. Throws {@link PreprocessError} when the pixel size is unknown, no aggregate
 * is found, or the aggregate is larger than the model's field.
 */
export function prepareImage(img: RawImage, model: ModelInputSpec, opts: PrepareOptions = {}): PreparedImage {
  const notes: string[] = [];
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


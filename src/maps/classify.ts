/**
 * Two element maps → one label image: background, material A or material B per pixel. The choices
 * (smoothing, normalisation, threshold, tie rule) are explicit options; docs/maps.md explains them.
 */
import { UserError } from '../errors.js';
import { gaussianBlur } from '../stem/blur.js';

/** Two co-registered element maps of one field (counts, intensities or thicknesses; any unit). */
export interface MaterialMaps {
  /** Map of material A (e.g. Ti for TiO2), row-major `[heightPx, widthPx]`. */
  a: ArrayLike<number>;
  /** Map of material B (e.g. W for WO3). */
  b: ArrayLike<number>;
  widthPx: number;
  heightPx: number;
  /** Physical pixel size, nm (only diameters depend on it). */
  pixelSizeNm: number;
  /** Pixels to ignore (1 = masked: scale bars, labels), optional. */
  mask?: Uint8Array;
}

/** How maps become labels; defaults reproduce the published measurement (σ = 2 px). */
export interface ClassifyOptions {
  /** Gaussian smoothing σ of each map before thresholding, px (default 2; 0 = none). */
  smoothPx?: number;
  /**
   * A pixel is material when either smoothed map, divided by its own `normalisePercentile`
   * value, reaches this fraction (default 0.2).
   */
  threshold?: number;
  /** Percentile of the smoothed, unmasked, non-zero pixels that a map is divided by (default 99). */
  normalisePercentile?: number;
}

/** Pixel classes of {@link classifyMaps}. */
export const LABEL_BACKGROUND = 0, LABEL_A = 1, LABEL_B = 2;

/** A label image with the resolved options. */
export interface MaterialLabels {
  /** 0 background (or masked), 1 A, 2 B. */
  labels: Uint8Array;
  widthPx: number;
  heightPx: number;
  pixelSizeNm: number;
  options: Required<ClassifyOptions>;
}

/** Bad maps or options. */
export class MapInputError extends UserError {
  override name = 'MapInputError';
}

/** Resolves and checks the options (every field filled). */
export function classifyOptions(o: ClassifyOptions = {}): Required<ClassifyOptions> {
  const r = { smoothPx: o.smoothPx ?? 2, threshold: o.threshold ?? 0.2, normalisePercentile: o.normalisePercentile ?? 99 };
  if (!(Number.isFinite(r.smoothPx) && r.smoothPx >= 0 && r.smoothPx <= 50)) throw new MapInputError(`smoothPx = ${r.smoothPx}; expected a number of pixels in [0, 50]`);
  if (!(r.threshold > 0 && r.threshold < 1)) throw new MapInputError(`threshold = ${r.threshold}; expected a fraction in (0, 1)`);
  if (!(r.normalisePercentile > 50 && r.normalisePercentile <= 100)) throw new MapInputError(`normalisePercentile = ${r.normalisePercentile}; expected a percentile in (50, 100]`);
  return r;
}

/** Throws a {@link MapInputError} naming `where` unless `m` is a well-formed pair of maps. */
export function checkMaps(m: MaterialMaps, where = 'maps'): void {
  const { widthPx: w, heightPx: h } = m;
  if (!(Number.isInteger(w) && w > 0 && Number.isInteger(h) && h > 0)) throw new MapInputError(`${where}: size ${w}×${h} px; expected positive integers`);
  if (w * h > 64 * 1024 * 1024) throw new MapInputError(`${where}: ${w}×${h} px is larger than the 64 Mpx this analysis accepts`);
  for (const k of ['a', 'b'] as const) {
    if (m[k]?.length !== w * h) throw new MapInputError(`${where}.${k} has ${m[k]?.length ?? 0} values; expected ${w}×${h} = ${w * h}`);
  }
  if (m.mask && m.mask.length !== w * h) throw new MapInputError(`${where}.mask has ${m.mask.length} values; expected ${w * h}`);
  if (!(Number.isFinite(m.pixelSizeNm) && m.pixelSizeNm > 0)) throw new MapInputError(`${where}: pixel size ${m.pixelSizeNm} nm; expected a positive number`);
}

/**
 * Labels every pixel: both maps are smoothed (σ = `smoothPx`), each divided by its own
 * `normalisePercentile` (so counts of different elements compare), and a pixel whose larger
 * normalised value reaches `threshold` gets the material of that larger value (B on ties).
 * Masked pixels are background.
 *
 * @example
 * const { labels } = classifyMaps({ a: ti, b: w, widthPx: 512, heightPx: 512, pixelSizeNm: 0.625 });
 */
export function classifyMaps(m: MaterialMaps, opts: ClassifyOptions = {}): MaterialLabels {
  checkMaps(m);
  const o = classifyOptions(opts);
  const { widthPx: w, heightPx: h } = m;
  const sa = o.smoothPx > 0 ? gaussianBlur(m.a, w, h, o.smoothPx) : Float64Array.from(m.a);
  const sb = o.smoothPx > 0 ? gaussianBlur(m.b, w, h, o.smoothPx) : Float64Array.from(m.b);
  const na = 1 / scaleOf(sa, m.mask, o.normalisePercentile);
  const nb = 1 / scaleOf(sb, m.mask, o.normalisePercentile);
  const labels = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) {
    if (m.mask?.[i]) continue;
    const va = sa[i]! * na, vb = sb[i]! * nb;
    const top = va > vb ? va : vb;
    if (top >= o.threshold) labels[i] = vb >= va ? LABEL_B : LABEL_A;
  }
  return { labels, widthPx: w, heightPx: h, pixelSizeNm: m.pixelSizeNm, options: o };
}

/** The percentile of the positive, unmasked values (1 when there are none, so an empty map stays empty). */
function scaleOf(v: Float64Array, mask: Uint8Array | undefined, percentile: number): number {
  const vals: number[] = [];
  for (let i = 0; i < v.length; i++) if (!mask?.[i] && v[i]! > 0 && Number.isFinite(v[i]!)) vals.push(v[i]!);
  if (vals.length === 0) return 1;
  const sorted = Float64Array.from(vals).sort();
  const q = sorted[Math.min(sorted.length - 1, Math.floor((percentile / 100) * (sorted.length - 1)))]!;
  return q > 0 ? q : 1;
}

/**
 * The one resampler of aggstem. Coarser target pixels are exact area averages (a box filter that
 * conserves the mean and does not alias the shot noise; a factor 2 equals 2 × 2 binning), finer ones
 * bilinear between source pixel centres. Separable taps, computed once per axis. Hand-written
 * because tfjs has only bilinear/nearest resizing without area averaging.
 *
 * Two ways to use it:
 * - {@link resampleToGrid}: onto a fixed grid (the CNN input) centred on the image centre, target
 *   pixels outside the image filled with the image's border mean (the support-film background);
 * - {@link resampleImage}: the whole image at another pixel size, grid anchored at the image's
 *   top-left corner, edges clamped (used by the real-image preprocessing before it finds and centres
 *   the aggregate).
 */
import { checkImage2D, type Image2D } from './image.js';

/** Source taps and weights for one output coordinate along one axis; `inside` = sum of in-image weights. */
interface Taps {
  index: Int32Array;
  weight: Float64Array;
  start: Int32Array;
  inside: Float64Array;
}

/**
 * Taps of `nOut` output pixels of width `outPx` over `nSrc` source pixels of width `srcPx`.
 * `origin`: `centre` puts both grids' centres together, `corner` their top-left corners. `edge`:
 * `pad` drops taps outside the image (the caller fills the missing weight), `clamp` keeps only
 * in-image taps and renormalises them (area) or clamps the index (bilinear).
 */
function axisTaps(nSrc: number, srcPx: number, nOut: number, outPx: number, origin: 'centre' | 'corner', edge: 'pad' | 'clamp'): Taps {
  const f = outPx / srcPx; // output pixel width in source pixels
  const idx: number[] = [];
  const wts: number[] = [];
  const start = new Int32Array(nOut + 1);
  const inside = new Float64Array(nOut);
  for (let o = 0; o < nOut; o++) {
    start[o] = idx.length;
    // Output pixel centre in source pixel units.
    const c = origin === 'centre' ? (o + 0.5 - nOut / 2) * f + nSrc / 2 : (o + 0.5) * f;
    if (f >= 1) {
      // Area average: overlap of [c − f/2, c + f/2] with each source pixel [s, s + 1].
      const a = c - f / 2, b = c + f / 2;
      const first = idx.length;
      for (let s = Math.max(0, Math.floor(a)); s < Math.min(nSrc, Math.ceil(b)); s++) {
        const w = (Math.min(b, s + 1) - Math.max(a, s)) / f;
        if (w > 0) { idx.push(s); wts.push(w); inside[o] += w; }
      }
      if (edge === 'clamp' && (a < 0 || b > nSrc) && inside[o]! > 0) {
        for (let k = first; k < idx.length; k++) wts[k]! /= inside[o]!;
        inside[o] = 1;
      }
    } else {
      // Bilinear between source pixel centres (at s + 0.5).
      const t = edge === 'clamp' ? Math.min(nSrc - 1, Math.max(0, c - 0.5)) : c - 0.5;
      const s0 = Math.floor(t), w1 = t - s0;
      for (const [s, w] of [[s0, 1 - w1], [s0 + 1, w1]] as const) {
        const sc = edge === 'clamp' ? Math.min(nSrc - 1, s) : s;
        if (sc >= 0 && sc < nSrc && w > 0) { idx.push(sc); wts.push(w); inside[o] += w; }
      }
      if (edge === 'clamp' && inside[o] === 0) { idx.push(Math.min(nSrc - 1, Math.max(0, s0))); wts.push(1); inside[o] = 1; }
    }
  }
  start[nOut] = idx.length;
  return { index: Int32Array.from(idx), weight: Float64Array.from(wts), start, inside };
}

/** Applies separable taps; output pixels with in-image weight < 1 get `fill` for the rest. */
function applyTaps(data: ArrayLike<number>, w: number, h: number, cols: Taps, rows: Taps, outW: number, outH: number, fill: number): Float32Array {
  // Pass 1: rows of the source resampled along x → [h, outW] (in-image part only).
  const tmp = new Float64Array(h * outW);
  for (let y = 0; y < h; y++) {
    for (let o = 0; o < outW; o++) {
      let s = 0;
      for (let k = cols.start[o]!; k < cols.start[o + 1]!; k++) s += cols.weight[k]! * data[y * w + cols.index[k]!]!;
      tmp[y * outW + o] = s;
    }
  }
  const out = new Float32Array(outW * outH);
  for (let oy = 0; oy < outH; oy++) {
    for (let ox = 0; ox < outW; ox++) {
      let s = 0;
      for (let k = rows.start[oy]!; k < rows.start[oy + 1]!; k++) s += rows.weight[k]! * tmp[rows.index[k]! * outW + ox]!;
      out[oy * outW + ox] = s + (1 - rows.inside[oy]! * cols.inside[ox]!) * fill;
    }
  }
  return out;
}

/** Mean of the image's outermost pixel ring (the support-film background of a centred aggregate). */
export function borderMean(data: ArrayLike<number>, w: number, h: number): number {
  let border = 0, nb = 0;
  for (let x = 0; x < w; x++) { border += data[x]! + (h > 1 ? data[(h - 1) * w + x]! : 0); nb += h > 1 ? 2 : 1; }
  for (let y = 1; y < h - 1; y++) { border += data[y * w]! + (w > 1 ? data[y * w + w - 1]! : 0); nb += w > 1 ? 2 : 1; }
  return border / nb;
}

/**
 * Resamples `img` onto a `widthPx × heightPx` grid of pixel size `pixelSizeNm`, centred on the image
 * centre; target pixels (partly) outside the image are filled with the border mean.
 */
export function resampleToGrid(img: Image2D, pixelSizeNm: number, widthPx: number, heightPx: number = widthPx): Float32Array {
  checkImage2D(img, 'resampleToGrid');
  const { widthPx: w, heightPx: h, data } = img;
  const cols = axisTaps(w, img.pixelSizeNm, widthPx, pixelSizeNm, 'centre', 'pad');
  const rows = axisTaps(h, img.pixelSizeNm, heightPx, pixelSizeNm, 'centre', 'pad');
  return applyTaps(data, w, h, cols, rows, widthPx, heightPx, borderMean(data, w, h));
}

/**
 * Resamples a row-major image from `fromNm` to `toNm` pixels: `round(width · fromNm / toNm)` ×
 * `round(height · fromNm / toNm)` output pixels, grid anchored at the top-left corner, edges clamped.
 * Downsampling conserves the mean intensity exactly (for a factor 2: 2 × 2 binning).
 */
export function resampleImage(data: ArrayLike<number>, width: number, height: number, fromNm: number, toNm: number): { data: Float32Array; width: number; height: number } {
  if (!(fromNm > 0 && toNm > 0)) throw new RangeError(`resampleImage: pixel sizes must be > 0 (got ${fromNm} → ${toNm} nm)`);
  const s = toNm / fromNm;
  if (Math.abs(s - 1) < 1e-12) return { data: Float32Array.from(data), width, height };
  const w = Math.max(1, Math.round(width / s)), h = Math.max(1, Math.round(height / s));
  const cols = axisTaps(width, fromNm, w, toNm, 'corner', 'clamp');
  const rows = axisTaps(height, fromNm, h, toNm, 'corner', 'clamp');
  return { data: applyTaps(data, width, height, cols, rows, w, h, 0), width: w, height: h };
}

/**
 * Finding and framing the aggregate in an image: the background level and noise, the aggregate as
 * the largest connected component above it, and a window of the model's size centred on it.
 * Used by the real-image preprocessing (`src/preprocess`) and the digital twins.
 */

/** Above this many pixels the background statistics use an evenly strided sample of about 2 M. */
const BACKGROUND_SAMPLE_ABOVE = 1 << 21;

/**
 * Robust background statistics: the median and MAD-based σ of the pixels, iterated on the pixels
 * within 3σ of the median so the (minority) aggregate pixels do not bias them. Images above 2 M px
 * use every k-th pixel (k = ⌈n / 2 M⌉): the medians move by far less than σ, and the sorts stay
 * bounded in memory for 4k-and-larger frames.
 */
export function estimateBackground(data: ArrayLike<number>): { level: number; sigma: number } {
  const n = data.length;
  const stride = n > BACKGROUND_SAMPLE_ABOVE ? Math.ceil(n / BACKGROUND_SAMPLE_ABOVE) : 1;
  let vals = stride === 1 ? Float64Array.from(data as ArrayLike<number>) : Float64Array.from({ length: Math.ceil(n / stride) }, (_, i) => data[i * stride]!);
  if (vals.length === 0) throw new RangeError('estimateBackground: empty image');
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

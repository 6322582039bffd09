/**
 * Microscope and simulated images as PNG outputs: contrast-stretched to 8 bits, optionally
 * colour-mapped, with a scale bar (a nice round length in nm or µm) burned into the pixels, so
 * the bar survives every frontend, export and copy-paste.
 */
import { encode } from 'fast-png';
import { MIME, toBase64, type MimeBundle, type MimeMetadata } from './mime.js';
import { FONT_HEIGHT, drawText, textWidth } from './bitmap-font.js';

/**
 * Anything image-like: row-major pixels `data[row * width + col]` (a stack's frames follow each
 * other), e.g. a `MicroscopeImage` from `readImage` or a simulated STEM image. `pixelSizeNm`
 * enables the scale bar.
 */
export interface ImageLike {
  data: ArrayLike<number>;
  width: number;
  height: number;
  /** Pixel size in nm (null or absent: no scale bar). */
  pixelSizeNm?: number | null;
  /** Number of frames of a stack (default 1). */
  frames?: number;
}

/** Colour maps for single-channel images (`gray` keeps a one-channel PNG). */
export type ColormapName = 'gray' | 'viridis' | 'inferno' | 'magma';

// Nine evenly spaced samples of matplotlib's maps, interpolated linearly: visually
// indistinguishable from the 256-entry tables for display, at a fraction of the source size.
const COLORMAP_ANCHORS: Record<Exclude<ColormapName, 'gray'>, readonly string[]> = {
  viridis: ['#440154', '#472c7a', '#3b518b', '#2c718e', '#21908d', '#27ad81', '#5cc863', '#aadc32', '#fde725'],
  inferno: ['#000004', '#1f0c48', '#550f6d', '#88226a', '#ba3655', '#e35933', '#f98e09', '#f8c932', '#fcffa4'],
  magma: ['#000004', '#1c1044', '#4f127b', '#812581', '#b5367a', '#e55064', '#fb8761', '#fec287', '#fcfdbf'],
};

/** The 256-entry RGB lookup table of a colour map (`[r0, g0, b0, r1, …]`). */
export function colormapLut(name: ColormapName): Uint8Array {
  const lut = new Uint8Array(256 * 3);
  if (name === 'gray') {
    for (let i = 0; i < 256; i++) lut[3 * i] = lut[3 * i + 1] = lut[3 * i + 2] = i;
    return lut;
  }
  const anchors = COLORMAP_ANCHORS[name];
  if (!anchors) throw new RangeError(`colormapLut: unknown colormap ${JSON.stringify(name)}, expected gray, viridis, inferno or magma`);
  const rgb = anchors.map((h) => [1, 3, 5].map((o) => parseInt(h.slice(o, o + 2), 16)));
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * (rgb.length - 1);
    const k = Math.min(rgb.length - 2, Math.floor(t));
    const f = t - k;
    for (let c = 0; c < 3; c++) lut[3 * i + c] = Math.round(rgb[k]![c]! * (1 - f) + rgb[k + 1]![c]! * f);
  }
  return lut;
}

/** Geometry of a burned-in scale bar (pixel coordinates of the output image). */
export interface ScaleBar {
  lengthNm: number;
  lengthPx: number;
  /** Label, e.g. `20 nm` or `1 µm`. */
  label: string;
  /** Left column and top row of the bar. */
  x0: number;
  y0: number;
  thicknessPx: number;
  /** Font magnification of the label (0: no label, the image is too small). */
  textScale: number;
}

/**
 * The largest "nice" length 1, 2 or 5 × 10^k nm that is ≤ `maxNm`.
 * E.g. 37 → 20, 0.8 → 0.5, 1200 → 1000.
 */
export function niceLengthNm(maxNm: number): number {
  if (!(maxNm > 0) || !Number.isFinite(maxNm)) throw new RangeError(`niceLengthNm: expected a finite length > 0 nm, got ${maxNm}`);
  const e = Math.floor(Math.log10(maxNm));
  for (const m of [5, 2, 1]) {
    const v = Number((m * 10 ** e).toPrecision(12));
    if (v <= maxNm * (1 + 1e-12)) return v;
  }
  return Number((5 * 10 ** (e - 1)).toPrecision(12));
}

/** Label of a length: nm below 1000 nm, µm from there. */
export function lengthLabel(lengthNm: number): string {
  return lengthNm >= 1000 ? `${Number((lengthNm / 1000).toPrecision(6))} µm` : `${Number(lengthNm.toPrecision(6))} nm`;
}

/** Options of {@link scaleBarFor}. */
export interface ScaleBarOptions {
  /** Bar length in nm (default: the nice length ≤ 1/5 of the image width). */
  lengthNm?: number;
}

/**
 * Where the scale bar of a `widthPx × heightPx` image with `pixelSizeNm` goes: bottom-left, a
 * margin of 4 % of the shorter side (≥ 3 px) from the edges, thickness height/64 (≥ 2 px),
 * label above it. Null when the bar would be shorter than 4 px or longer than the image.
 */
export function scaleBarFor(widthPx: number, heightPx: number, pixelSizeNm: number, opts: ScaleBarOptions = {}): ScaleBar | null {
  if (!(pixelSizeNm > 0) || !Number.isFinite(pixelSizeNm)) throw new RangeError(`scaleBarFor: pixelSizeNm must be a finite number > 0, got ${pixelSizeNm}`);
  const margin = Math.max(3, Math.round(0.04 * Math.min(widthPx, heightPx)));
  const thicknessPx = Math.max(2, Math.round(heightPx / 64));
  const lengthNm = opts.lengthNm ?? niceLengthNm((widthPx / 5) * pixelSizeNm);
  if (!(lengthNm > 0)) throw new RangeError(`scaleBarFor: lengthNm must be > 0, got ${lengthNm}`);
  const lengthPx = Math.round(lengthNm / pixelSizeNm);
  if (lengthPx < 4 || lengthPx > widthPx - 2 * margin || heightPx < thicknessPx + 2 * margin) return null;
  const x0 = margin;
  const y0 = heightPx - margin - thicknessPx;
  let textScale = Math.max(1, Math.floor(Math.min(widthPx, heightPx) / 200));
  const label = lengthLabel(lengthNm);
  // The label needs its height plus a gap above the bar, and must fit horizontally.
  if (y0 - 2 - FONT_HEIGHT * textScale < 1 || x0 + textWidth(label) * textScale >= widthPx - 1) textScale = 0;
  return { lengthNm, lengthPx, label, x0, y0, thicknessPx, textScale };
}

/** Options of {@link renderImage} / {@link imageBundle}. */
export interface ImageRenderOptions {
  /** Colour map (default `gray`). */
  colormap?: ColormapName;
  /** Intensity mapped to black and white (default: from `percentiles`). */
  range?: [number, number];
  /** Percentiles of the finite pixel values mapped to black and white (default [0.5, 99.5]). */
  percentiles?: [number, number];
  /** Scale bar: true (default when `pixelSizeNm` is known), false, or a fixed length. */
  scaleBar?: boolean | ScaleBarOptions;
  /** Frame of a stack (default 0). */
  frame?: number;
  /** Larger images are binned down by an integer factor to at most this many pixels per side (default 1024). */
  maxSizePx?: number;
}

/** An 8-bit image ready for PNG encoding. */
export interface RenderedImage {
  width: number;
  height: number;
  /** 1 (gray) or 3 (RGB). */
  channels: 1 | 3;
  /** Row-major pixels, `channels` bytes each. */
  pixels: Uint8Array;
  /** Binning factor applied (1: none). */
  binning: number;
  /** Pixel size of the output image in nm (null when unknown). */
  pixelSizeNm: number | null;
  /** The input values mapped to 0 and 255. */
  range: [number, number];
  scaleBar: ScaleBar | null;
}

function checkImage(img: ImageLike, frame: number, where: string): void {
  if (img === null || typeof img !== 'object') throw new TypeError(`${where}: expected an image {data, width, height}, got ${String(img)}`);
  const { width, height, data } = img;
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    throw new RangeError(`${where}: width and height must be positive integers, got ${width} × ${height}`);
  }
  if (!data || typeof data.length !== 'number') throw new TypeError(`${where}: image.data must be an array of pixels, got ${String(data)}`);
  const frames = img.frames ?? 1;
  if (!Number.isInteger(frame) || frame < 0 || frame >= frames) throw new RangeError(`${where}: frame ${frame} does not exist (the image has ${frames})`);
  if (data.length < (frame + 1) * width * height) {
    throw new RangeError(`${where}: image.data has ${data.length} values, expected at least ${(frame + 1) * width * height} for frame ${frame} of ${width} × ${height}`);
  }
}

/**
 * Exact quantiles (p in [0, 1], linear interpolation between order statistics) of the finite
 * values of `v`. A full sort of a megapixel image takes a noticeable fraction of a second in V8;
 * a 4096-bin histogram finds the bins holding the wanted order statistics and only their few
 * values are sorted. Returns null when no value is finite.
 */
export function finiteQuantiles(v: ArrayLike<number>, ps: readonly number[]): number[] | null {
  let n = 0, lo = Infinity, hi = -Infinity;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (Number.isFinite(x)) { n++; if (x < lo) lo = x; if (x > hi) hi = x; }
  }
  if (n === 0) return null;
  if (hi === lo) return ps.map(() => lo);
  const BINS = 4096;
  const scale = BINS / (hi - lo);
  const bin = (x: number) => Math.min(BINS - 1, Math.floor((x - lo) * scale));
  const counts = new Uint32Array(BINS);
  for (let i = 0; i < v.length; i++) { const x = v[i]!; if (Number.isFinite(x)) counts[bin(x)]!++; }
  const starts = new Float64Array(BINS + 1);
  for (let b = 0; b < BINS; b++) starts[b + 1] = starts[b]! + counts[b]!;
  const ranks = ps.flatMap((p) => { const h = (n - 1) * p; return [Math.floor(h), Math.min(n - 1, Math.floor(h) + 1)]; });
  const binOf = (rank: number) => { let b = 0; while (starts[b + 1]! <= rank) b++; return b; };
  const wanted = new Map<number, number[]>();
  for (const r of ranks) wanted.set(binOf(r), []);
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (Number.isFinite(x)) wanted.get(bin(x))?.push(x);
  }
  for (const vals of wanted.values()) vals.sort((a, b) => a - b);
  const stat = (rank: number) => { const b = binOf(rank); return wanted.get(b)![rank - starts[b]!]!; };
  return ps.map((p) => {
    const h = (n - 1) * p, k = Math.floor(h);
    const a = stat(k), c = stat(Math.min(n - 1, k + 1));
    return a + (c - a) * (h - k);
  });
}

/**
 * Renders an image to 8 bits: bins it down if larger than `maxSizePx`, maps `range` (default: the
 * 0.5 / 99.5 percentiles) linearly to 0–255 (non-finite pixels → 0), applies the colour map and
 * burns in the scale bar (white with a black outline, label above).
 */
export function renderImage(img: ImageLike, opts: ImageRenderOptions = {}): RenderedImage {
  const frame = opts.frame ?? 0;
  checkImage(img, frame, 'renderImage');
  const maxSize = opts.maxSizePx ?? 1024;
  if (!Number.isInteger(maxSize) || maxSize < 16) throw new RangeError(`renderImage: maxSizePx must be an integer ≥ 16, got ${maxSize}`);
  const f = Math.max(1, Math.ceil(Math.max(img.width, img.height) / maxSize));
  const w = Math.floor(img.width / f), h = Math.floor(img.height / f);
  const off = frame * img.width * img.height;
  const v = new Float64Array(w * h);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      let s = 0, k = 0;
      for (let dr = 0; dr < f; dr++) {
        for (let dc = 0; dc < f; dc++) {
          const x = img.data[off + (r * f + dr) * img.width + c * f + dc]!;
          if (Number.isFinite(x)) { s += x; k++; }
        }
      }
      v[r * w + c] = k > 0 ? s / k : NaN;
    }
  }
  let range = opts.range;
  if (range) {
    if (!(Number.isFinite(range[0]) && Number.isFinite(range[1]) && range[1] > range[0])) throw new RangeError(`renderImage: range must be two finite numbers lo < hi, got [${range}]`);
  } else {
    const [p0, p1] = opts.percentiles ?? [0.5, 99.5];
    if (!(p0 >= 0 && p1 <= 100 && p1 > p0)) throw new RangeError(`renderImage: percentiles must satisfy 0 ≤ lo < hi ≤ 100, got [${p0}, ${p1}]`);
    const q = finiteQuantiles(v, [p0 / 100, p1 / 100]);
    range = q === null ? [0, 1] : [q[0]!, q[1]!];
  }
  const [lo, hi] = range;
  const scale = hi > lo ? 255 / (hi - lo) : 0;
  const cmap = opts.colormap ?? 'gray';
  const channels: 1 | 3 = cmap === 'gray' ? 1 : 3;
  const lut = colormapLut(cmap);
  const px = new Uint8Array(w * h * channels);
  for (let i = 0; i < w * h; i++) {
    const x = v[i]!;
    const g = Number.isFinite(x) ? Math.max(0, Math.min(255, Math.round((x - lo) * scale))) : 0;
    if (channels === 1) px[i] = g;
    else { px[3 * i] = lut[3 * g]!; px[3 * i + 1] = lut[3 * g + 1]!; px[3 * i + 2] = lut[3 * g + 2]!; }
  }
  const pixelSizeNm = img.pixelSizeNm != null && img.pixelSizeNm > 0 ? img.pixelSizeNm * f : null;
  let bar: ScaleBar | null = null;
  const wantBar = opts.scaleBar ?? true;
  if (wantBar !== false && pixelSizeNm !== null) {
    bar = scaleBarFor(w, h, pixelSizeNm, typeof wantBar === 'object' ? wantBar : {});
    if (bar) burnScaleBar(px, w, h, channels, bar);
  }
  return { width: w, height: h, channels, pixels: px, binning: f, pixelSizeNm, range: [lo, hi], scaleBar: bar };
}

function burnScaleBar(px: Uint8Array, w: number, h: number, channels: number, bar: ScaleBar): void {
  const set = (x: number, y: number, value: number): void => {
    if (x < 0 || y < 0 || x >= w || y >= h) return;
    for (let c = 0; c < channels; c++) px[(y * w + x) * channels + c] = value;
  };
  const label: Array<[number, number]> = [];
  if (bar.textScale > 0) {
    const ty = bar.y0 - 2 - FONT_HEIGHT * bar.textScale;
    drawText(bar.label, bar.x0, ty, bar.textScale, (x, y) => label.push([x, y]));
  }
  // Black outline first (bar box + 1 px halo around each label pixel), then white on top.
  for (let y = bar.y0 - 1; y <= bar.y0 + bar.thicknessPx; y++) for (let x = bar.x0 - 1; x <= bar.x0 + bar.lengthPx; x++) set(x, y, 0);
  for (const [x, y] of label) for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) set(x + dx, y + dy, 0);
  for (let y = bar.y0; y < bar.y0 + bar.thicknessPx; y++) for (let x = bar.x0; x < bar.x0 + bar.lengthPx; x++) set(x, y, 255);
  for (const [x, y] of label) set(x, y, 255);
}

/** PNG file bytes of a rendered image. */
export function encodePng(r: RenderedImage): Uint8Array {
  return encode({ width: r.width, height: r.height, data: r.pixels, channels: r.channels, depth: 8 });
}

/** Options of {@link imageBundle}. */
export interface ImageBundleOptions extends ImageRenderOptions {
  /** Display width in CSS pixels (PNG metadata; default: natural size, enlarged ×k to ≥ 256 px for small images). */
  displayWidthPx?: number;
  /** Words in front of the `text/plain` description. */
  title?: string;
}

/** Bundle of an image: `{ image/png (base64), text/plain }` plus metadata for the display width. */
export interface ImageBundleResult {
  bundle: MimeBundle;
  metadata: MimeMetadata;
  rendered: RenderedImage;
}

/** Renders, encodes and describes an image (see {@link renderImage}); the pieces `show` sends. */
export function imageBundleWithInfo(img: ImageLike, opts: ImageBundleOptions = {}): ImageBundleResult {
  const rendered = renderImage(img, opts);
  const png = encodePng(rendered);
  const fmt = (x: number) => Number(x.toPrecision(4)).toString();
  const text = [
    opts.title ? `${opts.title}: ` : '',
    `<image ${img.width} × ${img.height} px`,
    img.pixelSizeNm ? `, ${fmt(img.pixelSizeNm)} nm/px` : '',
    rendered.binning > 1 ? `, shown binned ${rendered.binning} × ${rendered.binning}` : '',
    `, display range ${fmt(rendered.range[0])}…${fmt(rendered.range[1])}`,
    rendered.scaleBar ? `, scale bar ${rendered.scaleBar.label} = ${rendered.scaleBar.lengthPx} px` : '',
    '>',
  ].join('');
  // Small images (e.g. 64–128 px CNN inputs) are shown enlarged by an integer factor to ≥ 256 px.
  const width = opts.displayWidthPx ?? (rendered.width < 256 ? rendered.width * Math.ceil(256 / rendered.width) : undefined);
  const metadata: MimeMetadata = width ? { [MIME.png]: { width } } : {};
  return { bundle: { [MIME.png]: toBase64(png), [MIME.plain]: text }, metadata, rendered };
}

/**
 * Bundle of an image: `{ image/png, text/plain }`, the PNG 8-bit, contrast-stretched, optionally
 * colour-mapped, with a burned-in scale bar when the pixel size is known.
 */
export function imageBundle(img: ImageLike, opts: ImageBundleOptions = {}): MimeBundle {
  return imageBundleWithInfo(img, opts).bundle;
}

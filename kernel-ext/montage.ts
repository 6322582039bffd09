/**
 * Panels that must be compared by eye as one image: one display range and one scale bar for all
 * (unlike `showGrid`, where each panel gets its own contrast), plus the close-up helpers the tutorials
 * use. One module, so no notebook carries its own copy.
 */

/** A montage: the composed image, and the display range to show it with (`show(m, { range: m.range })`). */
export interface Montage {
  data: Float32Array;
  width: number;
  height: number;
  pixelSizeNm: number;
  range: [number, number];
}

/**
 * Equal-size images (`widthPx × heightPx`, row-major) in a grid with 3 px white gaps, and one display
 * range (given, or the 0.5–99.5 % percentiles of all panels).
 *
 * @example
 * const m = montage([img.clean, img.noisy], img.widthPx, img.heightPx, img.pixelSizeNm);
 * await show(m, { range: m.range });
 */
export function montage(panels: ArrayLike<number>[], widthPx: number, heightPx: number, pixelSizeNm: number, opts: { columns?: number; range?: [number, number] } = {}): Montage {
  if (panels.length === 0) throw new RangeError('montage: no panels');
  panels.forEach((p, k) => { if (p.length !== widthPx * heightPx) throw new RangeError(`montage: panel ${k} has ${p.length} values, expected ${widthPx} × ${heightPx}`); });
  const columns = opts.columns ?? panels.length, gapPx = 3;
  let range = opts.range;
  if (!range) {
    const all = new Float32Array(panels.length * widthPx * heightPx);
    panels.forEach((p, k) => all.set(Float32Array.from(p), k * widthPx * heightPx));
    all.sort();
    range = [all[Math.floor(0.005 * (all.length - 1))]!, all[Math.floor(0.995 * (all.length - 1))]!];
  }
  const rows = Math.ceil(panels.length / columns);
  const W = columns * widthPx + (columns - 1) * gapPx, H = rows * heightPx + (rows - 1) * gapPx;
  const data = new Float32Array(W * H).fill(range[1]);
  panels.forEach((p, k) => {
    const x0 = (k % columns) * (widthPx + gapPx), y0 = Math.floor(k / columns) * (heightPx + gapPx);
    for (let y = 0; y < heightPx; y++) for (let x = 0; x < widthPx; x++) data[(y0 + y) * W + x0 + x] = p[y * widthPx + x]!;
  });
  return { data, width: W, height: H, pixelSizeNm, range };
}

/** A pixel box `{x0, y0, w, h}`. */
export interface PixelBox { x0: number; y0: number; w: number; h: number }

/** The box around the non-zero pixels of one or more masks (`W × H`), plus a margin: a close-up region. */
export function particleBox(masks: ArrayLike<number>[], W: number, H: number, marginPx = 5): PixelBox {
  let x0 = W, y0 = H, x1 = -1, y1 = -1;
  for (const m of masks) for (let i = 0; i < W * H; i++) if (m[i]! > 0) {
    const x = i % W, y = (i - x) / W;
    x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
  }
  if (x1 < 0) return { x0: 0, y0: 0, w: W, h: H };
  x0 = Math.max(0, x0 - marginPx); y0 = Math.max(0, y0 - marginPx);
  return { x0, y0, w: Math.min(W, x1 + marginPx + 1) - x0, h: Math.min(H, y1 + marginPx + 1) - y0 };
}

/** The pixels of `box` from a row-major image of width `W`, each repeated `zoom × zoom` times (crisp close-ups). */
export function crop(data: ArrayLike<number>, W: number, box: PixelBox, zoom = 1): Float32Array {
  const w = box.w * zoom;
  const out = new Float32Array(w * box.h * zoom);
  for (let y = 0; y < box.h * zoom; y++) for (let x = 0; x < w; x++) out[y * w + x] = data[(box.y0 + Math.floor(y / zoom)) * W + box.x0 + Math.floor(x / zoom)]!;
  return out;
}

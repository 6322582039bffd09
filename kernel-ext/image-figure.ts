/**
 * Image panels as a vega-lite figure for papers: each image drawn at its native pixels (PNG inside
 * the SVG, no smoothing), a vector scale bar in nm, panel titles, and one shared colour bar with the
 * quantity and its unit. All panels share one display range, by default the full range of the data
 * (no percentile clipping: the brightest particles keep their contrast). `saveFigure` writes it as
 * SVG or PDF; `show` displays it.
 */
import { encodePng, niceLengthNm, lengthLabel, renderImage, type ColormapName, type ImageLike } from './image.js';
import { asDisplayImage, isImageLike, STEM_CHANNEL_MEANING, type StemChannel } from './display-image.js';
import { toBase64 } from './mime.js';
import type { VegaLiteSpec } from './vega.js';

/** Options of {@link imageFigure}. */
export interface ImageFigureOptions {
  /** One title per panel (`<sub>`/`<sup>` allowed). */
  titles?: readonly string[];
  /** Title of the whole figure: text, or `{text, subtitle}`. */
  title?: string | { text: string; subtitle?: string };
  /** Panels per row (default: all in one row up to 4). */
  columns?: number;
  /** Width of each panel in px at 96 dpi (default 240; `saveFigure` rescales the whole figure to its mm size). */
  panelWidthPx?: number;
  /** For simulated `StemImage`s: which map (default `noisy`); also picks the colour-bar title. */
  channel?: StemChannel;
  /** Colour map (default `gray`, `viridis` for thickness maps). */
  colormap?: ColormapName;
  /** Values mapped to the ends of the colour map (default: min and max of all panels' finite values). */
  range?: [number, number];
  /** Colour-bar title with the unit, e.g. `'projected thickness (nm)'`; false: no colour bar. */
  colorBar?: string | false;
  /** Names of the integer values 0, 1, 2, … of a label image: a legend of swatches instead of a bar. */
  categories?: readonly string[];
  /** Scale-bar length in nm (default: the nice length ≤ 1/5 of the narrowest panel); false: none. */
  scaleBarNm?: number | false;
}

// vega's gradient legend interpolates the range in HCL by default; the PNG maps values linearly,
// so the bar must too (rgb), and the viridis family is sampled by the same scheme names.
function colourScale(colormap: ColormapName): Record<string, unknown> {
  return colormap === 'gray' ? { range: ['#000000', '#ffffff'], interpolate: 'rgb' } : { scheme: colormap };
}

/** Round tick values inside [lo, hi] (the largest 1, 2, 5 × 10ⁿ step giving at least four) and a d3 format that prints them exactly. */
export function colourBarTicks(lo: number, hi: number): { values: number[]; format: string } {
  const e = Math.floor(Math.log10((hi - lo) / 4));
  const steps = [5, 2, 1, 0.5].map((m) => Number((m * 10 ** e).toPrecision(12)));
  const ticksOf = (step: number) => {
    const v: number[] = [];
    for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + 1e-9 * step; k++) v.push(Number((k * step).toPrecision(12)));
    return v;
  };
  const step = steps.find((st) => ticksOf(st).length >= 4) ?? steps.at(-1)!;
  return { values: ticksOf(step), format: `.${Math.max(0, -Math.floor(Math.log10(step) + 1e-9))}f` };
}

function finiteRange(images: readonly ImageLike[]): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const img of images) {
    const d = img.data, n = img.width * img.height;
    for (let i = 0; i < n; i++) {
      const v = d[i]!;
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!(lo <= hi)) throw new RangeError('imageFigure: the images have no finite pixel values');
  return lo === hi ? [lo, lo + 1] : [lo, hi];
}

/**
 * A vega-lite spec of labelled image panels with vector scale bars and a colour bar.
 *
 * @example
 * const img = ag.simulateImage(agg.particles, ag.microscopePreset('paper'), rng);
 * await show(imageFigure([img, img], { channel: 'thicknessB', titles: ['a', 'b'] }));
 * await saveFigure(imageFigure([img]), 'fig2.pdf', { widthMm: 85 });
 */
export function imageFigure(items: unknown | readonly unknown[], opts: ImageFigureOptions = {}): VegaLiteSpec {
  const list = Array.isArray(items) ? items : [items];
  if (list.length === 0) throw new TypeError('imageFigure: expected an image or a non-empty array of images');
  if (opts.titles && opts.titles.length !== list.length) throw new RangeError(`imageFigure: ${opts.titles.length} titles for ${list.length} images`);
  const images = list.map((it, i) => {
    const img = asDisplayImage(it, opts.channel);
    if (!isImageLike(img)) throw new TypeError(`imageFigure: item ${i} is not an image ({data, width, height} or an Image2D/StemImage)`);
    return img;
  });
  const meaning = STEM_CHANNEL_MEANING[opts.channel ?? 'noisy'];
  const categories = opts.categories ?? (opts.channel === 'mask' ? meaning.categories : undefined);
  const colormap = opts.colormap ?? (opts.channel === 'thicknessA' || opts.channel === 'thicknessB' ? 'viridis' : 'gray');
  const range: [number, number] = categories ? [0, categories.length - 1] : opts.range ?? finiteRange(images);
  if (!(range[1] > range[0])) throw new RangeError(`imageFigure: range [${range}] must be increasing`);
  const panelW = opts.panelWidthPx ?? 240;
  if (!(panelW >= 40 && panelW <= 2000)) throw new RangeError(`imageFigure: panelWidthPx = ${panelW}; expected 40–2000`);
  const columns = opts.columns ?? Math.min(4, images.length);
  const known = images.every((im) => typeof im.pixelSizeNm === 'number' && im.pixelSizeNm > 0);
  const widthUnits = (im: ImageLike) => im.width * (known ? im.pixelSizeNm! : 1);
  const barNm = !known || opts.scaleBarNm === false ? null : opts.scaleBarNm ?? niceLengthNm(Math.min(...images.map(widthUnits)) / 5);
  const colorTitle = opts.colorBar === false ? null : opts.colorBar ?? (list.some((x) => (x as { clean?: unknown })?.clean !== undefined) ? meaning.title : 'intensity');

  const panels = images.map((im, i) => {
    const rendered = renderImage(im, { range, colormap, scaleBar: false });
    const url = `data:image/png;base64,${toBase64(encodePng(rendered))}`;
    const wU = widthUnits(im), hU = im.height * (wU / im.width);
    const panelH = Math.round((panelW * im.height) / im.width);
    const x = { field: 'x', type: 'quantitative', scale: { domain: [0, wU], nice: false, zero: false }, axis: null };
    const y = { field: 'y', type: 'quantitative', scale: { domain: [hU, 0], nice: false, zero: false }, axis: null };
    const layer: Record<string, unknown>[] = [
      { data: { values: [{ x: wU / 2, y: hU / 2, url }] }, mark: { type: 'image', width: panelW, height: panelH, smooth: false, aria: false }, encoding: { x, y, url: { field: 'url', type: 'nominal' } } },
    ];
    if (barNm !== null && barNm < wU) {
      const margin = 0.05 * wU, yBar = hU - margin;
      const bar = { data: { values: [{ x: margin, x2: margin + barNm, y: yBar }] }, encoding: { x, x2: { field: 'x2' }, y } };
      // A dark halo under the white bar keeps it visible on bright particles.
      layer.push({ ...bar, mark: { type: 'rule', color: '#000', opacity: 0.45, strokeWidth: 5, strokeCap: 'butt' } });
      layer.push({ ...bar, mark: { type: 'rule', color: '#fff', strokeWidth: 3, strokeCap: 'butt' } });
      layer.push({ data: { values: [{ x: margin, y: yBar, label: lengthLabel(barNm) }] }, mark: { type: 'text', color: '#fff', align: 'left', baseline: 'bottom', dy: -5, fontSize: 11, fontWeight: 'bold' }, encoding: { x, y, text: { field: 'label' } } });
    }
    if (colorTitle !== null) {
      // The colour bar comes from an invisible layer that carries the colour scale of the panels.
      const values = categories ? categories.map((c) => ({ v: c })) : [{ v: range[0] }, { v: range[1] }];
      const scale = categories
        ? { domain: categories, range: categories.map((_, k) => `#${Array(3).fill(Math.round((255 * k) / Math.max(1, categories.length - 1)).toString(16).padStart(2, '0')).join('')}`) }
        : { domain: range, nice: false, zero: false, ...colourScale(colormap) };
      layer.push({
        data: { values }, mark: { type: categories ? 'square' : 'point', opacity: 0, aria: false },
        encoding: {
          x: { datum: wU / 2, type: 'quantitative', scale: x.scale }, y: { datum: hU / 2, type: 'quantitative', scale: y.scale },
          [categories ? 'fill' : 'color']: { field: 'v', type: categories ? 'nominal' : 'quantitative', scale, legend: { title: colorTitle, titleLimit: 2000, ...(categories ? { symbolOpacity: 1, symbolStrokeColor: '#777', symbolStrokeWidth: 0.5 } : { ...colourBarTicks(range[0], range[1]), gradientLength: panelH, gradientThickness: 12, titleOrient: 'left', titleAngle: 270, titleAnchor: 'middle', titleBaseline: 'bottom', titlePadding: 4 }) } },
        },
      });
    }
    return { width: panelW, height: panelH, ...(opts.titles ? { title: { text: opts.titles[i]!, anchor: 'start', fontSize: 12, fontWeight: 'normal' } } : {}), layer };
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    ...(opts.title !== undefined ? { title: typeof opts.title === 'string' ? { text: opts.title, anchor: 'start' } : { anchor: 'start', ...opts.title } } : {}),
    ...(panels.length === 1 ? panels[0]! : { columns, concat: panels, spacing: 8 }),
    config: { view: { stroke: null }, legend: { titleFontWeight: 'normal', titleFontSize: 11, labelFontSize: 10 } },
  };
}

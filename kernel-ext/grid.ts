/**
 * Labelled image grids: any list of images (`showGrid`), a tilt series or other array of simulated
 * images (`show(series)`), and a training dataset (`show(ds)`: its splits and prior, and a grid of
 * sample images titled with their parameters). One `text/html` output with the PNGs inline, so it
 * survives every export.
 */
import { imageBundleWithInfo, type ImageBundleOptions } from './image.js';
import { asDisplayImage, isImageLike, type StemChannel } from './display-image.js';
import { gridHtmlBundle } from './records.js';
import { MIME, escapeHtml, type MimeBundle } from './mime.js';
import { richTextHtml } from './rich-text.js';
import { readImages, readSamples, type Dataset } from '../src/dataset/loader.js';
import { quantitySymbol } from '../src/analysis/symbols.js';

/** Options of {@link showGrid}: columns, one title per item, and the image options for every panel. */
export interface GridOptions extends ImageBundleOptions {
  /** One caption per image (`<sub>`/`<sup>` allowed). */
  titles?: string[];
  columns?: number;
  caption?: string;
  channel?: StemChannel;
}

/** The bundle {@link showGrid} sends (for tests and non-kernel use). */
export function gridBundle(items: unknown[], opts: GridOptions = {}): MimeBundle {
  if (!Array.isArray(items) || items.length === 0) throw new TypeError('showGrid: expected a non-empty array of images');
  if (opts.titles && opts.titles.length !== items.length) throw new RangeError(`showGrid: ${opts.titles.length} titles for ${items.length} images`);
  const panels = items.map((it, i) => {
    const img = asDisplayImage(it, opts.channel);
    if (!isImageLike(img)) throw new TypeError(`showGrid: item ${i} is not an image ({data, width, height} or an Image2D/StemImage)`);
    const r = imageBundleWithInfo(img, opts);
    return { pngBase64: r.bundle[MIME.png] as string, title: opts.titles?.[i] ?? `image ${i + 1}`, description: String(r.bundle[MIME.plain]) };
  });
  return gridHtmlBundle(panels, { ...(opts.columns !== undefined ? { columns: opts.columns } : {}), ...(opts.caption ? { caption: opts.caption } : {}) });
}

/** A non-empty array whose every item is an image (a tilt series, `readImages` frames as Image2D, …). */
export function isImageSeries(x: unknown): x is unknown[] {
  return Array.isArray(x) && x.length > 0 && x.every((it) => isImageLike(it));
}

/** An array of images as a labelled grid: tilt angles for a tilt series, else the position. */
export function imageSeriesBundle(items: unknown[], opts: GridOptions = {}): MimeBundle {
  const titles = opts.titles ?? items.map((it, i) => {
    const tilt = (it as { tiltDeg?: unknown }).tiltDeg;
    return typeof tilt === 'number' ? `tilt ${tilt > 0 ? '+' : tilt < 0 ? '−' : ''}${Math.abs(tilt)}°` : `image ${i + 1}`;
  });
  const isTilt = items.every((it) => typeof (it as { tiltDeg?: unknown }).tiltDeg === 'number');
  return gridBundle(items, { ...opts, titles, ...(opts.caption ?? isTilt ? { caption: opts.caption ?? `tilt series, ${items.length} images` } : {}) });
}

/** True for an opened dataset (`openDataset`). */
export function isDataset(x: unknown): x is Dataset {
  if (x === null || typeof x !== 'object') return false;
  const o = x as Record<string, unknown>;
  return typeof o.dir === 'string' && typeof o.manifest === 'object' && Array.isArray(o.paramNames) && typeof o.splitCounts === 'object' && Number.isInteger(o.imageSize);
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v)) : String(+v.toPrecision(2));
}

/**
 * A dataset: where it is, its splits, image geometry and prior as a table, then a grid of the first
 * `samples` (default 8) images of `split` (default `test`), each titled with its parameters.
 */
export function datasetBundle(ds: Dataset, opts: { split?: 'train' | 'val' | 'test'; samples?: number; columns?: number } = {}): MimeBundle {
  const split = opts.split ?? 'test';
  const want = opts.samples ?? 8;
  if (!(Number.isInteger(want) && want >= 1 && want <= 64)) throw new RangeError(`show(dataset): samples must be an integer in [1, 64], got ${want}`);
  const rows = readSamples(ds, split);
  const n = Math.min(want, rows.indices.length);
  const P = ds.paramNames.length;
  const prior = ds.paramNames.map((name) => {
    const p = ds.prior[name]!;
    const q = quantitySymbol(name);
    return `${q.symbol} ${p.kind === 'fixed' ? `= ${fmt(p.value)}` : `${fmt(p.lo)}–${fmt(p.hi)}`}${q.unit ? ` ${q.unit}` : ''}`;
  });
  const facts: [string, string][] = [
    ['directory', escapeHtml(ds.dir)],
    ['samples', `${ds.count} (train ${ds.splitCounts.train}, validation ${ds.splitCounts.val}, test ${ds.splitCounts.test})`],
    ['images', `${ds.imageSize} × ${ds.imageSize} px at ${fmt(ds.pixelSizeNm)} nm/px (${fmt(ds.imageSize * ds.pixelSizeNm)} nm field)`],
    ['prior', prior.map(richTextHtml).join(', ')],
  ];
  const table = `<table class="aggstem-dataset"><tbody>${facts.map(([k, v]) => `<tr><th style="text-align:left;padding-right:1em">${k}</th><td style="text-align:left">${v}</td></tr>`).join('')}</tbody></table>`;
  if (n === 0) return { [MIME.html]: `<div class="aggstem-grid">${table}<p>no accepted ${split} samples</p></div>`, [MIME.plain]: facts.map(([k, v]) => `${k}: ${v}`).join('\n') };
  const indices = rows.indices.subarray(0, n);
  const stack = readImages(ds, indices);
  const pix = ds.imageSize * ds.imageSize;
  const shown = ds.paramNames.slice(0, 4);
  const images = Array.from(indices, (_, k) => ({ data: stack.subarray(k * pix, (k + 1) * pix), width: ds.imageSize, height: ds.imageSize, pixelSizeNm: ds.pixelSizeNm }));
  const titles = Array.from(indices, (index, k) => `#${index} · ${shown.map((name) => `${quantitySymbol(name).symbol} ${fmt(rows.params[k * P + ds.paramNames.indexOf(name)]!)}`).join(' · ')}`);
  const grid = gridBundle(images, { titles, columns: opts.columns ?? 4, caption: `first ${n} ${split} images` });
  return {
    [MIME.html]: `<div class="aggstem-dataset-view">${table}${grid[MIME.html] as string}</div>`,
    [MIME.plain]: `${facts.map(([k, v]) => `${k}: ${v.replace(/<\/?su[bp]>/g, '')}`).join('\n')}\n${grid[MIME.plain] as string}`,
  };
}

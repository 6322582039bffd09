/**
 * Figures to files for papers: vega-lite charts and plotly figures (the 3D aggregate views) as SVG,
 * PDF, PNG or standalone HTML, at a journal size in millimetres. Vector output comes from vega's own
 * SVG renderer; PDF and PNG from headless Chromium (kernel-ext/browser.ts), which prints the same
 * SVG, or draws the plotly figure with the plotly.js aggstem ships, so what is saved is what the
 * notebook showed.
 */
import { extname } from 'node:path';
import { writeFileAtomic } from '../src/io/atomic.js';
import { plotlyHtml, type PlotlyFigure } from './aggregate-figure.js';
import { CHROMIUM_FLAGS, chromiumExecutable } from './browser.js';
import { isVegaLiteSpec, vegaLiteToSvg, type VegaLiteSpec } from './vega.js';
import { annotatePng } from '../src/io/png.js';
import { codeVersion } from '../src/cnn/estimator.js';
import { escapeHtml, jsonForScript } from './mime.js';

/** Options of {@link saveFigure}. */
export interface SaveFigureOptions {
  /** Width of the figure, mm (default: the chart's own size at 96 px per inch; 85 mm for plotly). Single column ≈ 85 mm, double ≈ 175 mm. */
  widthMm?: number;
  /** Height, mm (default: keeps the aspect ratio; 70 mm for plotly). */
  heightMm?: number;
  /** PNG resolution, dots per inch (default 300; stored in the PNG, so documents place it at its size). */
  dpi?: number;
  /**
   * Where the figure came from (model and its sha256, backend, seed, dataset, …), stored in the file
   * with the aggstem code version: SVG `<metadata>`, PNG tEXt `aggstem-provenance`, PDF document
   * info (Subject `aggstem-provenance {…}`, Creator), HTML `<script id="aggstem-provenance">`.
   */
  provenance?: Record<string, unknown>;
}

/** What {@link saveFigure} wrote. */
export interface SavedFigure {
  path: string;
  format: 'svg' | 'pdf' | 'png' | 'html';
  widthMm: number;
  heightMm: number;
  bytes: number;
  /** What the file records about its origin (always `software` and `codeVersion`). */
  provenance: Record<string, unknown>;
}

const MM_PER_PX = 25.4 / 96;

function isPlotly(x: unknown): x is PlotlyFigure {
  return x !== null && typeof x === 'object' && Array.isArray((x as { data?: unknown }).data);
}

/**
 * Saves a vega-lite spec or a plotly figure; the format follows the extension (.svg, .pdf, .png,
 * .html). The file is written atomically.
 *
 * @example
 * await saveFigure(ag.learningCurveSpec(rows), 'fig3.pdf', { widthMm: 175 });
 * await saveFigure(ag.aggregateFigure(agg.particles), 'fig1b.png', { widthMm: 60, dpi: 600 });
 */
export async function saveFigure(fig: VegaLiteSpec | PlotlyFigure, path: string, opts: SaveFigureOptions = {}): Promise<SavedFigure> {
  const ext = extname(path).slice(1).toLowerCase();
  if (!['svg', 'pdf', 'png', 'html'].includes(ext)) throw new RangeError(`saveFigure: ${path}: the extension must be .svg, .pdf, .png or .html`);
  const format = ext as SavedFigure['format'];
  const dpi = opts.dpi ?? 300;
  if (!(dpi >= 36 && dpi <= 2400)) throw new RangeError(`saveFigure: dpi = ${dpi}; expected 36–2400`);
  for (const k of ['widthMm', 'heightMm'] as const) {
    const v = opts[k];
    if (v !== undefined && !(v > 5 && v <= 1000)) throw new RangeError(`saveFigure: ${k} = ${v}; expected a size in mm in (5, 1000]`);
  }
  if (opts.provenance !== undefined && (opts.provenance === null || typeof opts.provenance !== 'object' || Array.isArray(opts.provenance))) {
    throw new TypeError('saveFigure: provenance must be an object such as { model, modelSha256, backend, seed }');
  }
  const provenance: Record<string, unknown> = { software: 'aggstem', codeVersion: codeVersion(), ...(opts.provenance ?? {}) };
  if (isVegaLiteSpec(fig)) {
    const svg = await vegaLiteToSvg(fig);
    const w0 = Number(/<svg[^>]*\swidth="([\d.]+)"/.exec(svg)?.[1] ?? 600), h0 = Number(/<svg[^>]*\sheight="([\d.]+)"/.exec(svg)?.[1] ?? 400);
    const widthMm = opts.widthMm ?? w0 * MM_PER_PX;
    const heightMm = opts.heightMm ?? (widthMm * h0) / w0;
    // Sized in mm so the file states its physical size; the drawing scales to it (viewBox).
    const sized = svg.replace(/<svg([^>]*)\swidth="[\d.]+"\s+height="[\d.]+"([^>]*)>/, `<svg$1 width="${widthMm.toFixed(2)}mm" height="${heightMm.toFixed(2)}mm"$2><metadata id="aggstem-provenance">${escapeHtml(JSON.stringify(provenance))}</metadata>`);
    if (format === 'svg') return write(path, format, sized, widthMm, heightMm, provenance);
    if (format === 'html') return write(path, format, htmlPage(`<body style="margin:0">${sized}</body>`, provenance), widthMm, heightMm, provenance);
    const page = `<!doctype html><html><head><style>html,body{margin:0;background:#fff}svg{display:block;width:${widthMm}mm;height:${heightMm}mm}</style></head><body>${svg}</body></html>`;
    return write(path, format, await withProvenance(await printInChromium(page, format, widthMm, heightMm, dpi), format, dpi, provenance), widthMm, heightMm, provenance);
  }
  if (isPlotly(fig)) {
    const widthMm = opts.widthMm ?? 85, heightMm = opts.heightMm ?? 70;
    if (format === 'svg') throw new RangeError(`saveFigure: ${path}: plotly 3D views are WebGL drawings; save them as .png (raster, any dpi), .pdf (the raster inside a PDF page) or .html (interactive)`);
    const wPx = Math.round(widthMm / MM_PER_PX), hPx = Math.round(heightMm / MM_PER_PX);
    // A narrow figure (a journal column) gives the 3D scene the full width: legend below it.
    const narrow = widthMm < 100 && !(fig.layout as { legend?: { orientation?: string } } | undefined)?.legend?.orientation;
    const layout = { ...(fig.layout ?? {}), width: wPx, height: hPx, autosize: false, ...(narrow ? { legend: { orientation: 'h', x: 0, y: 0 } } : {}) };
    const html = htmlPage(`<style>html,body{margin:0;background:#fff}.aggstem-plotly{width:${wPx}px!important}</style><body>${plotlyHtml({ ...fig, layout }, { includePlotlyJs: true })}</body>`, provenance);
    if (format === 'html') return write(path, format, html, widthMm, heightMm, provenance);
    return write(path, format, await withProvenance(await printInChromium(html, format, widthMm, heightMm, dpi, true), format, dpi, provenance), widthMm, heightMm, provenance);
  }
  throw new TypeError('saveFigure: expected a vega-lite spec or a plotly figure {data, layout}');
}

function write(path: string, format: SavedFigure['format'], content: string | Uint8Array, widthMm: number, heightMm: number, provenance: Record<string, unknown>): SavedFigure {
  writeFileAtomic(path, content);
  return { path, format, widthMm: +widthMm.toFixed(2), heightMm: +heightMm.toFixed(2), bytes: typeof content === 'string' ? Buffer.byteLength(content) : content.length, provenance };
}

function htmlPage(body: string, provenance: Record<string, unknown>): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>figure (aggstem ${escapeHtml(String(provenance.codeVersion))})</title>` +
    `<script type="application/json" id="aggstem-provenance">${jsonForScript(provenance)}</script></head>${body}</html>`;
}

/** PNG: print resolution and a tEXt entry; PDF: document info (pdf-lib, which keeps the page as Chromium printed it). */
async function withProvenance(bytes: Uint8Array, format: 'pdf' | 'png', dpi: number, provenance: Record<string, unknown>): Promise<Uint8Array> {
  const json = JSON.stringify(provenance);
  if (format === 'png') return annotatePng(bytes, { dotsPerInch: dpi, text: { Software: `aggstem ${String(provenance.codeVersion)}`, 'aggstem-provenance': json } });
  const { PDFDocument } = await import('pdf-lib');
  const doc = await PDFDocument.load(bytes, { updateMetadata: false });
  doc.setCreator(`aggstem ${String(provenance.codeVersion)}`);
  doc.setSubject(`aggstem-provenance ${json}`);
  return await doc.save({ useObjectStreams: false });
}

async function printInChromium(html: string, format: 'pdf' | 'png', widthMm: number, heightMm: number, dpi: number, waitForPlotly = false): Promise<Uint8Array> {
  const exe = await chromiumExecutable();
  if (!exe) throw new Error('saveFigure: PDF and PNG need headless Chromium, and none was found ($AGGSTEM_CHROMIUM, the npm package @sparticuz/chromium that `npm install` provides in a project checkout, or /usr/bin/chromium); .svg and .html need nothing');
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: exe, args: [...CHROMIUM_FLAGS, '--use-angle=swiftshader', '--enable-unsafe-swiftshader'] });
  try {
    const wCss = Math.ceil(widthMm / MM_PER_PX), hCss = Math.ceil(heightMm / MM_PER_PX);
    const page = await browser.newPage({ viewport: { width: wCss, height: hCss }, deviceScaleFactor: format === 'png' ? dpi / 96 : 1 });
    await page.setContent(html, { waitUntil: 'load' });
    if (waitForPlotly) await page.waitForSelector('.aggstem-plotly .main-svg', { timeout: 30_000 });
    if (format === 'png') return await page.screenshot({ type: 'png', clip: { x: 0, y: 0, width: wCss, height: hCss } });
    return await page.pdf({ width: `${widthMm}mm`, height: `${heightMm}mm`, printBackground: true, pageRanges: '1' });
  } finally {
    await browser.close();
  }
}

/**
 * `show(x)`: the one display call for notebooks. It recognises what `x` is and sends the richest
 * bundle for it through the running tslab kernel.
 */
import { inspect } from 'node:util';
import { aggregateBundle, plotlyBundle, type AggregateFigureOptions, type PlotlyFigure, type SphereSet } from './aggregate-figure.js';
import { imageBundleWithInfo, type ImageBundleOptions, type ImageLike } from './image.js';
import { isVegaLiteSpec, vegaLiteBundle, type VegaLiteSpec } from './vega.js';
import { isTableLike, tableBundle, type TableBundleOptions } from './table.js';
import { displayBundle, displayMode, isSocketBusy, NoKernelError } from './tslab-bridge.js';
import { MIME, type MimeBundle } from './mime.js';

/** What `show` recognised a value as. */
export type ShowKind = 'aggregate' | 'particles' | 'image' | 'vega-lite' | 'plotly' | 'table' | 'bundle' | 'text';

function isArrayLike(a: unknown): a is ArrayLike<number> {
  return (ArrayBuffer.isView(a) && !(a instanceof DataView)) || Array.isArray(a);
}

/** True for sphere sets: `x, y, z, r, material` arrays of one length. */
export function isSphereSet(x: unknown): x is SphereSet {
  if (x === null || typeof x !== 'object') return false;
  const o = x as Record<string, unknown>;
  const keys = ['x', 'y', 'z', 'r', 'material'];
  return keys.every((k) => isArrayLike(o[k])) && keys.every((k) => (o[k] as ArrayLike<number>).length === (o.x as ArrayLike<number>).length);
}

/**
 * The library's images (`Image2D`: `data`, `widthPx`, `heightPx`, `pixelSizeNm`; a simulated
 * `StemImage` shows its `noisy` image) as the display's `{ data, width, height }`; other values unchanged.
 */
export function asDisplayImage(x: unknown): unknown {
  if (x === null || typeof x !== 'object') return x;
  const o = x as Record<string, unknown>;
  if (!Number.isInteger(o.widthPx) || !Number.isInteger(o.heightPx)) return x;
  const data = isArrayLike(o.data) ? o.data : isArrayLike(o.noisy) ? o.noisy : undefined;
  if (!data) return x;
  return { data, width: o.widthPx, height: o.heightPx, ...(typeof o.pixelSizeNm === 'number' ? { pixelSizeNm: o.pixelSizeNm } : {}) };
}

/** True for images: integer `width`, `height` and a pixel array `data` covering them (or an `Image2D` / `StemImage`). */
export function isImageLike(x: unknown): x is ImageLike {
  x = asDisplayImage(x);
  if (x === null || typeof x !== 'object') return false;
  const o = x as Record<string, unknown>;
  return Number.isInteger(o.width) && Number.isInteger(o.height) && isArrayLike(o.data) &&
    (o.data as ArrayLike<number>).length >= (o.width as number) * (o.height as number);
}

function isPlotlyFigure(x: unknown): x is PlotlyFigure {
  if (x === null || typeof x !== 'object') return false;
  const o = x as Record<string, unknown>;
  return Array.isArray(o.data) && o.data.every((t) => t !== null && typeof t === 'object') && (o.layout === undefined || typeof o.layout === 'object');
}

/** What `show(x)` would display `x` as. */
export function showKind(x: unknown): ShowKind {
  if (x !== null && typeof x === 'object') {
    if (isSphereSet((x as { particles?: unknown }).particles)) return 'aggregate';
    if (isSphereSet(x)) return 'particles';
    if (isImageLike(x)) return 'image';
    if (isTableLike(x)) return 'table';
    if (isVegaLiteSpec(x)) return 'vega-lite';
    if (isPlotlyFigure(x)) return 'plotly';
    if ((x as Record<string, unknown>)[MIME.plain] !== undefined && Object.keys(x).every((k) => /^[a-z]+\/[\w.+-]+$/.test(k))) return 'bundle';
  }
  return 'text';
}

/** Options of {@link show} (each applies to the kinds it names). */
export interface ShowOptions extends AggregateFigureOptions, ImageBundleOptions, TableBundleOptions {
  /**
   * plotly.js for the `text/html` twin of 3D figures: `auto` (default) inlines it into the first
   * figure of the kernel session and reuses it later; `inline` always; `none` leaves the HTML
   * twin out (smallest notebooks; only frontends with a plotly renderer show the figure).
   */
  plotlyJs?: 'auto' | 'inline' | 'none';
}

// Per kernel process, like plotly.py's notebook renderer: the page has plotly.js once the first
// figure's HTML ran. Restarting the kernel restarts this too (a fresh page load re-runs outputs).
let plotlyJsSent = false;

/** Forget that plotly.js was inlined: the next 3D figure inlines it again (e.g. after a page reload). */
export function resetPlotlyInjection(): void {
  plotlyJsSent = false;
}

function plotlyHtmlOptions(opts: ShowOptions): { includePlotlyJs: boolean; noHtml: boolean } {
  const mode = opts.plotlyJs ?? 'auto';
  if (mode === 'none') return { includePlotlyJs: false, noHtml: true };
  const include = mode === 'inline' || !plotlyJsSent;
  return { includePlotlyJs: include, noHtml: false };
}

/**
 * The MIME bundle `show(x, opts)` sends. It reads (never sets) the once-per-session plotly.js flag
 * unless `plotly` says whether to inline plotly.js. Async because vega-lite SVGs render asynchronously.
 */
export async function bundleFor(
  x: unknown,
  opts: ShowOptions = {},
  plotly: { includePlotlyJs: boolean; noHtml: boolean } = plotlyHtmlOptions(opts),
): Promise<{ kind: ShowKind; bundle: MimeBundle; metadata: Record<string, Record<string, unknown>> }> {
  const kind = showKind(x);
  switch (kind) {
    case 'aggregate':
    case 'particles':
      return { kind, bundle: aggregateBundle(x as SphereSet, { ...opts, ...plotly }), metadata: {} };
    case 'plotly':
      return { kind, bundle: plotlyBundle(x as PlotlyFigure, plotly), metadata: {} };
    case 'image': {
      const r = imageBundleWithInfo(asDisplayImage(x) as ImageLike, opts);
      return { kind, bundle: r.bundle, metadata: r.metadata };
    }
    case 'vega-lite':
      return { kind, bundle: await vegaLiteBundle(x as VegaLiteSpec), metadata: {} };
    case 'table':
      return { kind, bundle: tableBundle(x as Parameters<typeof tableBundle>[0], opts), metadata: {} };
    case 'bundle':
      return { kind, bundle: x as MimeBundle, metadata: {} };
    default:
      return { kind, bundle: { [MIME.plain]: typeof x === 'string' ? x : inspect(x, { depth: 4, colors: false }) }, metadata: {} };
  }
}

/**
 * Displays `x` in the running notebook cell as the richest output for what it is:
 * - an `Aggregate` or particle arrays `{x, y, z, r, material}` → interactive 3D plotly view
 *   (spheres coloured by material, hover on centres);
 * - an image `{data, width, height, pixelSizeNm?}` → PNG with a scale bar;
 * - a vega-lite spec → interactive chart + static SVG;
 * - an arquero table → HTML table;
 * - a plotly figure `{data, layout}` → plotly view; a ready MIME bundle → as is;
 * - anything else → text.
 *
 * Always `await show(...)`: vega-lite rendering is asynchronous, and an output sent after its cell
 * finished would land in another cell. Throws a clear error outside a tslab kernel (use the
 * `*Bundle` builders there).
 */
export async function show(x: unknown, opts: ShowOptions = {}): Promise<void> {
  if (displayMode() === 'none') throw new NoKernelError('show()');
  const plotly = plotlyHtmlOptions(opts);
  const { kind, bundle, metadata } = await bundleFor(x, opts, plotly);
  // The kernel's socket refuses a send while the previous message is in flight: wait and resend.
  for (let waitedMs = 0; ; waitedMs += 10) {
    try {
      displayBundle(bundle, { metadata });
      break;
    } catch (e) {
      if (!isSocketBusy(e) || waitedMs >= 5000) throw e;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  if (plotly.includePlotlyJs && (kind === 'aggregate' || kind === 'particles' || kind === 'plotly')) plotlyJsSent = true;
}

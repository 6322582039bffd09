/**
 * Records the library returns, shown as tables with units instead of text dumps: an aggregate's
 * descriptors (`describeAggregate`) and an estimate with its intervals (`predict`), including the
 * imaged aggregate's descriptor estimates.
 */
import { DESCRIPTOR_INFO, DESCRIPTOR_NAMES } from '../src/descriptors/describe.js';
import { PARAM_LIMITS } from '../src/model/params.js';
import type { ModelParamName } from '../src/model/types.js';
import { MIME, escapeHtml, type MimeBundle } from './mime.js';
import { plainText, richTextHtml } from './rich-text.js';

/** A descriptor record: at least five known descriptor names, every value a number. */
export function isDescriptorRecord(x: unknown): x is Record<string, number> {
  if (x === null || typeof x !== 'object' || Array.isArray(x) || ArrayBuffer.isView(x)) return false;
  const keys = Object.keys(x);
  return keys.length >= 5 && keys.every((k) => (DESCRIPTOR_NAMES as readonly string[]).includes(k) && typeof (x as Record<string, unknown>)[k] === 'number');
}

/** Estimate-like: `names` with `median`, `lower68`, `upper68`, `lower95`, `upper95` of the same length. */
export interface EstimateLike {
  names: string[];
  median: number[];
  lower68: number[];
  upper68: number[];
  lower95: number[];
  upper95: number[];
  descriptors?: EstimateLike;
}

export function isEstimate(x: unknown): x is EstimateLike {
  if (x === null || typeof x !== 'object') return false;
  const o = x as Record<string, unknown>;
  if (!Array.isArray(o.names) || o.names.length === 0) return false;
  return ['median', 'lower68', 'upper68', 'lower95', 'upper95'].every((k) => Array.isArray(o[k]) && (o[k] as unknown[]).length === (o.names as unknown[]).length);
}

function num(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e5 || a < 1e-3) ? v.toExponential(3) : String(+v.toPrecision(4));
}

function unitOf(name: string): string {
  const d = (DESCRIPTOR_INFO as Record<string, { unit: string }>)[name];
  if (d) return d.unit;
  return (PARAM_LIMITS as Record<string, { unit: string }>)[name as ModelParamName]?.unit ?? '';
}

function meaningOf(name: string): string {
  return (DESCRIPTOR_INFO as Record<string, { description: string }>)[name]?.description ?? (PARAM_LIMITS as Record<string, { description: string }>)[name]?.description ?? '';
}

function htmlTable(caption: string, head: string[], rows: string[][]): string {
  const th = head.map((h) => `<th style="text-align:left;padding:2px 8px">${escapeHtml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => `<td style="padding:2px 8px;${i > 0 && i < head.length - 1 ? 'text-align:right;font-variant-numeric:tabular-nums' : ''}">${escapeHtml(c)}</td>`).join('')}</tr>`).join('');
  return `<div class="aggstem-table"><div><b>${escapeHtml(caption)}</b></div><table>${'<thead><tr>' + th + '</tr></thead>'}<tbody>${body}</tbody></table></div>`;
}

function markdown(caption: string, head: string[], rows: string[][]): string {
  return `${caption}\n\n| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|\n${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}`;
}

/** A descriptor record as a table: descriptor, value, unit, meaning. */
export function descriptorBundle(d: Record<string, number>, opts: { caption?: string } = {}): MimeBundle {
  const head = ['descriptor', 'value', 'unit', 'meaning'];
  const rows = DESCRIPTOR_NAMES.filter((k) => k in d).map((k) => [k, num(d[k]!), unitOf(k), meaningOf(k)]);
  const caption = opts.caption ?? 'Descriptors';
  return { [MIME.html]: htmlTable(caption, head, rows), [MIME.plain]: markdown(caption, head, rows) };
}

/** An estimate as a table: median with the 68 % and 95 % intervals and units; its descriptor estimates below. */
export function estimateBundle(e: EstimateLike, opts: { caption?: string } = {}): MimeBundle {
  const head = ['quantity', 'median', '68 % interval', '95 % interval', 'unit'];
  const rowsOf = (x: EstimateLike) => x.names.map((n, j) => [n, num(x.median[j]!), `${num(x.lower68[j]!)} – ${num(x.upper68[j]!)}`, `${num(x.lower95[j]!)} – ${num(x.upper95[j]!)}`, unitOf(n)]);
  const caption = opts.caption ?? 'Estimate (posterior median and central intervals)';
  let html = htmlTable(caption, head, rowsOf(e));
  let text = markdown(caption, head, rowsOf(e));
  if (e.descriptors && isEstimate(e.descriptors)) {
    html += htmlTable('The imaged aggregate\'s descriptors (direct route)', head, rowsOf(e.descriptors));
    text += `\n\n${markdown('The imaged aggregate\'s descriptors (direct route)', head, rowsOf(e.descriptors))}`;
  }
  return { [MIME.html]: html, [MIME.plain]: text };
}

/** One labelled panel of a grid: an image bundle's PNG (base64) and its caption. */
export interface GridPanel {
  pngBase64: string;
  title: string;
  description: string;
}

/**
 * A grid of labelled images as one `text/html` output (a CSS grid of `<figure>`s with the PNGs
 * inline, so it survives HTML export) with a `text/plain` list of the panels.
 */
export function gridHtmlBundle(panels: GridPanel[], opts: { columns?: number; caption?: string } = {}): MimeBundle {
  const cols = opts.columns ?? Math.min(4, panels.length);
  if (!(Number.isInteger(cols) && cols >= 1)) throw new RangeError(`showGrid: columns must be an integer >= 1, got ${cols}`);
  const figs = panels.map((p) => `<figure style="margin:0"><img style="width:100%;image-rendering:pixelated" src="data:image/png;base64,${p.pngBase64}" alt="${escapeHtml(plainText(p.title))}"/><figcaption style="font-size:90%;text-align:center">${richTextHtml(p.title)}</figcaption></figure>`).join('');
  const cap = opts.caption ? `<div><b>${escapeHtml(opts.caption)}</b></div>` : '';
  const html = `<div class="aggstem-grid">${cap}<div style="display:grid;grid-template-columns:repeat(${cols},minmax(0,256px));gap:8px">${figs}</div></div>`;
  const text = `${opts.caption ? `${opts.caption}\n` : ''}${panels.map((p, i) => `[${i + 1}] ${plainText(p.title)}: ${p.description}`).join('\n')}`;
  return { [MIME.html]: html, [MIME.plain]: text };
}

/** A training history: a non-empty array of epoch logs (`epoch`, `loss`, `valNll`, `phase`). */
export function isTrainingHistory(x: unknown): x is import('../src/cnn/estimator.js').EpochLog[] {
  return Array.isArray(x) && x.length > 0 && x.every((h) => h !== null && typeof h === 'object' && typeof (h as Record<string, unknown>).epoch === 'number' && typeof (h as Record<string, unknown>).loss === 'number' && 'valNll' in (h as object) && 'phase' in (h as object));
}

/** An evaluation result of `evaluateEstimator` (params, draws, pit, indices, settings). */
export function isEvaluationResult(x: unknown): boolean {
  if (x === null || typeof x !== 'object') return false;
  const o = x as Record<string, unknown>;
  return ['params', 'draws', 'pit', 'indices', 'settings'].every((k) => k in o) && typeof o.params === 'object' && o.indices instanceof Int32Array;
}

/**
 * arquero tables as `{ text/html, text/plain }` bundles: a plain `<table>` renders in every frontend
 * and export (no scripts), and the markdown twin reads well in text-only viewers.
 */
import { MIME, escapeHtml, type MimeBundle } from './mime.js';

/** The part of an arquero table the display needs (structural, so any arquero version fits). */
export interface TableLike {
  numRows(): number;
  numCols(): number;
  toHTML(options?: Record<string, unknown>): string;
  toMarkdown(options?: Record<string, unknown>): string;
}

/** True for arquero tables (anything with `numRows`, `numCols`, `toHTML` and `toMarkdown`). */
export function isTableLike(x: unknown): x is TableLike {
  if (x === null || typeof x !== 'object') return false;
  const t = x as Record<string, unknown>;
  return ['numRows', 'numCols', 'toHTML', 'toMarkdown'].every((k) => typeof t[k] === 'function');
}

/** Options of {@link tableBundle}. */
export interface TableBundleOptions {
  /** Rows shown (default 50). */
  limit?: number;
  /** Maximum decimal digits of floating-point columns (default 4, arquero `maxdigits`); `format` entries win. */
  digits?: number;
  /** Passed to arquero's `toHTML` / `toMarkdown` (e.g. `format`, `columns`, `align`). */
  format?: Record<string, unknown>;
  /** Caption above the table. */
  caption?: string;
}

/**
 * Bundle of an arquero table: `text/html` from `toHTML({limit})` (with a "first k of n rows" note
 * when rows are cut) and `text/plain` from `toMarkdown({limit})`.
 */
export function tableBundle(t: TableLike, opts: TableBundleOptions = {}): MimeBundle {
  if (!isTableLike(t)) throw new TypeError(`tableBundle: expected an arquero table (numRows, numCols, toHTML, toMarkdown), got ${String(t)}`);
  const limit = opts.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`tableBundle: limit must be an integer ≥ 0, got ${limit}`);
  const n = t.numRows();
  // arquero's default formatter prints floats with full precision; maxdigits keeps tables readable.
  const common = { limit, maxdigits: opts.digits ?? 4, ...(opts.format ?? {}) };
  const note = n > limit ? `first ${limit} of ${n} rows` : `${n} row${n === 1 ? '' : 's'} × ${t.numCols()} columns`;
  const caption = opts.caption ? `<div class="aggstem-table-caption"><b>${escapeHtml(opts.caption)}</b></div>` : '';
  const html = `<div class="aggstem-table">${caption}${t.toHTML(common)}<div style="font-size:85%;color:#666">${note}</div></div>`;
  const text = `${opts.caption ? `${opts.caption}\n\n` : ''}${t.toMarkdown(common)}\n(${note})`;
  return { [MIME.html]: html, [MIME.plain]: text };
}

/**
 * The error-analysis report: tables as CSV and Parquet plus one self-contained `index.html` whose
 * figures are drawn by vega-embed. Every script is inlined from node_modules (no CDN), so the report
 * opens offline and can be mailed or archived as a single file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import type * as aq from 'arquero';
import { writeFileAtomic } from '../io/atomic.js';
import { writeTableCsv, writeTableParquet } from '../io/table.js';
import type { VegaLiteSpec } from './figures.js';
import { escapeHtml } from './html.js';

/** A titled section of the report. */
export type ReportSection =
  | { kind: 'table'; title: string; table: aq.ColumnTable; caption?: string; digits?: number; file?: string }
  | { kind: 'figure'; title: string; spec: VegaLiteSpec; caption?: string }
  | { kind: 'html'; title: string; html: string };

/** Everything the report shows. */
export interface ReportContent {
  title: string;
  /** Key facts shown at the top (model, dataset, counts, backend, timings …). */
  facts: Record<string, string | number>;
  sections: ReportSection[];
}

const require = createRequire(import.meta.url);

// The UMD builds are not in these packages' `exports`, so resolve the package root and join the path.
function packageFile(pkg: string, file: string): string {
  let dir = dirname(require.resolve(pkg));
  while (!existsSync(join(dir, 'package.json')) || basename(dir) !== pkg.split('/').pop()) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot locate the ${pkg} package folder`);
    dir = up;
  }
  return join(dir, file);
}

function inlineScript(pkg: string, file: string): string {
  const js = readFileSync(packageFile(pkg, file), 'utf8');
  return `<script>${js.replace(/<\/script/gi, '<\\/script')}</script>`;
}

function tableHtml(t: aq.ColumnTable, digits: number): string {
  const names = t.columnNames();
  const fmt = (v: unknown) => {
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return String(v);
      if (Number.isInteger(v)) return String(v);
      return Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3 ? v.toExponential(digits - 1) : v.toFixed(digits);
    }
    return escapeHtml(String(v ?? ''));
  };
  const head = names.map((n) => `<th>${escapeHtml(n)}</th>`).join('');
  const body = (t.objects() as Record<string, unknown>[])
    .map((r) => `<tr>${names.map((n) => `<td class="${typeof r[n] === 'number' ? 'num' : ''}">${fmt(r[n])}</td>`).join('')}</tr>`)
    .join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** Renders the report as one self-contained HTML string. */
export function renderReportHtml(content: ReportContent): string {
  const facts = Object.entries(content.facts)
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(String(v))}</td></tr>`)
    .join('');
  const specs: VegaLiteSpec[] = [];
  const body = content.sections
    .map((s, i) => {
      const id = `section-${i}`;
      const cap = 'caption' in s && s.caption ? `<p class="caption">${escapeHtml(s.caption)}</p>` : '';
      if (s.kind === 'table') {
        const link = s.file ? ` <a href="${escapeHtml(s.file)}.csv">CSV</a> · <a href="${escapeHtml(s.file)}.parquet">Parquet</a>` : '';
        return `<section id="${id}"><h2>${escapeHtml(s.title)}${link}</h2>${cap}${tableHtml(s.table, s.digits ?? 3)}</section>`;
      }
      if (s.kind === 'figure') {
        specs.push(s.spec);
        return `<section id="${id}"><h2>${escapeHtml(s.title)}</h2>${cap}<div class="figure" id="fig-${specs.length - 1}"></div></section>`;
      }
      return `<section id="${id}"><h2>${escapeHtml(s.title)}</h2>${s.html}</section>`;
    })
    .join('\n');
  const specJson = JSON.stringify(specs).replace(/<\//g, '<\\/');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(content.title)}</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1200px;color:#222;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
h2 a{font-size:.8rem;font-weight:normal}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}th,td{padding:.2rem .6rem;border-bottom:1px solid #eee;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}.caption{color:#555;font-size:.9rem;max-width:60rem}
.facts th{color:#555;font-weight:normal}.figure{margin:1rem 0}
</style>
${inlineScript('vega', 'build/vega.min.js')}
${inlineScript('vega-lite', 'build/vega-lite.min.js')}
${inlineScript('vega-embed', 'build/vega-embed.min.js')}
</head><body>
<h1>${escapeHtml(content.title)}</h1>
<table class="facts">${facts}</table>
${body}
<script>
const specs = ${specJson};
Promise.all(specs.map((s, i) => vegaEmbed('#fig-' + i, s, { renderer: 'svg', actions: { export: true, source: true, compiled: false, editor: false } })))
  .then(() => { document.body.dataset.rendered = 'true'; })
  .catch((e) => { document.body.dataset.rendered = 'error'; console.error(e); });
</script>
</body></html>
`;
}

/**
 * Writes the report into `dir`: every table section with a `file` name as CSV and Parquet, the
 * figure specs as JSON, and `index.html`. Returns the path of `index.html`.
 */
export function writeReport(dir: string, content: ReportContent): string {
  for (const s of content.sections) {
    if (s.kind === 'table' && s.file) {
      writeTableCsv(join(dir, `${s.file}.csv`), s.table);
      writeTableParquet(join(dir, `${s.file}.parquet`), s.table);
    }
  }
  const figures = content.sections.filter((s): s is Extract<ReportSection, { kind: 'figure' }> => s.kind === 'figure');
  writeFileAtomic(join(dir, 'figures.json'), JSON.stringify(figures.map((f) => ({ title: f.title, spec: f.spec })), null, 1) + '\n');
  const index = join(dir, 'index.html');
  writeFileAtomic(index, renderReportHtml(content));
  return index;
}

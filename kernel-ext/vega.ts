/**
 * vega-lite charts as `{ application/vnd.vegalite.v5+json, image/svg+xml, text/plain }` bundles.
 *
 * JupyterLab and VS Code render the vega-lite JSON interactively; nbconvert, the classic Notebook
 * and static viewers ignore it and show the SVG rendered here in Node. The bundle deliberately has
 * NO `text/html`: JupyterLab ranks HTML above the vega renderer and would show it instead.
 */
import { MIME, type MimeBundle } from './mime.js';
import { hasRichText, plainText, richTextSvg, textWidthPx } from './rich-text.js';

/** A vega-lite specification (top-level view with `mark`, `layer`, `concat`, `facet`, `repeat`, …). */
export type VegaLiteSpec = Record<string, unknown>;

/** The `$schema` given to specs that have none (the version JupyterLab's renderer understands). */
export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

const COMPOSITION_KEYS = ['layer', 'hconcat', 'vconcat', 'concat', 'facet', 'repeat', 'spec'];

/** True for objects that look like vega-lite specs: a vega-lite `$schema`, or `mark` / a view composition. */
export function isVegaLiteSpec(x: unknown): x is VegaLiteSpec {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return false;
  const o = x as Record<string, unknown>;
  if (typeof o.$schema === 'string') return /vega-lite/.test(o.$schema);
  if ('mark' in o) return true;
  return COMPOSITION_KEYS.some((k) => k in o) && ('data' in o || 'encoding' in o || 'layer' in o);
}

// vega's module graph has top-level await (vega-canvas probes for node-canvas), so tslab's
// require() rewrite cannot load it. This file is real ESM, where import() stays a true dynamic
// import, so the libraries load lazily here on first use.
type VegaModule = typeof import('vega');
type VegaLiteModule = typeof import('vega-lite');
let libs: Promise<[VegaModule, VegaLiteModule]> | null = null;
function loadVega(): Promise<[VegaModule, VegaLiteModule]> {
  libs ??= Promise.all([import('vega'), import('vega-lite')]).then(([vega, vl]) => {
    // Without a canvas vega guesses text widths (0.8 em a character, markup tags included), which
    // pushes legends and axis titles out of place; measure with font metrics instead. vega's
    // documented hook (vl-convert sets it too); this process draws charts only through here.
    const metrics = (vega as unknown as { textMetrics: { width: (item: { fontSize?: number; fontWeight?: string | number }, text: string) => number } }).textMetrics as { width: (item: { fontSize?: number; fontWeight?: string | number }, text: string) => number };
    metrics.width = (item, text) => textWidthPx(String(text ?? ''), item.fontSize ?? 11, item.fontWeight === 'bold' || Number(item.fontWeight) >= 600);
    return [vega, vl] as [VegaModule, VegaLiteModule];
  });
  return libs;
}

/**
 * A real dynamic `import()` for notebook cells: tslab rewrites `import()` in cells to `require()`,
 * which fails for ESM packages with top-level await (vega). `await esmImport('vega')` works.
 */
export function esmImport<T = any>(specifier: string): Promise<T> {
  return import(specifier) as Promise<T>;
}

/**
 * Renders a vega-lite spec to an SVG string in Node (vega `View.toSVG()`, no browser, no canvas).
 * `<sub>…</sub>` and `<sup>…</sup>` in any text become real sub/superscripts (kernel-ext/rich-text.ts).
 */
export async function vegaLiteToSvg(spec: VegaLiteSpec): Promise<string> {
  if (!isVegaLiteSpec(spec)) throw new TypeError(`vegaLiteToSvg: expected a vega-lite spec (an object with $schema, mark or layer/concat/facet/repeat), got ${JSON.stringify(spec)?.slice(0, 200)}`);
  const [vega, vl] = await loadVega();
  let compiled;
  try {
    compiled = vl.compile(spec as unknown as Parameters<VegaLiteModule["compile"]>[0]);
  } catch (e) {
    throw new Error(`vegaLiteToSvg: vega-lite could not compile the spec: ${e instanceof Error ? e.message : String(e)}`);
  }
  const view = new vega.View(vega.parse(compiled.spec), { renderer: 'none' });
  try {
    return richTextSvg(await view.toSVG());
  } finally {
    view.finalize();
  }
}

function describeSpec(spec: VegaLiteSpec): string {
  const mark = spec.mark;
  const markName = typeof mark === 'string' ? mark : mark && typeof mark === 'object' ? String((mark as { type?: unknown }).type) : COMPOSITION_KEYS.find((k) => k in spec) ?? '?';
  const values = (spec.data as { values?: unknown } | undefined)?.values;
  const title = typeof spec.title === 'string' ? `"${spec.title}" ` : '';
  return `<vega-lite chart ${title}(${markName}${Array.isArray(values) ? `, ${values.length} data rows` : ''})>`;
}

/**
 * Bundle of a vega-lite chart: the spec (with `$schema` v5 added when missing) as
 * `application/vnd.vegalite.v5+json`, its SVG rendered in Node as `image/svg+xml`, and `text/plain`.
 * A spec whose text uses `<sub>`/`<sup>` markup is sent without the vega-lite JSON: the interactive
 * renderers would print the tags, the SVG typesets them (and is what `saveFigure` writes).
 */
export async function vegaLiteBundle(spec: VegaLiteSpec): Promise<MimeBundle> {
  if (!isVegaLiteSpec(spec)) throw new TypeError(`vegaLiteBundle: expected a vega-lite spec (an object with $schema, mark or layer/concat/facet/repeat), got ${JSON.stringify(spec)?.slice(0, 200)}`);
  const full: VegaLiteSpec = typeof spec.$schema === 'string' ? spec : { $schema: VEGA_LITE_SCHEMA, ...spec };
  const svg = await vegaLiteToSvg(full);
  const text = plainText(describeSpec(full));
  if (hasRichText(JSON.stringify(full))) return { [MIME.svg]: svg, [MIME.plain]: text };
  return { [MIME.vegaLite]: full, [MIME.svg]: svg, [MIME.plain]: text };
}

/**
 * Real sub- and superscripts in chart text: labels written with `<sub>…</sub>` / `<sup>…</sup>`
 * (the notation plotly understands natively, e.g. `D<sub>f</sub>`, `nm<sup>3</sup>`) become SVG
 * `<tspan>`s in vega's SVG output, so axis titles, legends and panel titles of saved figures carry
 * typeset indices instead of `D_f` pseudo-subscripts.
 *
 * vega itself draws text verbatim (its SVG renderer escapes the tags), so the markup is rewritten
 * after rendering. The shift uses `dy` rather than `baseline-shift`, which some SVG consumers ignore.
 */

const ESCAPED_TAG = /&lt;(sub|sup)&gt;([\s\S]*?)&lt;\/\1&gt;/g;
const RAW_TAG = /<(sub|sup)>([\s\S]*?)<\/\1>/g;

/** Size of an index relative to the text, and its shift in units of the text's font size. */
const INDEX_SCALE = 0.7;
const SHIFT_EM = { sub: 0.25, sup: -0.4 } as const;

/** True when `s` contains `<sub>` or `<sup>` markup. */
export function hasRichText(s: string): boolean {
  return /<(sub|sup)>/.test(s);
}

/**
 * The label without markup, for plain-text outputs and tooltips: `D<sub>f</sub>` → `Df`.
 *
 * @example plainText('r<sub>WO₃</sub> (nm)') // 'rWO₃ (nm)'
 */
export function plainText(s: string): string {
  return s.replace(RAW_TAG, '$2');
}

function fmt(px: number): string {
  return String(Number(px.toFixed(3)));
}

/**
 * Rewrites the (escaped) `<sub>`/`<sup>` markup inside the `<text>` elements of an SVG document into
 * shifted, smaller `<tspan>`s; every index is followed by a zero-width tspan that returns to the
 * baseline, so later text and later lines stay where vega put them. Markup in attributes (aria
 * labels) is dropped. Other text is left untouched.
 */
export function richTextSvg(svg: string): string {
  if (!svg.includes('&lt;su')) return svg;
  return svg
    .replace(/<text([^>]*)>([\s\S]*?)<\/text>/g, (whole, attrs: string, content: string) => {
      if (!content.includes('&lt;su')) return whole;
      const fontPx = Number(/font-size="([\d.]+)(?:px)?"/.exec(attrs)?.[1] ?? 11);
      const body = content.replace(ESCAPED_TAG, (_m, tag: 'sub' | 'sup', inner: string) => {
        const dy = SHIFT_EM[tag] * fontPx;
        return `<tspan dy="${fmt(dy)}" font-size="${fmt(INDEX_SCALE * fontPx)}px">${inner}</tspan><tspan dy="${fmt(-dy)}">&#8203;</tspan>`;
      });
      return `<text${attrs}>${body}</text>`;
    })
    .replace(/(\s[\w:-]+=")([^"]*&lt;\/?su[bp]&gt;[^"]*)"/g, (_m, head: string, value: string) => `${head}${value.replace(/&lt;\/?su[bp]&gt;/g, '')}"`);
}

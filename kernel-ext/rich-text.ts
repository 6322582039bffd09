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

// Advance widths of Helvetica (Adobe AFM, 1/1000 em) for ASCII 32–126; Arial shares them. Used to
// lay out chart text in Node, where vega has no canvas to measure with and would otherwise guess
// 0.8 em per character — too wide, and counting the markup tags as text.
const HELVETICA_WIDTHS = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556,
  556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778,
  722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278,
  278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
  556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];
const WIDE = new Set(['…', '—', '%', '‰', 'µ', 'Ω']);

function plainWidthEm(text: string): number {
  let w = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    w += c >= 32 && c <= 126 ? HELVETICA_WIDTHS[c - 32]! / 1000 : c === 0x200b ? 0 : WIDE.has(ch) ? 0.9 : 0.6;
  }
  return w;
}

/**
 * Width in px of a label as it will be drawn: Helvetica metrics, `<sub>`/`<sup>` contents at their
 * reduced size, bold about 6 % wider.
 *
 * @example textWidthPx('D<sub>f</sub>', 10) // ≈ 8.9
 */
export function textWidthPx(text: string, fontSizePx: number, bold = false): number {
  let em = 0, last = 0;
  for (const m of text.matchAll(RAW_TAG)) {
    em += plainWidthEm(text.slice(last, m.index)) + INDEX_SCALE * plainWidthEm(m[2]!);
    last = m.index! + m[0].length;
  }
  em += plainWidthEm(text.slice(last));
  return em * fontSizePx * (bold ? 1.06 : 1);
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

/**
 * HTML-escapes `s` but keeps its `<sub>`/`<sup>` markup as real tags (figure captions, table cells).
 *
 * @example richTextHtml('f<sub>B</sub> < 0.5') // 'f<sub>B</sub> &lt; 0.5'
 */
export function richTextHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
    .replace(/&lt;(\/?)(sub|sup)&gt;/g, '<$1$2>');
}

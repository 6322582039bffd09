/**
 * The self-contained digital-twins page that `aggstem predict --twins` writes: the observed image,
 * and per twin its simulated image beside an interactive 3D view (plotly inlined once: offline).
 */
import { aggregateFigure, plotlyHtml } from './aggregate-figure.js';
import { escapeHtml } from './html.js';
import type { DigitalTwinResult } from './twins.js';

/** The HTML page of {@link digitalTwins}' result; PNGs are embedded as data URLs. */
export function twinsHtml(title: string, observedPng: Uint8Array, twinPngs: Uint8Array[], res: DigitalTwinResult, pixelSizeNm: number): string {
  const b64 = (png: Uint8Array) => `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
  const parts = [
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8"><title>' + escapeHtml(title) + '</title>',
    '<style>body{font-family:sans-serif;margin:1em} .row{display:flex;gap:1em;align-items:flex-start;flex-wrap:wrap} .plot{flex:1 1 480px;min-width:360px} img{image-rendering:pixelated;width:256px}</style>',
    '</head><body>',
    `<h1>Digital twins of ${escapeHtml(title)}</h1>`,
    `<p>${res.twins.length} best of ${res.candidates} candidates (${res.failed} failed), ranked by the distance of their projection statistics to the observed image. Lengths in nm; blue TiO2 (A), yellow WO3 (B). Images at ${pixelSizeNm} nm/px.</p>`,
    `<div class="row"><figure><img src="${b64(observedPng)}" alt="observed"><figcaption>observed (model input)</figcaption></figure></div>`,
  ];
  res.twins.forEach((t, k) => {
    const fig = aggregateFigure(t.aggregate.particles, { title: `twin ${k + 1}: distance ${t.distance.toFixed(3)}, N = ${t.aggregate.particles.r.length}`, heightPx: 420 });
    parts.push(
      `<h2>twin ${k + 1}</h2>`,
      `<div class="row"><figure><img src="${b64(twinPngs[k]!)}" alt="twin ${k + 1} simulated"><figcaption>its simulated image (same display range)</figcaption></figure><div class="plot">`,
      plotlyHtml(fig, { includePlotlyJs: k === 0, divId: `twin-${k + 1}` }),
      '</div></div>',
    );
  });
  parts.push('</body></html>');
  return parts.join('\n');
}

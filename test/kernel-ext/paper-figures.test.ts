// Paper-ready figures (issue 15 item 4): real sub/superscripts in chart text, one symbol table,
// image panels with vector scale bars and colour bars with units over the full data range, and
// show() of a simulated image carrying that figure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode } from 'fast-png';
import { bundleFor, imageFigure, plainText, richTextSvg, textWidthPx, vegaLiteBundle, vegaLiteToSvg, MIME } from '../../kernel-ext/index.js';
import { quantityLabel, quantitySymbol } from '../../src/analysis/symbols.js';
import { generateAggregate } from '../../src/model/generate.js';
import { MODEL_PRESETS } from '../../src/model/params.js';
import { microscopePreset } from '../../src/stem/config.js';
import { simulateImage } from '../../src/stem/simulate.js';
import { randomStream } from '../../src/random/index.js';
import { CHROMIUM_FLAGS } from '../../kernel-ext/browser.js';
import { requireChromium } from './require-chromium.js';

const chart = (xTitle: string) => ({
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json', width: 200, height: 150,
  data: { values: [{ a: 1, b: 2 }, { a: 2, b: 1 }] }, mark: 'point',
  encoding: { x: { field: 'a', type: 'quantitative', title: xTitle }, y: { field: 'b', type: 'quantitative', title: 'volume (nm<sup>3</sup>)' } },
});

test('quantityLabel: one symbol, name and unit per quantity, in sub/superscript markup', () => {
  assert.equal(quantityLabel('fractalDim'), 'fractal dimension D<sub>f</sub>');
  assert.equal(quantityLabel('radiusMedianB'), 'median radius WO<sub>3</sub> r<sub>B</sub> (nm)');
  assert.equal(quantityLabel('cnHet', { form: 'symbol' }), 'CN<sub>het</sub>');
  assert.equal(quantityLabel('rgVolumeNm', { unit: false }), 'radius of gyration R<sub>g</sub>');
  assert.equal(quantitySymbol('hullAreaNm2').unit, 'nm<sup>2</sup>');
  assert.deepEqual(quantitySymbol('somethingElse'), { symbol: 'somethingElse', name: 'somethingElse', unit: '' });
  assert.equal(plainText('D<sub>f</sub> and nm<sup>3</sup>'), 'Df and nm3');
});

test('text is measured with Helvetica metrics, indices at their reduced size, tags not counted', () => {
  assert.ok(Math.abs(textWidthPx('D<sub>f</sub>', 10) - (722 + 0.7 * 278) / 100) < 1e-9);
  assert.ok(Math.abs(textWidthPx('mm', 20) - 2 * 833 * 0.02) < 1e-9);
  assert.ok(Math.abs(textWidthPx('x', 10, true) - 5 * 1.06) < 1e-9);
  assert.equal(textWidthPx('a\u200bb', 10), textWidthPx('ab', 10));
});

test('chart text with <sub>/<sup> is typeset as shifted, smaller tspans; attributes lose the tags', async () => {
  const svg = await vegaLiteToSvg(chart('fractal dimension D<sub>f</sub>'));
  assert.doesNotMatch(svg, /&lt;su[bp]&gt;/);
  // Axis titles are 11 px bold by default: an index is 0.7 × 11 px, 0.25 × 11 px down (sub) or 0.4 × 11 px up (sup).
  assert.match(svg, />fractal dimension D<tspan dy="2\.75" font-size="7\.7px">f<\/tspan><tspan dy="-2\.75">&#8203;<\/tspan><\/text>/);
  assert.match(svg, />volume \(nm<tspan dy="-4\.4" font-size="7\.7px">3<\/tspan><tspan dy="4\.4">&#8203;<\/tspan>\)<\/text>/);
  assert.equal(richTextSvg('<svg><text font-size="10px">plain</text></svg>'), '<svg><text font-size="10px">plain</text></svg>');

  const bundle = await vegaLiteBundle(chart('D<sub>f</sub>'));
  assert.equal(bundle[MIME.vegaLite], undefined, 'markup would print as tags in the interactive renderers: SVG only');
  assert.ok(String(bundle[MIME.svg]).includes('<tspan'));
  assert.ok((await vegaLiteBundle({ ...chart('Df'), encoding: { x: { field: 'a', type: 'quantitative' } } }))[MIME.vegaLite], 'plain charts stay interactive');
});

test('in Chromium the subscript sits below the baseline and the text after it returns to it', { timeout: 120_000 }, async (t) => {
  const exe = await requireChromium(t);
  if (!exe) return;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: exe, args: CHROMIUM_FLAGS });
  try {
    const page = await browser.newPage();
    await page.setContent(richTextSvg('<svg xmlns="http://www.w3.org/2000/svg" width="300" height="60"><text x="10" y="40" font-size="20px" font-family="sans-serif">D&lt;sub&gt;f&lt;/sub&gt; = 2</text></svg>'));
    const boxes = await page.evaluate(`(() => {
      const text = document.querySelector('text');
      return Array.from({ length: text.getNumberOfChars() }, (_, i) => { const r = text.getExtentOfChar(i); return { y: r.y, h: r.height, x: r.x }; });
    })()`) as { x: number; y: number; h: number }[];
    // chars: D, f, ZWSP, ' ', '=', ' ', '2'
    const [d, f] = boxes, two = boxes.at(-1)!;
    assert.ok(f!.h < 0.8 * d!.h, `index height ${f!.h} vs ${d!.h}`);
    assert.ok(f!.y + f!.h > d!.y + d!.h + 2, 'the index reaches below the baseline');
    assert.ok(Math.abs(two.y - d!.y) < 0.5 && Math.abs(two.h - d!.h) < 0.5, 'text after the index is back on the baseline at full size');
    assert.ok(f!.x > d!.x && two.x > f!.x);
  } finally {
    await browser.close();
  }
});

const agg = generateAggregate({ ...MODEL_PRESETS.quick, nParticles: 40, fractionB: 0.4, segregation: 1 }, randomStream('paper-figures'));
const img = simulateImage(agg.particles, microscopePreset('quick'), randomStream('paper-figures', 'image'));

function embeddedPngs(svg: string) {
  return [...svg.matchAll(/xlink:href="data:image\/png;base64,([^"]+)"/g)].map((m) => decode(Buffer.from(m[1]!, 'base64')));
}

test('imageFigure: native pixels over the full range (the brightest pixel is white), a vector scale bar, a colour bar with the unit', async () => {
  const svg = await vegaLiteToSvg(imageFigure([img, img], { channel: 'clean', titles: ['a', 'b'], panelWidthPx: 256, scaleBarNm: 50 }));
  const pngs = embeddedPngs(svg);
  assert.equal(pngs.length, 2);
  assert.equal(pngs[0]!.width, img.widthPx);
  let max = -Infinity, min = Infinity, nMax = 0;
  for (const v of img.clean) { max = Math.max(max, v); min = Math.min(min, v); }
  for (const v of img.clean) if (v === max) nMax++;
  let white = 0, black = 0;
  for (let i = 0; i < pngs[0]!.width * pngs[0]!.height; i++) {
    const v = pngs[0]!.data[i * pngs[0]!.channels]!;
    if (v === 255) white++;
    if (v === 0) black++;
  }
  assert.ok(white >= nMax && white < 50, `${white} white pixels: only the brightest (${nMax} at the maximum) — nothing clipped`);
  assert.ok(black > 0);
  // Scale bar: 50 nm over a panel of widthPx·pixelSizeNm nm drawn 256 px wide.
  const expectPx = (50 / (img.widthPx * img.pixelSizeNm)) * 256;
  const bars = [...svg.matchAll(/<line[^>]* x2="([\d.]+)" y2="0" stroke="#fff"/g)].map((m) => Number(m[1]));
  assert.equal(bars.length, 2);
  for (const b of bars) assert.ok(Math.abs(b - expectPx) < 0.01, `bar ${b} px, expected ${expectPx}`);
  assert.match(svg, />50 nm</);
  // One shared colour bar, linear from black to white, from the minimum to the maximum, with its unit.
  assert.equal((svg.match(/role-legend-gradient/g) ?? []).length, 1);
  const stops = [...svg.matchAll(/<stop offset="([\d.e-]+)" stop-color="rgb\((\d+), \d+, \d+\)"\/>/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
  assert.ok(stops.length >= 5);
  for (const [offset, grey] of stops) assert.ok(Math.abs(grey - 255 * offset) <= 1.5, `linear grey ramp: ${grey} at ${offset}`);
  assert.match(svg, />HAADF signal I\/I<tspan[^>]*>0<\/tspan>/);
  assert.match(svg, new RegExp(`Gradient legend titled 'HAADF signal I/I0 \\(noise-free\\)' for stroke color with values from ${min.toFixed(2)} to ${max.toFixed(2)}`));
  const ticks = [...svg.matchAll(/role-legend-label[\s\S]*?<\/g>/g)][0]![0].match(/>[\d.]+</g)!.map((t) => Number(t.slice(1, -1)));
  assert.ok(ticks.length >= 4 && ticks.every((v) => v >= min && v <= max), `round ticks inside the range: ${ticks}`);
});

test('imageFigure: thickness maps in viridis with a thickness bar; the material mask with a legend of its four values', async () => {
  const thick = await vegaLiteToSvg(imageFigure(img, { channel: 'thicknessB' }));
  assert.match(thick, />projected thickness t<tspan[^>]*>B<\/tspan><tspan[^>]*>&#8203;<\/tspan> \(nm\)</);
  assert.match(thick, /stop-color="#?(rgb\(68, 1, 84\)|#440154)"/i);
  const mask = await vegaLiteToSvg(imageFigure(img, { channel: 'mask' }));
  for (const label of ['none', 'A only', 'B only', 'A and B']) assert.ok(mask.includes(`>${label}<`), label);
  for (const fill of ['#000000', '#555555', '#aaaaaa', '#ffffff']) assert.ok(mask.includes(`fill="${fill}"`), fill);
  assert.throws(() => imageFigure([img], { titles: ['a', 'b'] }), /2 titles for 1 images/);
  assert.throws(() => imageFigure([{ data: [1] }]), /item 0 is not an image/);
  assert.throws(() => imageFigure(img, { range: [1, 1] }), /range \[1,1\] must be increasing/);
});

test('show() of a simulated StemImage: SVG figure with scale bar and colour bar first, PNG as fallback', async () => {
  const { kind, bundle } = await bundleFor(img);
  assert.equal(kind, 'image');
  assert.deepEqual(Object.keys(bundle).slice(0, 2), [MIME.svg, MIME.png]);
  assert.match(String(bundle[MIME.svg]), /role-legend-gradient/);
  const thick = await bundleFor(img, { channel: 'thicknessA' });
  assert.match(String(thick.bundle[MIME.svg]), /projected thickness t<tspan/);
  const plain = await bundleFor({ data: img.clean, width: img.widthPx, height: img.heightPx, pixelSizeNm: img.pixelSizeNm });
  assert.equal(plain.bundle[MIME.svg], undefined, 'plain images stay a PNG unless colorBar is asked for');
  const asked = await bundleFor({ data: img.clean, width: img.widthPx, height: img.heightPx, pixelSizeNm: img.pixelSizeNm }, { colorBar: 'signal (a.u.)' });
  assert.match(String(asked.bundle[MIME.svg]), />signal \(a\.u\.\)</);
});

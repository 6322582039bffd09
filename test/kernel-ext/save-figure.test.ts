// saveFigure (issue 15 item 4): vega-lite charts to SVG (sized in mm), PDF (page = the requested
// journal size) and PNG (pixels = mm × dpi) through real headless Chromium; plotly 3D views to PNG
// with both materials' colours drawn.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { aggregateFigure, saveFigure } from '../../kernel-ext/index.js';
import { generateAggregate } from '../../src/model/generate.js';
import { MODEL_PRESETS } from '../../src/model/params.js';
import { randomStream } from '../../src/random/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'aggstem-savefig-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const spec = {
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json', width: 300, height: 200,
  data: { values: [{ x: 1, y: 2 }, { x: 2, y: 3 }, { x: 3, y: 1 }] },
  mark: { type: 'line', color: '#d62728', strokeWidth: 4 },
  encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
};

test('a vega-lite chart saved as SVG, PDF and PNG at 85 mm', { timeout: 120_000 }, async () => {
  const svg = await saveFigure(spec, join(tmp, 'c.svg'), { widthMm: 85 });
  const text = readFileSync(svg.path, 'utf8');
  assert.match(text, /<svg[^>]* width="85\.00mm" height="[\d.]+mm"/);
  assert.match(text, /stroke="#d62728"/);
  assert.ok(Math.abs(svg.heightMm - 85 * (svg.heightMm / svg.widthMm)) < 1e-9);

  const pdf = await saveFigure(spec, join(tmp, 'c.pdf'), { widthMm: 85 });
  const bytes = readFileSync(pdf.path);
  assert.equal(bytes.subarray(0, 5).toString(), '%PDF-');
  // (pdf-lib, which adds the provenance, writes `[ 0 0 w h ]` with inner spaces.)
  const box = /\/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]/.exec(bytes.toString('latin1'))!;
  assert.ok(Math.abs(Number(box[1]) - (85 / 25.4) * 72) < 1, `page width ${box[1]} pt`);
  assert.ok(Math.abs(Number(box[2]) - (pdf.heightMm / 25.4) * 72) < 1, `page height ${box[2]} pt`);

  const png = await saveFigure(spec, join(tmp, 'c.png'), { widthMm: 85, dpi: 300 });
  const img = decode(readFileSync(png.path));
  assert.ok(Math.abs(img.width - (85 / 25.4) * 300) <= 3, `PNG width ${img.width} px`);
  let red = 0;
  for (let i = 0; i < img.width * img.height; i++) {
    const o = i * img.channels;
    if (img.data[o]! > 180 && img.data[o + 1]! < 90 && img.data[o + 2]! < 90) red++;
  }
  assert.ok(red > 500, `the red line drew ${red} px`);
});

test('a 3D aggregate view saved as PNG draws both materials; SVG is refused with the reason', { timeout: 120_000 }, async () => {
  const agg = generateAggregate(MODEL_PRESETS.quick, randomStream('savefig'));
  const fig = aggregateFigure(agg.particles);
  const out = await saveFigure(fig, join(tmp, 'a.png'), { widthMm: 60, dpi: 150 });
  const img = decode(readFileSync(out.path));
  let blue = 0, yellow = 0;
  for (let i = 0; i < img.width * img.height; i++) {
    const o = i * img.channels, r = img.data[o]!, g = img.data[o + 1]!, b = img.data[o + 2]!;
    if (b > r + 40 && b > 100) blue++;
    if (r > 150 && g > 110 && b < 80) yellow++;
  }
  assert.ok(blue > 300 && yellow > 300, `blue ${blue} px, yellow ${yellow} px`);
  await assert.rejects(saveFigure(fig, join(tmp, 'a.svg')), /WebGL drawings; save them as \.png/);
  await assert.rejects(saveFigure(spec, join(tmp, 'a.jpg')), /extension must be \.svg, \.pdf, \.png or \.html/);
});

test('every saved file records where it came from: code version and the given provenance; the PNG states its dpi', { timeout: 120_000 }, async () => {
  const provenance = { model: 'datasets/quick-model', modelSha256: 'abc123', backend: 'tensorflow', seed: 2024, note: 'θ route' };
  const { codeVersion } = await import('../../src/cnn/estimator.js');
  const expected = { software: 'aggstem', codeVersion: codeVersion(), ...provenance };
  const svg = readFileSync((await saveFigure(spec, join(tmp, 'p.svg'), { provenance })).path, 'utf8');
  const meta = /<metadata id="aggstem-provenance">([^<]*)<\/metadata>/.exec(svg)![1]!.replace(/&quot;/g, '"').replace(/&amp;/g, '&');
  assert.deepEqual(JSON.parse(meta), expected);

  const png = await saveFigure(spec, join(tmp, 'p.png'), { widthMm: 40, dpi: 600, provenance });
  const img = decode(readFileSync(png.path));
  assert.equal(img.resolution?.unit, 1);
  assert.equal(img.resolution?.x, Math.round(600 / 0.0254), 'pixels per metre of 600 dpi');
  assert.equal(img.text['Software'], `aggstem ${codeVersion()}`);
  assert.deepEqual(JSON.parse(img.text['aggstem-provenance']!), expected, 'θ comes back from its \\u escape');

  const { PDFDocument } = await import('pdf-lib');
  const pdf = await PDFDocument.load(readFileSync((await saveFigure(spec, join(tmp, 'p.pdf'), { widthMm: 40, provenance })).path));
  assert.equal(pdf.getCreator(), `aggstem ${codeVersion()}`);
  assert.deepEqual(JSON.parse(pdf.getSubject()!.replace(/^aggstem-provenance /, '')), expected);
  assert.equal(pdf.getPageCount(), 1);

  const html = readFileSync((await saveFigure(spec, join(tmp, 'p.html'), { provenance })).path, 'utf8');
  assert.deepEqual(JSON.parse(/<script type="application\/json" id="aggstem-provenance">([^<]*)<\/script>/.exec(html)![1]!), expected);
  await assert.rejects(saveFigure(spec, join(tmp, 'q.svg'), { provenance: 'model x' as unknown as Record<string, unknown> }), /provenance must be an object/);
});

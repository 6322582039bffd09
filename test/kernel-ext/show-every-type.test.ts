// show() of every kind of object the library returns (issue 15 item 2): each gets a rich MIME
// bundle that a notebook frontend renders — never only text/plain.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as aq from 'arquero';
import { bundleFor, MIME } from '../../kernel-ext/index.js';
import * as ag from '../../src/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'aggstem-show-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const agg = ag.generateAggregate({ ...ag.MODEL_PRESETS.quick, nParticles: 30, segregation: 0.5 }, ag.randomStream('show-every-type'));
const scope = ag.microscopePreset('quick');
const img = ag.simulateImage(agg.particles, scope, ag.randomStream('show-every-type', 'image'));

test('a tilt series is a labelled grid with the tilt angles as captions', async () => {
  const series = ag.tiltSeries(agg.particles, scope, ag.randomStream('show-every-type', 'tilt'), [-30, 0, 30]);
  const { kind, bundle } = await bundleFor(series);
  assert.equal(kind, 'images');
  const html = String(bundle[MIME.html]);
  assert.equal((html.match(/<img /g) ?? []).length, 3);
  for (const t of ['tilt −30°', 'tilt 0°', 'tilt +30°']) assert.ok(html.includes(`>${t}</figcaption>`), t);
  assert.match(String(bundle[MIME.plain]), /^tilt series, 3 images/);
});

test('a dataset shows its splits, geometry and prior, and a grid of test images titled with their parameters', { timeout: 120_000 }, async () => {
  const dir = join(tmp, 'ds');
  await ag.generateDataset(ag.datasetConfig({ preset: 'quick', count: 12, shardSize: 6, seed: 5, split: { val: 0.25, test: 0.5 } }), dir, { workers: 0 });
  const ds = ag.openDataset(dir);
  const { kind, bundle } = await bundleFor(ds);
  assert.equal(kind, 'dataset');
  const html = String(bundle[MIME.html]);
  assert.match(html, /<th[^>]*>samples<\/th><td[^>]*>12 \(train \d+, validation \d+, test \d+\)<\/td>/);
  assert.match(html, /128 × 128 px at 1\.6 nm\/px/);
  assert.match(html, /D<sub>f<\/sub> 1\.8–2\.5/);
  const n = Math.min(8, ds.splitCounts.test);
  assert.ok(n > 0);
  assert.equal((html.match(/<img /g) ?? []).length, n);
  assert.match(html, /<figcaption[^>]*>#\d+ · N \d+ · f<sub>B<\/sub> [\d.]+ · r<sub>A<\/sub> [\d.]+ · r<sub>B<\/sub> [\d.]+<\/figcaption>/);
  assert.doesNotMatch(String(bundle[MIME.plain]), /<su[bp]>/);
});

test('every returned type gets a rich bundle', { timeout: 120_000 }, async () => {
  await ag.initBackend('auto');
  const est = await ag.loadEstimator(ag.shippedModelDir('quick'));
  const estimate = await ag.predict(est, { data: img.noisy, widthPx: img.widthPx, heightPx: img.heightPx, pixelSizeNm: img.pixelSizeNm });
  ag.disposeEstimator(est);
  const tif = join(tmp, 'counts.tif');
  ag.writeTiffUint16(tif, img.counts, img.widthPx, img.heightPx, { pixelSizeNm: img.pixelSizeNm });
  const cases: [string, unknown, string, string[]][] = [
    ['Aggregate', agg, 'aggregate', [MIME.plotly]],
    ['Particles', agg.particles, 'particles', [MIME.plotly]],
    ['StemImage', img, 'image', [MIME.svg, MIME.png]],
    ['Image2D', { data: img.clean, widthPx: img.widthPx, heightPx: img.heightPx, pixelSizeNm: img.pixelSizeNm }, 'image', [MIME.png]],
    ['MicroscopeImage (readImage)', ag.readImage(tif), 'image', [MIME.png]],
    ['descriptors', ag.describeAggregate(agg.particles), 'descriptors', [MIME.html]],
    ['ParamEstimate', estimate, 'estimate', [MIME.html]],
    ['arquero table', aq.from([{ a: 1 }]), 'table', [MIME.html]],
    ['vega-lite spec', ag.trainingHistorySpec([{ epoch: 0, learningRate: 1e-3, phase: 'nll', loss: 1, valNll: 1, valMse: 1, valRmse: [1], seconds: 1, imagesPerSecond: 1 }]), 'vega-lite', [MIME.vegaLite, MIME.svg]],
    ['plotly figure', ag.aggregateFigure(agg.particles), 'plotly', [MIME.plotly]],
  ];
  for (const [what, value, kind, mimes] of cases) {
    const r = await bundleFor(value, { plotlyJs: 'none' });
    assert.equal(r.kind, kind, what);
    for (const m of mimes) assert.ok(r.bundle[m] !== undefined, `${what}: ${m} in ${Object.keys(r.bundle)}`);
  }
});

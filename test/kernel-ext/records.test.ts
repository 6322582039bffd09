// show() of the records the library returns (issue 15 item 2): descriptors and estimates become
// tables with units (text/html, not a text dump); a StemImage shows the map asked for; showGrid /
// compare lay out labelled images in one HTML output whose PNGs decode to the panels' pixels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode } from 'fast-png';
import { bundleFor, gridBundle, MIME, showKind } from '../../kernel-ext/index.js';
import { describeAggregate } from '../../src/descriptors/describe.js';
import { generateAggregate } from '../../src/model/generate.js';
import { MODEL_PRESETS } from '../../src/model/params.js';
import { randomStream } from '../../src/random/index.js';
import { microscopePreset, simulateImage } from '../../src/stem/index.js';

const agg = generateAggregate({ ...MODEL_PRESETS.quick, nParticles: 25 }, randomStream('records-test'));

test('a descriptor record is shown as a table with units and meanings', async () => {
  const d = describeAggregate(agg.particles, { projections: 4, hullPointsPerSphere: 16 });
  assert.equal(showKind(d), 'descriptors');
  const { bundle } = await bundleFor(d);
  const html = bundle[MIME.html] as string;
  assert.match(html, /<td[^>]*>cnHet<\/td><td[^>]*>[\d.]+<\/td><td[^>]*><\/td><td[^>]*>hetero-coordination number/);
  assert.match(html, /<td[^>]*>rgVolumeNm<\/td><td[^>]*>[\d.]+<\/td><td[^>]*>nm<\/td>/);
  assert.match(bundle[MIME.plain] as string, /\| nParticles \| 25 \|/);
});

test('an estimate is shown with medians, 68 %/95 % intervals and units, its descriptor estimates below', async () => {
  const e = {
    names: ['nParticles', 'radiusMedianA'], mean: [40, 5], sd: [3, 0.4], median: [41, 5.1], lower68: [38, 4.7], upper68: [44, 5.5], lower95: [35, 4.3], upper95: [47, 5.9],
    scaledMean: [0.5, 0.4], scaledSd: [0.05, 0.08],
    descriptors: { names: ['cnHet'], mean: [0.4], sd: [0.1], median: [0.41], lower68: [0.3], upper68: [0.5], lower95: [0.2], upper95: [0.6] },
  };
  assert.equal(showKind(e), 'estimate');
  const html = (await bundleFor(e)).bundle[MIME.html] as string;
  assert.match(html, /<td[^>]*>radiusMedianA<\/td><td[^>]*>5\.1<\/td><td[^>]*>4\.7 – 5\.5<\/td><td[^>]*>4\.3 – 5\.9<\/td><td[^>]*>nm<\/td>/);
  assert.match(html, /descriptors \(direct route\).*<td[^>]*>cnHet<\/td><td[^>]*>0\.41<\/td>/s);
});

test('a StemImage shows the channel asked for; showGrid lays out labelled panels whose PNGs decode', async () => {
  const img = simulateImage(agg.particles, microscopePreset('quick'), randomStream('records-test', 'img'));
  const noisy = (await bundleFor(img)).bundle[MIME.png];
  const clean = (await bundleFor(img, { channel: 'clean' })).bundle[MIME.png];
  const mask = (await bundleFor(img, { channel: 'mask' })).bundle[MIME.png];
  assert.notEqual(noisy, clean);
  assert.notEqual(clean, mask);
  assert.throws(() => gridBundle([{ data: new Float32Array(4), widthPx: 2, heightPx: 2, pixelSizeNm: 1 }], { channel: 'clean' }), /channel "clean" needs a simulated StemImage/);
  const g = gridBundle([img, img, img], { channel: 'clean', titles: ['0°', '30°', '60°'], columns: 3, scaleBar: false });
  const html = g[MIME.html] as string;
  assert.match(html, /grid-template-columns:repeat\(3,/);
  const figs = [...html.matchAll(/src="data:image\/png;base64,([^"]+)" alt="([^"]*)"/g)];
  assert.deepEqual(figs.map((m) => m[2]), ['0°', '30°', '60°']);
  for (const m of figs) {
    const png = decode(Buffer.from(m[1]!, 'base64'));
    assert.equal(png.width, img.widthPx);
    assert.equal(png.height, img.heightPx);
    // The aggregate is there: the clean map's panel is not uniform.
    const px = png.data as Uint8Array;
    assert.ok(Math.max(...px) - Math.min(...px) > 100);
  }
  assert.match(g[MIME.plain] as string, /^\[1\] 0°: <image 128 × 128 px/m);
  assert.throws(() => gridBundle([img], { titles: ['a', 'b'] }), /2 titles for 1 images/);
});

test('montage: panels in a grid with white (range-max) gaps and one shared range; particleBox and crop', async () => {
  const { montage, particleBox, crop } = await import('../../kernel-ext/index.js');
  const a = Float32Array.from({ length: 4 }, (_, i) => i), b = Float32Array.from({ length: 4 }, (_, i) => 10 + i);
  const m = montage([a, b], 2, 2, 1.5, { range: [0, 20] });
  assert.deepEqual([m.width, m.height, m.pixelSizeNm], [2 * 2 + 3, 2, 1.5]);
  assert.deepEqual(Array.from(m.data.subarray(0, 7)), [0, 1, 20, 20, 20, 10, 11]);
  assert.deepEqual(m.range, [0, 20]);
  assert.throws(() => montage([a, new Float32Array(3)], 2, 2, 1), /panel 1 has 3 values, expected 2 × 2/);
  const mask = new Uint8Array(100); mask[5 * 10 + 5] = 1;
  const box = particleBox([mask], 10, 10, 1);
  assert.deepEqual(box, { x0: 4, y0: 4, w: 3, h: 3 });
  const img = Float32Array.from({ length: 100 }, (_, i) => i);
  assert.deepEqual(Array.from(crop(img, 10, box, 2)).slice(0, 6), [44, 44, 45, 45, 46, 46]);
});

test('a training history is shown as a loss chart, an evaluation result as tables with inline SVG charts', async () => {
  const history = Array.from({ length: 5 }, (_, e) => ({ epoch: e, learningRate: 1e-3, phase: 'nll' as const, loss: 1 / (e + 1), valNll: -0.1 * e + (e === 4 ? 0.2 : 0), valMse: 0.1, valRmse: [0.3], seconds: 1, imagesPerSecond: 100 }));
  assert.equal(showKind(history), 'history');
  const h = (await bundleFor(history)).bundle;
  assert.match(h[MIME.svg] as string, /<svg/);
  assert.match(JSON.stringify(h[MIME.vegaLite]), /best validation NLL at epoch 4/);

  const n = 12, P = 2, rng = randomStream('eval-bundle');
  const truth = Float64Array.from({ length: n * P }, () => rng.double());
  const mean = Float64Array.from(truth, (v) => v + 0.05 * (rng.double() - 0.5));
  const result = {
    params: { names: ['fractionB', 'segregation'], truth, mean, sd: new Float64Array(n * P).fill(0.05), baseline: Float64Array.from([0.5, 0.5]), pit: Float64Array.from({ length: n * P }, () => rng.double()) },
    draws: { names: ['cnHet'], atPredicted: [], atTrue: [], groundTruth: [], atBaseline: new Float64Array(0) },
    pit: { names: ['fractionB', 'segregation'], pit: Float64Array.from({ length: n * P }, () => rng.double()) },
    indices: Int32Array.from({ length: n }, (_, i) => i), baselineParams: {},
    settings: { draws: 2, baselineDraws: 4, projections: 2, seed: '0', drawSamples: 0 }, elapsedSeconds: 1,
  };
  assert.equal(showKind(result), 'evaluation');
  const html = (await bundleFor(result)).bundle[MIME.html] as string;
  assert.match(html, /<h4[^>]*>Parameters<\/h4>.*fractionB.*segregation/s);
  assert.equal((html.match(/<svg/g) ?? []).length, 2, 'predicted-vs-true and calibration charts inline');
  assert.doesNotMatch(html, /<img src="data:image\/svg/);
});

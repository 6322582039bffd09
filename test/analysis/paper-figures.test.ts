// Paper figure builders (issue 15 item 4): symbols with real sub/superscripts in every label, prior
// ranges on the axes, grids without empty cells, the four descriptor routes in one fixed order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calibrationFigure, descriptorErrorFigure, gridColumns, modelGalleryFigure, niceCeil, predictedVsTrueFigure, ROUTE_STYLE } from '../../src/analysis/paper-figures.js';
import { generateAggregate } from '../../src/model/generate.js';
import { MODEL_PRESETS } from '../../src/model/params.js';
import { randomStream } from '../../src/random/index.js';
import { vegaLiteToSvg } from '../../kernel-ext/vega.js';

const PARAMS = ['nParticles', 'fractionB', 'radiusMedianA', 'radiusMedianB', 'fractalDim', 'segregation', 'overlap'];
const DESC = ['cnHet', 'heteroContactFraction', 'rgVolumeNm'];
const PRIOR = { nParticles: { kind: 'logUniformInt', lo: 20, hi: 80 }, fractionB: { kind: 'uniform', lo: 0.1, hi: 0.7 }, radiusMedianA: { kind: 'uniform', lo: 3, hi: 8 }, radiusMedianB: { kind: 'uniform', lo: 3, hi: 8 }, fractalDim: { kind: 'uniform', lo: 1.7, hi: 2.5 }, segregation: { kind: 'uniform', lo: 0, hi: 1 }, overlap: { kind: 'uniform', lo: 0, hi: 0.15 } } as const;

function fakeResult(n: number, names: readonly string[]) {
  const rng = randomStream('paper-figures-test');
  const P = names.length, Q = DESC.length, K = 3;
  const truth = Float64Array.from({ length: n * P }, (_, k) => { const p = PRIOR[names[k % P] as keyof typeof PRIOR]; return p.lo + rng.double() * (p.hi - p.lo); });
  const u = () => Float64Array.from({ length: n * (P + Q) }, () => rng.double());
  const dTruth = Float64Array.from({ length: n * Q }, () => 0.2 + rng.double());
  const dMean = Float64Array.from(dTruth, (v) => v * (0.9 + 0.2 * rng.double()));
  return {
    params: { names, truth, mean: Float64Array.from(truth, (v) => v * (0.95 + 0.1 * rng.double())), sd: Float64Array.from(truth, (v) => 0.05 * v), baseline: Float64Array.from(names, (nm) => { const p = PRIOR[nm as keyof typeof PRIOR]; return (p.lo + p.hi) / 2; }) },
    pit: { names: [...names, ...DESC.slice(0, 2)], pit: u().slice(0, n * (P + 2)) },
    indices: Int32Array.from({ length: n }, (_, i) => i),
    draws: {
      names: DESC,
      groundTruth: Array.from({ length: n }, (_, i) => dTruth.slice(i * Q, i * Q + Q)),
      atPredicted: Array.from({ length: n }, () => Float64Array.from({ length: K * Q }, () => 0.2 + rng.double())),
      atTrue: Array.from({ length: n }, () => Float64Array.from({ length: K * Q }, () => 0.2 + rng.double())),
      atBaseline: Float64Array.from({ length: 4 * Q }, () => 0.7),
    },
    direct: { names: DESC, truth: dTruth, mean: dMean, median: dMean, lower68: dMean.map((v) => v * 0.9), upper68: dMean.map((v) => v * 1.1), lower95: dMean.map((v) => v * 0.8), upper95: dMean.map((v) => v * 1.2), pit: Float64Array.from({ length: n * Q }, () => rng.double()) },
  };
}

test('gridColumns: the fewest empty cells, then the most columns', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 12].map((n) => gridColumns(n)), [1, 2, 3, 4, 3, 3, 4, 4, 3, 4]);
});

test('niceCeil: a round axis limit within 20 %', () => {
  assert.deepEqual([0.93, 0.55, 1.2, 0.578, 37, 0.0123].map(niceCeil), [1, 0.6, 1.2, 0.6, 40, 0.014]);
});

test('predicted vs true: one panel per parameter titled by symbol and unit, prior ranges on both axes, an R² panel only where it fills the grid', async () => {
  const r7 = fakeResult(10, PARAMS);
  const spec = predictedVsTrueFigure(r7, PRIOR);
  const panels = spec.concat as Record<string, any>[];
  assert.equal(spec.columns, 4);
  assert.equal(panels.length, 8, '7 parameters + the R² panel = 2 full rows of 4');
  assert.deepEqual(panels.map((p) => p.title.text), ['N', 'f<sub>B</sub>', 'r<sub>A</sub> (nm)', 'r<sub>B</sub> (nm)', 'D<sub>f</sub>', 's', 'ε', 'R<sup>2</sup> on the test images']);
  assert.deepEqual(panels[2].layer[3].encoding.x.scale.domain, [3, 8]);
  assert.deepEqual(panels[4].layer[3].encoding.y.scale.domain, [1.7, 2.5]);
  const svg = await vegaLiteToSvg(spec);
  assert.doesNotMatch(svg, /&lt;su[bp]&gt;/);
  assert.match(svg, />D<tspan dy="[\d.]+" font-size="[\d.]+px">f<\/tspan>/);
  assert.equal((svg.match(/aria-roledescription="point"/g) ?? []).length, 7 * 10);

  const r6 = fakeResult(10, PARAMS.slice(0, 6));
  const six = predictedVsTrueFigure(r6, PRIOR);
  assert.equal((six.concat as unknown[]).length, 6, '6 parameters fill 2 rows of 3 without the R² panel');
  assert.equal(six.columns, 3);
});

test('calibration: parameters and descriptors in two panels, legends by symbol', async () => {
  const svg = await vegaLiteToSvg(calibrationFigure(fakeResult(12, PARAMS)));
  assert.match(svg, />a\) model parameters</);
  assert.match(svg, />b\) descriptors of the imaged aggregate</);
  assert.match(svg, />CN<tspan[^>]*>het<\/tspan>/);
  assert.match(svg, />f<tspan[^>]*>B<\/tspan>/);
  assert.doesNotMatch(svg, />fractionB</, 'no code names in legends');
});

test('descriptor errors: the four routes in one order and colour, bars for every finite value, CN_het scatter with intervals', async () => {
  const spec = descriptorErrorFigure(fakeResult(12, PARAMS));
  const svg = await vegaLiteToSvg(spec);
  const order = ROUTE_STYLE.domain.map((r) => svg.indexOf(`>${r}<`));
  assert.ok(order.every((i) => i >= 0) && order.every((v, i) => i === 0 || v > order[i - 1]!), `routes in order: ${order}`);
  assert.equal((svg.match(/aria-roledescription="bar"/g) ?? []).length, DESC.length * 4);
  assert.equal((svg.match(/aria-roledescription="point"/g) ?? []).length, 12);
  for (const [route, colour] of ROUTE_STYLE.domain.map((d, i) => [d, ROUTE_STYLE.range[i]!] as const)) assert.ok(svg.includes(`fill="${colour}"`), `${route} drawn in ${colour}`);
});

test('model gallery: every sphere drawn once, on one nm scale, with a TiO₂/WO₃ legend', async () => {
  const items = [0, 1].map((s) => ({ title: `s = ${s}, D<sub>f</sub> = 2`, particles: generateAggregate({ ...MODEL_PRESETS.quick, nParticles: 30, segregation: s }, randomStream('gallery-test', s)).particles }));
  const svg = await vegaLiteToSvg(modelGalleryFigure(items));
  assert.equal((svg.match(/aria-roledescription="circle"/g) ?? []).length, 60 + 2 * 2, '60 spheres + the invisible legend carriers');
  assert.match(svg, />TiO<tspan[^>]*>2<\/tspan>/);
  assert.match(svg, />WO<tspan[^>]*>3<\/tspan>/);
  assert.throws(() => modelGalleryFigure([]), /at least one aggregate/);
});

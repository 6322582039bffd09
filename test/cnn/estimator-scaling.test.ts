// Parameter scaling, image fitting/resampling and uncertainty back-transformation: pure functions,
// no TensorFlow backend needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_PRIOR, QUICK_PRIOR, varyingParams } from '../../src/model/params.js';
import { randomStream, uniform, normal } from '../../src/random/index.js';
import {
  paramScalingFromPrior,
  scaleParams,
  unscaleParams,
  unscaleDerivative,
  estimatesFromScaled,
  fitImageToModel,
  resampleToModelGrid,
  EstimatorInputError,
  validateParamScaling,
  type EstimatorMeta,
} from '../../src/cnn/index.js';

test('scaling follows varyingParams, linear for uniform priors and log for nParticles', () => {
  const s = paramScalingFromPrior(DEFAULT_PRIOR);
  assert.deepEqual(s.map((e) => e.name), varyingParams(DEFAULT_PRIOR));
  assert.deepEqual(s[0], { name: 'nParticles', kind: 'log', lo: 20, hi: 250 });
  assert.ok(s.slice(1).every((e) => e.kind === 'linear'));
  // Closed forms: the prior bounds map to 0 and 1, the geometric centre of N to 0.5.
  const row = s.map((e) => e.lo);
  assert.deepEqual(Array.from(scaleParams(s, row)), s.map(() => 0));
  assert.deepEqual(Array.from(scaleParams(s, s.map((e) => e.hi))).map((v) => +v.toFixed(6)), s.map(() => 1));
  const mid = s.map((e) => (e.kind === 'log' ? Math.sqrt(e.lo * e.hi) : (e.lo + e.hi) / 2));
  for (const v of scaleParams(s, mid)) assert.ok(Math.abs(v - 0.5) < 1e-6, `mid maps to ${v}`);
});

test('scaleParams / unscaleParams round-trip random rows (float32 precision)', () => {
  const s = paramScalingFromPrior(QUICK_PRIOR);
  const rng = randomStream(5, 'scaling');
  const n = 200, p = s.length;
  const raw = new Float64Array(n * p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) raw[i * p + j] = uniform(rng, s[j]!.lo, s[j]!.hi);
  const back = unscaleParams(s, scaleParams(s, raw));
  for (let k = 0; k < raw.length; k++) {
    const rel = Math.abs(back[k]! - raw[k]!) / Math.max(1e-9, Math.abs(raw[k]!) + 1e-3);
    assert.ok(rel < 1e-5, `round trip ${raw[k]} → ${back[k]}`);
  }
});

test('scaling rejects bad input with messages naming the value', () => {
  const s = paramScalingFromPrior(DEFAULT_PRIOR);
  assert.throws(() => scaleParams(s, [1, 2, 3]), /multiple of the 7 varying parameters/);
  const bad = s.map((e) => e.lo);
  bad[0] = -3;
  assert.throws(() => scaleParams(s, bad), /nParticles = -3 \(row 0\) cannot be scaled/);
  const allFixed = Object.fromEntries(Object.entries(DEFAULT_PRIOR).map(([k]) => [k, { kind: 'fixed', value: 1 }]));
  assert.throws(() => paramScalingFromPrior(allFixed as never), /every parameter is fixed/);
  assert.throws(() => validateParamScaling([{ name: 'foo', kind: 'linear', lo: 0, hi: 1 }], 'x.json'), /scaling\[0\]\.name = "foo"/);
});

test('delta-method sd: linear scales by the range, log by N·ln(hi/lo); matches a Monte-Carlo sd', () => {
  const s = paramScalingFromPrior(DEFAULT_PRIOR);
  const lin = s[1]!; // fractionB 0.1–0.7
  assert.ok(Math.abs(unscaleDerivative(lin, 0.3) - 0.6) < 1e-12);
  const log = s[0]!; // nParticles 20–250
  const u = 0.4;
  const n = 20 * (250 / 20) ** u;
  assert.ok(Math.abs(unscaleDerivative(log, u) - n * Math.log(250 / 20)) < 1e-9);
  // Monte-Carlo check of the log back-transform for a small scaled sd: sd of exp(...) ≈ delta sd.
  const rng = randomStream(11, 'delta');
  const su = 0.01, draws = 20000;
  let m1 = 0, m2 = 0;
  for (let k = 0; k < draws; k++) {
    const x = 20 * (250 / 20) ** (u + normal(rng, 0, su));
    m1 += x;
    m2 += x * x;
  }
  const sdMc = Math.sqrt(m2 / draws - (m1 / draws) ** 2);
  const meta = fakeMeta(128, 1.6);
  const e = estimatesFromScaled({ ...meta, paramNames: ['nParticles'], scaling: [log] }, [u], [2 * Math.log(su)]);
  assert.ok(Math.abs(e[0]!.sd[0]! / sdMc - 1) < 0.03, `delta sd ${e[0]!.sd[0]} vs MC ${sdMc}`);
  assert.ok(Math.abs(e[0]!.mean[0]! - n) < 1e-9);
  assert.ok(Math.abs(e[0]!.scaledSd[0]! - su) < 1e-12);
});

function fakeMeta(sizePx: number, pixelSizeNm: number): EstimatorMeta {
  const scaling = paramScalingFromPrior(QUICK_PRIOR);
  return {
    format: 'aggstem-estimator', formatVersion: 1, paramNames: scaling.map((s) => s.name), scaling,
    network: { inputSize: sizePx, nParams: scaling.length, stemFilters: 8, stemKernel: 3, stemStride: 1, stageFilters: [8], blocksPerStage: 1, denseUnits: 8, batchNorm: true, logVarMin: -11, logVarMax: 1 },
    input: { sizePx, pixelSizeNm, transform: { kind: 'divide', divisor: 1 } },
    data: { kind: 'arrays', counts: { train: 1, val: 0 } },
    training: {} as EstimatorMeta['training'], codeVersion: 'test', files: { topology: '', weights: '' },
  };
}

const image = (w: number, h: number, px: number, f: (x: number, y: number) => number) => ({
  widthPx: w, heightPx: h, pixelSizeNm: px, data: Float32Array.from({ length: w * h }, (_, i) => f(i % w, Math.floor(i / w))),
});

test('fitImageToModel refuses a mismatched pixel size or size, naming both values', () => {
  const meta = fakeMeta(32, 1.6);
  assert.throws(
    () => fitImageToModel(meta, image(32, 32, 1.0, () => 0)),
    (e: Error) => e instanceof EstimatorInputError && /pixel size 1 nm differs from the model's 1\.6 nm/.test(e.message) && /resample/.test(e.message),
  );
  assert.throws(() => fitImageToModel(meta, image(64, 48, 1.6, () => 0)), /size 64×48 px differs from the model's 32×32 px/);
  assert.throws(() => fitImageToModel(meta, image(64, 64, 0.8, () => 0)), /pixel size 0\.8 nm differs .* and its size 64×64 px differs/);
  assert.throws(() => fitImageToModel(meta, { widthPx: 4, heightPx: 4, pixelSizeNm: 1.6, data: new Float32Array(15) }), /15 values, expected 4×4 = 16/);
  assert.throws(() => fitImageToModel(meta, image(32, 32, NaN, () => 0)), /pixel size NaN nm; expected a positive number/);
  // Within the 1e-3 relative tolerance the image passes through unchanged.
  const ok = image(32, 32, 1.6005, (x, y) => x + 100 * y);
  assert.deepEqual(fitImageToModel(meta, ok), ok.data);
});

test('resampling: 2× coarser pixels are exact 2×2 block means; constants stay constant; padding uses the border mean', () => {
  const src = image(8, 8, 1, (x, y) => x * 3 + y * 17 + ((x * y) % 5));
  const out = resampleToModelGrid(src, 2, 4);
  for (let oy = 0; oy < 4; oy++) for (let ox = 0; ox < 4; ox++) {
    const d = src.data;
    const m = (d[2 * oy * 8 + 2 * ox]! + d[2 * oy * 8 + 2 * ox + 1]! + d[(2 * oy + 1) * 8 + 2 * ox]! + d[(2 * oy + 1) * 8 + 2 * ox + 1]!) / 4;
    assert.ok(Math.abs(out[oy * 4 + ox]! - m) < 1e-4, `block (${ox},${oy}) ${out[oy * 4 + ox]} vs ${m}`);
  }
  // Non-integer ratio on a constant image: exact constant everywhere inside.
  const c = resampleToModelGrid(image(50, 50, 1.0, () => 0.042), 1.6, 24);
  for (const v of c) assert.ok(Math.abs(v - 0.042) < 1e-6);
  // A larger field than the image: the outside is filled with the border mean (here 1), the inside kept.
  const framed = image(6, 6, 1, (x, y) => (x === 0 || y === 0 || x === 5 || y === 5 ? 1 : 7));
  const big = resampleToModelGrid(framed, 1, 10);
  assert.equal(big[0], 1);
  assert.equal(big[4 * 10 + 4], 7); // image pixel (2,2) lands at (4,4)
  // Total "mass" above the background is conserved by area resampling.
  const blob = image(40, 40, 0.5, (x, y) => (Math.hypot(x - 19.5, y - 19.5) < 8 ? 1 : 0));
  const coarse = resampleToModelGrid(blob, 1.25, 16);
  const massSrc = blob.data.reduce((a, b) => a + b, 0) * 0.5 ** 2;
  const massOut = coarse.reduce((a, b) => a + b, 0) * 1.25 ** 2;
  assert.ok(Math.abs(massOut / massSrc - 1) < 1e-5, `mass ${massOut} vs ${massSrc}`);
});

test('resampling: finer pixels interpolate a linear ramp exactly (bilinear)', () => {
  const ramp = image(16, 16, 2, (x, y) => 0.5 * x - 0.25 * y);
  const fine = resampleToModelGrid(ramp, 1, 24); // stays inside the image's interior
  // Output pixel o has centre (o + 0.5 − 12)·1 nm; in source px: c = (o + 0.5 − 12)/2 + 8, value at c − 0.5.
  for (const [ox, oy] of [[3, 5], [12, 12], [20, 7]] as const) {
    const sx = (ox + 0.5 - 12) / 2 + 8 - 0.5, sy = (oy + 0.5 - 12) / 2 + 8 - 0.5;
    assert.ok(Math.abs(fine[oy * 24 + ox]! - (0.5 * sx - 0.25 * sy)) < 1e-5);
  }
});

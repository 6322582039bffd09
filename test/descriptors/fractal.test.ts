import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pairCountDimension, fitFractalLaw, geometricMeanRadius, gyration } from '../../src/descriptors/index.js';
import { randomStream, uniform, normal } from '../../src/random/index.js';
import { generateAggregate } from '../../src/model/generate.js';
import { MODEL_PRESETS } from '../../src/model/params.js';
import { describeAggregate } from '../../src/descriptors/index.js';
import { chain, latticeBall } from './fixtures.js';

test('pair-count Df of a straight chain ≈ 1 (± 0.15) over the default range [4a, Rg]', () => {
  for (const n of [60, 200]) {
    const fit = pairCountDimension(chain(n, 1.5));
    assert.ok(Math.abs(fit.df - 1) < 0.15, `N=${n}: ${fit.df}`);
    assert.ok(Math.abs(fit.loNm - 6) < 1e-12);
    assert.ok(Math.abs(fit.hiNm - gyration(chain(n, 1.5)).rgNm) < 1e-12);
    assert.equal(fit.points, 16);
  }
});

test('pair-count Df of a lattice-filled ball ≈ 3: ± 0.3 over [4a, Rg], ± 0.1 over [4a, Rg/2] (finite-size bias)', () => {
  const ball = latticeBall(20, 1); // 4169 touching spheres
  const full = pairCountDimension(ball);
  assert.ok(Math.abs(full.df - 3) < 0.3, `default range: ${full.df}`);
  const rg = gyration(ball).rgNm;
  const inner = pairCountDimension(ball, { rangeNm: [4, rg / 2] });
  assert.ok(Math.abs(inner.df - 3) < 0.1, `[4a, Rg/2]: ${inner.df}`);
  assert.ok(inner.df > full.df, 'the bias grows towards Rg');
  assert.ok(inner.r2 > 0.95, 'lattice shells make C(r) a staircase, but a steep one');
});

test('pair-count Df is NaN when the range is empty (Rg ≤ 4a), e.g. a dimer', () => {
  const fit = pairCountDimension(chain(2));
  assert.ok(Number.isNaN(fit.df));
  assert.throws(() => pairCountDimension(chain(5), { rangeNm: [0, 3] }), /rangeNm must be \[lo, hi\] with 0 < lo/);
});

test('ensemble fit recovers Df and kf exactly from (N, Rg) data that obey N = kf (Rg/a)^Df', () => {
  const rng = randomStream('law');
  for (const [df, kf] of [[1.8, 1.3], [2.5, 0.8], [1.4, 2.0]] as const) {
    const n: number[] = [], rg: number[] = [], a: number[] = [];
    for (let k = 0; k < 40; k++) {
      const N = Math.round(Math.exp(uniform(rng, Math.log(20), Math.log(1000))));
      const ak = uniform(rng, 3, 8);
      n.push(N);
      a.push(ak);
      rg.push(ak * (N / kf) ** (1 / df));
    }
    const fit = fitFractalLaw({ n, rgNm: rg, aNm: a });
    assert.ok(Math.abs(fit.df - df) < 1e-10, `Df ${fit.df} vs ${df}`);
    assert.ok(Math.abs(fit.kf - kf) < 1e-10 * kf, `kf ${fit.kf} vs ${kf}`);
    assert.ok(Math.abs(fit.r2 - 1) < 1e-12);
    assert.equal(fit.count, 40);
  }
});

test('ensemble fit with log-normal scatter in Rg stays within 4 standard errors of the truth', () => {
  const rng = randomStream('law-noise');
  const n: number[] = [], rg: number[] = [], a: number[] = [];
  const m = 400, sd = 0.05;
  let sxx = 0, mx = 0;
  for (let k = 0; k < m; k++) {
    const N = Math.round(Math.exp(uniform(rng, Math.log(20), Math.log(1000))));
    n.push(N);
    a.push(5);
    rg.push(5 * (N / 1.3) ** (1 / 1.8) * Math.exp(normal(rng, 0, sd)));
  }
  const xs = rg.map((r) => Math.log(r / 5));
  mx = xs.reduce((p, q) => p + q, 0) / m;
  for (const x of xs) sxx += (x - mx) ** 2;
  const fit = fitFractalLaw({ n, rgNm: rg, aNm: a });
  // Errors in x attenuate the slope slightly; the scatter here (5 %) keeps that far below 4 SE.
  const seSlope = (1.8 * sd) / Math.sqrt(sxx);
  assert.ok(Math.abs(fit.df - 1.8) < 4 * seSlope, `Df ${fit.df} ± ${seSlope}`);
  assert.ok(fit.r2 > 0.95 && fit.r2 < 1);
});

test('fitFractalLaw and geometricMeanRadius reject bad input clearly', () => {
  assert.throws(() => fitFractalLaw({ n: [10], rgNm: [5], aNm: [1] }), /need at least 2 aggregates, got 1/);
  assert.throws(() => fitFractalLaw({ n: [10, 20], rgNm: [5], aNm: [1, 1] }), /equal lengths, got 2, 1, 2/);
  assert.throws(() => fitFractalLaw({ n: [10, 20], rgNm: [5, -1], aNm: [1, 1] }), /aggregate 1 has n=20, rgNm=-1/);
  assert.throws(() => fitFractalLaw({ n: [10, 20], rgNm: [5, 5], aNm: [1, 1] }), /same Rg\/a/);
  assert.ok(Math.abs(geometricMeanRadius([2, 8]) - 4) < 1e-15);
});

test('ensemble fit on model aggregates recovers the generator\'s law exactly (same Rg and a conventions)', () => {
  // The generator makes every aggregate obey N = kf (Rg/a)^Df with volume weights, the 3/5 r² term and
  // a = geometric-mean radius; describeAggregate must measure Rg and a the same way.
  for (const [df, kf] of [[1.8, 1.3], [2.2, 1.0]] as const) {
    const n: number[] = [], rg: number[] = [], a: number[] = [];
    for (let k = 0; k < 8; k++) {
      const params = { ...MODEL_PRESETS.quick, nParticles: 20 + 15 * k, fractalDim: df, prefactor: kf, overlap: 0.05 };
      const d = describeAggregate(generateAggregate(params, randomStream('law-gen', df, k)).particles, { projections: 2, hullPointsPerSphere: 16 });
      n.push(d.nParticles);
      rg.push(d.rgVolumeNm);
      a.push(d.radiusGeoMeanNm);
    }
    const fit = fitFractalLaw({ n, rgNm: rg, aNm: a });
    assert.ok(Math.abs(fit.df - df) < 1e-8 && Math.abs(fit.kf / kf - 1) < 1e-8, `Df ${fit.df} kf ${fit.kf}`);
  }
});

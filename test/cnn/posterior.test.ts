// Binned posteriors: closed forms of the piecewise-constant density, quantile/CDF inverses, and
// temperature scaling recovering a known miscalibration. Pure functions, no TensorFlow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binIndex, binnedCdf, binnedMoments, binnedNll, binnedQuantile, binProbabilities, fitTemperature } from '../../src/cnn/posterior.js';
import { normal, randomStream, uniform } from '../../src/random/index.js';

test('flat posterior: uniform on [0, 1] in closed form', () => {
  const p = new Float64Array(20).fill(1 / 20);
  const m = binnedMoments(p);
  assert.ok(Math.abs(m.mean - 0.5) < 1e-12);
  assert.ok(Math.abs(m.sd - Math.sqrt(1 / 12)) < 1e-12, `sd ${m.sd}`);
  for (const q of [0, 0.025, 0.16, 0.5, 0.84, 0.975, 1]) assert.ok(Math.abs(binnedQuantile(p, q) - q) < 1e-12);
  for (const u of [-1, 0, 0.3, 0.77, 1, 2]) assert.ok(Math.abs(binnedCdf(p, u) - Math.min(1, Math.max(0, u))) < 1e-12);
});

test('one-bin posterior: uniform on that bin; linear f moments exact, log f close', () => {
  const K = 10;
  const p = new Float64Array(K);
  p[3] = 1;
  const m = binnedMoments(p);
  assert.ok(Math.abs(m.mean - 0.35) < 1e-12);
  assert.ok(Math.abs(m.sd - 0.1 / Math.sqrt(12)) < 1e-12);
  // f(u) = exp(u): exact mean over [0.3, 0.4] is (e^0.4 − e^0.3)/0.1.
  const fm = binnedMoments(p, Math.exp);
  assert.ok(Math.abs(fm.mean - (Math.exp(0.4) - Math.exp(0.3)) / 0.1) < 1e-8);
  assert.equal(binnedQuantile(p, 0), 0.3);
  assert.ok(Math.abs(binnedQuantile(p, 0.5) - 0.35) < 1e-12);
  assert.ok(Math.abs(binnedQuantile(p, 1) - 0.4) < 1e-12);
});

test('quantile and CDF are inverse on random posteriors; quantiles stay in [0, 1]', () => {
  const rng = randomStream(3, 'posterior');
  for (let r = 0; r < 50; r++) {
    const K = 8 + r;
    const logits = Array.from({ length: K }, () => normal(rng) * 3);
    const p = binProbabilities(logits);
    assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-12);
    for (let k = 0; k < 20; k++) {
      const q = uniform(rng, 0.001, 0.999);
      const u = binnedQuantile(p, q);
      assert.ok(u >= 0 && u <= 1);
      assert.ok(Math.abs(binnedCdf(p, u) - q) < 1e-9, `cdf(quantile(${q})) = ${binnedCdf(p, u)}`);
    }
  }
});

test('binIndex puts edges and out-of-range values in the end bins', () => {
  assert.equal(binIndex(-0.2, 10), 0);
  assert.equal(binIndex(0, 10), 0);
  assert.equal(binIndex(0.0999, 10), 0);
  assert.equal(binIndex(0.1, 10), 1);
  assert.equal(binIndex(1, 10), 9);
  assert.equal(binIndex(1.5, 10), 9);
  assert.equal(binIndex(NaN, 10), 0);
});

test('temperature scaling recovers the temperature that miscalibrated a posterior', () => {
  // Truths u ~ N(c, 0.08²) truncated to [0, 1]; logits of the true density raised to the power 2
  // (over-confident by T = 2). The fitted temperature must come back near 2 and lower the NLL.
  const K = 40, n = 3000;
  const rng = randomStream(11, 'temperature');
  const logits = new Float64Array(n * K);
  const u = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = uniform(rng, 0.2, 0.8);
    let x: number;
    do x = c + 0.08 * normal(rng); while (x < 0 || x >= 1);
    u[i] = x;
    for (let k = 0; k < K; k++) {
      const mid = (k + 0.5) / K;
      logits[i * K + k] = 2 * (-((mid - c) ** 2) / (2 * 0.08 ** 2));
    }
  }
  const T = fitTemperature(logits, u, K);
  assert.ok(T > 1.8 && T < 2.2, `fitted T = ${T}`);
  assert.ok(binnedNll(logits, u, K, T) < binnedNll(logits, u, K, 1));
});

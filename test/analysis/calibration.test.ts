// PIT-based calibration: closed forms (coverage of exact PITs), χ² survival against tabulated
// values, rank histograms of calibrated vs over-confident posteriors, and the descriptor route table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chiSquareSurvival, pitCalibrationTable, pitCoverage, rankHistogramTable } from '../../src/analysis/calibration.js';
import { descriptorRouteTable, type DirectDescriptorPredictions } from '../../src/analysis/routes.js';
import { normal, randomStream } from '../../src/random/index.js';

test('pitCoverage: evenly spread PITs cover exactly their level; NaN ignored', () => {
  const n = 1000;
  const pit = Float64Array.from({ length: n }, (_, i) => (i + 0.5) / n);
  for (const level of [0.1, 0.5, 0.68, 0.95]) assert.ok(Math.abs(pitCoverage(pit, level) - level) <= 1 / n + 1e-12, `level ${level}`);
  assert.equal(pitCoverage([0.5, NaN, 0.99], 0.5), 0.5);
  assert.throws(() => pitCoverage(pit, 1), /level must be in \(0, 1\)/);
});

test('chiSquareSurvival matches tabulated χ² quantiles', () => {
  // Upper-tail critical values: P(χ²_k > x) = p.
  const table: [number, number, number][] = [[3.841459, 1, 0.05], [16.918978, 9, 0.05], [21.665994, 9, 0.01], [2.087901, 9, 0.99], [9, 9, 0.437274]];
  for (const [x, k, p] of table) assert.ok(Math.abs(chiSquareSurvival(x, k) - p) < 2e-5, `χ²_${k}(${x}) = ${chiSquareSurvival(x, k)}, expected ${p}`);
  assert.equal(chiSquareSurvival(0, 3), 1);
});

test('calibrated Gaussian posteriors give flat rank histograms; over-confident ones a ∪ that the χ² test rejects', () => {
  const rng = randomStream(7, 'pit');
  const n = 4000;
  const phi = (z: number) => 0.5 * (1 + erf(z / Math.SQRT2));
  const good = new Float64Array(n), bad = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const z = normal(rng);
    good[i] = phi(z);          // truth from the predicted N(0, 1)
    bad[i] = phi(z * 2);       // predicted sd half the true one
  }
  const t = rankHistogramTable({ names: ['good', 'bad'], pit: interleave(good, bad) }).objects() as { parameter: string; pValue: number; count: number }[];
  const pGood = t.find((r) => r.parameter === 'good')!.pValue, pBad = t.find((r) => r.parameter === 'bad')!.pValue;
  // A calibrated estimator fails this at the 0.1 % level with probability 0.001.
  assert.ok(pGood > 1e-3, `calibrated p = ${pGood}`);
  assert.ok(pBad < 1e-12, `over-confident p = ${pBad}`);
  const cal = pitCalibrationTable({ names: ['good', 'bad'], pit: interleave(good, bad) }).objects() as { parameter: string; nominal: number; observed: number }[];
  const at = (name: string, level: number) => cal.find((r) => r.parameter === name && r.nominal === level)!.observed;
  // Binomial sd at n = 4000 is ≤ 0.8 %; 4 sd tolerance. Over-confident: P(|z| < 0.497) = 0.381 at the 68 % level.
  assert.ok(Math.abs(at('good', 0.68) - 0.68) < 0.03);
  assert.ok(Math.abs(at('bad', 0.68) - 0.381) < 0.03, `over-confident coverage ${at('bad', 0.68)}`);
});

test('descriptorRouteTable: direct-route errors, coverage and baseline in closed form', () => {
  const n = 4;
  const d: DirectDescriptorPredictions = {
    names: ['cnHet'],
    truth: Float64Array.from([1, 2, 4, 8]),
    mean: Float64Array.from([1.1, 1.8, 4, 6]),      // relative errors 0.1, 0.1, 0, 0.25 → median 0.1
    median: Float64Array.from([1, 2, 4, 8]),
    lower68: new Float64Array(n), upper68: new Float64Array(n), lower95: new Float64Array(n), upper95: new Float64Array(n),
    pit: Float64Array.from([0.5, 0.9, 0.1, 0.99]),  // inside the 68 % interval: 0.5 only; 95 %: 0.5, 0.9, 0.1
  };
  const row = descriptorRouteTable(d, undefined, { cnHet: 2 }).objects()[0] as Record<string, number>;
  assert.ok(Math.abs(row.directMedianRelError! - 0.1) < 1e-12);
  assert.equal(row.directMedianRelErrorOfMedian, 0);
  assert.equal(row.coverage68, 0.25);
  assert.equal(row.coverage95, 0.75);
  // Baseline 2: relative errors 1, 0, 0.5, 0.75 → median 0.625.
  assert.ok(Math.abs(row.baselineMedianRelError! - 0.625) < 1e-12);
  assert.ok(Number.isNaN(row.thetaRouteMedianRelError!), 'no draws, no θ route');
});

function interleave(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(2 * a.length);
  for (let i = 0; i < a.length; i++) { out[2 * i] = a[i]!; out[2 * i + 1] = b[i]!; }
  return out;
}

function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  r2Score, meanAbsoluteError, wasserstein1, intervalCoverage, coverageStandardError, median, relativeError,
} from '../../src/analysis/metrics.js';
import {
  parameterErrorTable, descriptorErrorTable, descriptorSampleTable, calibrationTable, parameterSampleTable,
  type ParamPredictions, type DescriptorDraws,
} from '../../src/analysis/errors.js';
import { predictedVsTrueSpec, descriptorErrorHistogramSpec, calibrationSpec } from '../../src/analysis/figures.js';
import { writeReport } from '../../src/analysis/report.js';
import { readTableParquet } from '../../src/io/table.js';
import { randomStream, normal, uniform } from '../../src/random/index.js';

test('R² and MAE: closed forms', () => {
  const t = [1, 2, 3, 4];
  assert.equal(r2Score(t, t), 1);
  assert.equal(r2Score(t, [2.5, 2.5, 2.5, 2.5]), 0);
  // SS_res = 4·0.25 = 1, SS_tot = 5 → R² = 0.8
  assert.ok(Math.abs(r2Score(t, [1.5, 2.5, 3.5, 4.5]) - 0.8) < 1e-15);
  assert.equal(meanAbsoluteError(t, [2, 3, 4, 5]), 1);
  assert.throws(() => r2Score([1], [1, 2]), /differ in length/);
});

test('Wasserstein-1: point masses, shifts, and unequal sample sizes', () => {
  assert.equal(wasserstein1([0], [1]), 1);
  assert.ok(Math.abs(wasserstein1([0, 1, 2], [0.5, 1.5, 2.5]) - 0.5) < 1e-15);
  // {0,1} vs {0}: half the mass moves by 1.
  assert.ok(Math.abs(wasserstein1([0, 1], [0]) - 0.5) < 1e-15);
  assert.equal(wasserstein1([3, 1, 2], [2, 3, 1]), 0);
  // Symmetric.
  const rng = randomStream('w1');
  const a = Array.from({ length: 37 }, () => normal(rng)), b = Array.from({ length: 53 }, () => normal(rng, 1));
  assert.ok(Math.abs(wasserstein1(a, b) - wasserstein1(b, a)) < 1e-12);
});

test('interval coverage of exact Gaussian predictions is within 3 binomial SE of nominal', () => {
  const rng = randomStream('cov');
  const n = 4000;
  const m = Float64Array.from({ length: n }, () => uniform(rng, -5, 5));
  const s = Float64Array.from({ length: n }, () => uniform(rng, 0.1, 2));
  const t = Float64Array.from(m, (v, i) => normal(rng, v, s[i]!));
  for (const level of [0.68, 0.95]) {
    const c = intervalCoverage(t, m, s, level);
    assert.ok(Math.abs(c - level) < 3 * coverageStandardError(level, n), `coverage ${c} at ${level}`);
  }
  // Over-confident predictions (sd halved) under-cover.
  assert.ok(intervalCoverage(t, m, s.map((v) => v / 2), 0.95) < 0.8);
});

function synthPredictions(perfect: boolean): ParamPredictions {
  const rng = randomStream('pred');
  const n = 200, names = ['fractalDim', 'fractionB'];
  const truth = new Float64Array(n * 2), mean = new Float64Array(n * 2), sd = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    truth[2 * i] = uniform(rng, 1.6, 2.5);
    truth[2 * i + 1] = uniform(rng, 0.1, 0.7);
    mean[2 * i] = perfect ? truth[2 * i]! : truth[2 * i]! + normal(rng, 0, 0.05);
    mean[2 * i + 1] = perfect ? truth[2 * i + 1]! : truth[2 * i + 1]! + normal(rng, 0, 0.02);
    sd[2 * i] = 0.05;
    sd[2 * i + 1] = 0.02;
  }
  return { names, truth, mean, sd, baseline: Float64Array.of(2.05, 0.4) };
}

test('parameter table: a perfect predictor scores R² = 1, MAE = 0; the prior-mean baseline is reproduced', () => {
  const p = synthPredictions(true);
  const rows = parameterErrorTable(p).objects() as Record<string, number>[];
  assert.equal(rows.length, 2);
  for (const [j, r] of rows.entries()) {
    assert.equal(r.r2, 1);
    assert.equal(r.mae, 0);
    assert.equal(r.medianRelError, 0);
    assert.equal(r.coverage95, 1);
    const t = Array.from({ length: 200 }, (_, i) => p.truth[2 * i + j]!);
    const b = p.baseline[j]!;
    const mae = t.reduce((s, v) => s + Math.abs(v - b), 0) / t.length;
    assert.ok(Math.abs(r.baselineMae - mae) < 1e-12);
    assert.ok(Math.abs(r.baselineR2 - r2Score(t, t.map(() => b))) < 1e-12);
    assert.ok(Math.abs(r.baselineMedianRelError - median(t.map((v) => relativeError(v, b)))) < 1e-12);
  }
  assert.throws(() => parameterErrorTable({ ...p, baseline: Float64Array.of(1) }), /baseline: expected 2/);
});

test('parameter table: noisy predictions with matching sd are calibrated; tables and specs are consistent', () => {
  const p = synthPredictions(false);
  const rows = parameterErrorTable(p).objects() as Record<string, number>[];
  for (const r of rows) {
    assert.ok(r.r2 > 0.9 && r.r2 < 1);
    assert.ok(Math.abs(r.coverage68 - 0.68) < 3 * coverageStandardError(0.68, 200));
    assert.ok(r.baselineR2 < 0.05);
  }
  assert.equal(parameterSampleTable(p).numRows(), 400);
  const cal = calibrationTable(p).objects() as Record<string, number>[];
  assert.ok(cal.every((r) => r.observed >= 0 && r.observed <= 1));
  const spec = predictedVsTrueSpec(parameterSampleTable(p));
  assert.equal((spec.data as { values: unknown[] }).values.length, 400);
  assert.match(JSON.stringify(calibrationSpec(calibrationTable(p))), /observed/);
});

function synthDraws(perfect: boolean): DescriptorDraws {
  // Two descriptors; the "model" draws D ~ N(θ, 0.1θ) with common random numbers per sample.
  const n = 50, K = 20, names = ['cnHet', 'rgVolumeNm'];
  const atPredicted: Float64Array[] = [], atTrue: Float64Array[] = [], groundTruth: Float64Array[] = [];
  const root = randomStream('draws');
  for (let i = 0; i < n; i++) {
    const theta = 1 + i / n, thetaHat = perfect ? theta : theta * 1.1;
    const gtRng = randomStream('gt', i);
    groundTruth.push(Float64Array.of(normal(gtRng, theta, 0.1 * theta), normal(gtRng, 10 * theta, theta)));
    const p = new Float64Array(K * 2), t = new Float64Array(K * 2);
    for (let k = 0; k < K; k++) {
      const z1 = normal(randomStream(root.key, i, k, 0)), z2 = normal(randomStream(root.key, i, k, 1));
      p[2 * k] = thetaHat * (1 + 0.1 * z1); p[2 * k + 1] = 10 * thetaHat * (1 + 0.1 * z2);
      t[2 * k] = theta * (1 + 0.1 * z1); t[2 * k + 1] = 10 * theta * (1 + 0.1 * z2);
    }
    atPredicted.push(p); atTrue.push(t);
  }
  const atBaseline = Float64Array.from({ length: 40 }, (_, k) => (k % 2 ? 15 : 1.5));
  return { names, atPredicted, atTrue, groundTruth, atBaseline };
}

test('descriptor errors: a perfect predictor has zero error vs E[D|θ] and exactly the model spread vs D(G)', () => {
  const d = synthDraws(true);
  const long = descriptorSampleTable(d).objects() as Record<string, number>[];
  for (const r of long) {
    assert.equal(r.relErrorVsExpected, 0);
    assert.equal(r.wasserstein, 0);
    assert.equal(r.relErrorVsGroundTruth, r.modelSpreadVsGroundTruth);
  }
  const rows = descriptorErrorTable(d).objects() as Record<string, number>[];
  for (const r of rows) {
    assert.equal(r.medianRelErrorVsExpected, 0);
    assert.equal(r.medianRelErrorVsGroundTruth, r.medianModelSpreadVsGroundTruth);
    // The constant baseline is worse than the perfect predictor.
    assert.ok(r.baselineMedianRelErrorVsExpected > 0.05);
  }
});

test('descriptor errors: a 10 % biased predictor shows a 10 % relative error of the expectation', () => {
  const rows = descriptorErrorTable(synthDraws(false)).objects() as Record<string, number>[];
  for (const r of rows) {
    assert.ok(Math.abs(r.meanRelErrorVsExpected - 0.1) < 1e-9, String(r.meanRelErrorVsExpected));
    assert.ok(r.meanWasserstein > 0);
  }
  const spec = descriptorErrorHistogramSpec(descriptorSampleTable(synthDraws(false)));
  assert.equal((spec.data as { values: unknown[] }).values.length, 100);
});

test('report: self-contained HTML (no external scripts), CSV and Parquet tables that round-trip', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aggstem-report-'));
  try {
    const p = synthPredictions(false);
    const table = parameterErrorTable(p);
    const index = writeReport(dir, {
      title: 'Test report',
      facts: { samples: 200 },
      sections: [
        { kind: 'table', title: 'Parameters', table, file: 'parameters' },
        { kind: 'figure', title: 'Calibration', spec: calibrationSpec(calibrationTable(p)) },
      ],
    });
    const html = readFileSync(index, 'utf8');
    assert.ok(!/<script[^>]+src=/i.test(html), 'no external script');
    assert.ok(!/https?:\/\/(cdn|unpkg|cdnjs)/i.test(html.replace(/https:\/\/vega\.github\.io\/schema[^"]*/g, '')), 'no CDN reference');
    assert.match(html, /vegaEmbed\('#fig-' \+ i/);
    assert.ok(existsSync(join(dir, 'parameters.csv')));
    const back = readTableParquet(join(dir, 'parameters.parquet'));
    assert.deepEqual(back.columnNames(), table.columnNames());
    assert.deepEqual(back.array('r2'), table.array('r2'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('descriptor errors: draws the generator could not build (NaN rows) are left out of the expectations', () => {
  const d = synthDraws(true);
  const clean = descriptorSampleTable(d).objects() as Record<string, number>[];
  // Knock out draw 0 of sample 0 at both θ̂ and θ: expectations are then over draws 1..K−1.
  d.atPredicted[0]!.fill(NaN, 0, 2);
  d.atTrue[0]!.fill(NaN, 0, 2);
  const rows = descriptorSampleTable(d).objects() as Record<string, number>[];
  assert.ok(Number.isFinite(rows[0]!.expectedAtPredicted));
  assert.equal(rows[0]!.relErrorVsExpected, 0);
  assert.notEqual(rows[0]!.expectedAtTrue, clean[0]!.expectedAtTrue);
  assert.deepEqual(rows.slice(2), clean.slice(2));
});

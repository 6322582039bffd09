import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveStream, normalCdf, randomStream } from '../../src/random/index.js';
import { addNoise, microscopePreset, simulateImage } from '../../src/stem/index.js';
import { normalZiggurat } from '../../src/stem/noise.js';
import { smallAggregate } from './helpers.js';

function moments(a: ArrayLike<number>): { mean: number; variance: number; m4: number } {
  const n = a.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i]!;
  const mean = s / n;
  let s2 = 0, s4 = 0;
  for (let i = 0; i < n; i++) {
    const d = a[i]! - mean;
    s2 += d * d;
    s4 += d ** 4;
  }
  return { mean, variance: s2 / (n - 1), m4: s4 / n };
}

test('ziggurat normal: mean 0, variance 1 and Kolmogorov–Smirnov against Φ (alpha = 0.001)', () => {
  const rng = randomStream('zig');
  const n = 100_000;
  const xs = Float64Array.from({ length: n }, () => normalZiggurat(rng));
  const { mean, variance } = moments(xs);
  assert.ok(Math.abs(mean) < 3 / Math.sqrt(n), `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 3 * Math.sqrt(2 / n), `variance ${variance}`);
  xs.sort();
  let d = 0;
  for (let i = 0; i < n; i++) {
    const F = normalCdf(xs[i]!);
    d = Math.max(d, Math.abs((i + 1) / n - F), Math.abs(F - i / n));
  }
  assert.ok(d < 1.95 / Math.sqrt(n), `KS D = ${d}`);
  // Tail draws exist and are symmetric.
  const tail = xs.filter((x) => Math.abs(x) > 3.5).length;
  assert.ok(tail > 10 && tail < 100, `tail count ${tail}`);
});

test('detector chain: E[S] = gλ + offset and Var(S) = g²λ(1 + c²) + σ_r² + 1/12 (gain noise Gaussian with variance c²N)', () => {
  const n = 128 * 128;
  const cfg = microscopePreset('paper');
  const detector = { gain: 6, gainCv: 0.3, offset: 1500, readNoise: 3 };
  for (const lambda of [0.5, 5, 20, 200, 2000]) {
    const clean = new Float32Array(n).fill(lambda / cfg.doseElectronsPerPx);
    const lam = Math.fround(lambda / cfg.doseElectronsPerPx) * cfg.doseElectronsPerPx;
    const { counts, noisy } = addNoise(clean, { doseElectronsPerPx: cfg.doseElectronsPerPx, detector }, randomStream('chain', lambda));
    const { mean, variance, m4 } = moments(counts);
    const g = detector.gain, c = detector.gainCv, sr = detector.readNoise;
    const expMean = g * lam + detector.offset;
    const expVar = g * g * lam * (1 + c * c) + sr * sr + 1 / 12;
    assert.ok(Math.abs(mean - expMean) < 4 * Math.sqrt(expVar / n), `λ=${lambda}: mean ${mean} vs ${expMean}`);
    const seVar = Math.sqrt((m4 - variance * variance) / n);
    assert.ok(Math.abs(variance - expVar) < 4 * seVar, `λ=${lambda}: variance ${variance} vs ${expVar} (se ${seVar})`);
    // The normalised estimate is unbiased for I.
    const nm = moments(noisy).mean;
    assert.ok(Math.abs(nm - clean[0]!) < 4 * Math.sqrt(expVar / n) / (g * cfg.doseElectronsPerPx));
  }
});

test('shot noise through addNoise is exactly Poisson: chi-square (alpha = 0.001), mean and variance, λ across the table grid', () => {
  const n = 200_000;
  const detector = { gain: 1, gainCv: 0, offset: 0, readNoise: 0 };
  for (const lambda of [0.03, 0.3, 1 / 16, 4.8, 7.999, 9.99, 10, 37]) {
    const clean = new Float32Array(n).fill(lambda / 1000);
    const lam = Math.fround(lambda / 1000) * 1000;
    const { counts } = addNoise(clean, { doseElectronsPerPx: 1000, detector }, randomStream('shot', lambda));
    const { mean, variance } = moments(counts);
    assert.ok(Math.abs(mean - lam) < 3 * Math.sqrt(lam / n), `λ=${lambda}: mean ${mean}`);
    assert.ok(Math.abs(variance - lam) < 3 * Math.sqrt((lam + 2 * lam * lam) / n), `λ=${lambda}: variance ${variance}`);
    // Chi-square with tails merged until every expected count is >= 5.
    const maxK = Math.ceil(lam + 10 * Math.sqrt(lam) + 10);
    const obs = new Float64Array(maxK + 1);
    for (const c of counts) obs[Math.min(c, maxK)]!++;
    let chi2 = 0, bins = 0, e = 0, o = 0, cum = 0, p = Math.exp(-lam);
    for (let k = 0; k < maxK; k++) {
      e += n * p; o += obs[k]!; cum += p;
      if (e >= 5 && n * (1 - cum) >= 5) { chi2 += (o - e) ** 2 / e; bins++; e = 0; o = 0; }
      p *= lam / (k + 1);
    }
    e += n * (1 - cum); o += obs[maxK]!;
    chi2 += (o - e) ** 2 / e; bins++;
    const dof = bins - 1;
    if (dof >= 1) {
      const c = 2 / (9 * dof), crit = dof * (1 - c + 3.0902 * Math.sqrt(c)) ** 3;
      assert.ok(chi2 < crit, `λ=${lambda}: chi2 ${chi2.toFixed(1)} with ${dof} dof (critical ${crit.toFixed(1)})`);
    }
  }
});

test('detector chain: offset and 16-bit clipping', () => {
  const detector = { gain: 10, gainCv: 0, offset: 0, readNoise: 5 };
  // Dark: half of the read noise falls below 0 and is clipped to 0.
  const dark = addNoise(new Float32Array(10_000), { doseElectronsPerPx: 1000, detector }, randomStream('dark'));
  const zeros = dark.counts.filter((v) => v === 0).length;
  assert.ok(zeros > 4500 && zeros < 5600, `zeros ${zeros}`);
  assert.ok(Math.max(...dark.counts) < 40);
  // Bright: saturates at 65535.
  const bright = addNoise(new Float32Array(100).fill(0.9), { doseElectronsPerPx: 1e4, detector }, randomStream('bright'));
  assert.ok(bright.counts.every((v) => v === 65535));
  assert.ok(bright.noisy.every((v) => Math.abs(v - 65535 / 1e5) < 1e-6));
  const off = addNoise(new Float32Array(100), { doseElectronsPerPx: 1000, detector: { gain: 2, gainCv: 0, offset: 777, readNoise: 0 } }, randomStream('off'));
  assert.ok(off.counts.every((v) => v === 777) && off.noisy.every((v) => v === 0));
});

test('dose limit: RMSE(Î − I) follows √(I(1 + c²)/N0 + (σ_r² + 1/12)/(g N0)²), i.e. ∝ 1/√N0', () => {
  const rng = randomStream('dose-clean');
  const n = 96 * 96;
  const clean = Float32Array.from({ length: n }, () => 0.002 + 0.05 * rng.double() ** 2);
  let meanI = 0;
  for (const v of clean) meanI += v;
  meanI /= n;
  const detector = { gain: 0.5, gainCv: 0.3, offset: 100, readNoise: 2 };
  const scaled: number[] = [];
  for (const N0 of [1e3, 1e4, 1e5]) {
    const { noisy } = addNoise(clean, { doseElectronsPerPx: N0, detector }, randomStream('dose', N0));
    let s2 = 0;
    for (let i = 0; i < n; i++) s2 += (noisy[i]! - clean[i]!) ** 2;
    const rmse = Math.sqrt(s2 / n);
    const g = detector.gain;
    const predicted = Math.sqrt((meanI * (1 + detector.gainCv ** 2)) / N0 + (detector.readNoise ** 2 + 1 / 12) / (g * N0) ** 2);
    assert.ok(Math.abs(rmse / predicted - 1) < 0.03, `N0=${N0}: rmse ${rmse} vs ${predicted}`);
    scaled.push(rmse * Math.sqrt(N0));
  }
  // Shot noise dominates at high dose: RMSE·√N0 tends to √(Ī(1 + c²)).
  assert.ok(Math.abs(scaled[2]! / Math.sqrt(meanI * 1.09) - 1) < 0.03, `scaled ${scaled}`);
});

test('addNoise with deriveStream(rng, "noise") reproduces simulateImage counts (fresh noise per epoch from clean)', () => {
  const cfg = { ...microscopePreset('quick'), widthPx: 64, heightPx: 64 };
  const rng = randomStream('redraw', 3);
  const img = simulateImage(smallAggregate(), cfg, rng);
  const again = addNoise(img.clean, cfg, deriveStream(randomStream('redraw', 3), 'noise'));
  assert.deepEqual(again.counts, img.counts);
  assert.deepEqual(again.noisy, img.noisy);
  const fresh = addNoise(img.clean, cfg, deriveStream(rng, 'epoch', 1));
  assert.notDeepEqual(fresh.counts, img.counts);
});

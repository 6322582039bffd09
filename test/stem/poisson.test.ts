import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomStream, poisson } from '../../src/random/index.js';
import { logFactorial } from '../../src/random/poisson.js';

/** Upper-α quantile of χ²(k) by Wilson–Hilferty (relative error < 1 % for k ≥ 3 at α = 0.001). */
function chi2Critical(k: number, z: number): number {
  const c = 2 / (9 * k);
  return k * (1 - c + z * Math.sqrt(c)) ** 3;
}
const Z_001 = 3.090232306167813; // standard normal upper 0.001 quantile

function poissonPmf(lambda: number, k: number): number {
  return Math.exp(-lambda + k * Math.log(lambda) - logFactorial(k));
}

test('logFactorial matches exact sums and the Stirling tail is continuous', () => {
  let s = 0;
  for (let k = 1; k <= 300; k++) {
    s += Math.log(k);
    assert.ok(Math.abs(logFactorial(k) - s) <= 1e-12 * s, `k=${k}`);
  }
  assert.equal(logFactorial(0), 0);
});

test('poisson: mean and variance match lambda within 3 standard errors', () => {
  const m = 200_000;
  for (const lambda of [0.5, 5, 20, 200, 5000]) {
    const rng = randomStream('poisson-moments', lambda);
    let s = 0, s2 = 0;
    for (let i = 0; i < m; i++) {
      const k = poisson(rng, lambda);
      assert.ok(Number.isInteger(k) && k >= 0);
      s += k;
      s2 += k * k;
    }
    const mean = s / m;
    const variance = (s2 - m * mean * mean) / (m - 1);
    const seMean = Math.sqrt(lambda / m);
    // Var of the sample variance of Poisson(λ): (μ4 − σ⁴)/m = (λ + 2λ²)/m.
    const seVar = Math.sqrt((lambda + 2 * lambda * lambda) / m);
    assert.ok(Math.abs(mean - lambda) < 3 * seMean, `λ=${lambda}: mean ${mean}`);
    assert.ok(Math.abs(variance - lambda) < 3 * seVar, `λ=${lambda}: variance ${variance}`);
  }
});

test('poisson: chi-square goodness of fit for lambda <= 20 (alpha = 0.001)', () => {
  const m = 100_000;
  // 9.99 and 10 straddle the switch from inversion to PTRS.
  for (const lambda of [0.5, 2, 5, 9.99, 10, 20]) {
    const rng = randomStream('poisson-gof', lambda);
    const maxK = Math.ceil(lambda + 12 * Math.sqrt(lambda) + 20);
    const counts = new Float64Array(maxK + 1);
    for (let i = 0; i < m; i++) counts[Math.min(poisson(rng, lambda), maxK)]!++;
    // Bins: merge the tails until each expected count is at least 5.
    const expected: number[] = [], observed: number[] = [];
    let e = 0, o = 0;
    let cumP = 0;
    for (let k = 0; k < maxK; k++) {
      const p = poissonPmf(lambda, k);
      cumP += p;
      e += m * p;
      o += counts[k]!;
      if (e >= 5 && m * (1 - cumP) >= 5) {
        expected.push(e); observed.push(o); e = 0; o = 0;
      }
    }
    expected.push(e + m * (1 - cumP));
    observed.push(o + counts[maxK]!);
    const chi2 = expected.reduce((acc, ex, i) => acc + (observed[i]! - ex) ** 2 / ex, 0);
    const dof = expected.length - 1;
    assert.ok(dof >= 2, `λ=${lambda}: too few bins`);
    assert.ok(chi2 < chi2Critical(dof, Z_001), `λ=${lambda}: chi2 ${chi2.toFixed(1)} with ${dof} dof`);
  }
});

test('poisson: zero mean gives zero, bad lambda is rejected, same stream gives same draws', () => {
  const rng = randomStream('poisson-edge');
  assert.equal(poisson(rng, 0), 0);
  assert.throws(() => poisson(rng, -1), /lambda must be a finite number in \[0, 2\^52\], got -1/);
  assert.throws(() => poisson(rng, Number.NaN), /got NaN/);
  assert.throws(() => poisson(rng, Infinity), /got Infinity/);
  const a = randomStream('same'), b = randomStream('same');
  const xa = Array.from({ length: 50 }, (_, i) => poisson(a, i * 3.7));
  const xb = Array.from({ length: 50 }, (_, i) => poisson(b, i * 3.7));
  assert.deepEqual(xa, xb);
});

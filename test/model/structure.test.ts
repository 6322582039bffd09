/**
 * Ensemble (statistical) properties of the generator: the mixing response to `segregation` and the
 * internal fractal structure. Mixing and Df come from `src/descriptors` (contact graph with the
 * 1e-6 tolerance, mixing index, pair-count slope), i.e. the same code users describe aggregates with.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contactGraph, heteroCoordination, pairCountDimension } from '../../src/descriptors/index.js';
import { generateAggregate } from '../../src/model/generate.js';
import { MODEL_PRESETS } from '../../src/model/params.js';
import type { ModelParams } from '../../src/model/types.js';
import { randomStream } from '../../src/random/index.js';
import { meanSe } from './helpers.js';

const base: ModelParams = { ...MODEL_PRESETS.paper, nParticles: 60, fractionB: 0.4 };

function mixing(params: ModelParams, count: number, tag: string): { mean: number; se: number; p0: number } {
  const ms: number[] = [];
  for (let i = 0; i < count; i++) {
    const a = generateAggregate(params, randomStream('mixing', tag, i));
    ms.push(heteroCoordination(contactGraph(a.particles), a.particles.material).mixingIndex);
  }
  const nB = Math.round(params.fractionB * params.nParticles), nA = params.nParticles - nB;
  return { ...meanSe(ms), p0: (2 * nA * nB) / (params.nParticles * (params.nParticles - 1)) };
}

test('mixing index M = f_het / p0: ≈ 1 at segregation 0, far below 1 at 1, decreasing in between', (t) => {
  const levels = [0, 0.25, 0.5, 0.75, 1];
  const res = levels.map((s) => mixing({ ...base, segregation: s }, 100, String(s)));
  t.diagnostic(`N = 60, N_B = 24 (p0 = ${res[0]!.p0.toFixed(4)}): ` + levels.map((s, k) => `s = ${s}: M = ${res[k]!.mean.toFixed(3)} ± ${res[k]!.se.toFixed(3)}`).join('; '));
  // Random labelling: the ensemble mean of M is within 3 standard errors of 1 (≈ 99.7 % level).
  assert.ok(Math.abs(res[0]!.mean - 1) < 3 * res[0]!.se, `M(s = 0) = ${res[0]!.mean} ± ${res[0]!.se}`);
  // Fully segregated: A and B meet in about one contact.
  assert.ok(res[4]!.mean < 0.15, `M(s = 1) = ${res[4]!.mean}`);
  for (let k = 1; k < levels.length; k++) {
    assert.ok(res[k]!.mean < res[k - 1]!.mean, `M not decreasing: M(${levels[k - 1]}) = ${res[k - 1]!.mean}, M(${levels[k]}) = ${res[k]!.mean}`);
  }
});

test('pair-count fractal dimension over [4a, Rg] tracks the target Df at N = 1000', (t) => {
  const targets: Array<[number, number]> = [[1.8, 1.3], [2.1, 1.0], [2.4, 0.8]];
  const means: number[] = [];
  for (const [fractalDim, prefactor] of targets) {
    const dfs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const a = generateAggregate({ ...MODEL_PRESETS.paper, nParticles: 1000, fractalDim, prefactor, overlap: 0 }, randomStream('df', fractalDim, i));
      dfs.push(pairCountDimension(a.particles).df);
    }
    const m = dfs.reduce((s, v) => s + v, 0) / dfs.length;
    t.diagnostic(`target Df ${fractalDim} (kf ${prefactor}): pair-count slopes ${dfs.map((v) => v.toFixed(3)).join(', ')}`);
    assert.ok(Math.abs(m - fractalDim) < 0.25, `target ${fractalDim}: mean pair-count Df ${m}`);
    means.push(m);
  }
  assert.ok(means[0]! < means[1]! && means[1]! < means[2]!, `pair-count Df not increasing with the target: ${means}`);
});

// Issue 17's acceptance check: with the domain-morphology parameters at the `dfsp` preset, projected
// element maps of N ≈ 300–600 aggregates at 0.625 nm/px (smoothed σ = 2 px like the published
// measurement) have compact WO3 domains (area-weighted 2D solidity ≥ 0.75) on an open TiO2 network
// (≤ 0.70), 6–45 WO3 domains and a boundary contact share of 0.10–0.35; without the new parameters
// the same aggregates' WO3 is as open as the rest. Construction invariants of domain mode too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { elementMapsOf } from '../../src/maps/render.js';
import { mapStatistics } from '../../src/maps/statistics.js';
import { generateAggregate } from '../../src/model/generate.js';
import { fractalLawRg } from '../../src/model/geometry.js';
import { MODEL_PRESETS, ModelParamError, validateModelParams } from '../../src/model/params.js';
import type { ModelParams } from '../../src/model/types.js';
import { randomStream } from '../../src/random/index.js';

const { domainSizeB: _s, domainFractalDimB: _d, domainPrefactorB: _k, ...WITHOUT_DOMAINS } = MODEL_PRESETS.dfsp;
const CASES = [300, 450, 600].flatMap((n) => [0, 1, 2].map((seed) => ({ n, seed })));

function statsOf(params: ModelParams) {
  return CASES.map(({ n, seed }) => {
    const agg = generateAggregate({ ...params, nParticles: n }, randomStream('dfsp-morphology', n, seed));
    return mapStatistics(elementMapsOf(agg.particles, { pixelSizeNm: 0.625 }), { smoothPx: 2 });
  });
}
const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;

test('dfsp preset: compact WO3 domains (solidity ≥ 0.75) on an open TiO2 network (≤ 0.70), 6–45 domains, contact share 0.10–0.35', () => {
  const s = statsOf(MODEL_PRESETS.dfsp);
  const solB = mean(s.map((x) => x.solidityB)), solA = mean(s.map((x) => x.solidityA));
  const contact = mean(s.map((x) => x.bBoundaryContactShare));
  assert.ok(solB >= 0.75, `mean WO3 solidity ${solB.toFixed(3)} (per aggregate ${s.map((x) => x.solidityB.toFixed(2)).join(', ')})`);
  assert.ok(solA <= 0.7, `mean TiO2 solidity ${solA.toFixed(3)} (per aggregate ${s.map((x) => x.solidityA.toFixed(2)).join(', ')})`);
  for (const x of s) assert.ok(x.bDomains >= 6 && x.bDomains <= 45, `WO3 domains ${x.bDomains}`);
  assert.ok(contact >= 0.1 && contact <= 0.35, `mean boundary contact share ${contact.toFixed(3)}`);
  const share = mean(s.map((x) => x.bAreaShare));
  assert.ok(share >= 0.3 && share <= 0.56, `WO3 area share ${share.toFixed(3)} (published 0.43 ± 0.13)`);
});

test('without the domain parameters the same aggregates have open WO3 (solidity < 0.70): the new parameters make the difference', () => {
  const s = statsOf(WITHOUT_DOMAINS);
  const solB = mean(s.map((x) => x.solidityB));
  assert.ok(solB < 0.7, `mean WO3 solidity without domains ${solB.toFixed(3)}`);
});

test('domain mode keeps the exact composition, the exact global fractal law and determinism', () => {
  for (const seg of [0, 0.5, 1]) {
    for (const fB of [0.05, 0.4, 0.95]) {
      const p = { ...MODEL_PRESETS.dfsp, nParticles: 120, fractionB: fB, segregation: seg, domainSizeB: 7 };
      const a = generateAggregate(p, randomStream('domain-invariants', seg, fB));
      const nB = a.particles.material.reduce((s, m) => s + m, 0);
      assert.equal(nB, Math.round(fB * 120), `composition at s = ${seg}, fB = ${fB}`);
      assert.ok(a.quality.rgRelError < 1e-9, `Rg error ${a.quality.rgRelError} at s = ${seg}, fB = ${fB}`);
      assert.ok(a.quality.maxOverlap < 1e-6, `unintended overlap ${a.quality.maxOverlap}`);
      // The law itself: Rg = a (N/kf)^(1/Df) with a the realised geometric-mean radius.
      const r = a.particles.r;
      const aGeo = Math.exp(r.reduce((s, x) => s + Math.log(x), 0) / r.length);
      assert.ok(Number.isFinite(fractalLawRg(120, aGeo, p.fractalDim, p.prefactor)));
      const b = generateAggregate(p, randomStream('domain-invariants', seg, fB));
      assert.deepEqual(b.particles, a.particles);
    }
  }
});

test('domain parameters are validated like the others and stay absent unless given', () => {
  assert.throws(() => validateModelParams({ ...MODEL_PRESETS.quick, domainSizeB: -1 }), (e: unknown) => e instanceof ModelParamError && /domainSizeB = -1/.test((e as Error).message));
  assert.throws(() => validateModelParams({ ...MODEL_PRESETS.quick, domainFractalDimB: 3.5 }), /domainFractalDimB = 3.5 is outside the allowed range \[1, 3\]/);
  assert.deepEqual(Object.keys(validateModelParams(MODEL_PRESETS.quick)), Object.keys(MODEL_PRESETS.quick));
  assert.equal(validateModelParams({ domainSizeB: 12 }, MODEL_PRESETS.quick).domainSizeB, 12);
});

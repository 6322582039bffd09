import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomStream } from '../../src/random/index.js';
import {
  simulateImage, materialIntensity, haadfFraction, opticalDensityFunction, microscopePreset, projectThickness,
} from '../../src/stem/index.js';
import { placeParticles, rasterizeThickness, createThicknessBuffers, sphereCornerIntegral } from '../../src/stem/project.js';
import { idealConfig, spheres, sum } from './helpers.js';

const R_TIO2 = 0.5e-3, R_WO3 = 1.69e-3;

test('I(0) = 0, I(t) strictly increasing, concave and < 1, and −ln(1 − I) linear in t', () => {
  const cfg = microscopePreset('paper');
  for (const m of [cfg.materialA, cfg.materialB]) {
    assert.equal(materialIntensity(m, 0), 0);
    let prev = 0, prevSlope = Infinity;
    for (let t = 1; t <= 5000; t *= 1.5) {
      const I = materialIntensity(m, t);
      assert.ok(I > prev && I < 1, `${m.name} t=${t}: I=${I}`);
      const slope = (I - prev) / t;
      assert.ok(slope < prevSlope);
      prevSlope = slope;
      // D = −ln(1 − I) is R·t to rounding.
      assert.ok(Math.abs(-Math.log1p(-I) - m.opticalDensityPerNm * t) <= 1e-12 * m.opticalDensityPerNm * t);
      prev = I;
    }
  }
  assert.equal(haadfFraction(0), 0);
  assert.equal(opticalDensityFunction(cfg.materialB).linearPerNm, R_WO3);
});

test('haadfFraction matches −expm1(−D) to 2 ulp on both sides of its polynomial branch, and is monotone across it', () => {
  const rng = randomStream('haadf-poly');
  const ulp = (x: number) => x * 2 ** -52;
  const ds = [1e-300, 1e-12, 1e-6, 0.015625 - 2 ** -60, 0.015625, 0.0156251, 0.5, 3, 40];
  for (let i = 0; i < 20000; i++) ds.push(0.02 * rng.double(), 1e-8 * rng.double());
  for (const D of ds) {
    const ref = -Math.expm1(-D);
    assert.ok(Math.abs(haadfFraction(D) - ref) <= 2 * ulp(ref), `D=${D}: ${haadfFraction(D)} vs ${ref}`);
  }
  let prev = 0;
  for (let D = 0.0155; D < 0.0157; D += 1e-8) {
    const I = haadfFraction(D);
    assert.ok(I >= prev, `not monotone at D=${D}`);
    prev = I;
  }
});

test('sphere volume is recovered from the thickness map for any radius and sub-pixel offset', () => {
  const geo = { widthPx: 48, heightPx: 48, pixelSizeNm: 0.7 };
  for (const rPx of [0.4, 1, 2, 2.5, 3.3, 7.9, 15]) {
    for (let k = 0; k < 7; k++) {
      const r = rPx * geo.pixelSizeNm;
      const p = spheres([[0.113 * k, -0.071 * k + 0.05, 2, r, k % 2]]);
      const placed = placeParticles(p, geo, undefined, false);
      const buf = rasterizeThickness(placed, geo, createThicknessBuffers());
      const volume = (sum(buf.thicknessA) + sum(buf.thicknessB)) * geo.pixelSizeNm ** 2;
      const exact = (4 / 3) * Math.PI * r ** 3;
      // Exact pixel integrals: far inside the 1 % required for r >= 2 px.
      assert.ok(Math.abs(volume / exact - 1) < 1e-9, `r=${rPx}px offset ${k}: ${volume} vs ${exact}`);
    }
  }
  // The centre chord is 2r (pixel mean of the chord differs by 1/(12 r²) relative).
  const big = projectThickness(spheres([[0, 0, 0, 40, 0]]), { widthPx: 101, heightPx: 101, pixelSizeNm: 1 }, { center: false });
  const centre = big.thicknessANm[50 * 101 + 50]!;
  assert.ok(Math.abs(centre / 80 - 1) < 1e-4, `centre chord ${centre}`);
  // Corner integral: a quarter of the sphere over [0, R]², symmetric in x and y.
  assert.ok(Math.abs(sphereCornerIntegral(10, 10, 10) - Math.PI * 1000 / 3) < 1e-9);
  assert.equal(sphereCornerIntegral(3, 4, 5), sphereCornerIntegral(4, 3, 5));
  assert.equal(sphereCornerIntegral(-3, 4, 5), -sphereCornerIntegral(3, 4, 5));
});

function lensVolume(r1: number, r2: number, d: number): number {
  return (Math.PI * (r1 + r2 - d) ** 2 * (d * d + 2 * d * (r1 + r2) - 3 * (r1 - r2) ** 2)) / (12 * d);
}
function capVolume(h: number, r: number): number {
  return (Math.PI * h * h * (3 * r - h)) / 3;
}

test('overlapping spheres: same material is a union (lens formula), different materials split at the radical plane', () => {
  const geo = { widthPx: 64, heightPx: 64, pixelSizeNm: 1 };
  const cases: [number, number, number, number][] = [[3, 3, 5, 0.3], [5, 3, 6.5, 1.0], [2, 2, 3.4, 0.7], [6, 6, 6, 1.4], [4, 4, 7.5, 0], [7, 2.5, 5.5, 2.2]];
  for (const [r1, r2, d, angle] of cases) {
    const dx = d * Math.cos(angle), dz = d * Math.sin(angle);
    const same = spheres([[0.3, 0.2, 0, r1, 0], [0.3 + dx, 0.2, dz, r2, 0]]);
    const bufSame = rasterizeThickness(placeParticles(same, geo, undefined, false), geo, createThicknessBuffers());
    const union = (4 / 3) * Math.PI * (r1 ** 3 + r2 ** 3) - lensVolume(r1, r2, d);
    assert.ok(Math.abs(sum(bufSame.thicknessA) / union - 1) < 1e-3, `union ${r1},${r2},${d}: ${sum(bufSame.thicknessA)} vs ${union}`);
    const mixed = spheres([[0.3, 0.2, 0, r1, 0], [0.3 + dx, 0.2, dz, r2, 1]]);
    const bufMixed = rasterizeThickness(placeParticles(mixed, geo, undefined, false), geo, createThicknessBuffers());
    const d1 = (d * d + r1 * r1 - r2 * r2) / (2 * d);
    const vA = (4 / 3) * Math.PI * r1 ** 3 - capVolume(r1 - d1, r1);
    const vB = (4 / 3) * Math.PI * r2 ** 3 - capVolume(r2 - (d - d1), r2);
    assert.ok(Math.abs(sum(bufMixed.thicknessA) / vA - 1) < 3e-3, `A part ${sum(bufMixed.thicknessA)} vs ${vA}`);
    assert.ok(Math.abs(sum(bufMixed.thicknessB) / vB - 1) < 3e-3, `B part ${sum(bufMixed.thicknessB)} vs ${vB}`);
    assert.ok(Math.abs((sum(bufMixed.thicknessA) + sum(bufMixed.thicknessB)) / union - 1) < 1e-3);
  }
  // A sphere entirely inside a larger one of the same material adds nothing.
  const nested = spheres([[0, 0, 0, 8, 0], [1, 1, 1, 3, 0]]);
  const bufNested = rasterizeThickness(placeParticles(nested, geo, undefined, false), geo, createThicknessBuffers());
  assert.ok(Math.abs(sum(bufNested.thicknessA) / ((4 / 3) * Math.PI * 512) - 1) < 1e-3);
});

test('optical densities add: −ln(1 − I) = R_A t_A + R_B t_B per pixel, also through sintered mixed overlaps', () => {
  const cfg = idealConfig();
  // Stacked along the beam (disjoint in 3D) and sintered side by side (overlapping in 3D).
  const p = spheres([[0, 0, -12, 6, 0], [1.5, 0.5, 0, 5, 1], [9, 0, 0.5, 5, 0], [2, 8.5, 0, 4, 1], [2, 12, 1, 3, 1]]);
  const img = simulateImage(p, cfg, randomStream('additive'));
  let checked = 0, both = 0;
  for (let i = 0; i < img.clean.length; i++) {
    const expected = R_TIO2 * img.thicknessANm[i]! + R_WO3 * img.thicknessBNm[i]!;
    const D = -Math.log1p(-img.clean[i]!);
    assert.ok(Math.abs(D - expected) <= 2e-6 * expected + 1e-12, `pixel ${i}: D=${D} expected ${expected}`);
    if (expected > 0) checked++;
    if (img.materialMask[i] === 3) both++;
    assert.equal(img.materialMask[i], (img.thicknessANm[i]! > 1e-6 ? 1 : 0) | (img.thicknessBNm[i]! > 1e-6 ? 2 : 0));
  }
  assert.ok(checked > 200 && both > 20, `checked ${checked}, both ${both}`);
});

test('Z contrast: centre −ln(1 − I) ratio of equal WO3 and TiO2 spheres is R_WO3/R_TiO2, I ratio → 3.38 as t → 0', () => {
  const cfg = idealConfig({ widthPx: 96, heightPx: 96, pixelSizeNm: 0.5 });
  let prevGap = Infinity;
  for (const r of [12, 6, 3, 1]) {
    // Both spheres centred on pixel centres, far apart, κ = 1, no blur, no carbon.
    const p = spheres([[-11.75, 0.25, 0, r, 0], [12.25, 0.25, 0, r, 1]]);
    const img = simulateImage(p, cfg, randomStream('contrast', r), { center: false });
    const ia = img.clean[48 * 96 + 24]!, ib = img.clean[48 * 96 + 72]!;
    const densityRatio = Math.log1p(-ib) / Math.log1p(-ia);
    assert.ok(Math.abs(densityRatio - R_WO3 / R_TIO2) < 1e-5, `r=${r}: D ratio ${densityRatio}`);
    const gap = Math.abs(ib / ia - 3.38);
    assert.ok(ib / ia < 3.38 && gap < prevGap, `r=${r}: I ratio ${ib / ia}`);
    prevGap = gap;
  }
  assert.ok(prevGap < 3.38 * 2e-3, `thin-limit I ratio off by ${prevGap}`);
});

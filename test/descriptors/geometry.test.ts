import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import {
  gyration, particleWeights, symmetricEigen3, principalFrame, lensVolume, unionVolume, sphereHull, maxExtentBruteForce,
  projectedArea, meanProjectedArea, projectionDirections, circleUnionArea, fibonacciInradius, phaseSeparation,
} from '../../src/descriptors/index.js';
import { randomStream, uniform, unitVector } from '../../src/random/index.js';
import { chain, particles, randomTree } from './fixtures.js';

const close = (a: number, b: number, rel: number, what = '') => assert.ok(Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b)), `${what} ${a} vs ${b} (rel ${rel})`);

test('single sphere: Rg = √0.6 r for both weightings; G = r²/5 I; asphericity and anisotropy 0', () => {
  const p = particles([[3, -2, 7, 4, 1]]);
  for (const w of ['volume', 'mass'] as const) {
    const g = gyration(p, particleWeights(p, w));
    close(g.rgNm, Math.sqrt(0.6) * 4, 1e-15, w);
    for (const l of g.eigenvaluesNm2) close(l, 16 / 5, 1e-15);
    assert.ok(Math.abs(g.asphericityNm2) < 1e-14 && Math.abs(g.relativeShapeAnisotropy) < 1e-14);
  }
});

test('touching equal dimer: Rg² = 1.6 a²; eigenvalues 6a²/5, a²/5, a²/5; asphericity a²; first axis along the dimer', () => {
  const a = 2.5;
  const p = particles([[0, 0, 0, a, 0], [0, 0, 2 * a, a, 0]]);
  const g = gyration(p);
  close(g.rgNm ** 2, 1.6 * a * a, 1e-14);
  close(g.eigenvaluesNm2[0], 1.2 * a * a, 1e-14);
  close(g.eigenvaluesNm2[1], 0.2 * a * a, 1e-14);
  close(g.eigenvaluesNm2[2], 0.2 * a * a, 1e-14);
  close(g.asphericityNm2, a * a, 1e-14);
  // κ² = 1 − 3(λ1λ2 + λ2λ3 + λ3λ1)/tr² with λ = (1.2, 0.2, 0.2)a²: 1 − 3·0.52/2.56
  close(g.relativeShapeAnisotropy, 1 - (3 * 0.52) / 2.56, 1e-14);
  // The principal axis is the dimer axis.
  assert.ok(Math.abs(Math.abs(g.axes[6]!) - 1) < 1e-14); // z component of the first column
});

test('gyration tensor: trace = Rg², eigen-decomposition reconstructs G, frame is a proper rotation', () => {
  const { p } = randomTree(randomStream('gyr'), 80, { sigma: 1.5 });
  const g = gyration(p);
  close(g.tensorNm2[0]! + g.tensorNm2[4]! + g.tensorNm2[8]!, g.rgNm ** 2, 1e-14, 'trace');
  close(g.eigenvaluesNm2[0] + g.eigenvaluesNm2[1] + g.eigenvaluesNm2[2], g.rgNm ** 2, 1e-13, 'Σλ');
  // Independent Rg: Σ w(|x − c|² + 0.6 r²)/Σ w
  let W = 0, s = 0;
  const [cx, cy, cz] = g.centreNm;
  for (let i = 0; i < p.x.length; i++) {
    const w = p.r[i]! ** 3;
    W += w;
    s += w * ((p.x[i]! - cx) ** 2 + (p.y[i]! - cy) ** 2 + (p.z[i]! - cz) ** 2 + 0.6 * p.r[i]! ** 2);
  }
  close(g.rgNm, Math.sqrt(s / W), 1e-13, 'Rg');
  const f = principalFrame(p, g);
  const det = f[0]! * (f[4]! * f[8]! - f[5]! * f[7]!) - f[1]! * (f[3]! * f[8]! - f[5]! * f[6]!) + f[2]! * (f[3]! * f[7]! - f[4]! * f[6]!);
  close(det, 1, 1e-12, 'det');
});

test('symmetricEigen3: random, degenerate and diagonal matrices', () => {
  const rng = randomStream('eig');
  const mats: number[][] = [
    [1, 0, 0, 0, 1, 0, 0, 0, 1], [2, 0, 0, 0, 1, 0, 0, 0, 1], [1, 0, 0, 0, 1, 0, 0, 0, 3], [0, 0, 0, 0, 0, 0, 0, 0, 0],
    [1, 1, 1, 1, 1, 1, 1, 1, 1], [5, 0, 0, 0, -2, 0, 0, 0, 7],
  ];
  for (let t = 0; t < 200; t++) {
    const a = uniform(rng, -3, 3), b = uniform(rng, -3, 3), c = uniform(rng, -3, 3);
    const d = uniform(rng, -3, 3), e = uniform(rng, -3, 3), f = uniform(rng, -3, 3);
    mats.push([a, d, e, d, b, f, e, f, c]);
  }
  for (const m of mats) {
    const { values, vectors: v } = symmetricEigen3(m);
    assert.ok(values[0] >= values[1] - 1e-12 && values[1] >= values[2] - 1e-12, `order ${values}`);
    const norm = Math.max(1, Math.hypot(...m));
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) {
      let rec = 0;
      for (let k = 0; k < 3; k++) rec += v[3 * r + k]! * values[k]! * v[3 * c + k]!;
      assert.ok(Math.abs(rec - m[3 * r + c]!) < 1e-12 * norm, `reconstruct ${m} at ${r},${c}: ${rec}`);
      let dot = 0;
      for (let k = 0; k < 3; k++) dot += v[3 * k + r]! * v[3 * k + c]!;
      assert.ok(Math.abs(dot - (r === c ? 1 : 0)) < 1e-12, 'orthonormal');
    }
  }
});

test('mass-weighted Rg equals volume-weighted Rg for one material, and differs for two', () => {
  const { p } = randomTree(randomStream('mass'), 60, { sigma: 1.3 });
  const het = gyration(p, particleWeights(p, 'mass')).rgNm;
  const vol = gyration(p).rgNm;
  assert.ok(Math.abs(het - vol) > 1e-6 * vol);
  for (const m of [0, 1]) {
    p.material.fill(m);
    close(gyration(p, particleWeights(p, 'mass')).rgNm, vol, 1e-13, `material ${m}`);
    close(gyration(p, particleWeights(p, 'mass', { A: 1, B: 100 })).rgNm, vol, 1e-13);
  }
  assert.throws(() => particleWeights(p, 'mass', { A: 0, B: 1 }), /density A must be a finite number > 0 g\/cm³, got 0/);
});

test('phase separation: |c_A − c_B| / Rg in closed form for a dimer', () => {
  const p = particles([[0, 0, 0, 1, 0], [2, 0, 0, 1, 1]]);
  close(phaseSeparation(p), 2 / Math.sqrt(1.6), 1e-14);
});

test('lens volume in all regimes: disjoint, touching, partial (vs two spherical caps), contained; continuous at the boundaries', () => {
  assert.equal(lensVolume(1, 2, 3.5), 0);
  assert.equal(lensVolume(1, 2, 3), 0);
  close(lensVolume(1, 2, 0.5), (4 / 3) * Math.PI, 1e-15);
  close(lensVolume(3, 1, 0), (4 / 3) * Math.PI, 1e-15);
  const cap = (r: number, h: number) => (Math.PI * h * h * (3 * r - h)) / 3;
  const rng = randomStream('lens');
  for (let t = 0; t < 100; t++) {
    const r1 = uniform(rng, 0.5, 5), r2 = uniform(rng, 0.5, 5);
    const d = uniform(rng, Math.abs(r1 - r2), r1 + r2);
    const x = (d * d + r1 * r1 - r2 * r2) / (2 * d); // plane of the intersection circle from centre 1
    close(lensVolume(r1, r2, d), cap(r1, r1 - x) + cap(r2, r2 - (d - x)), 1e-10, `r1=${r1} r2=${r2} d=${d}`);
  }
  // Equal radii: π (4r + d)(2r − d)² / 12
  close(lensVolume(2, 2, 1.3), (Math.PI * (8 + 1.3) * (4 - 1.3) ** 2) / 12, 1e-14);
  // Continuity at d = r1 + r2 and at d = |r1 − r2|
  assert.ok(lensVolume(1, 2, 3 - 1e-9) < 1e-8);
  close(lensVolume(1, 2, 1 + 1e-9), (4 / 3) * Math.PI, 1e-7);
  assert.throws(() => lensVolume(-1, 1, 1), /need r1, r2, d >= 0/);
});

test('union volume of two overlapping spheres matches a Monte Carlo estimate within 4 SE (99.99 %)', () => {
  const p = particles([[0, 0, 0, 2, 0], [2.5, 0, 0, 1.5, 1], [10, 0, 0, 1, 0]]);
  const v = unionVolume(p);
  close(v, (4 / 3) * Math.PI * (8 + 1.5 ** 3 + 1) - lensVolume(2, 1.5, 2.5), 1e-14);
  const rng = randomStream('mc-union');
  const n = 200000;
  let hit = 0;
  for (let k = 0; k < n; k++) {
    const x = uniform(rng, -2, 4), y = uniform(rng, -2, 2), z = uniform(rng, -2, 2);
    if (x * x + y * y + z * z < 4 || (x - 2.5) ** 2 + y * y + z * z < 2.25) hit++;
  }
  const box = 6 * 4 * 4, ph = hit / n;
  const est = ph * box + (4 / 3) * Math.PI, se = Math.sqrt((ph * (1 - ph)) / n) * box;
  assert.ok(Math.abs(est - v) < 4 * se, `MC ${est} ± ${se} vs ${v}`);
});

test('hull of one sphere and of a touching dimer: exact value within the sampling bound, from below, converging', () => {
  const r = 3;
  const sphere = particles([[1, 2, 3, r, 0]]);
  const dimer = particles([[0, 0, 0, r, 0], [2 * r, 0, 0, r, 1]]);
  const cases = [
    { p: sphere, v: (4 / 3) * Math.PI * r ** 3, s: 4 * Math.PI * r * r },
    { p: dimer, v: Math.PI * r * r * 2 * r + (4 / 3) * Math.PI * r ** 3, s: 2 * Math.PI * r * 2 * r + 4 * Math.PI * r * r },
  ];
  for (const { p, v, s } of cases) {
    let prev = 0;
    for (const m of [32, 64, 128, 512]) {
      const h = sphereHull(p, { pointsPerSphere: m });
      assert.ok(h.volumeNm3 <= v && v <= h.volumeNm3 + h.volumeErrorBoundNm3, `N=${p.x.length} m=${m}: V ${h.volumeNm3} bound ${h.volumeErrorBoundNm3} exact ${v}`);
      assert.ok(h.areaNm2 <= s && s <= h.areaNm2 + h.areaErrorBoundNm2, `N=${p.x.length} m=${m}: S ${h.areaNm2} bound ${h.areaErrorBoundNm2} exact ${s}`);
      assert.ok(h.volumeNm3 > prev, 'converges from below');
      prev = h.volumeNm3;
    }
    close(prev, v, 0.012, 'm = 512 within 1.2 %');
  }
  assert.ok(fibonacciInradius(128) > 0.97 && fibonacciInradius(128) < 0.972);
});

test('hull of four touching spheres on a regular tetrahedron matches the Steiner formula within the bound', () => {
  const a = 1.7, L = 2 * a;
  const s = L / Math.sqrt(8); // vertices (±s, ±s, ±s) with an even number of minus signs: edge length L
  const p = particles([[s, s, s, a, 0], [s, -s, -s, a, 1], [-s, s, -s, a, 0], [-s, -s, s, a, 1]]);
  const theta = Math.acos(1 / 3);
  const Vc = L ** 3 / (6 * Math.SQRT2), Sc = Math.sqrt(3) * L * L, Mc = (6 * L * (Math.PI - theta)) / 2;
  const V = Vc + Sc * a + Mc * a * a + (4 / 3) * Math.PI * a ** 3;
  const S = Sc + 2 * Mc * a + 4 * Math.PI * a * a;
  for (const m of [64, 256]) {
    const h = sphereHull(p, { pointsPerSphere: m });
    assert.ok(h.volumeNm3 <= V && V <= h.volumeNm3 + h.volumeErrorBoundNm3, `m=${m}: ${h.volumeNm3} + ${h.volumeErrorBoundNm3} vs ${V}`);
    assert.ok(h.areaNm2 <= S && S <= h.areaNm2 + h.areaErrorBoundNm2, `m=${m}: ${h.areaNm2} + ${h.areaErrorBoundNm2} vs ${S}`);
    close(h.maxExtentNm, L + 2 * a, 1e-14);
  }
});

test('hull of a random tree: finer sampling grows the volume within the coarse bound; D_max equals the brute force', () => {
  const { p } = randomTree(randomStream('hull-tree'), 200, { sigma: 1.4 });
  const h64 = sphereHull(p, { pointsPerSphere: 64 });
  const h256 = sphereHull(p, { pointsPerSphere: 256 });
  assert.ok(h64.volumeNm3 < h256.volumeNm3 && h256.volumeNm3 <= h64.volumeNm3 + h64.volumeErrorBoundNm3);
  assert.ok(h64.areaNm2 < h256.areaNm2 && h256.areaNm2 <= h64.areaNm2 + h64.areaErrorBoundNm2);
  assert.ok(h64.boundarySpheres.length < p.x.length, 'the inner-hull filter drops interior spheres');
  assert.equal(h64.maxExtentNm, h256.maxExtentNm);
  close(h64.maxExtentNm, maxExtentBruteForce(p), 1e-14);
  close(sphereHull(chain(7, 2)).maxExtentNm, 28, 1e-14);
  assert.equal(sphereHull(particles([[0, 0, 0, 2, 0]])).maxExtentNm, 4);
  assert.throws(() => sphereHull(p, { pointsPerSphere: 8 }), /pointsPerSphere must be an integer >= 16, got 8/);
  assert.throws(() => sphereHull(p, { frame: [2, 0, 0, 0, 1, 0, 0, 0, 1] }), /frame must be a rotation matrix/);
  assert.throws(() => sphereHull(p, { frame: [1, 0, 0, 0, 1, 0, 0, 0, -1] }), /proper rotation \(det \+1\)/);
  assert.throws(() => projectionDirections(randomStream(1), 4, [1, 0, 0]), /9 numbers/);
});

test('projected area: a sphere is πr² in every direction; a touching dimer is 2πa² − lens(2a sin θ) per direction', () => {
  const rng = randomStream('proj');
  const a = 1.3;
  const sphere = particles([[5, 5, 5, a, 0]]);
  const dimer = particles([[0, 0, 0, a, 0], [0, 0, 2 * a, a, 1]]);
  for (let t = 0; t < 50; t++) {
    const u = unitVector(rng);
    close(projectedArea(sphere, u), Math.PI * a * a, 1e-14);
    const sinT = Math.hypot(u[0], u[1]);
    const s = 2 * a * sinT; // projected centre distance
    const lens = 2 * a * a * Math.acos(s / (2 * a)) - (s / 2) * Math.sqrt(4 * a * a - s * s);
    close(projectedArea(dimer, u), 2 * Math.PI * a * a - lens, 1e-12, `direction ${u}`);
  }
  close(projectedArea(dimer, [0, 0, 1]), Math.PI * a * a, 1e-14, 'end-on: identical discs count once');
  close(projectedArea(dimer, [1, 0, 0]), 2 * Math.PI * a * a, 1e-14, 'side-on: tangent discs');
  assert.throws(() => projectedArea(dimer, [0, 0, 0]), /direction must be a finite non-zero vector/);
});

test('mean projected area of a dimer over random orientations ≈ a²(π + 8/3) (orientation-average closed form)', () => {
  const a = 2;
  const dimer = particles([[0, 0, 0, a, 0], [2 * a, 0, 0, a, 1]]);
  const exact = a * a * (Math.PI + 8 / 3);
  for (const seed of [1, 2, 3]) {
    // Rotated Fibonacci rule with K = 64: measured error < 0.2 %; allow 0.5 %.
    close(meanProjectedArea(dimer, projectionDirections(randomStream('dimer-mean', seed), 64)), exact, 0.005);
  }
  // Unbiasedness: the mean over many independent rotations of a tiny rule (K = 2) within 4 SE.
  const vals: number[] = [];
  for (let k = 0; k < 400; k++) vals.push(meanProjectedArea(dimer, projectionDirections(randomStream('dimer-iid', k), 2)));
  const m = vals.reduce((x, y) => x + y, 0) / vals.length;
  const se = Math.sqrt(vals.reduce((x, y) => x + (y - m) ** 2, 0) / (vals.length - 1) / vals.length);
  assert.ok(Math.abs(m - exact) < 4 * se, `${m} ± ${se} vs ${exact}`);
});

test('circle-union area: two circles, containment, identical circles, and random discs vs Monte Carlo within 4 SE', () => {
  close(circleUnionArea([0, 3], [0, 0], [1, 1]), 2 * Math.PI, 1e-14);
  const lens = (r: number, d: number) => 2 * r * r * Math.acos(d / (2 * r)) - (d / 2) * Math.sqrt(4 * r * r - d * d);
  close(circleUnionArea([0, 1.2], [0, 0], [1, 1]), 2 * Math.PI - lens(1, 1.2), 1e-13);
  close(circleUnionArea([0, 0.5], [0, 0.2], [3, 1]), 9 * Math.PI, 1e-14);
  close(circleUnionArea([1, 1, 1], [2, 2, 2], [2, 2, 2]), 4 * Math.PI, 1e-14);
  const rng = randomStream('discs');
  const n = 80;
  const cx = Float64Array.from({ length: n }, () => uniform(rng, 0, 30));
  const cy = Float64Array.from({ length: n }, () => uniform(rng, 0, 30));
  const r = Float64Array.from({ length: n }, () => uniform(rng, 0.5, 4));
  const area = circleUnionArea(cx, cy, r);
  const m = 200000;
  let hit = 0;
  for (let k = 0; k < m; k++) {
    const x = uniform(rng, -4, 34), y = uniform(rng, -4, 34);
    for (let i = 0; i < n; i++) if ((x - cx[i]!) ** 2 + (y - cy[i]!) ** 2 < r[i]! ** 2) { hit++; break; }
  }
  const box = 38 * 38, ph = hit / m, se = Math.sqrt((ph * (1 - ph)) / m) * box;
  assert.ok(Math.abs(ph * box - area) < 4 * se, `MC ${ph * box} ± ${se} vs exact ${area}`);
});

test('union volume drops spheres inside other spheres: duplicates and nested spheres count once', () => {
  const v = (r: number) => (4 / 3) * Math.PI * r ** 3;
  close(unionVolume(particles([[0, 0, 0, 1, 0], [0, 0, 0, 1, 1], [0, 0, 0, 1, 1]])), v(1), 1e-14);
  close(unionVolume(particles([[0, 0, 0, 3, 0], [0.5, 0, 0, 1, 1], [1, 0, 0, 0.5, 0]])), v(3), 1e-14);
  // A nested sphere plus a partial overlap with the big one: V(big ∪ other).
  close(unionVolume(particles([[0, 0, 0, 3, 0], [0.5, 0, 0, 1, 1], [3.5, 0, 0, 1, 0]])), v(3) + v(1) - lensVolume(3, 1, 3.5), 1e-14);
  // Three mutually overlapping spheres (a triple region): a lower bound, never below the largest sphere.
  const tri = particles([[0, 0, 0, 1, 0], [0.2, 0, 0, 1, 0], [0.1, 0.1, 0, 1, 0]]);
  const u = unionVolume(tri);
  assert.ok(u >= v(1) && u < v(1.2));
});

test('hull of strongly degenerate inputs (straight chain, flat square sheet) matches the Steiner formula within the bound', () => {
  const a = 1.5;
  const n = 20, L = 2 * a * (n - 1);
  const c = sphereHull(chain(n, a));
  const Vc = Math.PI * a * a * L + (4 / 3) * Math.PI * a ** 3, Sc = 2 * Math.PI * a * L + 4 * Math.PI * a * a;
  assert.ok(c.volumeNm3 <= Vc && Vc <= c.volumeNm3 + c.volumeErrorBoundNm3, `chain V ${c.volumeNm3} + ${c.volumeErrorBoundNm3} vs ${Vc}`);
  assert.ok(c.areaNm2 <= Sc && Sc <= c.areaNm2 + c.areaErrorBoundNm2, `chain S ${c.areaNm2} + ${c.areaErrorBoundNm2} vs ${Sc}`);
  const rows: [number, number, number, number, number][] = [];
  for (let i = 0; i < 8; i++) for (let j = 0; j < 8; j++) rows.push([2 * a * i, 2 * a * j, 0, a, (i + j) & 1]);
  const side = 14 * a, A = side * side, P = 4 * side;
  const Vs = 2 * A * a + ((Math.PI * P) / 2) * a * a + (4 / 3) * Math.PI * a ** 3, Ss = 2 * A + Math.PI * P * a + 4 * Math.PI * a * a;
  const s = sphereHull(particles(rows));
  assert.ok(s.volumeNm3 <= Vs && Vs <= s.volumeNm3 + s.volumeErrorBoundNm3, `sheet V ${s.volumeNm3} + ${s.volumeErrorBoundNm3} vs ${Vs}`);
  assert.ok(s.areaNm2 <= Ss && Ss <= s.areaNm2 + s.areaErrorBoundNm2, `sheet S ${s.areaNm2} + ${s.areaErrorBoundNm2} vs ${Ss}`);
});

test('regression: an input where quickhull3d returns a surface with a hole is retried and gets the closed hull', () => {
  // Found by a sweep: quickhull3d's first answer for these 64-point lattices misses two triangles
  // (volume 624557.15 nm³); the same points in reverse order give the closed hull below.
  const { p } = randomTree(randomStream('qh', 21), 135, { sigma: 1.42 });
  const h = sphereHull(p, { pointsPerSphere: 64, frame: principalFrame(p, gyration(p)) });
  assert.ok(Math.abs(h.volumeNm3 / 624807.0229 - 1) < 1e-8, `${h.volumeNm3}`);
});

test('circle-union area of a dense pile (most discs fully covered) vs Monte Carlo within 4 SE', () => {
  const rng = randomStream('dense-discs');
  const n = 400;
  const cx = Float64Array.from({ length: n }, () => uniform(rng, 0, 20));
  const cy = Float64Array.from({ length: n }, () => uniform(rng, 0, 20));
  const r = Float64Array.from({ length: n }, () => uniform(rng, 0.3, 3));
  const area = circleUnionArea(cx, cy, r);
  const m = 100000;
  let hit = 0;
  for (let k = 0; k < m; k++) {
    const x = uniform(rng, -3, 23), y = uniform(rng, -3, 23);
    for (let i = 0; i < n; i++) if ((x - cx[i]!) ** 2 + (y - cy[i]!) ** 2 < r[i]! ** 2) { hit++; break; }
  }
  const box = 26 * 26, ph = hit / m, se = Math.sqrt((ph * (1 - ph)) / m) * box;
  assert.ok(Math.abs(ph * box - area) < 4 * se, `MC ${ph * box} ± ${se} vs exact ${area}`);
  // Order of the discs does not matter.
  const perm = Array.from({ length: n }, (_, i) => n - 1 - i);
  const area2 = circleUnionArea(perm.map((i) => cx[i]!), perm.map((i) => cy[i]!), perm.map((i) => r[i]!));
  assert.ok(Math.abs(area2 - area) < 1e-9 * area);
});

test('the hull dependency loads in plain Node ESM (no tsx), as in the compiled CLI and notebooks', () => {
  // quickhull3d's main entry fails there (extensionless imports); hull.ts imports its bundle instead.
  const code = "import qh from 'quickhull3d/dist/quickhull3d.js'; const f = qh([[0,0,0],[1,0,0],[0,1,0],[0,0,1]]); if (f.length !== 4) process.exit(3);";
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: new URL('../..', import.meta.url).pathname, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

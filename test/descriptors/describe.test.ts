import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeAggregate, DESCRIPTOR_NAMES, DESCRIPTOR_INFO, projectionDirections, unionVolume, sphereHull, principalFrame, gyration } from '../../src/descriptors/index.js';
import * as lib from '../../src/index.js';
import { randomStream } from '../../src/random/index.js';
import { particles, randomTree, rigidMotion, rotateDirections } from './fixtures.js';

function assertSame(a: Record<string, number>, b: Record<string, number>, rel: number, what: string) {
  for (const k of DESCRIPTOR_NAMES) {
    const x = a[k]!, y = b[k]!;
    if (Number.isNaN(x) || Number.isNaN(y)) {
      assert.ok(Number.isNaN(x) && Number.isNaN(y), `${what}: ${k} ${x} vs ${y}`);
      continue;
    }
    assert.ok(Math.abs(x - y) <= rel * Math.max(Math.abs(x), Math.abs(y), 1e-300), `${what}: ${k} ${x} vs ${y} (rel ${Math.abs(x - y) / Math.abs(x)})`);
  }
}

test('every descriptor is invariant under random rigid motions to 1e-9 relative (sintered, polydisperse, two materials)', () => {
  const rng = randomStream('rigid');
  for (let t = 0; t < 4; t++) {
    const { p } = randomTree(randomStream('rigid-tree', t), 40 + 30 * t, { sigma: 1.3, overlap: 0.05, fractionB: 0.3 });
    const opts = { rng: randomStream('rigid-proj', t), projections: 16, hullPointsPerSphere: 64 };
    const d0 = describeAggregate(p, opts);
    const moved = rigidMotion(p, rng);
    const d1 = describeAggregate(moved.p, { ...opts, rng: randomStream('rigid-proj', t) });
    assertSame(d0, d1, 1e-9, `tree ${t}`);
    // Explicit lab-frame directions: rotating them with the aggregate gives the same mean area.
    const dirs = projectionDirections(randomStream('explicit', t), 8);
    const e0 = describeAggregate(p, { ...opts, directions: dirs });
    const e1 = describeAggregate(moved.p, { ...opts, directions: rotateDirections(dirs, moved.q) });
    assert.ok(Math.abs(e0.meanProjectedAreaNm2 - e1.meanProjectedAreaNm2) < 1e-9 * e0.meanProjectedAreaNm2);
    assert.ok(d0.particleVolumeNm3 < (4 / 3) * Math.PI * p.r.reduce((s, r) => s + r ** 3, 0), 'overlaps are subtracted');
  }
});

test('describeAggregate is deterministic given the rng; only the projected area depends on it', () => {
  const { p } = randomTree(randomStream('det'), 50);
  const a = describeAggregate(p, { rng: randomStream('s', 1), projections: 8, hullPointsPerSphere: 32 });
  const b = describeAggregate(p, { rng: randomStream('s', 1), projections: 8, hullPointsPerSphere: 32 });
  const c = describeAggregate(p, { rng: randomStream('s', 2), projections: 8, hullPointsPerSphere: 32 });
  assert.deepEqual(a, b);
  assert.notEqual(a.meanProjectedAreaNm2, c.meanProjectedAreaNm2);
  assert.ok(Math.abs(a.meanProjectedAreaNm2 - c.meanProjectedAreaNm2) < 0.05 * a.meanProjectedAreaNm2);
  for (const k of DESCRIPTOR_NAMES) if (k !== 'meanProjectedAreaNm2' && k !== 'projectedAreaDiameterNm') assert.equal(a[k], c[k], k);
  assert.deepEqual(describeAggregate(p, { projections: 4, hullPointsPerSphere: 32 }), describeAggregate(p, { projections: 4, hullPointsPerSphere: 32 }), 'default stream is fixed');
});

test('record keys follow DESCRIPTOR_NAMES; every name has a unit and a description; exported from the package barrel', () => {
  const d = describeAggregate(particles([[0, 0, 0, 1, 0], [2, 0, 0, 1, 1]]), { projections: 4, hullPointsPerSphere: 32 });
  assert.deepEqual(Object.keys(d), DESCRIPTOR_NAMES);
  for (const k of DESCRIPTOR_NAMES) {
    assert.equal(typeof DESCRIPTOR_INFO[k].unit, 'string');
    assert.ok(DESCRIPTOR_INFO[k].description.length > 10, k);
    assert.equal(typeof d[k], 'number');
  }
  for (const k of DESCRIPTOR_NAMES) if (k.endsWith('Nm')) assert.equal(DESCRIPTOR_INFO[k].unit, 'nm', k);
  assert.equal(lib.describeAggregate, describeAggregate);
});

test('single sphere: closed forms through describeAggregate', () => {
  const r = 4;
  const d = describeAggregate(particles([[1, 1, 1, r, 1]]), { projections: 5 });
  assert.deepEqual([d.nParticles, d.nA, d.nB, d.contacts, d.meanCoordination, d.heteroContacts, d.cnHet], [1, 0, 1, 0, 0, 0, 0]);
  assert.ok(Number.isNaN(d.heteroContactFraction) && Number.isNaN(d.mixingIndex) && Number.isNaN(d.cnHetPerA));
  assert.ok(Number.isNaN(d.fractalDimPairCount) && Number.isNaN(d.phaseSeparation));
  assert.ok(Math.abs(d.rgVolumeNm - Math.sqrt(0.6) * r) < 1e-14);
  assert.ok(Math.abs(d.meanProjectedAreaNm2 - Math.PI * r * r) < 1e-12);
  assert.ok(Math.abs(d.projectedAreaDiameterNm - 2 * r) < 1e-12);
  assert.equal(d.maxExtentNm, 2 * r);
  const v = (4 / 3) * Math.PI * r ** 3;
  assert.ok(Math.abs(d.particleVolumeNm3 - v) < 1e-12 * v);
  // The sampled hull is inside the sphere: solidity ≥ 1 by at most the sampling bound (≈ 9 % at 128 points).
  const h = sphereHull(particles([[1, 1, 1, r, 1]]));
  assert.ok(d.solidity >= 1 && d.solidity <= v / (v - h.volumeErrorBoundNm3));
  assert.deepEqual([d.domainsA, d.domainsB, d.meanDomainSize], [0, 1, 1]);
});

test('dimer through describeAggregate: contacts, Rg, D_max, volume, mixing', () => {
  const a = 3;
  const d = describeAggregate(particles([[0, 0, 0, a, 0], [0, 2 * a, 0, a, 1]]));
  assert.deepEqual([d.contacts, d.heteroContacts, d.meanCoordination, d.cnHet, d.cnHetPerA, d.cnHetPerB, d.heteroContactFraction], [1, 1, 1, 1, 1, 1, 1]);
  assert.equal(d.mixingIndex, 1); // p0 = 2·1·1/(2·1) = 1
  assert.ok(Math.abs(d.rgVolumeNm ** 2 - 1.6 * a * a) < 1e-12);
  assert.ok(Math.abs(d.maxExtentNm - 4 * a) < 1e-12);
  assert.ok(Math.abs(d.particleVolumeNm3 - (8 / 3) * Math.PI * a ** 3) < 1e-9);
  assert.ok(Math.abs(d.meanProjectedAreaNm2 / (a * a * (Math.PI + 8 / 3)) - 1) < 0.005);
});

test('principalFrame is body-fixed: rotating the aggregate rotates the frame', () => {
  const { p } = randomTree(randomStream('frame'), 70);
  const moved = rigidMotion(p, randomStream('frame-motion'));
  const f0 = principalFrame(p, gyration(p)), f1 = principalFrame(moved.p, gyration(moved.p));
  const q = moved.q;
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) {
    const want = q[3 * r]! * f0[c]! + q[3 * r + 1]! * f0[3 + c]! + q[3 * r + 2]! * f0[6 + c]!;
    assert.ok(Math.abs(f1[3 * r + c]! - want) < 1e-10, `frame[${r}][${c}]`);
  }
});

test('describeAggregate validates its input and options', () => {
  const p = particles([[0, 0, 0, 1, 0], [2, 0, 0, 1, 1]]);
  assert.throws(() => describeAggregate({ ...p, r: Float64Array.from([1]) }), /describeAggregate: particles\.r has length 1, expected 2/);
  assert.throws(() => describeAggregate(p, { projections: 0 }), /count must be an integer >= 1, got 0/);
  assert.throws(() => describeAggregate(p, { directions: [1, 0] }), /directions must be packed 3-vectors/);
  assert.throws(() => describeAggregate(p, { densities: { A: -1, B: 7 } }), /density A must be a finite number > 0/);
  assert.ok(Math.abs(unionVolume(p) - (8 / 3) * Math.PI) < 1e-12);
});

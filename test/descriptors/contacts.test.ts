import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contactGraph, coordination, heteroCoordination, homoDomains, describeAggregate } from '../../src/descriptors/index.js';
import { randomStream, uniform, shuffleInPlace, lognormal } from '../../src/random/index.js';
import type { Particles } from '../../src/model/types.js';
import { chain, particles, randomTree, star } from './fixtures.js';

function bruteForceEdges(p: Particles, tol: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < p.x.length; i++) for (let j = i + 1; j < p.x.length; j++) {
    const dx = p.x[j]! - p.x[i]!, dy = p.y[j]! - p.y[i]!, dz = p.z[j]! - p.z[i]!;
    if (Math.sqrt(dx * dx + dy * dy + dz * dz) <= (p.r[i]! + p.r[j]!) * (1 + tol)) out.push(`${i}-${j}`);
  }
  return out;
}

test('contact graph equals the O(N²) brute force on random inputs (touching, within-tolerance, overlapping, contained pairs)', () => {
  const rng = randomStream('contacts-brute');
  for (let trial = 0; trial < 6; trial++) {
    const n = 300;
    const p: Particles = { x: new Float64Array(n), y: new Float64Array(n), z: new Float64Array(n), r: new Float64Array(n), material: new Uint8Array(n) };
    const box = 40 + 20 * trial;
    for (let i = 0; i < n; i++) {
      p.r[i] = lognormal(rng, 3, 1.5, { lo: 0.5, hi: 12 });
      p.material[i] = rng.double() < 0.4 ? 1 : 0;
      if (i > 0 && rng.double() < 0.3) {
        // Place exactly at contact, just inside or just outside the tolerance, or inside another sphere.
        const j = Math.floor(rng.double() * i);
        const mode = Math.floor(rng.double() * 4);
        const s = p.r[i]! + p.r[j]!;
        const d = [s, s * (1 + 0.5e-6), s * (1 + 2e-6), 0.1 * Math.abs(p.r[i]! - p.r[j]!)][mode]!;
        const u = [uniform(rng, -1, 1), uniform(rng, -1, 1), uniform(rng, -1, 1)];
        const l = Math.hypot(u[0]!, u[1]!, u[2]!);
        p.x[i] = p.x[j]! + (d * u[0]!) / l; p.y[i] = p.y[j]! + (d * u[1]!) / l; p.z[i] = p.z[j]! + (d * u[2]!) / l;
      } else {
        p.x[i] = uniform(rng, 0, box); p.y[i] = uniform(rng, 0, box); p.z[i] = uniform(rng, 0, box);
      }
    }
    for (const tol of [1e-6, 0, 0.05]) {
      const g = contactGraph(p, tol);
      const got = Array.from(g.i, (a, k) => `${a}-${g.j[k]}`);
      assert.deepEqual(got, bruteForceEdges(p, tol), `trial ${trial}, tol ${tol}`);
      const deg = new Int32Array(n);
      for (let k = 0; k < g.i.length; k++) { deg[g.i[k]!]!++; deg[g.j[k]!]!++; assert.ok(g.i[k]! < g.j[k]!); }
      assert.deepEqual(g.degree, deg);
    }
  }
});

test('a grown tree has exactly its N − 1 intended contacts: mean CN = 2(N − 1)/N', () => {
  const { p, parent } = randomTree(randomStream('tree-edges'), 150, { sigma: 1.4 });
  const g = contactGraph(p);
  const want = Array.from(parent).map((par, i) => (par < 0 ? '' : `${Math.min(par, i)}-${Math.max(par, i)}`)).filter(Boolean).sort();
  assert.deepEqual(Array.from(g.i, (a, k) => `${a}-${g.j[k]}`).sort(), want);
  const c = coordination(g);
  assert.equal(c.edges, 149);
  assert.equal(c.meanCoordination, (2 * 149) / 150);
});

test('path P3 A–B–A: CN, CN_het (all three), f_het, M and domains in closed form', () => {
  const p = chain(3, 1, (i) => (i === 1 ? 1 : 0));
  const g = contactGraph(p);
  assert.deepEqual(Array.from(g.degree), [1, 2, 1]);
  const h = heteroCoordination(g, p.material);
  assert.equal(h.edges, 2);
  assert.equal(h.heteroEdges, 2);
  assert.equal(h.cnHet, 4 / 3);
  assert.equal(h.cnHetPerA, 1);
  assert.equal(h.cnHetPerB, 2);
  assert.equal(h.heteroFraction, 1);
  assert.ok(Math.abs(h.mixingIndex - 1.5) < 1e-15); // p0 = 2·2·1/(3·2) = 2/3
  const d = homoDomains(g, p.material);
  assert.equal(d.countA, 2);
  assert.equal(d.countB, 1);
  assert.equal(d.largestFractionA, 0.5);
  assert.equal(d.largestFractionB, 1);
  assert.equal(d.meanSize, 1);
});

test('path P3 A–A–B: one hetero contact', () => {
  const p = chain(3, 2.5, (i) => (i === 2 ? 1 : 0));
  const g = contactGraph(p);
  const h = heteroCoordination(g, p.material);
  assert.equal(h.heteroEdges, 1);
  assert.equal(h.cnHet, 2 / 3);
  assert.equal(h.cnHetPerA, 0.5);
  assert.equal(h.cnHetPerB, 1);
  assert.equal(h.heteroFraction, 0.5);
  assert.ok(Math.abs(h.mixingIndex - 0.75) < 1e-15);
  const d = homoDomains(g, p.material);
  assert.deepEqual([d.countA, d.countB, d.largestFractionA, d.largestFractionB, d.meanSize], [1, 1, 1, 1, 1.5]);
  assert.deepEqual(Array.from(d.label), [0, 0, 1]);
});

test('star graphs: centre A with 4 B leaves, and centre A with 3 A + 3 B leaves', () => {
  let p = star(4, 1, 0, 1);
  let g = contactGraph(p);
  assert.deepEqual(Array.from(g.degree), [4, 1, 1, 1, 1]);
  assert.equal(coordination(g).meanCoordination, 8 / 5);
  let h = heteroCoordination(g, p.material);
  assert.deepEqual([h.heteroEdges, h.cnHet, h.cnHetPerA, h.cnHetPerB, h.heteroFraction], [4, 8 / 5, 4, 1, 1]);
  assert.ok(Math.abs(h.mixingIndex - 2.5) < 1e-15); // p0 = 2·1·4/(5·4) = 0.4
  let d = homoDomains(g, p.material);
  assert.deepEqual([d.countA, d.countB, d.largestFractionA, d.largestFractionB, d.meanSize], [1, 4, 1, 0.25, 1]);

  p = star(6, 1, 0, 0);
  p.material.set([1, 1, 1], 4); // leaves 4, 5, 6 (±y... the last three arms) become B
  g = contactGraph(p);
  h = heteroCoordination(g, p.material);
  assert.deepEqual([h.nA, h.nB, h.edges, h.heteroEdges], [4, 3, 6, 3]);
  assert.equal(h.heteroFraction, 0.5);
  assert.ok(Math.abs(h.mixingIndex - 0.875) < 1e-15); // p0 = 2·4·3/(7·6) = 4/7
  assert.equal(h.cnHetPerA, 3 / 4);
  assert.equal(h.cnHetPerB, 1);
  d = homoDomains(g, p.material);
  assert.deepEqual([d.countA, d.countB, d.largestFractionA, d.largestFractionB, d.meanSize], [1, 3, 1, 1 / 3, 7 / 4]);
});

test('all-A aggregate: M = 0, f_het = 0, per-B numbers NaN; a single sphere has NaN mixing', () => {
  const p = chain(5);
  const h = heteroCoordination(contactGraph(p), p.material);
  assert.equal(h.mixingIndex, 0);
  assert.equal(h.heteroFraction, 0);
  assert.equal(h.cnHet, 0);
  assert.ok(Number.isNaN(h.cnHetPerB));
  const d = homoDomains(contactGraph(p), p.material);
  assert.deepEqual([d.countA, d.countB, d.largestFractionA, d.meanSize], [1, 0, 1, 5]);
  assert.ok(Number.isNaN(d.largestFractionB));
  const one = heteroCoordination(contactGraph(chain(1)), [0]);
  assert.ok(Number.isNaN(one.mixingIndex) && Number.isNaN(one.heteroFraction));
  const all = describeAggregate(chain(5, 1, () => 1), { projections: 4, hullPointsPerSphere: 32 });
  assert.equal(all.mixingIndex, 0);
  assert.ok(Number.isNaN(all.phaseSeparation));
});

test('alternating (bipartite) labelling of a tree gives f_het = 1 and one-particle domains', () => {
  const { p, parent } = randomTree(randomStream('bipartite'), 120);
  const depth = new Int32Array(p.x.length);
  for (let i = 1; i < p.x.length; i++) depth[i] = depth[parent[i]!]! + 1; // parents precede children
  for (let i = 0; i < p.x.length; i++) p.material[i] = depth[i]! & 1;
  const g = contactGraph(p);
  const h = heteroCoordination(g, p.material);
  assert.equal(h.heteroFraction, 1);
  assert.equal(h.heteroEdges, p.x.length - 1);
  const d = homoDomains(g, p.material);
  assert.equal(d.countA + d.countB, p.x.length);
  assert.equal(d.meanSize, 1);
});

test('random relabelling on a fixed tree: mean M within 3 SE of 1 and mean CN_het within 3 SE of 4 N_A N_B / N² (≈ 99.7 % level)', () => {
  const { p } = randomTree(randomStream('perm-tree'), 100);
  const g = contactGraph(p);
  const labels = new Uint8Array(100);
  labels.fill(1, 0, 35); // N_B = 35, N_A = 65
  const rng = randomStream('perm-labels');
  const trials = 600;
  const ms: number[] = [], cs: number[] = [];
  for (let t = 0; t < trials; t++) {
    shuffleInPlace(rng, labels);
    const h = heteroCoordination(g, labels);
    ms.push(h.mixingIndex);
    cs.push(h.cnHet);
  }
  const check = (xs: number[], want: number, what: string) => {
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
    const se = sd / Math.sqrt(xs.length);
    assert.ok(sd > 0, `${what}: no spread`);
    assert.ok(Math.abs(mean - want) < 3 * se, `${what}: mean ${mean} vs ${want} ± 3·${se}`);
  };
  check(ms, 1, 'M');
  check(cs, (4 * 65 * 35) / 100 ** 2, 'CN_het');
});

test('inputs are validated with messages naming the problem', () => {
  const p = chain(3);
  assert.throws(() => contactGraph({ ...p, r: new Float64Array(2) }), /particles\.r has length 2, expected 3/);
  assert.throws(() => contactGraph({ ...p, r: Float64Array.from([1, -1, 1]) }), /particle 1 has radius -1/);
  assert.throws(() => contactGraph({ ...p, material: Uint8Array.from([0, 2, 0]) }), /particle 1 has material 2, expected 0 \(A\) or 1 \(B\)/);
  assert.throws(() => contactGraph({ ...p, x: Float64Array.from([0, NaN, 1]) }), /particle 1 has a non-finite position/);
  assert.throws(() => contactGraph(particles([])), /no particles/);
  assert.throws(() => contactGraph(p, -1), /relTol must be a finite number >= 0, got -1/);
  assert.throws(() => heteroCoordination(contactGraph(p), [0, 1]), /material has length 2, expected 3/);
});

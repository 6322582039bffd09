import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GenerationError, generateAggregate } from '../../src/model/generate.js';
import { aggregateToJsonLine } from '../../src/model/jsonl.js';
import { MODEL_PRESETS, ModelParamError } from '../../src/model/params.js';
import type { ModelParams } from '../../src/model/types.js';
import { randomStream } from '../../src/random/index.js';
import { isSpanningTree, ksStatistic, overlaps, rgAndLaw, truncatedLognormalCdf } from './helpers.js';

const base: ModelParams = { ...MODEL_PRESETS.paper };

test('exact fractal law, point/overlap contacts and spanning-tree joins over a Df × kf × σ × N grid', (t) => {
  const dfKf: Array<[number, number]> = [[1.6, 1.5], [1.8, 1.3], [2.1, 1.0], [2.4, 0.8]];
  let count = 0, worstRg = 0, worstOverlap = -Infinity, worstIntended = 0;
  for (const [fractalDim, prefactor] of dfKf) {
    for (const sigma of [1, 1.25, 1.5]) {
      for (const nParticles of [20, 100, 400]) {
        const seeds = nParticles <= 100 ? 2 : 1;
        for (let s = 0; s < seeds; s++) {
          // Vary the hetero parameters along the grid too, so every code path is exercised.
          const params: ModelParams = {
            ...base, nParticles, fractalDim, prefactor, radiusSigmaA: sigma, radiusSigmaB: sigma,
            radiusMedianA: 4, radiusMedianB: 6.5, fractionB: [0.1, 0.4, 0.7][count % 3]!,
            segregation: [0, 0.5, 1][(count + s) % 3]!, overlap: count % 2 === 0 ? 0 : 0.1,
          };
          const a = generateAggregate(params, randomStream('grid', fractalDim, sigma, nParticles, s));
          const where = JSON.stringify({ nParticles, fractalDim, prefactor, sigma, s, overlap: params.overlap });
          const { rg, law, cm } = rgAndLaw(a);
          const rel = Math.abs(rg / law - 1);
          assert.ok(rel < 1e-9, `${where}: |Rg/law − 1| = ${rel}`);
          assert.ok(Math.abs(a.quality.rgRelError - rel) < 1e-12, `${where}: quality.rgRelError ${a.quality.rgRelError} vs ${rel}`);
          assert.ok(Math.hypot(...cm) < 1e-9 * rg, `${where}: centre of mass at ${cm}`);
          const ov = overlaps(a);
          assert.ok(ov.maxNonIntended <= 1e-9, `${where}: non-intended overlap ${ov.maxNonIntended}`);
          assert.ok(ov.maxIntendedError <= 1e-9, `${where}: intended overlap error ${ov.maxIntendedError}`);
          assert.ok(Math.abs(Math.max(0, ov.maxNonIntended) - a.quality.maxOverlap) < 1e-12, `${where}: quality.maxOverlap ${a.quality.maxOverlap} vs brute force ${ov.maxNonIntended}`);
          assert.ok(Math.abs((a.quality.maxIntendedOverlapError as number) - ov.maxIntendedError) < 1e-12);
          assert.ok(isSpanningTree(nParticles, a.quality.contacts!), `${where}: intended contacts do not form a spanning tree`);
          worstRg = Math.max(worstRg, rel);
          worstOverlap = Math.max(worstOverlap, ov.maxNonIntended);
          worstIntended = Math.max(worstIntended, ov.maxIntendedError);
          count++;
        }
      }
    }
  }
  assert.equal(count, 4 * 3 * (2 + 2 + 1));
  t.diagnostic(`${count} aggregates: max |Rg/law − 1| = ${worstRg.toExponential(2)}, max non-intended overlap = ${worstOverlap.toExponential(2)}, max |intended − ε| = ${worstIntended.toExponential(2)}`);
});

test('exact composition nB = round(fractionB·N), including the pure cases', () => {
  for (const [nParticles, fractionB, nB] of [[21, 0.5, 11], [40, 0, 0], [40, 1, 40], [57, 0.33, 19], [4, 0.2, 1]] as const) {
    const a = generateAggregate({ ...base, nParticles, fractionB }, randomStream('composition', nParticles, fractionB));
    assert.equal(a.particles.material.reduce((s, m) => s + m, 0), nB, `N = ${nParticles}, fractionB = ${fractionB}`);
    assert.ok(a.particles.material.every((m) => m === 0 || m === 1));
    assert.ok(rgAndLaw(a).rg > 0 && a.quality.rgRelError < 1e-9);
  }
});

test('per-material radii follow their truncated lognormals (KS at α = 0.01) and differ between materials', () => {
  const p: ModelParams = { ...base, nParticles: 1200, fractionB: 0.4, radiusMedianA: 4, radiusSigmaA: 1.3, radiusMedianB: 7, radiusSigmaB: 1.6, fractalDim: 1.8, prefactor: 1.3 };
  const a = generateAggregate(p, randomStream('radii'));
  const rA: number[] = [], rB: number[] = [];
  a.particles.material.forEach((m, i) => (m === 0 ? rA : rB).push(a.particles.r[i]!));
  assert.equal(rA.length, 720);
  assert.equal(rB.length, 480);
  const cdfA = (v: number) => truncatedLognormalCdf(v, 4, 1.3, 4 / 1.3 ** 2, 4 * 1.3 ** 2);
  const cdfB = (v: number) => truncatedLognormalCdf(v, 7, 1.6, 7 / 1.6 ** 2, 7 * 1.6 ** 2);
  // Asymptotic one-sample KS critical value at α = 0.01: 1.628 / √n.
  const critA = 1.628 / Math.sqrt(rA.length), critB = 1.628 / Math.sqrt(rB.length);
  const dA = ksStatistic(rA, cdfA), dB = ksStatistic(rB, cdfB);
  assert.ok(dA < critA, `A radii: KS D = ${dA} >= ${critA}`);
  assert.ok(dB < critB, `B radii: KS D = ${dB} >= ${critB}`);
  // The test has power: each material's radii are rejected under the other's distribution.
  assert.ok(ksStatistic(rB, cdfA) > critB && ksStatistic(rA, cdfB) > critA);
  assert.ok(Math.min(...rA) >= 4 / 1.3 ** 2 && Math.max(...rA) <= 4 * 1.3 ** 2);
  assert.ok(Math.min(...rB) >= 7 / 1.6 ** 2 && Math.max(...rB) <= 7 * 1.6 ** 2);
  // σ = 1 means monodisperse.
  const mono = generateAggregate({ ...base, nParticles: 30, radiusSigmaA: 1, radiusSigmaB: 1, radiusMedianA: 3, radiusMedianB: 5 }, randomStream('mono'));
  mono.particles.r.forEach((r, i) => assert.equal(r, mono.particles.material[i] ? 5 : 3));
});

test('same params and seed give byte-identical JSON; different seeds differ', () => {
  const p: ModelParams = { ...base, nParticles: 150, overlap: 0.05, segregation: 0.3 };
  const a = aggregateToJsonLine(generateAggregate(p, randomStream(11, 'aggregate', 0)));
  const b = aggregateToJsonLine(generateAggregate(p, randomStream(11, 'aggregate', 0)));
  const c = aggregateToJsonLine(generateAggregate(p, randomStream(11, 'aggregate', 1)));
  assert.equal(a, b);
  assert.notEqual(a, c);
  const pa = JSON.parse(a), pc = JSON.parse(c);
  assert.notDeepEqual(pa.particles.x, pc.particles.x);
});

test('infeasible parameters end with a GenerationError within the deadline (bound on a hang)', () => {
  const p: ModelParams = { ...base, nParticles: 100, fractalDim: 2.9, prefactor: 0.9 };
  const deadlineMs = 800;
  const t0 = performance.now();
  assert.throws(
    () => generateAggregate(p, randomStream('infeasible'), { deadlineMs, maxRestarts: 1e9 }),
    (e: unknown) => {
      assert.ok(e instanceof GenerationError, String(e));
      assert.match(e.message, /Df = 2\.9, kf = 0\.9/);
      assert.match(e.message, /within the deadline of 800 ms/);
      assert.deepEqual(e.params, p);
      return true;
    },
  );
  const elapsed = performance.now() - t0;
  // Slack for a busy shared machine; a hang would run for minutes.
  assert.ok(elapsed < deadlineMs + 3000, `took ${elapsed} ms`);
  // The restart budget ends it too, with its own message.
  assert.throws(() => generateAggregate(p, randomStream('infeasible'), { maxRestarts: 1 }), /2 constructions failed .*infeasible/);
});

test('invalid parameters and options are rejected before any work', () => {
  assert.throws(() => generateAggregate({ ...base, fractalDim: 3.4 }, randomStream(1)), ModelParamError);
  assert.throws(() => generateAggregate(base, randomStream(1), { deadlineMs: 0 }), /deadlineMs must be > 0/);
  assert.throws(() => generateAggregate(base, randomStream(1), { maxRestarts: -1 }), /maxRestarts must be an integer >= 0/);
});

test('quality record and ids', () => {
  const a = generateAggregate({ ...base, nParticles: 60 }, randomStream('q'), { id: 'x7', seed: 'q' });
  assert.equal(a.id, 'x7');
  assert.equal(a.seed, 'q');
  const d = generateAggregate({ ...base, nParticles: 60 }, randomStream('q'));
  assert.equal(d.seed, randomStream('q').key);
  assert.match(d.id, /^agg-[0-9a-f]{12}$/);
  const q = a.quality;
  for (const k of ['restarts', 'clamps', 'attempts'] as const) assert.ok(Number.isInteger(q[k]) && (q[k] as number) >= 0, k);
  assert.ok((q.attempts as number) >= 59, 'at least one placement trial per join');
  assert.ok((q.elapsedMs as number) >= 0);
  assert.equal(q.contacts!.length, 59);
});

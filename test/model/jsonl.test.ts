import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateAggregate } from '../../src/model/generate.js';
import {
  AggregateFormatError, aggregateToJsonLine, iterateAggregatesJsonl, parseAggregateLine, readAggregatesJsonl, writeAggregatesJsonl,
} from '../../src/model/jsonl.js';
import { MODEL_PRESETS } from '../../src/model/params.js';
import type { Aggregate } from '../../src/model/types.js';
import { randomStream } from '../../src/random/index.js';

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'aggstem-jsonl-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const aggs: Aggregate[] = [0, 1, 2].map((i) =>
  generateAggregate({ ...MODEL_PRESETS.quick, nParticles: 20 + 15 * i, fractionB: 0.3 * i }, randomStream('jsonl', i), { id: `a${i}`, seed: `jsonl/${i}` }));

test('JSON Lines round-trip through a file is bit-exact (timing left out of files)', () => {
  withDir((dir) => {
    const f = join(dir, 'a.jsonl');
    assert.equal(writeAggregatesJsonl(f, aggs), 3);
    const text = readFileSync(f, 'utf8');
    assert.equal(text.split('\n').length, 4);
    assert.ok(text.endsWith('\n'));
    const first = JSON.parse(text.split('\n')[0]!);
    assert.deepEqual(Object.keys(first), ['id', 'seed', 'params', 'particles', 'quality']);
    assert.deepEqual(Object.keys(first.particles), ['x', 'y', 'z', 'r', 'material']);
    assert.ok(!('elapsedMs' in first.quality));
    const back = readAggregatesJsonl(f);
    assert.equal(back.length, 3);
    back.forEach((b, k) => {
      const a = aggs[k]!;
      assert.equal(b.id, a.id);
      assert.equal(b.seed, a.seed);
      assert.deepEqual(b.params, a.params);
      // Bit-exact: every coordinate and radius compares equal as a double.
      for (const key of ['x', 'y', 'z', 'r'] as const) {
        assert.ok(b.particles[key] instanceof Float64Array);
        assert.deepEqual(Array.from(b.particles[key]), Array.from(a.particles[key]), key);
      }
      assert.ok(b.particles.material instanceof Uint8Array);
      assert.deepEqual(b.particles.material, a.particles.material);
      const { elapsedMs: _t, ...q } = a.quality;
      assert.deepEqual(b.quality, q);
      assert.equal(aggregateToJsonLine(b), aggregateToJsonLine(a));
    });
    assert.ok('elapsedMs' in JSON.parse(aggregateToJsonLine(aggs[0]!, { timing: true })).quality);
    // Blank lines are skipped by the streaming reader; line numbers stay those of the file.
    writeFileSync(f, `\n${aggregateToJsonLine(aggs[0]!)}\n\n${aggregateToJsonLine(aggs[1]!)}\n`);
    assert.deepEqual([...iterateAggregatesJsonl(f)].map((a) => a.id), ['a0', 'a1']);
  });
});

test('malformed lines are rejected with errors naming the line and the problem', () => {
  const good = JSON.parse(aggregateToJsonLine(aggs[1]!));
  const bad = (mutate: (o: any) => void) => {
    const o = structuredClone(good);
    mutate(o);
    return JSON.stringify(o);
  };
  const cases: Array<[string, RegExp]> = [
    ['{"id": "a", ', /^f\.jsonl:7: invalid JSON/],
    ['[1, 2]', /f\.jsonl:7: expected a JSON object, got an array/],
    [bad((o) => (o.extra = 1)), /unknown key "extra"/],
    [bad((o) => delete o.id), /"id" must be a non-empty string/],
    [bad((o) => (o.seed = null)), /"seed" must be a string or number/],
    [bad((o) => (o.params.fractalDim = 4)), /f\.jsonl:7: params: fractalDim = 4 is outside the allowed range \[1, 3\]/],
    [bad((o) => delete o.params.overlap), /params: model parameter overlap is missing/],
    [bad((o) => (o.particles.x[3] = 'a')), /particles\.x\[3\] = "a" is not a finite number/],
    [bad((o) => (o.particles.y[0] = null)), /particles\.y\[0\] = null is not a finite number/],
    [bad((o) => (o.particles.r[2] = -1)), /particles\.r\[2\] = -1 is not a positive radius/],
    [bad((o) => (o.particles.material[5] = 2)), /particles\.material\[5\] = 2 is not a material code \(0 = A, 1 = B\)/],
    [bad((o) => o.particles.z.pop()), /particles\.z has 34 entries but particles\.x has 35/],
    [bad((o) => { for (const k of ['x', 'y', 'z', 'r', 'material']) o.particles[k].pop(); }), /particles has 34 entries but params\.nParticles = 35/],
    [bad((o) => (o.particles = [])), /"particles" must be an object/],
    [bad((o) => (o.particles.x = 5)), /particles\.x must be an array of numbers/],
    [bad((o) => delete o.quality), /"quality" must be an object/],
  ];
  for (const [line, pattern] of cases) {
    assert.throws(() => parseAggregateLine(line, 'f.jsonl:7'), (e: unknown) => e instanceof AggregateFormatError && pattern.test(e.message), `expected ${pattern}`);
  }
  withDir((dir) => {
    const f = join(dir, 'b.jsonl');
    writeFileSync(f, `${aggregateToJsonLine(aggs[0]!)}\n${bad((o) => (o.particles.r[0] = 0))}\n`);
    assert.throws(() => readAggregatesJsonl(f), new RegExp(`${f.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:2: particles\\.r\\[0\\] = 0`));
    assert.throws(() => readAggregatesJsonl(join(dir, 'none.jsonl')), /cannot read aggregates file .*none\.jsonl: ENOENT/);
  });
});

test('writeAggregatesJsonl is atomic: a failing source leaves no file and no temp file', () => {
  withDir((dir) => {
    const f = join(dir, 'c.jsonl');
    function* failing(): Generator<Aggregate> {
      yield aggs[0]!;
      throw new Error('boom');
    }
    assert.throws(() => writeAggregatesJsonl(f, failing()), /boom/);
    assert.ok(!existsSync(f));
    assert.deepEqual(readdirSync(dir), []);
  });
});

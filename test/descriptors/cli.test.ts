import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeAggregate, DESCRIPTOR_NAMES } from '../../src/descriptors/index.js';
import { randomStream } from '../../src/random/index.js';
import type { Particles } from '../../src/model/types.js';
import { aggregateToJsonLine } from '../../src/model/jsonl.js';
import { generateAggregate } from '../../src/model/generate.js';
import { MODEL_PRESETS } from '../../src/model/params.js';
import { chain } from './fixtures.js';

const root = new URL('../..', import.meta.url).pathname;
const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'describe', ...args], { cwd: root, encoding: 'utf8' });
/** A JSON Lines record in the model's format (valid parameters with N = the particle count). */
const line = (id: string, p: Particles) => aggregateToJsonLine({
  id, seed: 'x', params: { ...MODEL_PRESETS.quick, nParticles: p.x.length }, particles: p, quality: { maxOverlap: 0, rgRelError: 0, restarts: 0 },
});
/** The same record with one particle array entry replaced (to make invalid input). */
const corrupt = (l: string, key: 'r' | 'material', index: number, value: number) => {
  const o = JSON.parse(l) as { particles: Record<string, number[]> };
  o.particles[key]![index] = value;
  return JSON.stringify(o);
};

test('aggstem describe writes one CSV row per aggregate with the canonical header and the library values', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aggstem-describe-'));
  try {
    const gen = (n: number, k: number) => generateAggregate({ ...MODEL_PRESETS.quick, nParticles: n, overlap: 0.05 }, randomStream('cli', k)).particles;
    const aggs = [gen(30, 0), chain(4, 2, (i) => i & 1), gen(45, 2)];
    const input = join(dir, 'aggs.jsonl');
    writeFileSync(input, aggs.map((p, i) => line(`agg-${i}`, p)).join('\n') + '\n\n');
    const out = join(dir, 'sub', 'd.csv');
    const r = cli([input, '--out', out, '--projections', '8', '--hull-points', '32', '--seed', '7']);
    assert.equal(r.status, 0, r.stderr);
    const [header, ...rows] = readFileSync(out, 'utf8').trimEnd().split('\n');
    assert.deepEqual(header!.split(','), ['id', ...DESCRIPTOR_NAMES]);
    assert.equal(rows.length, 3);
    rows.forEach((row, i) => {
      const cells = row.split(',');
      assert.equal(cells[0], `agg-${i}`);
      const want = describeAggregate(aggs[i]!, { rng: randomStream('7', 'describe', i), projections: 8, hullPointsPerSphere: 32 });
      DESCRIPTOR_NAMES.forEach((k, c) => {
        const got = Number(cells[c + 1]);
        assert.ok(Object.is(got, want[k]) || got === want[k], `row ${i} ${k}: ${cells[c + 1]} vs ${want[k]}`);
      });
    });
    assert.deepEqual(readdirSync(join(dir, 'sub')), ['d.csv'], 'no temp files left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('aggstem describe: clear errors with exit 2 and no output for missing files, bad JSON, bad particles, empty input, bad flags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aggstem-describe-err-'));
  try {
    const out = join(dir, 'd.csv');
    const good = line('ok', chain(5, 1, (i) => i % 2));
    const cases: { name: string; content?: string; args?: string[]; want: RegExp }[] = [
      { name: 'missing.jsonl', want: /cannot read .*missing\.jsonl: ENOENT/ },
      { name: 'badjson.jsonl', content: `${good}\n{"id": 1,\n`, want: /badjson\.jsonl:2: invalid JSON/ },
      { name: 'badmat.jsonl', content: `${good}\n${good}\n${corrupt(good, 'material', 1, 3)}\n`, want: /badmat\.jsonl:3: particles\.material\[1\] = 3 is not a material code/ },
      { name: 'badr.jsonl', content: corrupt(good, 'r', 0, -1), want: /badr\.jsonl:1: particles\.r\[0\] = -1 is not a positive radius/ },
      { name: 'empty.jsonl', content: '\n\n', want: /contains no aggregates/ },
      { name: 'noout.jsonl', content: good, args: [], want: /--out is required/ },
      { name: 'badk.jsonl', content: good, args: ['--out', out, '--projections', 'many'], want: /--projections must be an integer >= 1, got "many"/ },
    ];
    for (const c of cases) {
      const input = join(dir, c.name);
      if (c.content !== undefined) writeFileSync(input, c.content);
      const r = cli([input, ...(c.args ?? ['--out', out, '--quiet'])]);
      assert.equal(r.status, 2, `${c.name}: status ${r.status}, stderr ${r.stderr}`);
      assert.match(r.stderr, c.want, c.name);
      assert.doesNotMatch(r.stderr, /\n\s+at /, `${c.name}: no stack trace`);
    }
    assert.deepEqual(readdirSync(dir).filter((f) => !f.endsWith('.jsonl')), [], 'no output or temp file was left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

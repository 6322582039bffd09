import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeAggregate, DESCRIPTOR_NAMES } from '../../src/descriptors/index.js';
import { randomStream } from '../../src/random/index.js';
import type { Particles } from '../../src/model/types.js';
import { particles, randomTree } from './fixtures.js';

const root = new URL('../..', import.meta.url).pathname;
const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'describe', ...args], { cwd: root, encoding: 'utf8' });
const line = (id: string, p: Particles) => JSON.stringify({ id, seed: 'x', params: {}, particles: { x: Array.from(p.x), y: Array.from(p.y), z: Array.from(p.z), r: Array.from(p.r), material: Array.from(p.material) }, quality: {} });

test('aggstem describe writes one CSV row per aggregate with the canonical header and the library values', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aggstem-describe-'));
  try {
    const aggs = [randomTree(randomStream('cli', 0), 30).p, particles([[0, 0, 0, 2, 1]]), randomTree(randomStream('cli', 2), 45, { overlap: 0.05 }).p];
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
    const good = line('ok', particles([[0, 0, 0, 1, 0], [2, 0, 0, 1, 1]]));
    const cases: { name: string; content?: string; args?: string[]; want: RegExp }[] = [
      { name: 'missing.jsonl', want: /cannot read .*missing\.jsonl: ENOENT/ },
      { name: 'badjson.jsonl', content: `${good}\n{"id": 1,\n`, want: /badjson\.jsonl line 2: invalid JSON/ },
      { name: 'badmat.jsonl', content: `${good}\n${good}\n${line('m', particles([[0, 0, 0, 1, 0], [2, 0, 0, 1, 3]]))}\n`, want: /badmat\.jsonl line 3: particle 1 has material 3, expected 0 \(A\) or 1 \(B\)/ },
      { name: 'badr.jsonl', content: line('r', particles([[0, 0, 0, -1, 0]])), want: /badr\.jsonl line 1: particle 0 has radius -1/ },
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

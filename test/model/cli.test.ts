import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateAggregate } from '../../src/model/generate.js';
import { aggregateToJsonLine, readAggregatesJsonl } from '../../src/model/jsonl.js';
import { MODEL_PRESETS } from '../../src/model/params.js';
import { randomStream } from '../../src/random/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

function aggstem(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'generate', ...args], { cwd: root, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('aggstem generate writes reproducible aggregates: aggregate i is randomStream(S, "aggregate", i)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aggstem-generate-'));
  try {
    const params = join(dir, 'p.json');
    writeFileSync(params, JSON.stringify({ preset: 'quick', nParticles: 30, fractalDim: 1.9 }));
    const out = join(dir, 'sub', 'aggs.jsonl');
    const r = aggstem('--params', params, '--count', '3', '--seed', '5', '--out', out, '--quiet');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /wrote 3 aggregates to .*aggs\.jsonl/);
    const aggs = readAggregatesJsonl(out);
    assert.deepEqual(aggs.map((a) => a.id), ['agg-0', 'agg-1', 'agg-2']);
    const p = { ...MODEL_PRESETS.quick, nParticles: 30, fractalDim: 1.9 };
    aggs.forEach((a, i) => {
      assert.deepEqual(a.params, p);
      assert.equal(a.seed, `5/aggregate/${i}`);
      const again = generateAggregate(p, randomStream(5, 'aggregate', i), { id: `agg-${i}`, seed: `5/aggregate/${i}` });
      assert.equal(aggregateToJsonLine(a), aggregateToJsonLine(again));
    });
    assert.deepEqual(readdirSync(join(dir, 'sub')), ['aggs.jsonl']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('aggstem generate: user errors exit 2 with a clear message and leave no file behind', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aggstem-generate-'));
  try {
    const out = join(dir, 'o.jsonl');
    const badJson = join(dir, 'bad.json');
    writeFileSync(badJson, '{"fractalDim": 2,');
    const outOfRange = join(dir, 'range.json');
    writeFileSync(outOfRange, JSON.stringify({ fractalDim: 3.4 }));
    const cases: Array<[string[], RegExp]> = [
      [['--params', outOfRange, '--out', out], /fractalDim = 3\.4 is outside the allowed range \[1, 3\]/],
      [['--params', badJson, '--out', out], /is not valid JSON/],
      [['--params', join(dir, 'missing.json'), '--out', out], /neither a preset \(quick, paper, dfsp\) nor a readable JSON file/],
      [['--params', 'quick', '--count', '0', '--out', out], /--count must be an integer >= 1, got "0"/],
      [['--params', 'quick'], /--out is required/],
      // Infeasible: every aggregate fails → exit 2, nothing written (also bounds the run time).
      [['--params', '{"nParticles": 60, "fractalDim": 2.9, "prefactor": 0.9}', '--deadline-ms', '300', '--out', out], /aggregate 0 .* failed: could not generate an aggregate .*Nothing was written/],
    ];
    for (const [args, pattern] of cases) {
      const r = aggstem(...args);
      assert.equal(r.status, 2, `${args.join(' ')}: status ${r.status}\n${r.stderr}`);
      assert.match(r.stderr, /^error: aggstem generate: /);
      assert.match(r.stderr, pattern);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.ok(!existsSync(out), 'no output file');
      assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temp file');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

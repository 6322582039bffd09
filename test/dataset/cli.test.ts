// `aggstem dataset` as a user runs it: bad input refused before any work, kill -9 and resume,
// parts on "several machines" merged and verified.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { datasetConfig } from '../../src/dataset/config.js';
import { generateDataset } from '../../src/dataset/generate.js';

const cwd = new URL('../..', import.meta.url).pathname;
let root: string;

function cli(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'dataset', ...args], { cwd, encoding: 'utf8' });
}

function shardBytes(dir: string): Map<string, Buffer> {
  return new Map(readdirSync(dir).filter((f) => f.startsWith('shard-')).sort().map((f) => [f, readFileSync(join(dir, f))]));
}

before(() => {
  root = mkdtempSync(join(tmpdir(), 'aggstem-dataset-cli-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

test('bad values are rejected with a clear message (exit 2) before anything is written', () => {
  const out = join(root, 'never');
  const badPrior = join(root, 'bad-prior.json');
  writeFileSync(badPrior, JSON.stringify({ preset: 'quick', prior: { overlap: { kind: 'uniform', lo: 0.3, hi: 0.1 } } }));
  const cases: [string[], RegExp][] = [
    [['--preset', 'quick', '--count', '0', '--out', out], /--count must be an integer >= 1, got "0"/],
    [['--preset', 'quick', '--shard', '3/3', '--out', out], /--shard: part index must be an integer in \[0, 2\].*got 3/],
    [['--preset', 'huge', '--out', out], /--preset must be "quick", "paper" or "dfsp", got "huge"/],
    [['--preset', 'quick', '--workers=-1', '--out', out], /--workers must be an integer >= 0, got "-1"/],
    [['--preset', 'quick', '--config', badPrior, '--out', out], /prior\.overlap\.lo = 0\.3 is greater than prior\.overlap\.hi = 0\.1/],
    [['--preset', 'quick', '--count', '10'], /--out is required/],
  ];
  for (const [args, re] of cases) {
    const r = cli(args);
    assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}, stderr ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.ok(!existsSync(out), `${args.join(' ')} created ${out}`);
  }
});

test('kill -9 after the first shard, re-run: the identical dataset, nothing duplicated or lost', async () => {
  const out = join(root, 'killed');
  const args = ['--preset', 'quick', '--count', '48', '--shard-size', '6', '--seed', '11', '--workers', '1', '--out', out, '--quiet'];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'dataset', ...args], { cwd, stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((res) => child.on('exit', (_code, signal) => res(signal)));
  const manifestPath = join(out, 'manifest.json');
  const shardsIn = () => {
    try {
      return (JSON.parse(readFileSync(manifestPath, 'utf8')) as { shards: unknown[] }).shards.length;
    } catch {
      return 0;
    }
  };
  const t0 = Date.now();
  while (shardsIn() < 1 && Date.now() - t0 < 120_000) await sleep(5);
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');
  const before = JSON.parse(readFileSync(manifestPath, 'utf8')) as { complete: boolean; shards: { index: number }[] };
  assert.equal(before.complete, false, 'the run was interrupted before it finished');
  assert.ok(before.shards.length >= 1);
  assert.ok(existsSync(join(out, '.aggstem-dataset.lock')), 'the killed run left its lock behind');

  const r = cli([...args.slice(0, -1), '--json']);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as { complete: boolean; shardsVerified: number; shardsGenerated: number; samples: number };
  assert.ok(summary.complete);
  assert.equal(summary.shardsVerified, before.shards.length, 'finished shards were verified and kept');
  assert.equal(summary.shardsVerified + summary.shardsGenerated, 8);
  assert.equal(summary.samples, 48);
  assert.ok(!readdirSync(out).some((f) => f.endsWith('.tmp') || f.endsWith('.lock')), 'no temp files or lock remain');

  const ref = join(root, 'reference');
  await generateDataset(datasetConfig({ preset: 'quick', count: 48, shardSize: 6, seed: 11 }), ref, { workers: 0 });
  const a = shardBytes(ref), b = shardBytes(out);
  assert.deepEqual([...b.keys()], [...a.keys()]);
  for (const [f, bytes] of a) assert.ok(bytes.equals(b.get(f)!), `${f} differs from an uninterrupted run`);
});

test('parts from two "machines" merge into a verified dataset; a missing part is reported', () => {
  const parts = [0, 1].map((i) => join(root, `part-${i}`));
  for (let i = 0; i < 2; i++) {
    const r = cli(['--preset', 'quick', '--count', '12', '--shard-size', '4', '--seed', 'm', '--workers', '0', '--shard', `${i}/2`, '--out', parts[i]!, '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { complete: boolean }).complete, false);
  }
  const incomplete = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'dataset', 'merge', parts[0]!, '--out', join(root, 'merged-bad')], { cwd, encoding: 'utf8' });
  assert.equal(incomplete.status, 2);
  assert.match(incomplete.stderr, /shards 1 of 3 are in none of the inputs/);

  const merged = join(root, 'merged');
  const m = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'dataset', 'merge', ...parts, '--out', merged, '--json'], { cwd, encoding: 'utf8' });
  assert.equal(m.status, 0, m.stderr);
  assert.deepEqual(JSON.parse(m.stdout).complete, true);
  const v = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'dataset', 'verify', merged, '--json'], { cwd, encoding: 'utf8' });
  assert.equal(v.status, 0, v.stderr);
  assert.deepEqual((JSON.parse(v.stdout) as { intact: number[] }).intact, [0, 1, 2]);
  // The manifest keeps the history of both parts and the merge.
  const manifest = JSON.parse(readFileSync(join(merged, 'manifest.json'), 'utf8')) as { history: { kind: string; part?: string }[] };
  assert.deepEqual(manifest.history.map((h) => h.part ?? h.kind).sort(), ['0/2', '1/2', 'merge']);
});

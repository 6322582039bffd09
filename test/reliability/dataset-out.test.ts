// Issue 16 item 5: `aggstem dataset --out` into a non-empty folder that holds no dataset is refused,
// and a user's file named like a shard is left exactly as it was.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'aggstem-dsout-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });

test('dataset --out into a non-empty folder without a manifest is refused; the user\'s files are untouched', () => {
  const out = join(tmp, 'mine');
  mkdirSync(out);
  writeFileSync(join(out, 'shard-00000.csv'), 'my,own\n1,2\n');
  writeFileSync(join(out, 'notes.txt'), 'keep me');
  const r = cli('dataset', '--preset', 'quick', '--count', '4', '--workers', '0', '--out', out, '--quiet');
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /--out .*mine is not empty and holds no aggstem dataset \(manifest\.json missing; found (notes\.txt, shard-00000\.csv|shard-00000\.csv, notes\.txt)\); use a new or empty directory/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.equal(readFileSync(join(out, 'shard-00000.csv'), 'utf8'), 'my,own\n1,2\n');
  assert.deepEqual(readdirSync(out).sort(), ['notes.txt', 'shard-00000.csv']);
  // An empty folder is fine.
  const empty = join(tmp, 'empty');
  mkdirSync(empty);
  const ok = cli('dataset', '--preset', 'quick', '--count', '4', '--workers', '0', '--out', empty, '--quiet');
  assert.equal(ok.status, 0, ok.stderr);
});

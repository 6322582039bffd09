// CLI input handling (issue 16 item 4): a directory instead of a file, negative numbers after a flag,
// and `--help` listing every flag from the command's own option table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 120_000 });

test('a directory given as an image file is refused in one line (exit 2), no stack trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aggstem-dir-'));
  try {
    for (const args of [['inspect', dir], ['predict', '--model', 'quick', dir]]) {
      const r = cli(...args);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /^error: aggstem (inspect|predict): .*is a directory or a device, not an image file\n$/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('negative numbers after a flag get the command\'s own range message', () => {
  const out = join(tmpdir(), 'aggstem-never-written');
  for (const [args, msg] of [
    [['dataset', '--preset', 'quick', '--count', '-5', '--out', out], /--count must be an integer >= 1, got "-5"/],
    [['dataset', '--preset', 'quick', '--workers', '-1', '--out', out], /--workers must be an integer >= 0, got "-1"/],
    [['predict', '--model', 'quick', '--pixel-size', '-1.6', 'x.npy'], /pixel-size/],
  ] as const) {
    const r = cli(...args);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, msg);
    assert.doesNotMatch(r.stderr, /ambiguous/);
  }
});

test('--help lists every flag of the command', () => {
  const expect: Record<string, string[]> = {
    inspect: ['--raw', '--json'],
    train: ['--resume', '--network', '--head', '--descriptors', '--train-count', '--clean'],
    predict: ['--full-beam', '--vacuum', '--twins', '--pixel-size'],
    evaluate: ['--draw-samples', '--max-samples'],
  };
  for (const [cmd, flags] of Object.entries(expect)) {
    const r = cli(cmd, '--help');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^usage: aggstem ${cmd}`));
    for (const f of flags) assert.match(r.stdout, new RegExp(`^  ${f}\\b`, 'm'), `${cmd} --help lacks ${f}`);
  }
});

// scripts/setup-jupyter.mjs: the npm postinstall mode says one line and never fails the install; the
// project venv's JavaScript (JupyterLab's bundled yarn.js) runs as CommonJS although the project's
// package.json says "type": "module" (else `npm run lab` printed a screen of minified code).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = join(root, 'scripts', 'setup-jupyter.mjs');
const probe = join(root, '.venv', 'aggstem-cjs-probe.js');
after(() => rmSync(probe, { force: true }));

test('--postinstall prints one line and exits 0, also when no Python can be found', () => {
  const ok = spawnSync(process.execPath, [script, '--postinstall'], { cwd: root, encoding: 'utf8', timeout: 600_000 });
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout.trim().split('\n').length, 1, ok.stdout);
  assert.match(ok.stdout, /^\[aggstem jupyter\] (ready: .* with kernel aggstem-tslab|not set up \(.*\); the notebooks need it: npm run setup:jupyter)/);
  const none = spawnSync(process.execPath, [script, '--postinstall', '--no-install', '--python=/nonexistent/python'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  assert.equal(none.status, 0, none.stderr);
  assert.match(none.stdout, /^\[aggstem jupyter\] not set up \(.+\); the notebooks need it: npm run setup:jupyter\n$/);
});

test('JavaScript inside the project venv runs as CommonJS', { skip: existsSync(join(root, '.venv')) ? false : 'no project venv (Jupyter not set up)' }, () => {
  writeFileSync(probe, 'module.exports = 1; console.log(typeof require);\n');
  const r = spawnSync(process.execPath, [probe], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'function');
});

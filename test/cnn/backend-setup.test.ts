/**
 * scripts/setup-native.mjs (the npm postinstall that builds native TensorFlow): its strict check, and
 * that without a TensorFlow source it explains why, exits 0 (npm install must not fail) and leaves
 * nothing behind. The failing cases use a throw-away AGGSTEM_NATIVE_DIR, so the project's real cache
 * and node_modules links are never touched.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { nativeTensorFlowStatus } from '../../src/cnn/backend/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = join(root, 'scripts', 'setup-native.mjs');

function setup(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [script, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('setup-native script', () => {
  it('--check reports whether native TensorFlow loads (exit 0) or not (exit 1)', () => {
    const r = setup(['--check']);
    if (nativeTensorFlowStatus().present) {
      assert.equal(r.status, 0, r.out);
      assert.match(r.out, /OK: native TensorFlow \d+\.\d+\.\d+ loads through @tensorflow\/tfjs-node 4\.22\.0 \(backend tensorflow\)/);
    } else {
      assert.equal(r.status, 1, r.out);
      assert.match(r.out, /FAILED: the native TensorFlow backend does not load/);
    }
  });

  it('without any TensorFlow source it says why, exits 0 and leaves no staging files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aggstem-native-test-'));
    try {
      const r = setup([], { AGGSTEM_NATIVE_DIR: dir, AGGSTEM_PYTHON: '/nonexistent/python3' });
      assert.equal(r.status, 0, r.out);
      assert.match(r.out, /native TensorFlow is NOT available: cannot run \/nonexistent\/python3/);
      assert.match(r.out, /fall back to the wasm backend/);
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names a bad AGGSTEM_TF_DIR and what it should contain', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aggstem-native-test-'));
    try {
      const r = setup([], { AGGSTEM_NATIVE_DIR: dir, AGGSTEM_TF_DIR: dir });
      assert.equal(r.status, 0, r.out);
      assert.match(r.out, new RegExp(`AGGSTEM_TF_DIR=${dir} does not contain include/ and libtensorflow_cc\\.so\\.2, libtensorflow_framework\\.so\\.2`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('AGGSTEM_SKIP_NATIVE=1 skips; an unknown option is a usage error (exit 2)', () => {
    const skip = setup([], { AGGSTEM_SKIP_NATIVE: '1' });
    assert.equal(skip.status, 0);
    assert.match(skip.out, /AGGSTEM_SKIP_NATIVE=1: skipping native TensorFlow/);
    const bad = setup(['--frobnicate']);
    assert.equal(bad.status, 2);
    assert.match(bad.out, /unknown option --frobnicate/);
  });
});

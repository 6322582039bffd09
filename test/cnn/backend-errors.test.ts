/**
 * Backend selection when something is missing. Each case runs in a child process, because tfjs keeps
 * one backend per process and native TensorFlow, once loaded, cannot be unloaded.
 * AGGSTEM_DISABLE_NATIVE=1 stands in for "the native build is absent".
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../../src/cnn/backend/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs initBackend(pref) in a fresh process; returns its JSON result or error. */
function child(pref: string, env: Record<string, string> = {}): { ok: boolean; name?: string; reason?: string; error?: string; errorName?: string; backend?: string } {
  const code = `
    import { initBackend } from './src/cnn/backend/index.ts';
    try {
      const r = await initBackend(${JSON.stringify(pref)});
      console.log(JSON.stringify({ ok: true, name: r.name, reason: r.reason }));
    } catch (e) {
      console.log(JSON.stringify({ ok: false, error: e.message, errorName: e.name, backend: e.backend }));
    }`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: root, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

describe('backend selection without native TensorFlow', () => {
  it('forcing tensorflow fails with a BackendUnavailableError that says why and what to do', () => {
    const r = child('tensorflow', { AGGSTEM_DISABLE_NATIVE: '1' });
    assert.equal(r.ok, false);
    assert.equal(r.errorName, 'BackendUnavailableError');
    assert.equal(r.backend, 'tensorflow');
    assert.match(r.error!, /backend "tensorflow" \(native TensorFlow\) is not available: disabled by AGGSTEM_DISABLE_NATIVE=1/);
  });

  it('auto falls back to wasm and names the reason', () => {
    const r = child('auto', { AGGSTEM_DISABLE_NATIVE: '1' });
    assert.equal(r.ok, true);
    assert.equal(r.name, 'wasm');
    assert.match(r.reason!, /^auto: tfjs wasm backend .*native TensorFlow unavailable \(disabled by AGGSTEM_DISABLE_NATIVE=1\)/);
  });

  it('cpu can be forced', () => {
    const r = child('cpu', { AGGSTEM_DISABLE_NATIVE: '1' });
    assert.deepEqual([r.ok, r.name], [true, 'cpu']);
  });
});

describe('bad arguments', () => {
  it('an unknown backend name is a RangeError naming the value and the choices', async () => {
    await assert.rejects(initBackend('gpu' as never), { name: 'RangeError', message: 'initBackend: backend "gpu" is not one of auto, tensorflow, wasm, cpu' });
  });

  it('a bad thread count is a RangeError naming the option', async () => {
    await assert.rejects(initBackend('cpu', { intraOpThreads: -1 }), /intraOpThreads must be an integer >= 0, got -1/);
  });
});

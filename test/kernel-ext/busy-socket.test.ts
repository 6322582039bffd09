// Regression: tslab's zeromq iopub socket refuses a send while the previous one is in flight
// ("Socket is busy writing"); a progress view updated in a fast loop (a dataset of 800 samples at
// 15 samples/s) threw that error out of the user's loop. The updatable display now keeps the newest
// frame and sends it once the socket is free; other errors still propagate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newBundleDisplay } from '../../kernel-ext/index.js';

const require = createRequire(import.meta.url);

interface Fake {
  sent: Array<{ msg: { data: Record<string, unknown>; transient: { display_id?: string } }; update: boolean }>;
  fail: string[];
}

test('an updatable display skips frames while the socket is busy and sends the newest one after', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'aggstem-fake-tslab-'));
  const dist = join(dir, 'node_modules', 'tslab', 'dist');
  mkdirSync(dist, { recursive: true });
  const jupyterJs = join(dist, 'jupyter.js');
  // `fail` lists the errors the next sends throw (a stand-in for zeromq refusing while busy).
  writeFileSync(jupyterJs, 'exports.sent = []; exports.fail = [];\nexports.lastWriteDisplayData = (msg, update) => { const f = exports.fail.shift(); if (f) throw new Error(f); exports.sent.push({ msg, update }); };\n');
  try {
    const fake = require(jupyterJs) as Fake;
    const d = newBundleDisplay();
    fake.fail.push('Socket is busy writing; only one send operation may be in progress at any time');
    d.update({ 'text/plain': 'frame 1' }); // refused: kept as pending
    d.update({ 'text/plain': 'frame 2' }); // supersedes frame 1 while the retry waits
    d.update({ 'text/plain': 'frame 3' });
    assert.equal(fake.sent.length, 0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(fake.sent.map((s) => [s.msg.data['text/plain'], s.update]), [['frame 3', false]], 'only the newest frame, sent as the first display_data');
    d.update({ 'text/plain': 'frame 4' });
    assert.deepEqual(fake.sent.map((s) => [s.msg.data['text/plain'], s.update]), [['frame 3', false], ['frame 4', true]]);
    assert.equal(new Set(fake.sent.map((s) => s.msg.transient.display_id)).size, 1, 'one display id throughout');
    fake.fail.push('something else broke');
    assert.throws(() => d.update({ 'text/plain': 'frame 5' }), /something else broke/);
  } finally {
    delete require.cache[jupyterJs];
    rmSync(dir, { recursive: true, force: true });
  }
});

test('show() waits for a busy socket and then sends its bundle once', async () => {
  const { show } = await import('../../kernel-ext/index.js');
  const dir = mkdtempSync(join(tmpdir(), 'aggstem-fake-tslab-'));
  const dist = join(dir, 'node_modules', 'tslab', 'dist');
  mkdirSync(dist, { recursive: true });
  const jupyterJs = join(dist, 'jupyter.js');
  writeFileSync(jupyterJs, 'exports.sent = []; exports.fail = [];\nexports.lastWriteDisplayData = (msg, update) => { const f = exports.fail.shift(); if (f) throw new Error(f); exports.sent.push({ msg, update }); };\n');
  try {
    const fake = require(jupyterJs) as Fake;
    fake.fail.push('Socket is busy writing', 'Socket is busy writing');
    await show('hello');
    assert.deepEqual(fake.sent.map((s) => s.msg.data['text/plain']), ['hello']);
    fake.fail.push('not a socket problem');
    await assert.rejects(show('again'), /not a socket problem/);
  } finally {
    delete require.cache[jupyterJs];
    rmSync(dir, { recursive: true, force: true });
  }
});

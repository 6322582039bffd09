// show() and the tslab bridge: outside a kernel they refuse clearly; with tslab's internal
// `dist/jupyter.js` (here a stand-in file at the same relative path, loaded into the CommonJS
// cache exactly as the kernel's copy is) they send whole bundles, inline plotly.js once per
// session, and update progress views in place. Without the internal writer they fall back to
// tslab's public single-MIME API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as aq from 'arquero';
import {
  displayMode,
  MIME,
  NoKernelError,
  progressView,
  resetPlotlyInjection,
  show,
  showKind,
} from '../../kernel-ext/index.js';

import type { TrainOptions } from '../../src/cnn/index.js';

const require = createRequire(import.meta.url);
const particles = {
  x: Float64Array.from([0, 10]),
  y: new Float64Array(2),
  z: new Float64Array(2),
  r: Float64Array.from([5, 5]),
  material: Uint8Array.from([0, 1]),
};
const image = { data: new Float32Array(64 * 64), width: 64, height: 64, pixelSizeNm: 1 };

test('showKind recognises each kind of value', () => {
  assert.equal(showKind(particles), 'particles');
  assert.equal(showKind({ id: 'a', particles }), 'aggregate');
  assert.equal(showKind(image), 'image');
  assert.equal(showKind({ mark: 'point', data: { values: [] } }), 'vega-lite');
  assert.equal(showKind(aq.table({ a: [1] })), 'table');
  assert.equal(showKind({ data: [{ type: 'scatter', x: [1] }], layout: {} }), 'plotly');
  assert.equal(showKind({ 'text/plain': 'x', 'text/html': '<b>x</b>' }), 'bundle');
  assert.equal(showKind({ data: new Float32Array(3), width: 2, height: 2 }), 'text', 'too few pixels is not an image');
  assert.equal(showKind(42), 'text');
});

test('outside a tslab kernel show() and progressView() throw an error that points at the pure builders', async () => {
  assert.equal(displayMode(), 'none');
  await assert.rejects(show(particles), (e: unknown) => e instanceof NoKernelError && /show\(\) needs a running tslab kernel.*aggregateBundle\(\), imageBundle\(\)/s.test(e.message));
  assert.throws(() => progressView('x'), NoKernelError);
});

interface Sent {
  msg: { data: Record<string, unknown>; metadata: Record<string, unknown>; transient: { display_id?: string } };
  update: boolean;
}

test('inside tslab: whole bundles via lastWriteDisplayData, plotly.js once per session, progress updated in place', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'aggstem-fake-tslab-'));
  const dist = join(dir, 'node_modules', 'tslab', 'dist');
  mkdirSync(dist, { recursive: true });
  const jupyterJs = join(dist, 'jupyter.js');
  writeFileSync(jupyterJs, 'exports.sent = []; exports.lastWriteDisplayData = (msg, update) => exports.sent.push({ msg, update });\n');
  const publicJs = join(dist, 'public.js');
  writeFileSync(publicJs, [
    'exports.calls = [];',
    'const d = (id) => ({ html: (s) => exports.calls.push(["html", id, s]), svg: (s) => exports.calls.push(["svg", id, s]), png: (b) => exports.calls.push(["png", id, b]), text: (s) => exports.calls.push(["text", id, s]) });',
    'exports.display = d(null); let n = 0; exports.newDisplay = () => d(++n);',
  ].join('\n') + '\n');
  try {
    const fake = require(jupyterJs) as { sent: Sent[] };
    assert.equal(displayMode(), 'bundle');

    await show(particles);
    await show(particles);
    resetPlotlyInjection();
    await show({ id: 'agg', particles }, { plotlyJs: 'auto' });
    await show(particles, { plotlyJs: 'none' });
    assert.equal(fake.sent.length, 4);
    const html = fake.sent.map((s) => s.msg.data[MIME.html] as string | undefined);
    assert.ok(html[0]!.length > 4e6, 'first figure inlines plotly.js');
    assert.ok(html[1]!.length < 1e5, 'second figure reuses window.Plotly');
    assert.ok(html[2]!.length > 4e6, 'after resetPlotlyInjection() it is inlined again');
    assert.equal(html[3], undefined, "plotlyJs: 'none' drops the HTML twin");
    for (const s of fake.sent) {
      assert.equal(s.update, false);
      assert.equal(s.msg.transient.display_id, undefined);
      assert.ok(s.msg.data[MIME.plotly] && s.msg.data[MIME.plain]);
    }

    fake.sent.length = 0;
    await show(image, { displayWidthPx: 300 });
    await show({ mark: 'bar', data: { values: [{ a: 1 }] }, encoding: { y: { field: 'a', type: 'quantitative' } } });
    await show(aq.table({ a: [1, 2] }));
    assert.deepEqual(fake.sent.map((s) => Object.keys(s.msg.data).sort()), [
      [MIME.png, MIME.plain].sort(),
      [MIME.vegaLite, MIME.svg, MIME.plain].sort(),
      [MIME.html, MIME.plain].sort(),
    ]);
    assert.deepEqual(fake.sent[0]!.msg.metadata, { [MIME.png]: { width: 300 } });

    fake.sent.length = 0;
    const view = progressView('Fit');
    // Compile-time check: the callbacks plug straight into trainEstimator's options.
    const cb: Required<Pick<TrainOptions, 'onBatchEnd' | 'onEpochEnd'>> & ReturnType<typeof view.trainCallbacks> = view.trainCallbacks();
    cb.onEpochEnd({ epoch: 0, loss: 2, valNll: 2.5 }, { epochs: 2 });
    cb.onEpochEnd({ epoch: 1, loss: 1, valNll: NaN }, { epochs: 2 });
    view.done('finished');
    view.update({ epoch: 9 });
    assert.equal(fake.sent.length, 3, 'updates after done() are ignored');
    const ids = new Set(fake.sent.map((s) => s.msg.transient.display_id));
    assert.equal(ids.size, 1);
    assert.match([...ids][0]!, /^[0-9a-f]{16}$/);
    assert.deepEqual(fake.sent.map((s) => s.update), [false, true, true]);
    assert.match(fake.sent[0]!.msg.data[MIME.plain] as string, /^Fit 50%: epoch 1 \/ 2, loss 2, val loss 2\.5/);
    assert.match(fake.sent[2]!.msg.data[MIME.plain] as string, /^Fit 100% \(done\): epoch 2 \/ 2, loss 1, val loss 2\.5.* — finished$/);
    assert.deepEqual(view.history, [{ epoch: 1, loss: 2, valLoss: 2.5 }, { epoch: 2, loss: 1 }]);

    // Without the internal writer: tslab's public API, one MIME type (the best single one).
    delete require.cache[jupyterJs];
    const pub = require(publicJs) as { calls: Array<[string, number | null, unknown]> };
    assert.equal(displayMode(), 'single-mime');
    await show(image);
    await show(aq.table({ a: [1] }));
    const v = progressView('P');
    v.update({ epoch: 1, epochs: 2 });
    v.update({ epoch: 2, epochs: 2 });
    assert.deepEqual(pub.calls.map(([kind, id]) => [kind, id]), [['png', null], ['html', null], ['html', 1], ['html', 1]]);
    assert.ok(Buffer.isBuffer(pub.calls[0]![2]) && (pub.calls[0]![2] as Buffer).subarray(1, 4).toString() === 'PNG');
  } finally {
    delete require.cache[jupyterJs];
    delete require.cache[publicJs];
    rmSync(dir, { recursive: true, force: true });
  }
});

// `aggstem train` / `aggstem predict` end to end on a tiny real dataset written by `aggstem dataset`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'aggstem-estimator-cli-'));
const data = join(tmp, 'data');
const model = join(tmp, 'model');
const backendArgs = process.env.AGGSTEM_TEST_BACKEND ? ['--backend', process.env.AGGSTEM_TEST_BACKEND] : [];

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 240_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(() => {
  const r = cli('dataset', '--preset', 'quick', '--count', '24', '--shard-size', '8', '--seed', '5', '--workers', '0', '--quiet', '--out', data);
  assert.equal(r.status, 0, r.stderr);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

test('aggstem train writes a loadable model, prints backend and epochs; refuses to overwrite; --resume continues', () => {
  const r = cli('train', '--data', data, '--out', model, '--epochs', '2', '--batch', '8', '--seed', '3', ...backendArgs);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^backend: (tensorflow|wasm|cpu) \(.+\)$/m);
  assert.match(r.stderr, /^epoch 2\/2 \[nll\] loss -?\d/m);
  assert.match(r.stdout, /finished: 2 epochs; best epoch \d/);
  for (const f of ['model.json', 'weights.bin', 'aggstem-model.json']) assert.ok(existsSync(join(model, f)), f);
  const meta = JSON.parse(readFileSync(join(model, 'aggstem-model.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(join(data, 'manifest.json'), 'utf8'));
  assert.deepEqual(meta.paramNames, manifest.paramNames);
  assert.equal(meta.input.sizePx, 128);
  assert.equal(meta.input.pixelSizeNm, manifest.image.pixelSizeNm);
  assert.equal(meta.data.configHash, manifest.configHash);
  assert.equal(meta.training.history.length, 2);
  assert.ok(meta.input.transform.divisor > 0);

  const again = cli('train', '--data', data, '--out', model, '--epochs', '2', '--batch', '8', '--seed', '3', ...backendArgs);
  assert.equal(again.status, 2);
  assert.match(again.stderr, /error: aggstem train: .* already holds a training run .*--resume/);

  const more = cli('train', '--data', data, '--out', model, '--epochs', '3', '--batch', '8', '--seed', '3', '--resume', '--json', ...backendArgs);
  assert.equal(more.status, 0, more.stderr);
  const summary = JSON.parse(more.stdout.trim().split('\n').pop()!);
  assert.equal(summary.resumedAtEpoch, 2);
  assert.equal(summary.epochsRun, 3);
  assert.doesNotMatch(more.stderr, /^epoch [12]\/3 \[/m);
});

test('prefetching on a worker thread yields exactly the loader\'s batches; stopping early ends the worker', async () => {
  const { openDataset } = await import('../../src/dataset/index.js');
  const { datasetSource } = await import('../../src/cnn/index.js');
  const ds = openDataset(data);
  const o = { batchSize: 5, epoch: 2, seed: 9 };
  const collect = async (prefetch: boolean) => {
    const out: { images: Float32Array; params: Float64Array; size: number }[] = [];
    for await (const b of datasetSource(ds, { prefetch }).batches('train', o) as AsyncIterable<{ images: Float32Array; params: Float64Array; size: number }>) out.push(b);
    return out;
  };
  const direct = await collect(false);
  const pre = await collect(true);
  assert.ok(direct.length >= 3);
  assert.equal(pre.length, direct.length);
  direct.forEach((b, i) => {
    assert.equal(pre[i]!.size, b.size);
    assert.deepEqual(pre[i]!.params, b.params);
    assert.ok(Buffer.from(pre[i]!.images.buffer).equals(Buffer.from(b.images.buffer)), `batch ${i} images differ`);
  });
  // Breaking out after one batch must not hang (the worker is terminated).
  for await (const _ of datasetSource(ds).batches('train', o) as AsyncIterable<unknown>) break;
});

test('aggstem train rejects bad flags and a missing dataset clearly (exit 2)', () => {
  const a = cli('train', '--data', join(tmp, 'nope'), '--out', join(tmp, 'm2'));
  assert.equal(a.status, 2);
  assert.match(a.stderr, /error: aggstem train: .*nope has no manifest\.json/);
  const b = cli('train', '--data', data, '--out', join(tmp, 'm2'), '--backend', 'gpu');
  assert.equal(b.status, 2);
  assert.match(b.stderr, /--backend must be one of auto, tensorflow, wasm, cpu, got "gpu"/);
  const c = cli('train', '--data', data, '--out', join(tmp, 'm2'), '--epochs', '0');
  assert.equal(c.status, 2);
  assert.match(c.stderr, /--epochs must be an integer >= 1, got "0"/);
});

test('aggstem predict: mean ± sd per frame of an .npy stack, JSON output, pixel-size refusal and --resample', () => {
  const stack = join(tmp, 'images.npy');
  copyFileSync(join(data, 'shard-00000.noisy.npy'), stack);
  const j = cli('predict', '--model', model, stack, '--json', ...backendArgs);
  assert.equal(j.status, 0, j.stderr);
  const rows = JSON.parse(j.stdout);
  const meta = JSON.parse(readFileSync(join(model, 'aggstem-model.json'), 'utf8'));
  assert.equal(rows.length, 8);
  rows.forEach((row: { frame: number; names: string[]; mean: number[]; sd: number[] }, i: number) => {
    assert.equal(row.frame, i);
    assert.deepEqual(row.names, meta.paramNames);
    row.mean.forEach((m, k) => {
      const s = meta.scaling[k];
      assert.ok(m >= s.lo * (1 - 1e-9) && m <= s.hi * (1 + 1e-9), `${row.names[k]} = ${m} outside the prior [${s.lo}, ${s.hi}]`);
      assert.ok(row.sd[k]! > 0);
    });
  });
  assert.match(j.stderr, /assuming the model's 1\.6 nm/);

  const text = cli('predict', '--model', model, stack, '--pixel-size', '1.6', ...backendArgs);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /images\.npy\[7\]\n {2}nParticles +\S+ ± \S+/);

  // Real-image preprocessing resamples every image to the model's pixel size (--resample is a no-op kept for old scripts).
  const resampled = cli('predict', '--model', model, stack, '--pixel-size', '1.0', '--json', ...backendArgs);
  assert.equal(resampled.status, 0, resampled.stderr);
  assert.match(JSON.parse(resampled.stdout)[0].preprocessing.notes.join('\n'), /resampled 128×128 at 1 nm → 80×80 at 1\.6 nm/);
  const ok = cli('predict', '--model', model, stack, '--pixel-size', '1.0', '--resample', '--json', ...backendArgs);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).length, 8);

  // The shipped pre-trained quick model, by name, on quick-preset images.
  const shipped = cli('predict', '--model', 'quick', stack, '--json', ...backendArgs);
  assert.equal(shipped.status, 0, shipped.stderr);
  const srows = JSON.parse(shipped.stdout);
  assert.equal(srows.length, 8);
  assert.deepEqual(srows[0].names, ['nParticles', 'fractionB', 'radiusMedianA', 'radiusMedianB', 'fractalDim', 'segregation', 'overlap']);
  assert.ok(srows.every((r: { mean: number[] }) => r.mean[0]! >= 20 && r.mean[0]! <= 80));

  const dm = cli('predict', '--model', model, join(tmp, 'scan.dm4'));
  assert.equal(dm.status, 2);
  assert.match(dm.stderr, /error: aggstem predict: .*scan\.dm4.*cannot open the file \(ENOENT\)/);
  const nomodel = cli('predict', '--model', join(tmp, 'nowhere'), stack);
  assert.equal(nomodel.status, 2);
  assert.match(nomodel.stderr, /has no aggstem-model\.json/);
});

test('the default model predicts the imaged aggregate\'s descriptors with ordered intervals inside their scale; JSON carries provenance', () => {
  const stack = join(tmp, 'images-desc.npy');
  copyFileSync(join(data, 'shard-00000.noisy.npy'), stack);
  const j = cli('predict', '--model', model, stack, '--pixel-size', '1.6', '--json', ...backendArgs);
  assert.equal(j.status, 0, j.stderr);
  const rows = JSON.parse(j.stdout);
  const meta = JSON.parse(readFileSync(join(model, 'aggstem-model.json'), 'utf8'));
  assert.equal(meta.formatVersion, 2);
  assert.equal(meta.network.head.kind, 'binned');
  assert.deepEqual(meta.descriptorNames, ['cnHet', 'heteroContactFraction', 'mixingIndex', 'rgVolumeNm', 'largestDomainFractionB', 'nParticles']);
  assert.equal(meta.calibration.temperatures.length, meta.paramNames.length + meta.descriptorNames.length);
  for (const row of rows) {
    const groups = [[row, meta.scaling], [row.descriptors, meta.descriptorScaling]] as const;
    for (const [g, scales] of groups) {
      g.names.forEach((name: string, k: number) => {
        const seq = [g.lower95[k], g.lower68[k], g.median[k], g.upper68[k], g.upper95[k]];
        for (let i = 1; i < seq.length; i++) assert.ok(seq[i] >= seq[i - 1] - 1e-9, `${name}: intervals out of order ${seq}`);
        const s = scales[k];
        assert.ok(g.lower95[k] >= s.lo * (1 - 1e-9) && g.upper95[k] <= s.hi * (1 + 1e-9), `${name}: 95 % interval [${g.lower95[k]}, ${g.upper95[k]}] leaves [${s.lo}, ${s.hi}]`);
      });
    }
    assert.equal(row.posterior.bins, 32);
    assert.equal(row.posterior.probs.length, 13);
    assert.ok(Math.abs(row.posterior.probs[0].reduce((a: number, b: number) => a + b, 0) - 1) < 1e-9);
    assert.match(row.provenance.modelSha256.weights, /^[0-9a-f]{64}$/);
    assert.match(row.provenance.backend, /^(tensorflow|wasm|cpu)$/);
    assert.ok(row.provenance.codeVersion.length > 0);
  }
  const text = cli('predict', '--model', model, stack, '--pixel-size', '1.6', ...backendArgs);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /descriptor \(imaged aggregate\)\n {2}cnHet +\S+ ± \S+ +\[\S+, \S+\] \(95 %\)/);
});

test('aggstem evaluate reports both descriptor routes, the floor, PIT calibration and a summary with provenance', () => {
  const out = join(tmp, 'report');
  const r = cli('evaluate', '--model', model, '--data', data, '--out', out, '--draws', '2', '--draw-samples', '2', '--workers', '0', '--quiet', ...backendArgs);
  assert.equal(r.status, 0, r.stderr);
  const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  assert.equal(s.drawSamples, Math.min(2, s.testSamples));
  const cn = s.descriptors.cnHet;
  for (const k of ['directMedianRelError', 'thetaRouteMedianRelError', 'perfectThetaFloor', 'baselineMedianRelError']) assert.equal(typeof cn[k], 'number', k);
  assert.equal(Object.keys(s.coverage).length, 13);
  assert.equal(Object.keys(s.coverage.cnHet).length, 12);
  assert.ok(s.coverage.nParticles && s.coverage.nParticlesMeasured, 'the parameter N and the counted N are both checked');
  assert.match(s.provenance.modelSha256.weights, /^[0-9a-f]{64}$/);
  for (const f of ['routes.csv', 'rank-histogram.csv', 'direct-samples.csv', 'calibration.csv', 'index.html']) assert.ok(existsSync(join(out, f)), f);
  const html = readFileSync(join(out, 'index.html'), 'utf8');
  assert.match(html, /direct route vs θ route vs floor vs baseline/);
  assert.match(html, /Rank \(PIT\) histograms/);
});

// Training, persistence and resumption of the CNN estimator on small synthetic data (16×16 px),
// on the best available backend (AGGSTEM_TEST_BACKEND=wasm|cpu|tensorflow forces one).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, type BackendPreference } from '../../src/cnn/backend/index.js';
import {
  arraySource,
  trainEstimator,
  saveEstimator,
  loadEstimator,
  disposeEstimator,
  predictBatch,
  predict,
  networkSpec,
  EstimatorFileError,
  TrainConfigError,
  type TrainOptions,
} from '../../src/cnn/index.js';
import { FIXTURE_NAMES, FIXTURE_SCALING, fixtureData } from './estimator-fixture.js';

const { tf, name: backend } = await initBackend((process.env.AGGSTEM_TEST_BACKEND ?? 'auto') as BackendPreference);
const SIDE = 16;
const tmp = mkdtempSync(join(tmpdir(), 'aggstem-estimator-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const source = (nTrain: number, nVal: number, seed = 1) =>
  arraySource({
    paramNames: FIXTURE_NAMES, scaling: FIXTURE_SCALING, imageSize: SIDE, pixelSizeNm: 1.6,
    train: fixtureData(nTrain, SIDE, `train-${seed}`), val: nVal ? fixtureData(nVal, SIDE, `val-${seed}`) : undefined,
  });
// Batch norm on, so its moving statistics go through checkpoints, save/load and the leak checks.
const tinySpec = { ...networkSpec('tiny', SIDE, 2), batchNorm: true };

test(`a tiny model overfits a tiny dataset: training loss falls ≥ 10× (backend ${backend})`, async () => {
  const counts: number[] = [];
  const r = await trainEstimator(source(32, 0), {
    network: 'tiny', head: { kind: 'gaussian' }, epochs: 30, batchSize: 8, seed: 7, learningRate: 3e-3, lrDecay: 1, warmupEpochs: 30, patience: 30,
    onEpochEnd: () => { counts.push(tf.memory().numTensors); },
  });
  const first = r.history[0]!.loss, last = r.history[r.history.length - 1]!.loss;
  assert.equal(r.history.length, 30);
  assert.ok(first / last >= 10, `loss ${first} → ${last} (only ${(first / last).toFixed(1)}×)`);
  // No tensor leak: the count after every epoch is the same.
  assert.ok(counts.every((c) => c === counts[0]), `numTensors per epoch: ${counts.join(', ')}`);
  disposeEstimator(r.estimator);
});

test('no tensor leak: numTensors constant over epochs (NLL phase, validation, checkpoints) and back to baseline after dispose', async () => {
  const before = tf.memory().numTensors;
  const counts: number[] = [];
  const dir = join(tmp, 'leak');
  const r = await trainEstimator(source(24, 8), {
    network: tinySpec, epochs: 4, batchSize: 8, seed: 3, warmupEpochs: 1, patience: 10, outDir: dir,
    onEpochEnd: () => { counts.push(tf.memory().numTensors); },
  });
  assert.equal(counts.length, 4);
  assert.ok(counts.every((c) => c === counts[0]), `numTensors per epoch: ${counts.join(', ')}`);
  const p0 = tf.memory().numTensors;
  await predict(r.estimator, { data: new Float32Array(SIDE * SIDE), widthPx: SIDE, heightPx: SIDE, pixelSizeNm: 1.6 });
  assert.equal(tf.memory().numTensors, p0, 'predict leaks tensors');
  disposeEstimator(r.estimator);
  assert.equal(tf.memory().numTensors, before, 'tensors left after disposing the estimator');
});

test('save → load gives identical predictions; a corrupted weights file is detected', async () => {
  const r = await trainEstimator(source(24, 8), { network: tinySpec, epochs: 2, batchSize: 8, seed: 5 });
  const dir = join(tmp, 'saved');
  await saveEstimator(r.estimator, dir);
  const loaded = await loadEstimator(dir);
  assert.deepEqual(loaded.meta.paramNames, FIXTURE_NAMES);
  assert.deepEqual(loaded.meta.scaling, FIXTURE_SCALING);
  assert.deepEqual(loaded.meta.input, r.estimator.meta.input);
  assert.equal(loaded.meta.training.history.length, 2);
  const test = fixtureData(10, SIDE, 'held-out');
  const imgs = Array.from({ length: 10 }, (_, i) => ({ data: test.images.subarray(i * SIDE * SIDE, (i + 1) * SIDE * SIDE), widthPx: SIDE, heightPx: SIDE, pixelSizeNm: 1.6 }));
  const a = await predictBatch(r.estimator, imgs, { batchSize: 4 });
  const b = await predictBatch(loaded, imgs);
  assert.equal(a.length, 10);
  for (let i = 0; i < 10; i++) {
    for (let j = 0; j < 2; j++) {
      assert.ok(Math.abs(a[i]!.mean[j]! - b[i]!.mean[j]!) <= 1e-6, `mean ${a[i]!.mean[j]} vs ${b[i]!.mean[j]}`);
      assert.ok(Math.abs(a[i]!.sd[j]! / b[i]!.sd[j]! - 1) <= 1e-5, `sd ${a[i]!.sd[j]} vs ${b[i]!.sd[j]}`);
      assert.ok(a[i]!.sd[j]! > 0 && a[i]!.scaledMean[j]! >= 0 && a[i]!.scaledMean[j]! <= 1);
    }
  }
  disposeEstimator(loaded);
  disposeEstimator(r.estimator);
  const w = readFileSync(join(dir, 'weights.bin'));
  w[10] = w[10]! ^ 0xff;
  writeFileSync(join(dir, 'weights.bin'), w);
  await assert.rejects(loadEstimator(dir), (e: Error) => e instanceof EstimatorFileError && /do not match the checksums/.test(e.message));
  await assert.rejects(loadEstimator(join(tmp, 'nowhere')), /has no aggstem-model\.json/);
});

test('resume after an interruption continues the same run: same weights after every later epoch (≤ 1e-5)', async () => {
  const opts = (dir: string): TrainOptions => ({ network: tinySpec, epochs: 5, batchSize: 8, seed: 11, warmupEpochs: 1, patience: 10, outDir: dir });
  const snap = (m: import('@tensorflow/tfjs').LayersModel) => m.getWeights().map((t) => Float32Array.from(t.dataSync()));
  const straight: Float32Array[][] = [];
  const r1 = await trainEstimator(source(40, 8), { ...opts(join(tmp, 'straight')), onEpochEnd: (_l, i) => { straight.push(snap(i.model)); } });

  // Interrupted in the middle of epoch 2 (0-based): epochs 0 and 1 are checkpointed.
  const ac = new AbortController();
  const dir = join(tmp, 'interrupted');
  const first = await trainEstimator(source(40, 8), { ...opts(dir), signal: ac.signal, onBatchEnd: (b) => { if (b.epoch === 2 && b.batch === 2) ac.abort(); } });
  assert.equal(first.interrupted, true);
  assert.equal(first.history.length, 2);
  disposeEstimator(first.estimator);
  assert.deepEqual(readdirSync(join(dir, 'checkpoint')), ['epoch-0002']);

  const resumed: Float32Array[][] = [];
  const r2 = await trainEstimator(source(40, 8), { ...opts(dir), resume: true, onEpochEnd: (_l, i) => { resumed.push(snap(i.model)); } });
  assert.equal(r2.resumedAtEpoch, 2);
  assert.equal(resumed.length, 3);
  let maxDiff = 0;
  for (let k = 0; k < 3; k++) {
    const a = straight[2 + k]!, b = resumed[k]!;
    assert.equal(a.length, b.length);
    for (let w = 0; w < a.length; w++) for (let i = 0; i < a[w]!.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[w]![i]! - b[w]![i]!));
  }
  assert.ok(maxDiff <= 1e-5, `max weight difference ${maxDiff}`);
  assert.equal(r2.history.length, 5);
  r1.history.forEach((h, e) => assert.ok(Math.abs(h.loss - r2.history[e]!.loss) <= 1e-4 * Math.max(1, Math.abs(h.loss)), `epoch ${e} loss ${h.loss} vs ${r2.history[e]!.loss}`));
  assert.equal(r2.bestEpoch, r1.bestEpoch);
  // The model directory holds the best epoch's model, loadable.
  const loaded = await loadEstimator(dir);
  assert.equal(loaded.meta.training.bestEpoch, r2.bestEpoch);
  assert.equal(loaded.meta.training.epochsRun, 5);
  disposeEstimator(loaded);
  disposeEstimator(r1.estimator);
  disposeEstimator(r2.estimator);
});

test('a fresh run refuses a directory with a checkpoint; resume refuses changed settings', async () => {
  const dir = join(tmp, 'straight'); // written by the resume test
  assert.ok(existsSync(join(dir, 'checkpoint')));
  await assert.rejects(
    trainEstimator(source(40, 8), { network: tinySpec, epochs: 5, batchSize: 8, seed: 11, outDir: dir }),
    (e: Error) => e instanceof TrainConfigError && /already holds a training run/.test(e.message),
  );
  await assert.rejects(
    trainEstimator(source(40, 8), { network: tinySpec, epochs: 6, batchSize: 16, seed: 12, warmupEpochs: 1, outDir: dir, resume: true }),
    (e: Error) => e instanceof TrainConfigError && /seed: checkpoint 11, now 12/.test(e.message) && /batchSize: checkpoint 8, now 16/.test(e.message),
  );
  // A saved model without a checkpoint is not silently overwritten either.
  await assert.rejects(
    trainEstimator(source(40, 8), { network: tinySpec, epochs: 1, outDir: join(tmp, 'saved') }),
    (e: Error) => e instanceof TrainConfigError && /already holds a model \(aggstem-model\.json\) but no checkpoint/.test(e.message),
  );
});

test('predict with a trained model: mismatched pixel size/size refused, accepted with resample', async () => {
  const est = await loadEstimator(join(tmp, 'interrupted'));
  const img = { data: new Float32Array(32 * 32).fill(0.03), widthPx: 32, heightPx: 32, pixelSizeNm: 0.8 };
  await assert.rejects(predict(est, img), /pixel size 0\.8 nm differs from the model's 1\.6 nm and its size 32×32 px differs from the model's 16×16 px/);
  const viaResample = await predict(est, img, { resample: true });
  const direct = await predict(est, { data: new Float32Array(16 * 16).fill(0.03), widthPx: 16, heightPx: 16, pixelSizeNm: 1.6 });
  for (let j = 0; j < 2; j++) assert.ok(Math.abs(viaResample.mean[j]! - direct.mean[j]!) < 1e-5);
  // The preprocessing hook runs before the checks.
  const pre = await predict(est, img, { preprocess: () => ({ data: new Float32Array(256).fill(0.03), widthPx: 16, heightPx: 16, pixelSizeNm: 1.6 }) });
  assert.deepEqual(pre.mean, direct.mean);
  disposeEstimator(est);
});

test('training refuses an --out holding files it did not write, and a second run into a directory being trained', async () => {
  const { mkdirSync } = await import('node:fs');
  const { lockDir } = await import('../../src/io/lock.js');
  const foreign = join(tmp, 'foreign');
  mkdirSync(foreign, { recursive: true });
  writeFileSync(join(foreign, 'model.json'), '{"mine": true}');
  await assert.rejects(trainEstimator(source(8, 0), { network: tinySpec, epochs: 1, batchSize: 4, outDir: foreign }),
    (e: Error) => e instanceof TrainConfigError && /holds model\.json that aggstem did not write/.test(e.message));
  assert.equal(readFileSync(join(foreign, 'model.json'), 'utf8'), '{"mine": true}', 'the user\'s file is untouched');
  const busy = join(tmp, 'busy');
  mkdirSync(busy, { recursive: true });
  const held = lockDir(busy, { file: '.aggstem-train.lock', error: (m) => new TrainConfigError(m) });
  try {
    await assert.rejects(trainEstimator(source(8, 0), { network: tinySpec, epochs: 1, batchSize: 4, outDir: busy }),
      (e: Error) => e instanceof TrainConfigError && /is being written by this process/.test(e.message));
  } finally {
    held.release();
  }
});

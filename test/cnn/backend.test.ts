/**
 * initBackend('auto') on whatever this machine has, plus native TensorFlow specifics when the native
 * binding is present (the project's set-up, `npm run setup`, builds it; .ci/run fails when it did not).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type * as TF from '@tensorflow/tfjs';
import { fileLoadHandler, fileSaveHandler, initBackend, nativeTensorFlowStatus } from '../../src/cnn/backend/index.js';
import { setTensorflowFastPaths } from '../../src/cnn/backend/tensorflow-fast-paths.js';
import { brightnessData, maxRelDiff, saveLoadPredictions, tinyConvModel, trainTiny } from './backend-helpers.js';

const status = nativeTensorFlowStatus();
const info = await initBackend('auto');
const { tf } = info;
const noNative = status.present ? false : `native TensorFlow not built here: ${status.reason}`;

describe('initBackend auto', () => {
  it('picks native TensorFlow exactly when its binding is present, and says why', () => {
    assert.equal(info.name, status.present ? 'tensorflow' : 'wasm');
    assert.equal(tf.getBackend(), info.name);
    assert.match(info.reason, /^auto: /);
    if (info.name === 'tensorflow') assert.match(info.reason, /native TensorFlow \d+\.\d+/);
    else assert.match(info.reason, /native TensorFlow unavailable/);
  });

  it('returns the project\'s single tfjs instance (tfjs-node resolves the same @tensorflow/tfjs)', async () => {
    const projectTf = (await import('@tensorflow/tfjs')) as typeof TF;
    assert.equal(tf.engine(), projectTf.engine());
    assert.equal(tf.getBackend(), projectTf.getBackend());
    const req = createRequire(import.meta.url);
    assert.equal(status.tfjsPath, req.resolve('@tensorflow/tfjs'));
    if (status.tfjsNodeTfjsPath !== undefined) assert.equal(status.tfjsNodeTfjsPath, status.tfjsPath);
  });

  it(`a small conv model trains on the chosen backend (${info.name}): loss falls below a quarter`, async () => {
    const { model, losses } = await trainTiny(tf, 12);
    assert.ok(losses.at(-1)! < 0.25 * losses[0]!, `losses ${losses.map((l) => l.toFixed(4)).join(', ')}`);
    model.dispose();
  });

  it(`save → load round trip gives identical predictions (${info.name})`, async () => {
    const model = tinyConvModel(tf);
    const { before, after } = await saveLoadPredictions(tf, model);
    assert.deepEqual(after, before);
    model.dispose();
  });

  it('calling initBackend again with the same choice is harmless', async () => {
    const again = await initBackend(info.name);
    assert.equal(again.name, info.name);
    assert.match(again.reason, /^requested; /);
  });
});

describe('native TensorFlow', { skip: noNative }, () => {
  it('model files move between tensorflow and wasm: same predictions within 1e-5', async () => {
    await initBackend('tensorflow');
    const dir = mkdtempSync(join(tmpdir(), 'aggstem-backend-'));
    try {
      const model = tinyConvModel(tf);
      const { x } = brightnessData(tf, 8, 4);
      const onNative = Float32Array.from((model.predict(x) as TF.Tensor).dataSync());
      await model.save(fileSaveHandler(dir));
      // tfjs-node's own file:// router writes the same layout.
      await model.save(`file://${join(dir, 'via-tfjs-node')}`);
      await initBackend('wasm');
      const loaded = await tf.loadLayersModel(fileLoadHandler(dir));
      const viaNode = await tf.loadLayersModel(fileLoadHandler(join(dir, 'via-tfjs-node', 'model.json')));
      const onWasm = Float32Array.from((loaded.predict(x) as TF.Tensor).dataSync());
      const onWasm2 = Float32Array.from((viaNode.predict(x) as TF.Tensor).dataSync());
      assert.ok(maxRelDiff(onWasm, onNative) <= 1e-5, `max relative difference ${maxRelDiff(onWasm, onNative)}`);
      assert.deepEqual(onWasm2, onWasm);
      for (const m of [model, loaded, viaNode]) m.dispose();
      x.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await initBackend('tensorflow');
    }
  });

  it('the fused ReLU gradient (fast path) equals tfjs\'s own, at x = 0 too, and is the kernel used', async () => {
    await initBackend('tensorflow');
    const xs = [-2, -0.5, 0, 0, 0.5, 3, -1e-8, 1e-8];
    const grad = () => tf.tidy(() => Array.from(
      tf.grad((x: TF.Tensor) => tf.relu(x).mul(tf.tensor1d([1, 2, 3, 4, 5, 6, 7, 8])).sum())(tf.tensor1d(xs)).dataSync()));
    setTensorflowFastPaths(false);
    const stock = grad();
    setTensorflowFastPaths(true);
    const fast = grad();
    assert.deepEqual(fast, stock);
    assert.deepEqual(fast, [0, 0, 0, 0, 5, 6, 0, 8]);
    const prof = await tf.profile(() => { grad(); });
    assert.ok(prof.kernelNames.includes('AggstemNativeReluGrad'), `kernels used: ${prof.kernelNames.join(', ')}`);
    assert.ok(!prof.kernelNames.includes('Step'), 'the stock Step-based gradient ran');
    // A whole conv net's gradients are bit-identical with and without the fast path.
    const netGrads = () => tf.tidy(() => {
      const model = tinyConvModel(tf);
      const { x, y } = brightnessData(tf, 8, 5);
      const { grads } = tf.variableGrads(() => tf.losses.meanSquaredError(y, model.predict(x) as TF.Tensor) as TF.Scalar);
      const flat = Object.values(grads).map((g) => Array.from(g.dataSync())).flat();
      model.dispose();
      return flat;
    });
    setTensorflowFastPaths(false);
    const netStock = netGrads();
    setTensorflowFastPaths(true);
    assert.deepEqual(netGrads(), netStock);
  });

  it('conv2d filter gradients agree with the wasm kernel (max rel. diff ≤ 1e-4)', async () => {
    const grad = () => tf.tidy(() => {
      const x = tf.randomUniform([2, 12, 12, 4], -1, 1, 'float32', 5) as TF.Tensor4D;
      const f = tf.randomUniform([3, 3, 4, 16], -1, 1, 'float32', 6);
      return Float32Array.from(tf.grad((ff: TF.Tensor) => tf.conv2d(x, ff as TF.Tensor4D, 2, 'same').square().sum())(f).dataSync());
    });
    await initBackend('tensorflow');
    const native = grad();
    await initBackend('wasm');
    const wasm = grad();
    await initBackend('tensorflow');
    assert.ok(maxRelDiff(wasm, native) <= 1e-4, `max relative difference ${maxRelDiff(wasm, native)}`);
  });
});

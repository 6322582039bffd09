/**
 * The wasm backend, explicitly (whatever else is installed): aggstem's Conv2DBackpropFilter kernel
 * against the pure-JS cpu backend's, training, and file save/load. One process, switching between
 * the cpu and wasm backends (tfjs keeps a single active backend per process).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type * as TF from '@tensorflow/tfjs';
import { fileLoadHandler, fileSaveHandler, initBackend } from '../../src/cnn/backend/index.js';
import {
  configureWasmConv2DBackpropFilter,
  wasmConv2DBackpropFilter,
  type Conv2DBackpropFilterMethod,
} from '../../src/cnn/backend/wasm-conv2d-backprop-filter.js';
import { randomStream, uniform } from '../../src/random/index.js';
import { brightnessData, maxRelDiff, saveLoadPredictions, tinyConvModel, trainTiny } from './backend-helpers.js';

const { tf } = await initBackend('wasm');
type Strides = number | [number, number];

function randomArray(n: number, ...path: (string | number)[]): Float32Array {
  const rng = randomStream('wasm-kernel-test', ...path);
  return Float32Array.from({ length: n }, () => uniform(rng, -1, 1));
}

/** Conv2DBackpropFilter on the active backend, through the kernel registry (as the conv2d gradient calls it). */
function filterGrad(x: Float32Array, xShape: number[], dy: Float32Array, dyShape: number[], filterShape: number[], strides: Strides, pad: 'same' | 'valid'): Float32Array {
  return tf.tidy(() => {
    const out = tf.engine().runKernel('Conv2DBackpropFilter',
      { x: tf.tensor(x, xShape), dy: tf.tensor(dy, dyShape) },
      { strides, pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape } as never) as TF.Tensor;
    return out.dataSync() as Float32Array;
  });
}

interface Case { x: [number, number, number, number]; f: [number, number]; out: number; strides: Strides; pad: 'same' | 'valid' }

function cases(): Case[] {
  const list: Case[] = [];
  for (const strides of [1, 2, 3, [2, 1]] as Strides[]) {
    for (const pad of ['same', 'valid'] as const) {
      list.push({ x: [2, 11, 9, 3], f: [3, 3], out: 2, strides, pad }); // direct path in auto mode (K·O = 54)
      list.push({ x: [3, 10, 13, 6], f: [3, 3], out: 40, strides, pad }); // im2col path in auto mode
    }
  }
  list.push({ x: [2, 12, 12, 4], f: [5, 5], out: 8, strides: 2, pad: 'same' });
  list.push({ x: [2, 7, 7, 5], f: [1, 1], out: 6, strides: 1, pad: 'valid' });
  return list;
}

async function compareOne(c: Case, method: Conv2DBackpropFilterMethod, tag: string): Promise<number> {
  const filterShape = [c.f[0], c.f[1], c.x[3], c.out] as [number, number, number, number];
  const info = tf.backend_util.computeConv2DInfo(c.x, filterShape, c.strides, 1, c.pad);
  const dyShape = [...info.outShape];
  const x = randomArray(c.x.reduce((a, b) => a * b), tag, 'x');
  const dy = randomArray(dyShape.reduce((a, b) => a * b), tag, 'dy');
  await tf.setBackend('cpu');
  const ref = filterGrad(x, c.x, dy, dyShape, filterShape, c.strides, c.pad);
  await tf.setBackend('wasm');
  const prev = configureWasmConv2DBackpropFilter({ method });
  try {
    const got = filterGrad(x, c.x, dy, dyShape, filterShape, c.strides, c.pad);
    return maxRelDiff(got, ref);
  } finally {
    configureWasmConv2DBackpropFilter(prev);
  }
}

describe('wasm Conv2DBackpropFilter kernel', () => {
  it('is registered for wasm and is ours', () => {
    assert.equal(tf.getBackend(), 'wasm');
    assert.equal(tf.getKernel('Conv2DBackpropFilter', 'wasm')?.kernelFunc, wasmConv2DBackpropFilter);
  });

  for (const method of ['auto', 'direct', 'im2col'] as const) {
    it(`matches the cpu backend for strides 1, 2, 3, [2,1] × padding same/valid (${method}; max rel. diff ≤ 1e-4)`, async () => {
      let worst = 0;
      for (const [i, c] of cases().entries()) {
        const d = await compareOne(c, method, `${method}-${i}`);
        assert.ok(d <= 1e-4, `case ${JSON.stringify(c)}: max relative difference ${d}`);
        worst = Math.max(worst, d);
      }
      assert.ok(worst < 1e-4);
    });
  }

  it('gives the same result when im2col is split into one-image chunks', async () => {
    configureWasmConv2DBackpropFilter({ method: 'im2col', maxColsElements: 1 });
    try {
      const c: Case = { x: [4, 9, 8, 5], f: [3, 3], out: 7, strides: [2, 1], pad: 'same' };
      const d = await compareOne(c, 'im2col', 'chunks');
      assert.ok(d <= 1e-4, `max relative difference ${d}`);
    } finally {
      configureWasmConv2DBackpropFilter({ method: 'auto', maxColsElements: 16 * 2 ** 20 });
    }
  });

  it('gives conv2d filter gradients (tf.grad) equal to the cpu backend\'s', async () => {
    const xv = randomArray(2 * 10 * 10 * 4, 'grad', 'x');
    const fv = randomArray(3 * 3 * 4 * 24, 'grad', 'f');
    const grad = () => tf.tidy(() => {
      const x = tf.tensor4d(xv, [2, 10, 10, 4]);
      const g = tf.grad((f: TF.Tensor) => tf.conv2d(x, f as never, 2, 'same').square().sum())(tf.tensor4d(fv, [3, 3, 4, 24]));
      return g.dataSync() as Float32Array;
    });
    await tf.setBackend('cpu');
    const ref = grad();
    await tf.setBackend('wasm');
    const got = grad();
    assert.ok(maxRelDiff(got, ref) <= 1e-4, `max relative difference ${maxRelDiff(got, ref)}`);
  });

  it('rejects an unknown method with a clear error', () => {
    assert.throws(() => configureWasmConv2DBackpropFilter({ method: 'fast' as never }), /method "fast" is not one of auto, direct, im2col/);
  });
});

describe('training and files on wasm', () => {
  it('a small conv model trains: loss falls below a quarter of its first epoch', async () => {
    assert.equal(tf.getBackend(), 'wasm');
    const { model, losses } = await trainTiny(tf, 12);
    assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
    assert.ok(losses.at(-1)! < 0.25 * losses[0]!, `losses ${losses.map((l) => l.toFixed(4)).join(', ')}`);
    model.dispose();
  });

  it('save → load round trip gives identical predictions', async () => {
    const model = tinyConvModel(tf);
    const { before, after } = await saveLoadPredictions(tf, model);
    assert.deepEqual(after, before);
    model.dispose();
  });

  it('writes the tfjs-node layout: model.json naming weights.bin', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aggstem-backend-'));
    try {
      const model = tinyConvModel(tf);
      await model.save(fileSaveHandler(dir));
      const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
      assert.deepEqual(json.weightsManifest.map((g: { paths: string[] }) => g.paths), [['weights.bin']]);
      const nWeights = model.getWeights().reduce((s, w) => s + w.size, 0);
      assert.equal(readFileSync(join(dir, 'weights.bin')).byteLength, 4 * nWeights);
      // Loading also accepts the directory itself.
      const again = await tf.loadLayersModel(fileLoadHandler(dir));
      assert.equal(again.countParams(), model.countParams());
      model.dispose();
      again.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses incomplete or missing model files with messages naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aggstem-backend-'));
    try {
      await assert.rejects(tf.loadLayersModel(fileLoadHandler(join(dir, 'nope.json'))), /nope\.json does not exist/);
      const model = tinyConvModel(tf);
      await model.save(fileSaveHandler(dir));
      truncateSync(join(dir, 'weights.bin'), 100);
      await assert.rejects(tf.loadLayersModel(fileLoadHandler(dir)), /hold 100 bytes but model\.json describes \d+/);
      writeFileSync(join(dir, 'model.json'), '{ not json');
      await assert.rejects(tf.loadLayersModel(fileLoadHandler(dir)), /model\.json is not valid JSON/);
      model.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps the data helper honest: targets are the image brightness', () => {
    const { x, y } = brightnessData(tf, 4, 3);
    const means = x.mean([1, 2, 3]).dataSync();
    const ys = y.dataSync();
    for (let i = 0; i < 4; i++) assert.ok(Math.abs(means[i]! - ys[i]!) < 0.05, `image ${i}: mean ${means[i]} vs target ${ys[i]}`);
    x.dispose();
    y.dispose();
  });
});

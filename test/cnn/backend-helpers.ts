/**
 * Shared pieces of the backend tests (test/cnn/backend*.test.ts): a tiny seeded conv model, seeded
 * data, a short training run and a save → load round trip. They take the `tf` namespace returned by
 * initBackend, so the same checks run on whichever backend is active.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { fileLoadHandler, fileSaveHandler } from '../../src/cnn/backend/index.js';
import { randomStream, uniform } from '../../src/random/index.js';

export const SIDE = 16;

/** conv 3×3 stride 2 → conv 3×3 stride 1 → global average pool → dense 1, seeded initialisers. */
export function tinyConvModel(tf: typeof TF): TF.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [SIDE, SIDE, 1], filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 11 }) }));
  model.add(tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'valid', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 12 }) }));
  model.add(tf.layers.globalAveragePooling2d({}));
  model.add(tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 13 }) }));
  return model;
}

/** Images of brightness b ~ U(0, 1) plus uniform noise; the target is b (learnable from the mean). */
export function brightnessData(tf: typeof TF, n: number, seed: number): { x: TF.Tensor4D; y: TF.Tensor2D } {
  const rng = randomStream('backend-test-data', seed);
  const x = new Float32Array(n * SIDE * SIDE);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const b = rng.double();
    y[i] = b;
    for (let j = 0; j < SIDE * SIDE; j++) x[i * SIDE * SIDE + j] = b + uniform(rng, -0.25, 0.25);
  }
  return { x: tf.tensor4d(x, [n, SIDE, SIDE, 1]), y: tf.tensor2d(y, [n, 1]) };
}

/** Trains the tiny model with fit (which needs Conv2DBackpropFilter); returns the per-epoch losses. */
export async function trainTiny(tf: typeof TF, epochs: number): Promise<{ model: TF.Sequential; losses: number[] }> {
  const model = tinyConvModel(tf);
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
  const { x, y } = brightnessData(tf, 64, 1);
  const h = await model.fit(x, y, { epochs, batchSize: 16, shuffle: false, verbose: 0 });
  x.dispose();
  y.dispose();
  return { model, losses: h.history.loss as number[] };
}

/** Saves with fileSaveHandler, loads with fileLoadHandler; returns both models' predictions on fresh data. */
export async function saveLoadPredictions(tf: typeof TF, model: TF.LayersModel): Promise<{ before: Float32Array; after: Float32Array; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'aggstem-backend-'));
  try {
    await model.save(fileSaveHandler(join(dir, 'model')));
    const loaded = await tf.loadLayersModel(fileLoadHandler(join(dir, 'model', 'model.json')));
    const { x } = brightnessData(tf, 8, 2);
    const before = (model.predict(x) as TF.Tensor).dataSync() as Float32Array;
    const after = (loaded.predict(x) as TF.Tensor).dataSync() as Float32Array;
    x.dispose();
    loaded.dispose();
    return { before: Float32Array.from(before), after: Float32Array.from(after), dir };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** max |a − b| / max |b|: a normwise relative difference that is robust to entries near zero. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}

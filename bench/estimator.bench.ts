/**
 * Speed of the CNN estimator itself (`src/cnn`): training images/s of `trainEstimator` with the
 * `quick` network (128 × 128 px, 7 parameters, batch 32) on pre-made in-memory images, so the data
 * loader is not measured, and prediction ms/image (`predictBatch`, batches of 32), on the native
 * TensorFlow and wasm backends that are available.
 *
 *   node --import tsx bench/run.ts estimator        (AGGSTEM_BENCH_QUICK=1: fewer images)
 *
 * The machine is shared: the load average is recorded beside the figures.
 */
import os from 'node:os';
import { initBackend, nativeTensorFlowStatus, type BackendName } from '../src/cnn/backend/index.js';
import { arraySource, disposeEstimator, networkSpec, paramScalingFromPrior, predictBatch, trainEstimator } from '../src/cnn/index.js';
import { QUICK_PRIOR, varyingParams } from '../src/model/params.js';
import { normal, randomStream } from '../src/random/index.js';

const quick = process.env.AGGSTEM_BENCH_QUICK === '1';
const SIDE = 128;

function data(n: number) {
  const rng = randomStream(1, 'estimator-bench');
  const scaling = paramScalingFromPrior(QUICK_PRIOR);
  const p = scaling.length;
  const images = new Float32Array(n * SIDE * SIDE);
  for (let i = 0; i < images.length; i++) images[i] = 0.002 + Math.abs(normal(rng, 0, 0.01));
  const params = new Float64Array(n * p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) params[i * p + j] = scaling[j]!.lo + rng.double() * (scaling[j]!.hi - scaling[j]!.lo) * 0.999;
  return { images, params, scaling };
}

export async function run(): Promise<object> {
  const backends: BackendName[] = [...(nativeTensorFlowStatus().present ? (['tensorflow'] as const) : []), 'wasm'];
  const nTrain = quick ? 64 : 256;
  const { images, params, scaling } = data(nTrain);
  const names = varyingParams(QUICK_PRIOR);
  const results: Record<string, unknown>[] = [];
  for (const b of backends) {
    const be = await initBackend(b);
    const src = arraySource({ paramNames: names, scaling, imageSize: SIDE, pixelSizeNm: 1.6, train: { images, params } });
    const epochs = quick ? 2 : 3;
    const r = await trainEstimator(src, { network: networkSpec('quick', SIDE, names.length), epochs, batchSize: 32, seed: 1, warmupEpochs: 1 });
    // The first epoch includes graph warm-up; report the later ones.
    const later = r.history.slice(1);
    const trainImagesPerSec = later.reduce((s, h) => s + h.imagesPerSecond, 0) / later.length;
    const imgs = Array.from({ length: nTrain }, (_, i) => ({ data: images.subarray(i * SIDE * SIDE, (i + 1) * SIDE * SIDE), widthPx: SIDE, heightPx: SIDE, pixelSizeNm: 1.6 }));
    await predictBatch(r.estimator, imgs.slice(0, 32)); // warm-up
    const t0 = performance.now();
    await predictBatch(r.estimator, imgs, { batchSize: 32 });
    const predictMsPerImage = (performance.now() - t0) / nTrain;
    disposeEstimator(r.estimator);
    results.push({ backend: be.name, network: 'quick', trainImages: nTrain, epochsMeasured: later.length, trainImagesPerSec: +trainImagesPerSec.toFixed(1), predictMsPerImage: +predictMsPerImage.toFixed(2) });
    console.error(`  ${be.name}: train ${trainImagesPerSec.toFixed(1)} img/s, predict ${predictMsPerImage.toFixed(2)} ms/image`);
  }
  return { loadAverage: os.loadavg().map((x) => +x.toFixed(2)), results };
}

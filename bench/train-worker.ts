/**
 * One measurement of bench/train.bench.ts, in its own process (tfjs has one backend per process, and
 * native TensorFlow reads its thread settings when it starts). Prints one JSON line on stdout.
 *
 * Usage: node --import tsx bench/train-worker.ts '<json options>'   (see WorkerOptions)
 *
 * The reference network (docs/backends.md, and bench/train_torch.py for PyTorch):
 * input 128×128×1 → 4 × [conv 3×3 'same' + ReLU → max-pool 2×2] with 16, 32, 64, 64 filters →
 * global average pool → dense 5; Adam (lr 1e-3), mean squared error.
 */
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendPreference } from '../src/cnn/backend/index.js';
import { configureWasmConv2DBackpropFilter, type Conv2DBackpropFilterMethod } from '../src/cnn/backend/wasm-conv2d-backprop-filter.js';
import { normal, randomStream } from '../src/random/index.js';

export interface WorkerOptions {
  backend: BackendPreference;
  /**
   * `fit`: model.fit over pre-made tensors; `loop`: tf.tidy + optimizer.minimize per batch;
   * `trainOnBatch`; `estimator`: the project's own estimator (src/cnn trainEstimator, `quick` network,
   * 128 px, synthetic images) instead of the reference network.
   */
  mode: 'fit' | 'loop' | 'trainOnBatch' | 'estimator';
  batch: number;
  warmupSteps: number;
  steps: number;
  inferIters: number;
  /** Only for tensorflow: aggstem's fused-op gradients (default true). */
  fastPaths?: boolean;
  /** Only for wasm: the Conv2DBackpropFilter algorithm. */
  wasmFilterGrad?: Conv2DBackpropFilterMethod;
  /** Distinct input batches cycled through (pre-made, so no per-step data creation is timed). */
  distinctBatches?: number;
}

/**
 * CPU seconds per thread of this process (Linux /proc; empty elsewhere). The ratio total / busiest
 * thread says how many threads the work keeps busy, independent of other load on the machine.
 */
export function threadCpuSeconds(): Map<string, number> {
  const m = new Map<string, number>();
  try {
    for (const t of readdirSync('/proc/self/task')) {
      const st = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      m.set(t, (Number(f[11]) + Number(f[12])) / 100); // utime + stime, in USER_HZ = 100 ticks/s
    }
  } catch {
    /* not Linux */
  }
  return m;
}

export function parallelism(before: Map<string, number>, after: Map<string, number>): number | null {
  const d = [...after].map(([k, v]) => v - (before.get(k) ?? 0)).filter((v) => v > 0);
  const max = Math.max(0, ...d);
  return max > 0 ? +(d.reduce((a, b) => a + b, 0) / max).toFixed(2) : null;
}

export const SIZE = 128;
export const OUTPUTS = 5;

export function referenceModel(): tf.Sequential {
  const model = tf.sequential();
  let seed = 1;
  const init = () => tf.initializers.glorotUniform({ seed: seed++ });
  [16, 32, 64, 64].forEach((filters, i) => {
    model.add(tf.layers.conv2d({
      ...(i === 0 ? { inputShape: [SIZE, SIZE, 1] } : {}),
      filters, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(),
    }));
    model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  });
  model.add(tf.layers.globalAveragePooling2d({}));
  model.add(tf.layers.dense({ units: OUTPUTS, kernelInitializer: init() }));
  return model;
}

function makeData(n: number, batch: number): { xs: tf.Tensor4D[]; ys: tf.Tensor2D[] } {
  const rng = randomStream('bench-train', n, batch);
  const xs: tf.Tensor4D[] = [];
  const ys: tf.Tensor2D[] = [];
  for (let i = 0; i < n; i++) {
    const x = new Float32Array(batch * SIZE * SIZE);
    for (let j = 0; j < x.length; j++) x[j] = rng.double();
    const y = new Float32Array(batch * OUTPUTS);
    for (let j = 0; j < y.length; j++) y[j] = normal(rng, 0, 1);
    xs.push(tf.tensor4d(x, [batch, SIZE, SIZE, 1]));
    ys.push(tf.tensor2d(y, [batch, OUTPUTS]));
  }
  return { xs, ys };
}

async function main(): Promise<void> {
  const o = JSON.parse(process.argv[2] ?? '{}') as WorkerOptions;
  const t0 = performance.now();
  const info = await initBackend(o.backend, { fastPaths: o.fastPaths ?? true });
  const initMs = performance.now() - t0;
  if (o.wasmFilterGrad) configureWasmConv2DBackpropFilter({ method: o.wasmFilterGrad });
  if (o.mode === 'estimator') {
    console.log(JSON.stringify({ backend: info.name, reason: info.reason, initMs: Math.round(initMs), ...(await estimatorRun(o)) }));
    return;
  }
  const nData = Math.max(1, o.distinctBatches ?? 4);
  const { xs, ys } = makeData(nData, o.batch);
  const model = referenceModel();
  const optimizer = tf.train.adam(1e-3);
  model.compile({ optimizer, loss: 'meanSquaredError' });

  let lastLoss = NaN;
  const runSteps = async (steps: number): Promise<void> => {
    if (steps === 0) return;
    if (o.mode === 'fit') {
      // One fit call over `steps` batches of pre-made tensors, the way a caller with data in memory trains.
      const idx = Array.from({ length: steps }, (_, i) => i % nData);
      const x = tf.concat(idx.map((i) => xs[i]!));
      const y = tf.concat(idx.map((i) => ys[i]!));
      const h = await model.fit(x, y, { batchSize: o.batch, epochs: 1, shuffle: false, verbose: 0 });
      lastLoss = (h.history.loss as number[]).at(-1) ?? NaN;
      x.dispose();
      y.dispose();
    } else if (o.mode === 'trainOnBatch') {
      for (let s = 0; s < steps; s++) {
        lastLoss = (await model.trainOnBatch(xs[s % nData]!, ys[s % nData]!)) as number;
      }
    } else {
      let cost: tf.Scalar | null = null;
      for (let s = 0; s < steps; s++) {
        cost?.dispose();
        cost = tf.tidy(() => optimizer.minimize(() => {
          const pred = model.apply(xs[s % nData]!, { training: true }) as tf.Tensor;
          return tf.losses.meanSquaredError(ys[s % nData]!, pred) as tf.Scalar;
        }, true) as tf.Scalar);
      }
      lastLoss = (await cost!.data())[0]!; // also waits for the last step
      cost!.dispose();
    }
  };

  await runSteps(o.warmupSteps);
  const tTrain = performance.now();
  const cpu0 = process.cpuUsage();
  const threads0 = threadCpuSeconds();
  await runSteps(o.steps);
  const threadParallelism = parallelism(threads0, threadCpuSeconds());
  const trainSeconds = (performance.now() - tTrain) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;

  // Inference: forward pass on one batch, read back (as predict() users do).
  let tInfer = 0;
  if (o.inferIters > 0) {
    tf.tidy(() => (model.predict(xs[0]!) as tf.Tensor).dataSync()); // warm-up
    const t = performance.now();
    for (let i = 0; i < o.inferIters; i++) tf.tidy(() => (model.predict(xs[i % nData]!) as tf.Tensor).dataSync());
    tInfer = performance.now() - t;
  }
  const out = {
    backend: info.name,
    reason: info.reason,
    mode: o.mode,
    batch: o.batch,
    steps: o.steps,
    warmupSteps: o.warmupSteps,
    trainImagesPerSec: +((o.steps * o.batch) / trainSeconds).toFixed(2),
    secondsPerStep: +(trainSeconds / o.steps).toFixed(4),
    // CPU time of all threads: less sensitive to other processes on a shared machine than wall time.
    trainImagesPerCpuSec: +((o.steps * o.batch) / cpuSeconds).toFixed(2),
    threadParallelism,
    inferMsPerImage: o.inferIters > 0 ? +(tInfer / (o.inferIters * o.batch)).toFixed(3) : null,
    finalLoss: +lastLoss.toFixed(5),
    initMs: Math.round(initMs),
    env: {
      TF_NUM_INTRAOP_THREADS: process.env.TF_NUM_INTRAOP_THREADS ?? null,
      TF_NUM_INTEROP_THREADS: process.env.TF_NUM_INTEROP_THREADS ?? null,
      TF_ENABLE_ONEDNN_OPTS: process.env.TF_ENABLE_ONEDNN_OPTS ?? null,
    },
    ...(o.wasmFilterGrad ? { wasmFilterGrad: o.wasmFilterGrad } : {}),
    ...(info.name === 'tensorflow' ? { fastPaths: o.fastPaths ?? true } : {}),
  };
  console.log(JSON.stringify(out));
}

/** Training images/s and inference ms/image of the project's estimator (src/cnn) on synthetic data. */
async function estimatorRun(o: WorkerOptions): Promise<object> {
  const cnn = await import('../src/cnn/index.js');
  const { QUICK_PRIOR } = await import('../src/model/index.js');
  const scaling = cnn.paramScalingFromPrior(QUICK_PRIOR);
  const P = scaling.length;
  const n = o.batch * (o.warmupSteps + o.steps);
  const rng = randomStream('bench-train-estimator', n);
  const images = new Float32Array(n * SIZE * SIZE);
  for (let i = 0; i < images.length; i++) images[i] = rng.double();
  const params = new Float64Array(n * P);
  for (let i = 0; i < n; i++) scaling.forEach((sc, j) => { params[i * P + j] = sc.lo + (sc.hi - sc.lo) * rng.double(); });
  const source = cnn.arraySource({ paramNames: scaling.map((sc) => sc.name), scaling, imageSize: SIZE, pixelSizeNm: 1.6, train: { images, params } });
  let tStart = 0;
  let tEnd = 0;
  let cpuStart = process.cpuUsage();
  let cpuEnd = process.cpuUsage();
  let lastLoss = NaN;
  const r = await cnn.trainEstimator(source, {
    network: 'quick', epochs: 1, batchSize: o.batch, seed: 1,
    onBatchEnd: (b) => {
      if (b.batch === o.warmupSteps - 1) {
        tStart = performance.now();
        cpuStart = process.cpuUsage();
      }
      tEnd = performance.now();
      cpuEnd = process.cpuUsage(cpuStart);
      lastLoss = b.loss;
    },
  });
  const trainSeconds = (tEnd - tStart) / 1000;
  const batchImages = Array.from({ length: o.batch }, (_, i) => ({ data: images.subarray(i * SIZE * SIZE, (i + 1) * SIZE * SIZE), widthPx: SIZE, heightPx: SIZE, pixelSizeNm: 1.6 }));
  let inferMs: number | null = null;
  if (o.inferIters > 0) {
    await cnn.predictBatch(r.estimator, batchImages);
    const t = performance.now();
    for (let i = 0; i < o.inferIters; i++) await cnn.predictBatch(r.estimator, batchImages);
    inferMs = (performance.now() - t) / (o.inferIters * o.batch);
  }
  const params_ = cnn.countParameters(r.estimator.model);
  cnn.disposeEstimator(r.estimator);
  return {
    mode: 'estimator', network: 'quick', parameters: params_, batch: o.batch, steps: o.steps, warmupSteps: o.warmupSteps,
    trainImagesPerSec: +((o.steps * o.batch) / trainSeconds).toFixed(2),
    secondsPerStep: +(trainSeconds / o.steps).toFixed(4),
    trainImagesPerCpuSec: +((o.steps * o.batch) / ((cpuEnd.user + cpuEnd.system) / 1e6)).toFixed(2),
    inferMsPerImage: inferMs === null ? null : +inferMs.toFixed(3),
    finalLoss: +lastLoss.toFixed(5),
  };
}

// Run only as a script (the profiling and estimator benches import referenceModel from here).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}

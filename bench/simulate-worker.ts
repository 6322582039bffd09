// Worker for bench/simulate.bench.ts: simulates `count` images of the given particles and appends
// each noisy and clean image to `.npy` stacks (the dataset's write path), then reports the time.
import { parentPort, workerData } from 'node:worker_threads';
import { openNpyStack } from '../src/io/npy.js';
import { randomRotation, randomStream } from '../src/random/index.js';
import { createStemWorkspace, microscopePreset, simulateImage } from '../src/stem/index.js';
import type { Particles } from '../src/model/types.js';

interface Job {
  particles: { x: number[]; y: number[]; z: number[]; r: number[]; material: number[] };
  count: number;
  worker: number;
  /** Path of the noisy stack; the clean stack gets `.clean` before the extension. */
  out: string;
}

const job = workerData as Job;
const particles: Particles = {
  x: Float64Array.from(job.particles.x),
  y: Float64Array.from(job.particles.y),
  z: Float64Array.from(job.particles.z),
  r: Float64Array.from(job.particles.r),
  material: Uint8Array.from(job.particles.material),
};
const cfg = microscopePreset('paper');
const ws = createStemWorkspace();
// Warm-up (JIT) before the parent starts the clock.
for (let i = 0; i < 3; i++) simulateImage(particles, cfg, randomStream('warm', job.worker, i), { workspace: ws });
parentPort!.postMessage({ ready: true });
parentPort!.once('message', () => {
  const t0 = performance.now();
  const noisy = openNpyStack(job.out, 'float32', [cfg.heightPx, cfg.widthPx]);
  const clean = openNpyStack(job.out.replace(/\.npy$/, '.clean.npy'), 'float32', [cfg.heightPx, cfg.widthPx]);
  for (let i = 0; i < job.count; i++) {
    const rng = randomStream('bench', job.worker, i);
    const img = simulateImage(particles, cfg, rng, { rotation: randomRotation(rng), workspace: ws });
    noisy.append(img.noisy);
    clean.append(img.clean);
  }
  noisy.commit();
  clean.commit();
  parentPort!.postMessage({ done: true, ms: performance.now() - t0 });
});

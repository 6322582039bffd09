// Worker for bench/simulate.bench.ts: simulates `count` images of the given particles and reports
// how long it took. Runs under tsx (the worker inherits the parent's --import tsx).
import { parentPort, workerData } from 'node:worker_threads';
import { randomRotation, randomStream } from '../src/random/index.js';
import { createStemWorkspace, microscopePreset, simulateImage } from '../src/stem/index.js';
import type { Particles } from '../src/model/types.js';

interface Job {
  particles: { x: number[]; y: number[]; z: number[]; r: number[]; material: number[] };
  count: number;
  worker: number;
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
  let checksum = 0;
  for (let i = 0; i < job.count; i++) {
    const rng = randomStream('bench', job.worker, i);
    const img = simulateImage(particles, cfg, rng, { rotation: randomRotation(rng), workspace: ws });
    checksum += img.counts[(img.widthPx * img.heightPx) >> 1]!;
  }
  parentPort!.postMessage({ done: true, ms: performance.now() - t0, checksum });
});

/**
 * Descriptor speed: the full describeAggregate pass (default options: hull 128 points/sphere, 64
 * projections) and its parts, on model aggregates (Df 1.8, kf 1.3, σg 1.25, overlap 0.05) of
 * N = 100, 250, 1000, as median CPU time, plus a fixed arithmetic loop so results from a busy machine
 * can be scaled.
 */
import type { ModelParams } from '../src/model/types.js';
import { generateAggregate } from '../src/model/generate.js';
import { randomStream } from '../src/random/index.js';
import {
  describeAggregate, contactGraph, gyration, principalFrame, sphereHull, pairCountDimension, meanProjectedArea,
  projectionDirections, unionVolume,
} from '../src/descriptors/index.js';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Median CPU time (user + system) of f in ms: on a shared machine CPU time is far less noisy than wall time. */
function time(reps: number, f: () => void): number {
  const ts: number[] = [];
  for (let k = 0; k < reps; k++) {
    const c = process.cpuUsage();
    f();
    const d = process.cpuUsage(c);
    ts.push((d.user + d.system) / 1000);
  }
  return +median(ts).toFixed(3);
}

export async function run(): Promise<object> {
  let s = 0;
  const a = new Float64Array(1e6).fill(1.5);
  const calibrationMs = time(3, () => {
    for (let rep = 0; rep < 20; rep++) for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  });
  const results: object[] = [];
  for (const n of [100, 250, 1000]) {
    const params: ModelParams = {
      nParticles: n, fractionB: 0.4, radiusMedianA: 5, radiusMedianB: 4, radiusSigmaA: 1.25, radiusSigmaB: 1.25,
      fractalDim: 1.8, prefactor: 1.3, segregation: 0.5, overlap: 0.05,
    };
    const rng = randomStream('bench-descriptors', n);
    const p = generateAggregate(params, rng).particles;
    const reps = n >= 1000 ? 7 : 15;
    describeAggregate(p); // warm-up
    const g = gyration(p);
    const frame = principalFrame(p, g);
    const dirs = projectionDirections(randomStream('bench-dirs'), 64, frame);
    const graph = contactGraph(p);
    const hull = sphereHull(p, { frame });
    results.push({
      n,
      aggregates: 'model generator (Df 1.8, kf 1.3, σg 1.25, ε 0.05)',
      describeMs: time(reps, () => describeAggregate(p)),
      contactsMs: time(reps, () => contactGraph(p)),
      gyrationAndFrameMs: time(reps, () => principalFrame(p, gyration(p))),
      unionVolumeMs: time(reps, () => unionVolume(p, graph)),
      hullMs: time(reps, () => sphereHull(p, { frame })),
      hullBoundarySpheres: hull.boundarySpheres.length,
      pairCountDfMs: time(reps, () => pairCountDimension(p)),
      projections64Ms: time(reps, () => meanProjectedArea(p, dirs)),
      describeFastMs: time(reps, () => describeAggregate(p, { projections: 16, hullPointsPerSphere: 64 })),
    });
  }
  return { calibrationMs, calibrationNote: 'CPU ms of 2e7 dependent multiply-adds (≈ 25 ms on an unloaded 3 GHz core); all times are median CPU ms', checksum: s > 0, results };
}

/**
 * Descriptor speed: the full describeAggregate pass (default options: hull 128 points/sphere, 64
 * projections) and its parts, on model aggregates (Df 1.8, kf 1.3, σg 1.25, overlap 0.05) of
 * N = 100, 250, 1000, as median CPU time, plus a fixed arithmetic loop so results from a busy machine
 * can be scaled.
 */
import type { Particles, ModelParams, Aggregate } from '../src/model/types.js';
import { randomStream, integer, unitVector, lognormal, type RandomStream } from '../src/random/index.js';
import {
  describeAggregate, contactGraph, gyration, principalFrame, sphereHull, pairCountDimension, meanProjectedArea,
  projectionDirections, unionVolume,
} from '../src/descriptors/index.js';

type Generate = (params: ModelParams, rng: RandomStream) => Aggregate;

/** Fallback when the model generator is unavailable: a random touching tree (denser than Df 1.8). */
function randomTree(rng: RandomStream, n: number): Particles {
  const x = new Float64Array(n), y = new Float64Array(n), z = new Float64Array(n), r = new Float64Array(n), material = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    r[i] = lognormal(rng, 5, 1.25);
    material[i] = rng.double() < 0.4 ? 1 : 0;
    while (i > 0) {
      const par = integer(rng, 0, i - 1), [ux, uy, uz] = unitVector(rng), d = r[par]! + r[i]!;
      const cx = x[par]! + d * ux, cy = y[par]! + d * uy, cz = z[par]! + d * uz;
      let ok = true;
      for (let j = 0; j < i && ok; j++) if (j !== par && Math.hypot(x[j]! - cx, y[j]! - cy, z[j]! - cz) < r[j]! + r[i]!) ok = false;
      if (ok) { x[i] = cx; y[i] = cy; z[i] = cz; break; }
    }
  }
  return { x, y, z, r, material };
}

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
  let generate: Generate | undefined;
  try {
    const modulePath = '../src/model/generate.js';
    generate = ((await import(modulePath)) as { generateAggregate: Generate }).generateAggregate;
  } catch {
    generate = undefined;
  }
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
    const p = generate ? generate(params, rng).particles : randomTree(rng, n);
    const reps = n >= 1000 ? 7 : 15;
    describeAggregate(p); // warm-up
    const g = gyration(p);
    const frame = principalFrame(p, g);
    const dirs = projectionDirections(randomStream('bench-dirs'), 64, frame);
    const graph = contactGraph(p);
    const hull = sphereHull(p, { frame });
    results.push({
      n,
      aggregates: generate ? 'model generator (Df 1.8, kf 1.3)' : 'random touching tree (generator unavailable)',
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

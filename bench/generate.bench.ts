/**
 * The 3D aggregate generator, single thread:
 * - easy regime (Df 1.8, kf 1.3, σ 1.25): aggregates/s and median ms at N = 100, median ms at N = 1000;
 * - hard regime (Df 2.4, kf 0.8, σ 1.5): success rate and median time at N = 100 and 1000;
 * - the default prior's dense corner (Df 2.5, kf 1.3, σ 1.25, N = 250) and the mean cost of one
 *   draw from DEFAULT_PRIOR (what dataset generation pays per sample).
 * Medians over many aggregates after a warm-up (JIT). Counts scale with AGGSTEM_BENCH_GENERATE_SCALE
 * (default 1).
 */
import { GenerationError, generateAggregate } from '../src/model/generate.js';
import { DEFAULT_PRIOR, MODEL_PRESETS, samplePrior } from '../src/model/params.js';
import type { ModelParams } from '../src/model/types.js';
import { randomStream } from '../src/random/index.js';

const scale = Number(process.env.AGGSTEM_BENCH_GENERATE_SCALE ?? 1);

interface Figures {
  params: Partial<ModelParams>;
  runs: number;
  successRate: number;
  medianMs: number;
  p90Ms: number;
  maxMs: number;
  meanRestarts: number;
  aggregatesPerSecond: number;
}

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : Number.NaN;
}

function measure(label: string, patch: Partial<ModelParams>, runs: number, deadlineMs = 10_000): Figures {
  const p: ModelParams = { ...MODEL_PRESETS.paper, overlap: 0, segregation: 0.5, ...patch };
  for (let i = 0; i < Math.min(20, runs); i++) {
    try { generateAggregate(p, randomStream('bench-warmup', label, i), { deadlineMs }); } catch { /* warm-up only */ }
  }
  const times: number[] = [];
  let ok = 0, restarts = 0;
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    try {
      const a = generateAggregate(p, randomStream('bench', label, i), { deadlineMs });
      ok++;
      restarts += a.quality.restarts;
    } catch (e) {
      if (!(e instanceof GenerationError)) throw e;
    }
    times.push(performance.now() - t);
  }
  const total = (performance.now() - t0) / 1000;
  times.sort((a, b) => a - b);
  const r = (v: number) => +v.toFixed(3);
  const fig = {
    params: patch, runs, successRate: ok / runs, medianMs: r(quantile(times, 0.5)), p90Ms: r(quantile(times, 0.9)),
    maxMs: r(times[times.length - 1]!), meanRestarts: r(restarts / Math.max(ok, 1)), aggregatesPerSecond: r(ok / total),
  };
  console.error(`  ${label}: ${JSON.stringify(fig)}`);
  return fig;
}

function priorCost(runs: number): object {
  const rng = randomStream('bench-prior');
  const times: number[] = [];
  let failures = 0;
  const slow: Array<{ ms: number; fractalDim: number; nParticles: number }> = [];
  for (let i = 0; i < runs; i++) {
    const p = samplePrior(DEFAULT_PRIOR, rng);
    const t = performance.now();
    try {
      generateAggregate(p, randomStream('bench-prior', i));
    } catch (e) {
      if (!(e instanceof GenerationError)) throw e;
      failures++;
    }
    const ms = performance.now() - t;
    times.push(ms);
    slow.push({ ms: +ms.toFixed(1), fractalDim: +p.fractalDim.toFixed(3), nParticles: p.nParticles });
  }
  const mean = times.reduce((a, b) => a + b, 0) / runs;
  times.sort((a, b) => a - b);
  const fig = {
    runs, failures, meanMs: +mean.toFixed(2), medianMs: +quantile(times, 0.5).toFixed(2), p99Ms: +quantile(times, 0.99).toFixed(1),
    slowest: slow.sort((a, b) => b.ms - a.ms).slice(0, 5),
  };
  console.error(`  DEFAULT_PRIOR draws: ${JSON.stringify(fig)}`);
  return fig;
}

export async function run(): Promise<object> {
  const n = (k: number) => Math.max(3, Math.round(k * scale));
  const easy = { fractalDim: 1.8, prefactor: 1.3, radiusSigmaA: 1.25, radiusSigmaB: 1.25 };
  const hard = { fractalDim: 2.4, prefactor: 0.8, radiusSigmaA: 1.5, radiusSigmaB: 1.5 };
  return {
    note: 'single thread; medians after a 20-aggregate warm-up; overlap 0, segregation 0.5, fractionB 0.4, median radii 5.5 nm',
    easyN100: measure('easy-100', { ...easy, nParticles: 100 }, n(1000)),
    easyN1000: measure('easy-1000', { ...easy, nParticles: 1000 }, n(40)),
    hardN100: measure('hard-100', { ...hard, nParticles: 100 }, n(200)),
    hardN1000: measure('hard-1000', { ...hard, nParticles: 1000 }, n(15)),
    priorCornerN250: measure('corner-250', { fractalDim: 2.5, prefactor: 1.3, radiusSigmaA: 1.25, radiusSigmaB: 1.25, nParticles: 250, overlap: 0.075 }, n(20)),
    defaultPrior: priorCost(n(300)),
  };
}

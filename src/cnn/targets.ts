/**
 * Image-conditioned descriptor targets: besides θ, the network predicts descriptors of the imaged
 * aggregate itself (its hetero-coordination number, mixing index, Rg, …), which the dataset stores
 * for every sample. Each descriptor is mapped to [0, 1] like a parameter (`ParamScale`-style
 * `linear`/`log` maps), with bounds taken from the training split, since descriptors have no prior.
 */
import { scaleValue, type ParamScale } from './scaling.js';

/** The descriptors a new estimator predicts by default (docs/cnn.md, "Descriptor heads"). */
export const DEFAULT_DESCRIPTOR_TARGETS = ['cnHet', 'heteroContactFraction', 'mixingIndex', 'rgVolumeNm', 'largestDomainFractionB', 'nParticles'] as const;

/** Descriptors scaled on the log axis (positive, spanning a factor of several). */
const LOG_DESCRIPTORS = new Set(['rgVolumeNm', 'nParticles', 'rgMassNm', 'maxExtentNm', 'projectedAreaDiameterNm', 'meanProjectedAreaNm2', 'particleVolumeNm3', 'hullVolumeNm3', 'hullAreaNm2']);

/** How one descriptor target maps to [0, 1]. Same maths as a parameter's {@link ParamScale}. */
export interface TargetScale {
  name: string;
  kind: 'linear' | 'log';
  lo: number;
  hi: number;
}

/**
 * Scaling of descriptor targets from their training values: [min, max] of the finite values,
 * widened by 2 % of the range (log range for log-scaled ones) so the extremes do not sit on the
 * edge bins; linear lower bounds stay ≥ 0 for non-negative descriptors.
 */
export function descriptorScalingFromValues(names: readonly string[], values: Readonly<Record<string, ArrayLike<number>>>): TargetScale[] {
  return names.map((name) => {
    const v = values[name];
    if (!v) throw new Error(`descriptorScalingFromValues: no values for descriptor "${name}"`);
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      if (Number.isFinite(x)) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
    }
    if (!(hi >= lo)) throw new Error(`descriptorScalingFromValues: descriptor "${name}" has no finite training values`);
    const log = LOG_DESCRIPTORS.has(name) && lo > 0;
    if (log) {
      const span = Math.max(Math.log(hi / lo), 1e-6);
      return { name, kind: 'log', lo: lo * Math.exp(-0.02 * span), hi: hi * Math.exp(0.02 * span) };
    }
    const span = Math.max(hi - lo, 1e-9 * Math.max(1, Math.abs(hi)));
    const nonNegative = lo >= 0;
    return { name, kind: 'linear', lo: nonNegative ? Math.max(0, lo - 0.02 * span) : lo - 0.02 * span, hi: hi + 0.02 * span };
  });
}

/** Checks descriptor scalings read from a file; throws naming the bad entry. */
export function validateTargetScaling(x: unknown, where: string): TargetScale[] {
  if (!Array.isArray(x)) throw new Error(`${where}: "descriptorScaling" must be an array`);
  return x.map((e: unknown, i) => {
    const s = e as Partial<TargetScale>;
    if (!s || typeof s !== 'object' || typeof s.name !== 'string' || s.name === '') throw new Error(`${where}: descriptorScaling[${i}].name must be a descriptor name`);
    if (s.kind !== 'linear' && s.kind !== 'log') throw new Error(`${where}: descriptorScaling[${i}].kind = ${JSON.stringify(s.kind)}; expected "linear" or "log"`);
    if (!(typeof s.lo === 'number' && typeof s.hi === 'number' && s.hi > s.lo && (s.kind === 'linear' || s.lo > 0))) {
      throw new Error(`${where}: descriptorScaling[${i}] (${s.name}) has bad bounds [${s.lo}, ${s.hi}]`);
    }
    return { name: s.name, kind: s.kind, lo: s.lo, hi: s.hi };
  });
}

/**
 * Scaled targets of a batch, `[n, P + Q]` row-major: the P parameters then the Q descriptors, and a
 * 0/1 mask that is 0 where a value is not finite (a descriptor undefined for that aggregate).
 */
export function scaleTargets(
  scales: readonly Pick<ParamScale, 'kind' | 'lo' | 'hi'>[],
  params: ArrayLike<number>,
  P: number,
  descriptors: ArrayLike<number> | undefined,
  Q: number,
  n: number,
): { y: Float32Array; mask: Float32Array } {
  const T = P + Q;
  const y = new Float32Array(n * T);
  const mask = new Float32Array(n * T);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < T; t++) {
      const x = t < P ? params[i * P + t]! : descriptors ? descriptors[i * Q + t - P]! : NaN;
      const s = scales[t]!;
      const u = Number.isFinite(x) && (s.kind === 'linear' || x > 0) ? scaleValue(s as ParamScale, x) : NaN;
      if (Number.isFinite(u)) { y[i * T + t] = u; mask[i * T + t] = 1; }
    }
  }
  return { y, mask };
}

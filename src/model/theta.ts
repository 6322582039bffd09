/**
 * The θ codec: the one place that knows how a parameter point travels. A prior's varying names
 * (canonical order), θ ↔ vector, scaling to [0, 1] by the prior bounds (log scale for the
 * log-uniform particle count) and back, the prior centre, and completing a partial vector with the
 * fixed values. The CNN regresses the scaled vector, so all outputs share one range and the loss
 * weighs the parameters alike. docs/architecture.md.
 *
 * ```ts
 * const names = varyingParams(QUICK_PRIOR);             // ['nParticles', 'fractionB', …]
 * const v = thetaToVector(MODEL_PRESETS.quick, names);   // Float64Array in that order
 * const s = paramScalingFromPrior(QUICK_PRIOR);
 * scaleParams(s, v);                                     // Float32Array in [0, 1]
 * completeParams(QUICK_PRIOR, names, v);                 // back to a full, valid ModelParams
 * ```
 */
import { PARAM_LIMITS, priorCentre, varyingParams, type ModelPrior } from './params.js';
import { ALL_PARAM_NAMES, MODEL_PARAM_NAMES, paramValue, type ModelParamName, type ModelParams } from './types.js';

export { priorCentre, varyingParams };

/** How one parameter is mapped to [0, 1]: `linear` (x − lo)/(hi − lo) or `log` (ln x − ln lo)/(ln hi − ln lo). */
export interface ParamScale {
  name: ModelParamName;
  kind: 'linear' | 'log';
  lo: number;
  hi: number;
}

/** The scaling of all varying parameters, in canonical order (stored in `aggstem-model.json`). */
export type ParamScaling = ParamScale[];

/**
 * The scaling for a prior: one entry per varying parameter (`varyingParams(prior)`: not fixed and
 * lo < hi) in canonical order; uniform priors scale linearly, log-uniform ones on the log scale.
 */
export function paramScalingFromPrior(prior: ModelPrior): ParamScaling {
  const out: ParamScaling = [];
  for (const name of MODEL_PARAM_NAMES) {
    if (prior[name] === undefined) throw new Error(`paramScalingFromPrior: the prior has no entry for "${name}"`);
  }
  for (const name of varyingParams(prior)) {
    const p = prior[name]!;
    if (p.kind === 'fixed') continue;
    if (!(Number.isFinite(p.lo) && Number.isFinite(p.hi) && p.hi > p.lo)) {
      throw new RangeError(`paramScalingFromPrior: prior of "${name}" needs finite lo < hi, got [${p.lo}, ${p.hi}]`);
    }
    if (p.kind === 'logUniformInt') {
      if (!(p.lo > 0)) throw new RangeError(`paramScalingFromPrior: log-scaled "${name}" needs lo > 0, got ${p.lo}`);
      out.push({ name, kind: 'log', lo: p.lo, hi: p.hi });
    } else if (p.kind === 'uniform') {
      out.push({ name, kind: 'linear', lo: p.lo, hi: p.hi });
    } else {
      throw new Error(`paramScalingFromPrior: unknown prior kind ${JSON.stringify((p as { kind: unknown }).kind)} for "${name}"`);
    }
  }
  if (out.length === 0) throw new Error('paramScalingFromPrior: every parameter is fixed; nothing to estimate');
  return out;
}

/** Scales one raw value to [0, 1] (values outside the prior map outside [0, 1]). */
export function scaleValue(s: Pick<ParamScale, 'kind' | 'lo' | 'hi'>, x: number): number {
  if (s.kind === 'log') return (Math.log(x) - Math.log(s.lo)) / (Math.log(s.hi) - Math.log(s.lo));
  return (x - s.lo) / (s.hi - s.lo);
}

/** Inverse of {@link scaleValue}. */
export function unscaleValue(s: Pick<ParamScale, 'kind' | 'lo' | 'hi'>, u: number): number {
  if (s.kind === 'log') return Math.exp(Math.log(s.lo) + u * (Math.log(s.hi) - Math.log(s.lo)));
  return s.lo + u * (s.hi - s.lo);
}

/** d(raw)/d(scaled) at scaled value `u`: the delta-method factor that turns a scaled sd into a raw one. */
export function unscaleDerivative(s: Pick<ParamScale, 'kind' | 'lo' | 'hi'>, u: number): number {
  if (s.kind === 'log') return unscaleValue(s, u) * (Math.log(s.hi) - Math.log(s.lo));
  return s.hi - s.lo;
}

function checkRows(what: string, values: ArrayLike<number>, p: number): number {
  if (values.length % p !== 0) {
    throw new RangeError(`${what}: got ${values.length} values, expected a multiple of the ${p} varying parameters`);
  }
  return values.length / p;
}

/**
 * Scales raw parameter rows (row-major `[n, P]`, P = `scaling.length`, columns in scaling order) to
 * [0, 1]. Throws when a log-scaled value is not positive.
 */
export function scaleParams(scaling: ParamScaling, raw: ArrayLike<number>): Float32Array {
  const p = scaling.length;
  const n = checkRows('scaleParams', raw, p);
  const out = new Float32Array(n * p);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) {
      const s = scaling[j]!;
      const x = raw[i * p + j]!;
      if (!Number.isFinite(x) || (s.kind === 'log' && !(x > 0))) {
        throw new RangeError(`scaleParams: ${s.name} = ${x} (row ${i}) cannot be scaled; expected a ${s.kind === 'log' ? 'positive ' : ''}finite number`);
      }
      out[i * p + j] = scaleValue(s, x);
    }
  }
  return out;
}

/** Inverse of {@link scaleParams}: scaled rows `[n, P]` back to raw units (Float64Array). */
export function unscaleParams(scaling: ParamScaling, scaled: ArrayLike<number>): Float64Array {
  const p = scaling.length;
  const n = checkRows('unscaleParams', scaled, p);
  const out = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) out[i * p + j] = unscaleValue(scaling[j]!, scaled[i * p + j]!);
  }
  return out;
}

/** Checks a scaling read from a file; throws naming the bad entry. */
export function validateParamScaling(x: unknown, where: string): ParamScaling {
  if (!Array.isArray(x) || x.length === 0) throw new Error(`${where}: "scaling" must be a non-empty array`);
  return x.map((e: unknown, i) => {
    const s = e as Partial<ParamScale>;
    if (!s || typeof s !== 'object' || !ALL_PARAM_NAMES.includes(s.name as ModelParamName)) {
      throw new Error(`${where}: scaling[${i}].name = ${JSON.stringify(s?.name)} is not a model parameter`);
    }
    if (s.kind !== 'linear' && s.kind !== 'log') throw new Error(`${where}: scaling[${i}].kind = ${JSON.stringify(s.kind)}; expected "linear" or "log"`);
    if (!(typeof s.lo === 'number' && typeof s.hi === 'number' && s.hi > s.lo && (s.kind === 'linear' || s.lo > 0))) {
      throw new Error(`${where}: scaling[${i}] (${s.name}) has bad bounds [${s.lo}, ${s.hi}]`);
    }
    return { name: s.name as ModelParamName, kind: s.kind, lo: s.lo, hi: s.hi };
  });
}

/** The values of `names` from a full parameter point, as a vector in that order. */
export function thetaToVector(params: ModelParams, names: readonly ModelParamName[]): Float64Array {
  return Float64Array.from(names, (n) => paramValue(params, n));
}

/**
 * A full, valid parameter point from values of some parameters (e.g. an estimate of the varying
 * ones): the others from the prior's centre (fixed ones exactly), the given values clamped into the
 * prior's support (the generator cannot draw outside it) and integers rounded.
 */
export function completeParams(prior: ModelPrior, names: readonly ModelParamName[], values: ArrayLike<number>): ModelParams {
  const out = priorCentre(prior);
  names.forEach((name, j) => {
    const p = prior[name];
    if (!p) throw new RangeError(`completeParams: the prior has no entry for "${name}"`);
    let v = values[j]!;
    if (p.kind !== 'fixed') v = Math.min(p.hi, Math.max(p.lo, v));
    if (PARAM_LIMITS[name].integer) v = Math.round(v);
    out[name] = v;
  });
  return out;
}

/** The name {@link completeParams} had before the θ codec moved to `src/model` (same function). */
export const paramsFromEstimate = completeParams;

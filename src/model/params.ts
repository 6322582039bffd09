/**
 * Model parameters: hard validity limits, validation with clear errors, priors for training data,
 * named presets and a resolver for "preset name | JSON file | object" specifications.
 */
import { UserError } from '../errors.js';
import { readFileSync } from 'node:fs';
import { logUniformInt, uniform, type RandomStream } from '../random/index.js';
import { ALL_PARAM_NAMES, MODEL_PARAM_NAMES, MORPHOLOGY_PARAM_NAMES, paramNamesOf, type CoreParamName, type ModelParamName, type ModelParams, type MorphologyParamName } from './types.js';

/** Hard validity range of one model parameter. */
export interface ParamLimit {
  /** Smallest allowed value (excluded when `minExclusive`). */
  min: number;
  /** Largest allowed value (inclusive). */
  max: number;
  /** The value must be an integer. */
  integer: boolean;
  /** `min` itself is not allowed (radii must be > 0). */
  minExclusive: boolean;
  /** Unit, '' for dimensionless. */
  unit: string;
  /** One-line meaning, for help texts and tables. */
  description: string;
}

function limit(min: number, max: number, description: string, extra: Partial<ParamLimit> = {}): ParamLimit {
  return { min, max, integer: false, minExclusive: false, unit: '', description, ...extra };
}

/**
 * Hard validity range of every {@link ModelParams} field. These are the limits of what the generator
 * accepts at all, far wider than the training prior; inside them some (Df, kf, σ) combinations are
 * still geometrically infeasible and end in a `GenerationError`.
 *
 * - `nParticles` ≥ 4: the smallest N whose hierarchy ends in a cluster–cluster merge, which is what
 *   makes the fractal law exact (a dimer's Rg is fixed by contact and cannot be tuned).
 * - radii in (0, 1000] nm; geometric σ in [1, 3] (radii are truncated to [median/σ², median·σ²]).
 * - Df in [1, 3] (line to compact), kf in [0.1, 10], segregation and fractionB in [0, 1].
 * - overlap ε in [0, 0.5]: at 0.5 two equal spheres' centres sit one radius apart.
 * - optional domain morphology of B: mean domain size in [0, 100000] particles (0 = off), the
 *   domains' own Df in [1, 3] and kf in [0.1, 10].
 */
export const PARAM_LIMITS: Readonly<Record<ModelParamName, ParamLimit>> = Object.freeze({
  nParticles: limit(4, 100000, 'number of primary particles N', { integer: true }),
  fractionB: limit(0, 1, 'number fraction of material B (WO3)'),
  radiusMedianA: limit(0, 1000, 'median radius of material A (TiO2) particles', { minExclusive: true, unit: 'nm' }),
  radiusMedianB: limit(0, 1000, 'median radius of material B (WO3) particles', { minExclusive: true, unit: 'nm' }),
  radiusSigmaA: limit(1, 3, 'geometric standard deviation of the A radii'),
  radiusSigmaB: limit(1, 3, 'geometric standard deviation of the B radii'),
  fractalDim: limit(1, 3, 'fractal dimension Df of N = kf (Rg/a)^Df'),
  prefactor: limit(0.1, 10, 'fractal prefactor kf'),
  segregation: limit(0, 1, '0 = materials mixed at random, 1 = single-material domains'),
  overlap: limit(0, 0.5, 'sintering overlap ε at joining contacts, d = (ri + rj)(1 − ε)'),
  domainSizeB: limit(0, 100000, 'mean number of B particles per single-material B domain (0 = no domains, the original construction)'),
  domainFractalDimB: limit(1, 3, 'fractal dimension of the B domains\' own growth (default Df); near 3 = compact'),
  domainPrefactorB: limit(0.1, 10, 'fractal prefactor of the B domains\' own growth (default kf)'),
});

/** Text of a parameter's allowed range, e.g. `[1, 3]`, `(0, 1000] nm`, `integer in [4, 100000]`. */
export function describeParamLimit(name: ModelParamName): string {
  const l = PARAM_LIMITS[name];
  const range = `${l.minExclusive ? '(' : '['}${l.min}, ${l.max}]`;
  return `${l.integer ? 'integer in ' : ''}${range}${l.unit ? ' ' + l.unit : ''}`;
}

/**
 * A model parameter (or prior) that is missing, of the wrong type, unknown or out of range.
 * `field` names it (e.g. `fractalDim`, `prior.nParticles.hi`), `value` is what was given and
 * `allowed` describes what would have been accepted.
 */
export class ModelParamError extends UserError {
  override name = 'ModelParamError';
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly allowed: string,
    message?: string,
  ) {
    super(message ?? `${field} = ${show(value)} is outside the allowed range ${allowed}`);
  }
}

function show(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'number') return String(v);
  try {
    const s = JSON.stringify(v);
    return s.length > 60 ? s.slice(0, 57) + '...' : s;
  } catch {
    return String(v);
  }
}

function isParamName(k: string): k is ModelParamName {
  return (ALL_PARAM_NAMES as readonly string[]).includes(k);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Throws a {@link ModelParamError} unless `value` is a valid value of parameter `name`. */
function checkValue(name: ModelParamName, value: unknown, field: string = name): number {
  const allowed = describeParamLimit(name);
  const l = PARAM_LIMITS[name];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ModelParamError(field, value, allowed, `${field} = ${show(value)} is not a finite number; expected a number in ${allowed}`);
  }
  if (l.integer && !Number.isInteger(value)) {
    throw new ModelParamError(field, value, allowed, `${field} = ${value} is not an integer; expected an ${allowed}`);
  }
  if (value > l.max || value < l.min || (l.minExclusive && value === l.min)) {
    throw new ModelParamError(field, value, allowed);
  }
  return value;
}

/**
 * Checks a parameter object and returns a clean copy in canonical key order.
 *
 * Without `base` every field is required; with `base`, `input` may be partial and missing fields
 * are taken from `base`. Unknown keys, wrong types and out-of-range values throw a
 * {@link ModelParamError} naming the field, the value and the allowed range, e.g.
 * `fractalDim = 3.4 is outside the allowed range [1, 3]`.
 */
export function validateModelParams(input: unknown, base?: ModelParams): ModelParams {
  if (!isPlainObject(input)) {
    throw new ModelParamError('params', input, 'an object with the fields ' + MODEL_PARAM_NAMES.join(', '), `model parameters must be an object, got ${show(input)}`);
  }
  for (const k of Object.keys(input)) {
    if (!isParamName(k)) {
      throw new ModelParamError(k, input[k], `one of ${ALL_PARAM_NAMES.join(', ')}`, `unknown model parameter "${k}"; expected one of ${ALL_PARAM_NAMES.join(', ')}`);
    }
  }
  const out = {} as ModelParams;
  for (const name of MODEL_PARAM_NAMES) {
    let v = input[name];
    if (v === undefined) {
      if (!base) {
        throw new ModelParamError(name, undefined, describeParamLimit(name), `model parameter ${name} is missing; expected a number in ${describeParamLimit(name)}`);
      }
      v = base[name];
    }
    out[name] = checkValue(name, v);
  }
  // Optional morphology parameters: kept when given (or in base), absent otherwise.
  for (const name of MORPHOLOGY_PARAM_NAMES) {
    const v = input[name] !== undefined ? input[name] : base?.[name];
    if (v !== undefined) out[name] = checkValue(name, v);
  }
  return out;
}

/** Prior of one parameter for training-data generation. */
export type ParamPrior =
  | { kind: 'fixed'; value: number }
  | { kind: 'uniform'; lo: number; hi: number }
  | { kind: 'logUniformInt'; lo: number; hi: number };

/** A prior for every core model parameter, plus the optional morphology parameters it uses. */
export type ModelPrior = Record<CoreParamName, ParamPrior> & Partial<Record<MorphologyParamName, ParamPrior>>;

const fixed = (value: number): ParamPrior => ({ kind: 'fixed', value });
const unif = (lo: number, hi: number): ParamPrior => ({ kind: 'uniform', lo, hi });

/**
 * The default training prior (docs/model.md): N log-uniform 20–250, fraction of B 0.1–0.7, median radii
 * 3–8 nm, σ fixed 1.25, Df 1.6–2.5, kf fixed 1.3, segregation 0–1, overlap 0–0.15. These ranges are
 * our choice; the paper's exact priors were not available.
 */
export const DEFAULT_PRIOR: ModelPrior = deepFreeze({
  nParticles: { kind: 'logUniformInt', lo: 20, hi: 250 },
  fractionB: unif(0.1, 0.7),
  radiusMedianA: unif(3, 8),
  radiusMedianB: unif(3, 8),
  radiusSigmaA: fixed(1.25),
  radiusSigmaB: fixed(1.25),
  fractalDim: unif(1.6, 2.5),
  prefactor: fixed(1.3),
  segregation: unif(0, 1),
  overlap: unif(0, 0.15),
});

/** As {@link DEFAULT_PRIOR} but with N log-uniform 20–80 (the `quick` preset's small field). */
export const QUICK_PRIOR: ModelPrior = deepFreeze({
  ...DEFAULT_PRIOR,
  nParticles: { kind: 'logUniformInt', lo: 20, hi: 80 },
});

/**
 * Prior of the `dfsp` preset: flame-made TiO2–WO3 aggregates as published STEM-EDX maps show them
 * (docs/model.md, "Domains"): N 300–600, WO3 in compact domains (domain size 5–40 particles,
 * domain Df 2.6–3 at kf 2) on a chain-like TiO2 network (Df 1.7–2.1), segregation (the share of
 * WO3 in domains) 0.6–1.
 */
export const DFSP_PRIOR: ModelPrior = deepFreeze({
  nParticles: { kind: 'logUniformInt', lo: 300, hi: 600 },
  fractionB: unif(0.25, 0.55),
  radiusMedianA: unif(4, 8),
  radiusMedianB: unif(4, 8),
  radiusSigmaA: fixed(1.25),
  radiusSigmaB: fixed(1.25),
  fractalDim: unif(1.7, 2.1),
  prefactor: fixed(1.3),
  segregation: unif(0.6, 1),
  overlap: unif(0, 0.15),
  domainSizeB: unif(5, 40),
  domainFractalDimB: unif(2.6, 3),
  domainPrefactorB: fixed(2),
});

function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (typeof v === 'object' && v !== null) Object.freeze(v);
  return Object.freeze(o);
}

/**
 * Checks a prior object (one entry per model parameter) and returns a clean copy. Each entry is
 * `{kind: 'fixed', value}`, `{kind: 'uniform', lo, hi}` or (integers, i.e. nParticles, only)
 * `{kind: 'logUniformInt', lo, hi}`; bounds must lie within {@link PARAM_LIMITS} and lo ≤ hi.
 */
export function validateModelPrior(p: unknown): ModelPrior {
  if (!isPlainObject(p)) {
    throw new ModelParamError('prior', p, 'an object with one entry per model parameter', `model prior must be an object, got ${show(p)}`);
  }
  for (const k of Object.keys(p)) {
    if (!isParamName(k)) {
      throw new ModelParamError(`prior.${k}`, p[k], `one of ${ALL_PARAM_NAMES.join(', ')}`, `unknown parameter "${k}" in model prior; expected one of ${ALL_PARAM_NAMES.join(', ')}`);
    }
  }
  const out = {} as ModelPrior;
  for (const name of paramNamesOf(p)) {
    const field = `prior.${name}`;
    const e = p[name];
    const kinds = PARAM_LIMITS[name].integer ? "'fixed' or 'logUniformInt'" : "'fixed' or 'uniform'";
    if (!isPlainObject(e)) {
      throw new ModelParamError(field, e, `{kind: ${kinds}, ...}`, `${field} = ${show(e)} must be an object {kind: ${kinds}, ...}`);
    }
    const kind = e['kind'];
    const allowedKeys = kind === 'fixed' ? ['kind', 'value'] : ['kind', 'lo', 'hi'];
    if (kind === 'fixed' || (kind === 'uniform' && !PARAM_LIMITS[name].integer) || (kind === 'logUniformInt' && PARAM_LIMITS[name].integer)) {
      for (const k of Object.keys(e)) {
        if (!allowedKeys.includes(k)) {
          throw new ModelParamError(`${field}.${k}`, e[k], allowedKeys.join(', '), `unknown key "${k}" in ${field}; a '${String(kind)}' prior has ${allowedKeys.join(', ')}`);
        }
      }
    } else {
      throw new ModelParamError(`${field}.kind`, kind, kinds, `${field}.kind = ${show(kind)} is not allowed; expected ${kinds}`);
    }
    if (kind === 'fixed') {
      out[name] = { kind, value: checkValue(name, e['value'], `${field}.value`) };
    } else {
      const lo = checkValue(name, e['lo'], `${field}.lo`);
      const hi = checkValue(name, e['hi'], `${field}.hi`);
      if (lo > hi) throw new ModelParamError(`${field}.lo`, lo, `<= ${field}.hi = ${hi}`, `${field}.lo = ${lo} is greater than ${field}.hi = ${hi}`);
      if (kind === 'logUniformInt' && lo < 1) throw new ModelParamError(`${field}.lo`, lo, '>= 1', `${field}.lo = ${lo} must be >= 1 for a log-uniform prior`);
      out[name] = { kind, lo, hi } as ParamPrior;
    }
  }
  return out;
}

/**
 * Draws one parameter point from `prior`, in canonical parameter order (one draw per non-fixed
 * parameter), so the result is a pure function of the stream.
 */
export function samplePrior(prior: ModelPrior, rng: RandomStream): ModelParams {
  const out = {} as ModelParams;
  for (const name of paramNamesOf(prior)) {
    const p = prior[name]!;
    if (p.kind === 'fixed') out[name] = p.value;
    else if (p.kind === 'uniform') out[name] = p.lo === p.hi ? p.lo : Math.min(p.hi, uniform(rng, p.lo, p.hi));
    else out[name] = logUniformInt(rng, p.lo, p.hi);
  }
  return out;
}

/**
 * The parameters a prior actually varies (not `fixed`, and lo < hi), in canonical order: what a
 * CNN trained on data from this prior can and should predict.
 */
export function varyingParams(prior: ModelPrior): ModelParamName[] {
  return paramNamesOf(prior).filter((n) => {
    const p = prior[n]!;
    return p.kind !== 'fixed' && p.hi > p.lo;
  });
}

/**
 * The prior's centre: the arithmetic mean of a uniform prior, the geometric mean of a log-uniform
 * one (rounded for integers), the value of a fixed one. What the prior-mean baseline predicts.
 */
export function priorCentre(prior: ModelPrior): ModelParams {
  const out = {} as ModelParams;
  for (const name of paramNamesOf(prior)) {
    const p = prior[name]!;
    out[name] = p.kind === 'fixed' ? p.value : p.kind === 'uniform' ? (p.lo + p.hi) / 2 : Math.round(Math.sqrt(p.lo * p.hi));
  }
  return out;
}

/** A preset: the prior centre with uniform centres written to 6 decimals (2.15, not 2.1500000000000004). */
function centre(prior: ModelPrior): ModelParams {
  const out = priorCentre(prior);
  for (const name of paramNamesOf(prior)) if (prior[name]!.kind === 'uniform') out[name] = +out[name]!.toFixed(6);
  return out;
}

/**
 * Named single parameter points: the centres of {@link QUICK_PRIOR} (`quick`, N = 40) and of
 * {@link DEFAULT_PRIOR} (`paper`, N = 71): fractionB 0.4, median radii 5.5 nm, σ 1.25, Df 2.05,
 * kf 1.3, segregation 0.5, overlap 0.075. `dfsp`: a flame-made TiO2–WO3 aggregate (N 400, 40 %
 * WO3 of particles, radii 5.8/6.3 nm as measured, Df 1.8, 90 % of the WO3 in compact domains of
 * 15 particles at domain Df 3, kf 2), whose projected element map has the published statistics.
 */
export const MODEL_PRESETS: Readonly<{ quick: ModelParams; paper: ModelParams; dfsp: ModelParams }> = Object.freeze({
  quick: Object.freeze(centre(QUICK_PRIOR)),
  paper: Object.freeze(centre(DEFAULT_PRIOR)),
  dfsp: Object.freeze({
    nParticles: 400, fractionB: 0.4, radiusMedianA: 5.8, radiusMedianB: 6.3, radiusSigmaA: 1.25, radiusSigmaB: 1.25,
    fractalDim: 1.8, prefactor: 1.3, segregation: 0.9, overlap: 0.1, domainSizeB: 15, domainFractalDimB: 3, domainPrefactorB: 2,
  }),
});

/** Names accepted by {@link resolveModelParams} as presets. */
export type ModelPresetName = keyof typeof MODEL_PRESETS;

function presetByName(name: unknown, where: string): ModelParams {
  if (typeof name === 'string' && Object.prototype.hasOwnProperty.call(MODEL_PRESETS, name)) {
    return MODEL_PRESETS[name as ModelPresetName];
  }
  throw new ModelParamError('preset', name, Object.keys(MODEL_PRESETS).join(', '), `${where}: unknown preset ${show(name)}; expected one of ${Object.keys(MODEL_PRESETS).join(', ')}`);
}

/**
 * Model parameters from a specification:
 * - a preset name (`"quick"`, `"paper"`);
 * - a path to a JSON file holding a (possibly partial) parameter object;
 * - such an object itself.
 *
 * A partial object is completed from the `paper` preset, or from the preset named by its
 * `"preset"` key, e.g. `{"preset": "quick", "fractalDim": 2.3}`. Unreadable files, invalid JSON and
 * invalid fields throw errors that name the file and the field.
 */
export function resolveModelParams(spec: string | object): ModelParams {
  if (typeof spec === 'string') {
    if (Object.prototype.hasOwnProperty.call(MODEL_PRESETS, spec)) return { ...MODEL_PRESETS[spec as ModelPresetName] };
    let text: string;
    try {
      text = readFileSync(spec, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new Error(`model parameters "${spec}" is neither a preset (${Object.keys(MODEL_PRESETS).join(', ')}) nor a readable JSON file (${code ?? (e as Error).message})`);
    }
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (e) {
      throw new Error(`model parameter file ${spec} is not valid JSON: ${(e as Error).message}`);
    }
    try {
      return resolveObject(obj, spec);
    } catch (e) {
      if (e instanceof ModelParamError) {
        throw new ModelParamError(e.field, e.value, e.allowed, `${spec}: ${e.message.startsWith(spec + ': ') ? e.message.slice(spec.length + 2) : e.message}`);
      }
      throw e;
    }
  }
  return resolveObject(spec, 'model parameters');
}

function resolveObject(obj: unknown, where: string): ModelParams {
  if (!isPlainObject(obj)) {
    throw new ModelParamError('params', obj, 'an object', `${where}: expected a JSON object of model parameters, got ${show(obj)}`);
  }
  const { preset, ...rest } = obj;
  const base = preset === undefined ? MODEL_PRESETS.paper : presetByName(preset, where);
  return validateModelParams(rest, base);
}

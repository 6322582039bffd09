/**
 * Dataset configuration: what to draw (model prior), how to image it (microscope), how many, from
 * which seed, and how to cut it into shards. Presets `quick` and `paper`; validation with clear
 * errors before any work starts; the config hash that ties shards, resumes and merges together.
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_PRIOR, DFSP_PRIOR, QUICK_PRIOR, validateModelPrior, varyingParams, type ModelPrior } from '../model/params.js';
import type { ModelParamName } from '../model/types.js';
import type { Seed } from '../random/index.js';
import { microscopePreset, resolveMicroscopeConfig, validateMicroscopeConfig, type MicroscopeConfig, type MicroscopeConfigInput } from '../stem/config.js';
import { DatasetError } from './errors.js';
import { canonicalJson, sha256Hex } from './hash.js';
import { DEFAULT_SPLIT_FRACTIONS, validateSplitFractions, type SplitFractions } from './split.js';
import type { RegionAxis } from './redraws.js';

/** Names of the built-in dataset presets. */
export type DatasetPresetName = 'quick' | 'paper' | 'dfsp';

/**
 * Everything that determines a dataset's bytes. Sample i is a pure function of (this config, i);
 * the config's hash is stored in the manifest and checked by resume and merge.
 */
export interface DatasetConfig {
  /** Preset this config started from (informational). */
  preset: string | null;
  /** Dataset seed: sample i draws from the stream (seed, "sample", i). */
  seed: Seed;
  /** Number of samples. */
  count: number;
  /** Samples per shard (shard k holds samples [k·shardSize, (k+1)·shardSize)). */
  shardSize: number;
  /** Prior of the model parameters. */
  prior: ModelPrior;
  /** Microscope and image geometry of the simulated images (before binning). */
  microscope: MicroscopeConfig;
  /**
   * Images are stored binned `binning × binning` (block mean), i.e. at the CNN input size:
   * `paper` simulates 512² at 1 nm/px and stores 256² at 2 nm/px.
   */
  binning: number;
  /** Validation and test fractions of {@link splitOf}. */
  split: SplitFractions;
  /** Rejected draws allowed per sample before it is recorded as failed. */
  maxRedraws: number;
  /** Projection orientations for the projected-area descriptors. */
  descriptorProjections: number;
  /**
   * Wall-clock budget of one aggregate construction, ms. Generous on purpose: a draw that runs out
   * of time is redrawn, and because that depends on machine load it is the one thing that could make
   * a dataset differ between runs. Such redraws are counted separately (`redraws.deadline`).
   */
  generatorDeadlineMs: number;
}

/** A partial config: every field optional; `microscope` may itself be partial or a preset name. */
export type DatasetConfigInput = Partial<Omit<DatasetConfig, 'microscope' | 'prior' | 'split' | 'preset'>> & {
  preset?: DatasetPresetName;
  prior?: Partial<ModelPrior>;
  microscope?: MicroscopeConfigInput | string;
  split?: Partial<SplitFractions>;
};

/**
 * Prior of the `quick` dataset: {@link QUICK_PRIOR} (N 20–80) with Df 1.8–2.5 instead of 1.6–2.5.
 * Measured with the full 1.6 lower bound: 25 of 40 draws in the corner N ≥ 57, both median radii
 * ≥ 6.75 nm, Df ≤ 1.83 did not fit the 205 nm field (the prior would be cut by 60 % there); with
 * Df ≥ 1.8 the worst corner (N ≥ 57, radii ≥ 6.75 nm, Df ≤ 1.98) loses 2 of 40. Narrowing Df keeps
 * the materials' full radius range. See README "Datasets" for the measured redraw rates.
 */
export const QUICK_DATASET_PRIOR: ModelPrior = Object.freeze({
  ...QUICK_PRIOR,
  fractalDim: Object.freeze({ kind: 'uniform', lo: 1.8, hi: 2.5 }),
}) as ModelPrior;

/**
 * The `quick` preset: 2 000 samples of 128 × 128 px at 1.6 nm/px (205 nm field), N 20–80, Df
 * 1.8–2.5 ({@link QUICK_DATASET_PRIOR}), shards of 250. The `paper` preset: 50 000 samples
 * simulated at 512 × 512 px, 1.0 nm/px with the full default prior (N 20–250), stored binned 2 × 2
 * to 256 × 256 px at 2.0 nm/px, shards of 500.
 */
export const DATASET_PRESETS: Readonly<Record<DatasetPresetName, Readonly<DatasetConfig>>> = Object.freeze({
  quick: Object.freeze({
    preset: 'quick',
    seed: 1,
    count: 2000,
    shardSize: 250,
    prior: QUICK_DATASET_PRIOR,
    microscope: microscopePreset('quick'),
    binning: 1,
    split: { ...DEFAULT_SPLIT_FRACTIONS },
    maxRedraws: 100,
    descriptorProjections: 16,
    generatorDeadlineMs: 60_000,
  }),
  paper: Object.freeze({
    preset: 'paper',
    seed: 1,
    count: 50_000,
    shardSize: 500,
    prior: DEFAULT_PRIOR,
    microscope: microscopePreset('paper'),
    binning: 2,
    split: { ...DEFAULT_SPLIT_FRACTIONS },
    maxRedraws: 100,
    descriptorProjections: 16,
    generatorDeadlineMs: 60_000,
  }),
  dfsp: Object.freeze({
    preset: 'dfsp',
    seed: 1,
    count: 2000,
    shardSize: 100,
    prior: DFSP_PRIOR,
    microscope: microscopePreset('dfsp'),
    binning: 4,
    split: { ...DEFAULT_SPLIT_FRACTIONS },
    maxRedraws: 100,
    descriptorProjections: 16,
    generatorDeadlineMs: 60_000,
  }),
});

const CONFIG_KEYS = ['preset', 'seed', 'count', 'shardSize', 'prior', 'microscope', 'binning', 'split', 'maxRedraws', 'descriptorProjections', 'generatorDeadlineMs'];

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined) return 'undefined';
  try {
    const s = JSON.stringify(v);
    return s.length > 60 ? s.slice(0, 57) + '...' : s;
  } catch {
    return String(v);
  }
}

function intIn(name: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw new DatasetError(`dataset config: ${name} must be an integer in [${lo}, ${hi}], got ${show(v)}`);
  }
  return v;
}

/** Re-throws another stage's validation error as a DatasetError, keeping its message. */
function wrap<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    throw new DatasetError(`dataset config: ${what}: ${(e as Error).message}`);
  }
}

/**
 * Checks a complete config and returns a clean copy. Every problem is a {@link DatasetError} naming
 * the field, the value and what was expected, e.g.
 * `dataset config: shardSize must be an integer in [1, 1000000], got 0`.
 */
export function validateDatasetConfig(input: unknown): DatasetConfig {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new DatasetError(`dataset config must be an object, got ${show(input)}`);
  }
  const c = input as Record<string, unknown>;
  for (const k of Object.keys(c)) {
    if (!CONFIG_KEYS.includes(k)) throw new DatasetError(`dataset config: unknown field "${k}"; expected one of ${CONFIG_KEYS.join(', ')}`);
  }
  const seed = c.seed;
  if (!((typeof seed === 'string' && seed.length > 0) || (typeof seed === 'number' && Number.isSafeInteger(seed)))) {
    throw new DatasetError(`dataset config: seed must be a non-empty string or a safe integer, got ${show(seed)}`);
  }
  const preset = c.preset === undefined || c.preset === null ? null : c.preset;
  if (preset !== null && typeof preset !== 'string') throw new DatasetError(`dataset config: preset must be a string or null, got ${show(preset)}`);
  const count = intIn('count', c.count, 1, 100_000_000);
  const shardSize = intIn('shardSize', c.shardSize, 1, 1_000_000);
  const prior = wrap('prior', () => validateModelPrior(c.prior));
  if (varyingParams(prior).length === 0) {
    throw new DatasetError('dataset config: prior varies no parameter (every entry is fixed or has lo = hi), so there is nothing to learn');
  }
  const microscope = wrap('microscope', () => validateMicroscopeConfig(c.microscope));
  const binning = intIn('binning', c.binning, 1, 16);
  if (microscope.widthPx !== microscope.heightPx) {
    throw new DatasetError(`dataset config: images must be square for the CNN, got microscope.widthPx = ${microscope.widthPx} and heightPx = ${microscope.heightPx}`);
  }
  if (microscope.widthPx % binning !== 0) {
    throw new DatasetError(`dataset config: binning = ${binning} must divide the image size ${microscope.widthPx} px`);
  }
  const split = { ...(c.split as SplitFractions) };
  validateSplitFractions(split, 'dataset config: split');
  const maxRedraws = intIn('maxRedraws', c.maxRedraws, 0, 100_000);
  const descriptorProjections = intIn('descriptorProjections', c.descriptorProjections, 1, 10_000);
  const generatorDeadlineMs = intIn('generatorDeadlineMs', c.generatorDeadlineMs, 1, 86_400_000);
  return { preset: preset as string | null, seed: seed as Seed, count, shardSize, prior, microscope, binning, split: { val: split.val, test: split.test }, maxRedraws, descriptorProjections, generatorDeadlineMs };
}

/**
 * A validated config from a preset (default `quick`) and overrides. `prior` entries, `split`
 * fractions and `microscope` fields are merged into the preset's, so `{count: 100, prior:
 * {fractalDim: {kind: 'uniform', lo: 1.8, hi: 2.2}}}` changes just those.
 */
export function datasetConfig(input: DatasetConfigInput = {}): DatasetConfig {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new DatasetError(`dataset config must be an object, got ${show(input)}`);
  }
  const presetName = input.preset ?? 'quick';
  if (!Object.hasOwn(DATASET_PRESETS, presetName)) {
    throw new DatasetError(`dataset config: unknown preset ${show(presetName)}; expected one of ${Object.keys(DATASET_PRESETS).join(', ')}`);
  }
  const base = DATASET_PRESETS[presetName as DatasetPresetName];
  const { preset: _p, prior, microscope, split, ...rest } = input;
  let mic: MicroscopeConfig = base.microscope;
  if (typeof microscope === 'string') mic = wrap('microscope', () => microscopePreset(microscope));
  else if (microscope !== undefined) {
    const m = microscope as MicroscopeConfigInput;
    mic = wrap('microscope', () => resolveMicroscopeConfig(m.preset !== undefined ? m : { ...m, preset: presetName }));
  }
  if (prior !== undefined && (prior === null || typeof prior !== 'object' || Array.isArray(prior))) {
    throw new DatasetError(`dataset config: prior must be an object of per-parameter priors, got ${show(prior)}`);
  }
  if (split !== undefined && (split === null || typeof split !== 'object' || Array.isArray(split))) {
    throw new DatasetError(`dataset config: split must be an object {val, test}, got ${show(split)}`);
  }
  return validateDatasetConfig({
    ...structuredClone(base),
    ...rest,
    preset: presetName,
    prior: { ...structuredClone(base.prior), ...(prior ?? {}) },
    microscope: mic,
    split: { ...base.split, ...(split ?? {}) },
  });
}

/** Reads a JSON file holding a {@link DatasetConfigInput} (e.g. `{"preset": "paper", "count": 1000}`). */
export function loadDatasetConfigFile(path: string): DatasetConfigInput {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new DatasetError(`cannot read dataset config ${path}: ${(e as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new DatasetError(`${path}: a dataset config must be a JSON object`);
  return raw as DatasetConfigInput;
}

/** SHA-256 (hex) of the canonical JSON of a validated config. */
export function datasetConfigHash(config: DatasetConfig): string {
  return sha256Hex(canonicalJson(config, 'dataset config'));
}

/** Side of the stored (CNN input) images, px. */
export function storedImageSize(config: DatasetConfig): number {
  return config.microscope.widthPx / config.binning;
}

/** Pixel size of the stored (CNN input) images, nm. */
export function storedPixelSizeNm(config: DatasetConfig): number {
  return config.microscope.pixelSizeNm * config.binning;
}

/** The varying parameters with their prior ranges, for the redraw-region counts. */
export function regionAxes(prior: ModelPrior): RegionAxis[] {
  return varyingParams(prior).map((name: ModelParamName) => {
    const p = prior[name] as { kind: string; lo: number; hi: number };
    return { name, lo: p.lo, hi: p.hi, log: p.kind === 'logUniformInt' };
  });
}


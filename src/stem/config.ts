/**
 * Microscope configuration for the HAADF-STEM simulator: beam, detector, image geometry, dose, blur,
 * materials, carbon film, detector noise chain and scan distortions. Plain JSON-able data with
 * defaults from docs/stem.md (Bremen TiO2/WO3 calibration) and two presets, `quick` and `paper`.
 */
import { UserError } from '../errors.js';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * A tabulated HAADF intensity curve `I(t)` of one material (fraction of the incident beam reaching
 * the detector vs projected thickness), e.g. from abTEM or STEMsim multislice. Replaces the
 * exponential `1 − exp(−R t)` for that material.
 */
export interface IntensityCurve {
  /** Projected thickness samples in nm; strictly increasing, starting at 0. */
  thicknessNm: number[];
  /** HAADF fraction at each thickness; starts at 0, non-decreasing, every value < 1. */
  intensity: number[];
  /** Free text: where the curve comes from (code, energy, detector, orientation average). */
  source?: string;
}

/** One particle material. */
export interface MaterialOptics {
  /** Label only (e.g. "TiO2"). */
  name: string;
  /** Log-scaled optical density R = −ln(1 − I)/t, nm⁻¹. */
  opticalDensityPerNm: number;
  /** Optional tabulated I(t); when set it replaces `1 − exp(−R t)` (R then only weights depth slabs). */
  intensityCurve?: IntensityCurve;
}

/** The amorphous carbon support film under the aggregate. */
export interface CarbonFilmConfig {
  /** Mean film thickness, nm (0 = no film). */
  thicknessNm: number;
  /** Optical density of amorphous carbon, nm⁻¹. */
  opticalDensityPerNm: number;
  /** Relative standard deviation of the smooth thickness variation (0.1 = ±10 %). */
  thicknessRelStd: number;
  /** Correlation length of the thickness variation, nm. */
  correlationNm: number;
  /** Area fraction of holes in the film (lacey carbon), in [0, 1). */
  holeFraction: number;
  /** Typical hole size (correlation length of the hole pattern), nm. */
  holeSizeNm: number;
}

/**
 * Detector chain: `S = g·(N + gain noise) + offset + read noise`, rounded and clipped to 16 bit.
 * The gain noise models the pulse-height spread of scintillator/PMT: given N electrons it is
 * Gaussian with variance `c²·N` (sum of N pulses with mean 1 and coefficient of variation c), so
 * `Var(S) = g²·λ·(1 + c²) + σ_r²` (+ 1/12 from rounding to integers).
 */
export interface DetectorConfig {
  /** g: counts per detected electron. */
  gain: number;
  /** c: coefficient of variation of the single-electron pulse height. */
  gainCv: number;
  /** Dark level added to every pixel, counts. */
  offset: number;
  /** σ_r: Gaussian read-out noise, counts. */
  readNoise: number;
}

/** Scan distortions (all zero = off; then the image is not resampled at all). */
export interface DistortionConfig {
  /** RMS of the smooth scan displacement field (each axis), pixels. */
  rmsPx: number;
  /** Correlation length of the displacement field, pixels. */
  correlationPx: number;
  /** Standard deviation of the per-line horizontal jitter, pixels. */
  lineJitterPx: number;
  /** Slow drift as a linear shear: row j is shifted by `driftShear · (j − H/2)` pixels along x. */
  driftShear: number;
}

/** Depth-dependent defocus blur (0 slabs = off). */
export interface DefocusConfig {
  /** Number of depth slabs K (0 = off; 4–8 is plenty). */
  slabs: number;
  /** Focal plane relative to the aggregate's mid-height, nm (positive = towards +z). */
  focusOffsetNm: number;
}

/**
 * Everything the simulator needs to know about the microscope and the specimen support.
 * Lengths in nm, angles in mrad, dose in electrons per pixel.
 */
export interface MicroscopeConfig {
  /** Beam energy, keV (metadata: the optical densities are calibrated for 300 kV). */
  beamEnergyKeV: number;
  /** Probe convergence semi-angle α, mrad (sets the defocus blur radius α·|z − z_f|). */
  convergenceMrad: number;
  /** HAADF detector inner angle, mrad (metadata for the calibration; must exceed α). */
  detectorInnerMrad: number;
  /** HAADF detector outer angle, mrad. */
  detectorOuterMrad: number;
  /** Physical pixel size, nm. */
  pixelSizeNm: number;
  /** Image width, pixels. */
  widthPx: number;
  /** Image height, pixels. */
  heightPx: number;
  /** N0: incident electrons per pixel. */
  doseElectronsPerPx: number;
  /** Effective Gaussian blur σ (probe, source size, vibration), nm. */
  blurSigmaNm: number;
  /** σ of ln κ for the per-particle lognormal optical-density factor κ (median 1). */
  kappaSigma: number;
  /** Material A (code 0, TiO2 by default). */
  materialA: MaterialOptics;
  /** Material B (code 1, WO3 by default). */
  materialB: MaterialOptics;
  carbon: CarbonFilmConfig;
  detector: DetectorConfig;
  distortion: DistortionConfig;
  defocus: DefocusConfig;
  /** Required free margin between the projected aggregate and the field edge for `fits`, pixels. */
  fitMarginPx: number;
}

/** A partial configuration: every field optional, nested objects too. */
export type MicroscopeConfigInput = {
  [K in keyof MicroscopeConfig]?: MicroscopeConfig[K] extends object ? Partial<MicroscopeConfig[K]> : MicroscopeConfig[K];
} & { preset?: MicroscopePresetName };

/** Error for an invalid microscope configuration; the message names the field, value and range. */
export class MicroscopeConfigError extends UserError {
  override name = 'MicroscopeConfigError';
}

/** Names of the built-in presets. */
export type MicroscopePresetName = 'paper' | 'quick' | 'dfsp';

/** Bremen TiO2/WO3 calibration and 300 kV / 20 mrad / 60–230 mrad HAADF (docs/stem.md); 512² at 1 nm/px. */
export const DEFAULT_MICROSCOPE: Readonly<MicroscopeConfig> = Object.freeze({
  beamEnergyKeV: 300,
  convergenceMrad: 20,
  detectorInnerMrad: 60,
  detectorOuterMrad: 230,
  pixelSizeNm: 1.0,
  widthPx: 512,
  heightPx: 512,
  doseElectronsPerPx: 5e3,
  blurSigmaNm: 0.15,
  kappaSigma: 0.15,
  materialA: { name: 'TiO2', opticalDensityPerNm: 0.5e-3 },
  materialB: { name: 'WO3', opticalDensityPerNm: 1.69e-3 },
  carbon: {
    thicknessNm: 8,
    opticalDensityPerNm: 0.12e-3,
    thicknessRelStd: 0.1,
    correlationNm: 20,
    holeFraction: 0,
    holeSizeNm: 40,
  },
  detector: { gain: 8, gainCv: 0.3, offset: 1000, readNoise: 4 },
  distortion: { rmsPx: 0, correlationPx: 64, lineJitterPx: 0, driftShear: 0 },
  defocus: { slabs: 0, focusOffsetNm: 0 },
  fitMarginPx: 2,
});

/**
 * The presets: `paper` = 512 × 512 at 1.0 nm/px (the default), `quick` = 128 × 128 at 1.6 nm/px,
 * `dfsp` = 1024 × 1024 at 0.8 nm/px (an 819 nm field for aggregates of hundreds of particles).
 */
export const MICROSCOPE_PRESETS: Readonly<Record<MicroscopePresetName, Readonly<MicroscopeConfig>>> = Object.freeze({
  paper: DEFAULT_MICROSCOPE,
  quick: Object.freeze({ ...DEFAULT_MICROSCOPE, widthPx: 128, heightPx: 128, pixelSizeNm: 1.6 }),
  dfsp: Object.freeze({ ...DEFAULT_MICROSCOPE, widthPx: 1024, heightPx: 1024, pixelSizeNm: 0.8 }),
});

/** A deep copy of a preset (safe to modify). Throws for an unknown name. */
export function microscopePreset(name: string): MicroscopeConfig {
  if (!Object.hasOwn(MICROSCOPE_PRESETS, name)) {
    throw new MicroscopeConfigError(
      `unknown microscope preset "${name}"; expected one of: ${Object.keys(MICROSCOPE_PRESETS).join(', ')}`,
    );
  }
  return structuredClone(MICROSCOPE_PRESETS[name as MicroscopePresetName]) as MicroscopeConfig;
}

const NESTED = ['materialA', 'materialB', 'carbon', 'detector', 'distortion', 'defocus'] as const;

/**
 * A full, validated configuration from a partial one: fields missing from `input` come from
 * `input.preset` (default `paper`). Nested objects are merged field by field. Unknown fields are
 * rejected (they are usually typos).
 */
export function resolveMicroscopeConfig(input: MicroscopeConfigInput = {}): MicroscopeConfig {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new MicroscopeConfigError(`microscope config must be an object, got ${describe(input)}`);
  }
  const { preset, ...rest } = input as Record<string, unknown>;
  const base = microscopePreset(preset === undefined ? 'paper' : String(preset)) as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(rest)) {
    if (!Object.hasOwn(base, key)) {
      throw new MicroscopeConfigError(`microscope: unknown field "${key}"; expected one of: preset, ${Object.keys(base).join(', ')}`);
    }
    if ((NESTED as readonly string[]).includes(key)) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw new MicroscopeConfigError(`microscope.${key} must be an object, got ${describe(value)}`);
      }
      const target = base[key] as Record<string, unknown>;
      const allowed = key.startsWith('material') ? [...Object.keys(target), 'intensityCurve'] : Object.keys(target);
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (!allowed.includes(k)) {
          throw new MicroscopeConfigError(`microscope.${key}: unknown field "${k}"; expected one of: ${allowed.join(', ')}`);
        }
        if (v === undefined) continue;
        target[k] = structuredClone(v);
      }
    } else if (value !== undefined) {
      base[key] = value;
    }
  }
  return validateMicroscopeConfig(base);
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  return String(v);
}

function num(path: string, v: unknown, lo: number, hi: number, opts: { loOpen?: boolean; hiOpen?: boolean; integer?: boolean } = {}): number {
  const range = `${opts.loOpen ? '(' : '['}${lo}, ${hi}${opts.hiOpen ? ')' : ']'}`;
  const what = opts.integer ? 'an integer' : 'a number';
  if (typeof v !== 'number' || !Number.isFinite(v) || (opts.integer && !Number.isInteger(v)) ||
      (opts.loOpen ? v <= lo : v < lo) || (opts.hiOpen ? v >= hi : v > hi)) {
    throw new MicroscopeConfigError(`microscope.${path} must be ${what} in ${range}, got ${describe(v)}`);
  }
  return v;
}

/**
 * Checks a tabulated intensity curve: equal-length arrays of ≥ 2 finite numbers, thickness strictly
 * increasing from 0, intensity starting at 0, non-decreasing, every value in [0, 1). Returns a
 * clean copy. `where` names the curve in error messages.
 */
export function validateIntensityCurve(curve: unknown, where = 'intensityCurve'): IntensityCurve {
  if (curve === null || typeof curve !== 'object' || Array.isArray(curve)) {
    throw new MicroscopeConfigError(`${where} must be an object {thicknessNm: number[], intensity: number[]}, got ${describe(curve)}`);
  }
  const c = curve as Record<string, unknown>;
  for (const k of Object.keys(c)) {
    if (!['thicknessNm', 'intensity', 'source', 'material', 'format', 'version'].includes(k)) {
      throw new MicroscopeConfigError(`${where}: unknown field "${k}"; expected thicknessNm, intensity, source (and optionally material, format, version)`);
    }
  }
  const t = c.thicknessNm, y = c.intensity;
  if (!Array.isArray(t) || !Array.isArray(y)) {
    throw new MicroscopeConfigError(`${where}: thicknessNm and intensity must both be arrays of numbers`);
  }
  if (t.length !== y.length || t.length < 2) {
    throw new MicroscopeConfigError(`${where}: thicknessNm and intensity must have the same length >= 2, got ${t.length} and ${y.length}`);
  }
  for (let i = 0; i < t.length; i++) {
    if (typeof t[i] !== 'number' || !Number.isFinite(t[i])) throw new MicroscopeConfigError(`${where}.thicknessNm[${i}] must be a finite number, got ${describe(t[i])}`);
    if (typeof y[i] !== 'number' || !Number.isFinite(y[i])) throw new MicroscopeConfigError(`${where}.intensity[${i}] must be a finite number, got ${describe(y[i])}`);
  }
  if (t[0] !== 0) throw new MicroscopeConfigError(`${where}.thicknessNm[0] must be 0, got ${t[0]}`);
  if (y[0] !== 0) throw new MicroscopeConfigError(`${where}.intensity[0] must be 0 (no specimen, no signal), got ${y[0]}`);
  for (let i = 1; i < t.length; i++) {
    if (!(t[i] > t[i - 1])) throw new MicroscopeConfigError(`${where}.thicknessNm must be strictly increasing, but [${i - 1}] = ${t[i - 1]} and [${i}] = ${t[i]}`);
    if (!(y[i] >= y[i - 1])) throw new MicroscopeConfigError(`${where}.intensity must be non-decreasing (monotone), but [${i - 1}] = ${y[i - 1]} and [${i}] = ${y[i]}`);
    if (!(y[i] < 1)) throw new MicroscopeConfigError(`${where}.intensity[${i}] must be < 1 (a fraction of the beam), got ${y[i]}`);
  }
  const out: IntensityCurve = { thicknessNm: (t as number[]).slice(), intensity: (y as number[]).slice() };
  if (c.source !== undefined) {
    if (typeof c.source !== 'string') throw new MicroscopeConfigError(`${where}.source must be a string, got ${describe(c.source)}`);
    out.source = c.source;
  }
  return out;
}

/**
 * Validates a complete configuration (every field present, in range) and returns a clean deep copy.
 * Errors name the field, the value and the allowed range, e.g.
 * `microscope.pixelSizeNm must be a number in (0, 1000], got -1`.
 */
export function validateMicroscopeConfig(config: unknown): MicroscopeConfig {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new MicroscopeConfigError(`microscope config must be an object, got ${describe(config)}`);
  }
  const c = config as Record<string, any>;
  const obj = (k: string): Record<string, unknown> => {
    const v = c[k];
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new MicroscopeConfigError(`microscope.${k} must be an object, got ${describe(v)}`);
    return v as Record<string, unknown>;
  };
  const beamEnergyKeV = num('beamEnergyKeV', c.beamEnergyKeV, 10, 1000);
  const convergenceMrad = num('convergenceMrad', c.convergenceMrad, 0, 100, { loOpen: true });
  const detectorInnerMrad = num('detectorInnerMrad', c.detectorInnerMrad, convergenceMrad, 1000, { loOpen: true });
  const detectorOuterMrad = num('detectorOuterMrad', c.detectorOuterMrad, detectorInnerMrad, 2000, { loOpen: true });
  const material = (k: 'materialA' | 'materialB'): MaterialOptics => {
    const m = obj(k);
    if (typeof m.name !== 'string' || m.name === '') throw new MicroscopeConfigError(`microscope.${k}.name must be a non-empty string, got ${describe(m.name)}`);
    const out: MaterialOptics = { name: m.name, opticalDensityPerNm: num(`${k}.opticalDensityPerNm`, m.opticalDensityPerNm, 0, 1) };
    if (m.intensityCurve !== undefined) out.intensityCurve = validateIntensityCurve(m.intensityCurve, `microscope.${k}.intensityCurve`);
    return out;
  };
  const cb = obj('carbon'), det = obj('detector'), dist = obj('distortion'), dof = obj('defocus');
  return {
    beamEnergyKeV,
    convergenceMrad,
    detectorInnerMrad,
    detectorOuterMrad,
    pixelSizeNm: num('pixelSizeNm', c.pixelSizeNm, 0, 1000, { loOpen: true }),
    widthPx: num('widthPx', c.widthPx, 4, 16384, { integer: true }),
    heightPx: num('heightPx', c.heightPx, 4, 16384, { integer: true }),
    doseElectronsPerPx: num('doseElectronsPerPx', c.doseElectronsPerPx, 0, 1e12, { loOpen: true }),
    blurSigmaNm: num('blurSigmaNm', c.blurSigmaNm, 0, 1000),
    kappaSigma: num('kappaSigma', c.kappaSigma, 0, 2),
    materialA: material('materialA'),
    materialB: material('materialB'),
    carbon: {
      thicknessNm: num('carbon.thicknessNm', cb.thicknessNm, 0, 1e4),
      opticalDensityPerNm: num('carbon.opticalDensityPerNm', cb.opticalDensityPerNm, 0, 1),
      thicknessRelStd: num('carbon.thicknessRelStd', cb.thicknessRelStd, 0, 2),
      correlationNm: num('carbon.correlationNm', cb.correlationNm, 0, 1e6, { loOpen: true }),
      holeFraction: num('carbon.holeFraction', cb.holeFraction, 0, 1, { hiOpen: true }),
      holeSizeNm: num('carbon.holeSizeNm', cb.holeSizeNm, 0, 1e6, { loOpen: true }),
    },
    detector: {
      gain: num('detector.gain', det.gain, 0, 65535, { loOpen: true }),
      gainCv: num('detector.gainCv', det.gainCv, 0, 10),
      offset: num('detector.offset', det.offset, 0, 65535),
      readNoise: num('detector.readNoise', det.readNoise, 0, 65535),
    },
    distortion: {
      rmsPx: num('distortion.rmsPx', dist.rmsPx, 0, 1000),
      correlationPx: num('distortion.correlationPx', dist.correlationPx, 0, 1e6, { loOpen: true }),
      lineJitterPx: num('distortion.lineJitterPx', dist.lineJitterPx, 0, 1000),
      driftShear: num('distortion.driftShear', dist.driftShear, -1, 1),
    },
    defocus: {
      slabs: num('defocus.slabs', dof.slabs, 0, 64, { integer: true }),
      focusOffsetNm: num('defocus.focusOffsetNm', dof.focusOffsetNm, -1e6, 1e6),
    },
    fitMarginPx: num('fitMarginPx', c.fitMarginPx, 0, 16384),
  };
}

/**
 * Reads an intensity-curve JSON file (schema: {@link IntensityCurve}, optionally with
 * `"format": "aggstem-intensity-curve"`, `"version": 1`, `"material"`) and validates it.
 */
export function loadIntensityCurve(path: string): IntensityCurve {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new MicroscopeConfigError(`cannot read intensity curve ${path}: ${(e as Error).message}`);
  }
  const r = raw as Record<string, unknown> | null;
  if (r && typeof r === 'object' && r.format !== undefined && r.format !== 'aggstem-intensity-curve') {
    throw new MicroscopeConfigError(`${path}: "format" must be "aggstem-intensity-curve", got ${describe(r.format)}`);
  }
  if (r && typeof r === 'object' && r.version !== undefined && r.version !== 1) {
    throw new MicroscopeConfigError(`${path}: "version" must be 1, got ${describe(r.version)}`);
  }
  return validateIntensityCurve(raw, path);
}

/**
 * A microscope configuration from a preset name (`quick`, `paper`) or a JSON file holding a
 * {@link MicroscopeConfigInput} (partial, merged over `"preset"`, default `paper`). In a file,
 * `materialA.intensityCurve` / `materialB.intensityCurve` may be a path to a curve JSON file,
 * resolved relative to the config file.
 */
export function loadMicroscopeConfig(presetOrPath: string): MicroscopeConfig {
  if (Object.hasOwn(MICROSCOPE_PRESETS, presetOrPath)) return microscopePreset(presetOrPath);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(presetOrPath, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new MicroscopeConfigError(`microscope "${presetOrPath}" is neither a preset (${Object.keys(MICROSCOPE_PRESETS).join(', ')}) nor an existing file`);
    }
    throw new MicroscopeConfigError(`cannot read microscope config ${presetOrPath}: ${(e as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new MicroscopeConfigError(`${presetOrPath}: microscope config must be a JSON object`);
  }
  const input = raw as Record<string, unknown>;
  for (const k of ['materialA', 'materialB'] as const) {
    const m = input[k] as Record<string, unknown> | undefined;
    if (m && typeof m === 'object' && typeof m.intensityCurve === 'string') {
      m.intensityCurve = loadIntensityCurve(resolve(dirname(presetOrPath), m.intensityCurve));
    }
  }
  try {
    return resolveMicroscopeConfig(input as MicroscopeConfigInput);
  } catch (e) {
    if (e instanceof MicroscopeConfigError) throw new MicroscopeConfigError(`${presetOrPath}: ${e.message}`);
    throw e;
  }
}

/** Relativistic electron wavelength, pm, for a beam energy in keV (300 keV → 1.9688 pm). */
export function electronWavelengthPm(beamEnergyKeV: number): number {
  const e = beamEnergyKeV * 1e3 * 1.602176634e-19; // J
  const m0c2 = 9.1093837015e-31 * 299792458 ** 2;
  const p = Math.sqrt(e * (e + 2 * m0c2)) / 299792458;
  return (6.62607015e-34 / p) * 1e12;
}

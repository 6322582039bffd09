/**
 * Prediction: image(s) → parameter estimates with uncertainties.
 *
 * Pipeline per image: optional `preprocess` hook (the slot for real-microscope normalisation) →
 * geometry check (size and pixel size must match the model, or `resample: true`) → the model's
 * input transform → network → mean and log-variance in scaled units → raw units.
 */
import { UserError } from '../errors.js';
import * as tf from '@tensorflow/tfjs';
import type { Image2D } from '../image/image.js';
import { resampleToGrid } from '../image/resample.js';
import { applyInputTransform, type Estimator, type EstimatorMeta } from './estimator.js';
import { splitOutput } from './network.js';
import { binProbabilities, binnedCdf, binnedMoments, binnedQuantile } from './posterior.js';
import { scaleValue, unscaleDerivative, unscaleValue, type ParamScale } from './scaling.js';
import type { ModelParamName } from '../model/types.js';

/** A single-channel image with its physical pixel size: the one {@link Image2D} type. */
export type EstimatorImage = Image2D;

/** Point estimates and central intervals of a group of targets, raw units. */
export interface TargetSummary {
  /** Posterior mean. For log-scaled targets (nParticles) under the Gaussian head: the median of the implied log-normal. */
  mean: number[];
  /** Posterior standard deviation. */
  sd: number[];
  /** Posterior median. */
  median: number[];
  /** Central 68 % interval (16th–84th percentile); inside the prior's support for the binned head. */
  lower68: number[];
  upper68: number[];
  /** Central 95 % interval (2.5th–97.5th percentile). */
  lower95: number[];
  upper95: number[];
}

/** Estimates of the imaged aggregate's own descriptors (models trained with descriptor heads). */
export interface DescriptorEstimate extends TargetSummary {
  names: string[];
}

/**
 * A parameter estimate with its uncertainty: posterior mean ± sd, median and central intervals per
 * parameter, and, for models with descriptor heads, the same for the imaged aggregate's descriptors.
 */
export interface ParamEstimate extends TargetSummary {
  /** Parameter names (the model's varying parameters, canonical order). */
  names: ModelParamName[];
  /** Mean in scaled [0, 1] units. */
  scaledMean: number[];
  /** Standard deviation in scaled units. */
  scaledSd: number[];
  /** The imaged aggregate's descriptors, when the model predicts them. */
  descriptors?: DescriptorEstimate;
  /**
   * Binned head: the (temperature-calibrated) posterior of every target on its scaled [0, 1] axis,
   * K probabilities per target, parameters first, then descriptors.
   */
  posterior?: { bins: number; probs: Float64Array[] };
}

/** Options of {@link predict} / {@link predictBatch}. */
export interface PredictOptions {
  /**
   * Resample an image whose pixel size or size differs from the model's: area-average (coarser
   * model pixels) or bilinear (finer) onto the model's pixel grid, centred, padding with the image's
   * border mean. Without it such images are refused.
   */
  resample?: boolean;
  /** Runs first on every image (e.g. normalising a real micrograph to simulated intensity units). */
  preprocess?: (image: EstimatorImage, meta: EstimatorMeta) => EstimatorImage;
  /** Images per network call (default 32). */
  batchSize?: number;
}

/** Error for an image that does not fit the model. */
export class EstimatorInputError extends UserError {
  override name = 'EstimatorInputError';
}

/** Relative pixel-size difference accepted as "the same" (pixel sizes are written with a few digits). */
const PIXEL_SIZE_RTOL = 1e-3;

function checkImage(img: EstimatorImage, where: string): void {
  if (!(Number.isInteger(img.widthPx) && img.widthPx > 0 && Number.isInteger(img.heightPx) && img.heightPx > 0)) {
    throw new EstimatorInputError(`${where}: image size ${img.widthPx}×${img.heightPx} px; expected positive integers`);
  }
  if (img.data.length !== img.widthPx * img.heightPx) {
    throw new EstimatorInputError(`${where}: image has ${img.data.length} values, expected ${img.widthPx}×${img.heightPx} = ${img.widthPx * img.heightPx}`);
  }
  if (!(Number.isFinite(img.pixelSizeNm) && img.pixelSizeNm > 0)) {
    throw new EstimatorInputError(`${where}: pixel size ${img.pixelSizeNm} nm; expected a positive number (the model needs the physical scale)`);
  }
}

/** The image as the model's input grid (checked, or resampled when allowed). */
export function fitImageToModel(meta: EstimatorMeta, img: EstimatorImage, opts: { resample?: boolean } = {}, where = 'predict'): Float32Array {
  checkImage(img, where);
  const size = meta.input.sizePx;
  const px = meta.input.pixelSizeNm;
  const pixelOk = Math.abs(img.pixelSizeNm - px) <= PIXEL_SIZE_RTOL * px;
  const sizeOk = img.widthPx === size && img.heightPx === size;
  if (pixelOk && sizeOk) return Float32Array.from(img.data);
  if (!opts.resample) {
    const problems: string[] = [];
    if (!pixelOk) problems.push(`pixel size ${img.pixelSizeNm} nm differs from the model's ${px} nm`);
    if (!sizeOk) problems.push(`size ${img.widthPx}×${img.heightPx} px differs from the model's ${size}×${size} px`);
    throw new EstimatorInputError(
      `${where}: the image's ${problems.join(' and its ')}; pass resample: true (CLI: --resample) to resample it to the model's pixel size and centre-crop/pad it`,
    );
  }
  return resampleToModelGrid(img, px, size);
}

/**
 * Resamples an image onto the model's `sizePx × sizePx` grid of pixel size `pixelSizeNm`, centred,
 * padding with the image's border mean (the support-film background): `resampleToGrid` of the one
 * resampler in `src/image`.
 */
export function resampleToModelGrid(img: EstimatorImage, pixelSizeNm: number, sizePx: number): Float32Array {
  checkImage(img, 'resampleToModelGrid');
  return resampleToGrid(img, pixelSizeNm, sizePx, sizePx);
}

const Z68 = 0.994457883209753; // Φ⁻¹(0.84)
const Z95 = 1.959963984540054; // Φ⁻¹(0.975)

function emptySummary(): TargetSummary {
  return { mean: [], sd: [], median: [], lower68: [], upper68: [], lower95: [], upper95: [] };
}

function targetScales(meta: EstimatorMeta): Pick<ParamScale, 'kind' | 'lo' | 'hi'>[] {
  return [...meta.scaling, ...(meta.descriptorScaling ?? [])];
}

function split(meta: EstimatorMeta, all: TargetSummary, scaledMean: number[], scaledSd: number[], posterior?: ParamEstimate['posterior']): ParamEstimate {
  const P = meta.paramNames.length;
  const head = (a: number[]) => a.slice(0, P);
  const tail = (a: number[]) => a.slice(P);
  const keys = ['mean', 'sd', 'median', 'lower68', 'upper68', 'lower95', 'upper95'] as const;
  const e = { names: [...meta.paramNames], scaledMean: head(scaledMean), scaledSd: head(scaledSd) } as ParamEstimate;
  for (const k of keys) e[k] = head(all[k]);
  if (meta.descriptorNames?.length) {
    const d = { names: [...meta.descriptorNames] } as DescriptorEstimate;
    for (const k of keys) d[k] = tail(all[k]);
    e.descriptors = d;
  }
  if (posterior) e.posterior = posterior;
  return e;
}

/** Estimates from the Gaussian head's output rows (scaled mean and log-variance, `[n, T]` each). */
export function estimatesFromScaled(meta: EstimatorMeta, scaledMean: ArrayLike<number>, logVar: ArrayLike<number>): ParamEstimate[] {
  const scales = targetScales(meta);
  const T = scales.length;
  const n = scaledMean.length / T;
  const out: ParamEstimate[] = [];
  for (let i = 0; i < n; i++) {
    const all = emptySummary();
    const sm: number[] = [], ss: number[] = [];
    for (let j = 0; j < T; j++) {
      const s = scales[j]!;
      const u = scaledMean[i * T + j]!;
      const su = Math.exp(0.5 * logVar[i * T + j]!);
      sm.push(u);
      ss.push(su);
      all.mean.push(unscaleValue(s, u));
      all.sd.push(Math.abs(unscaleDerivative(s, u)) * su);
      all.median.push(unscaleValue(s, u));
      all.lower68.push(unscaleValue(s, u - Z68 * su));
      all.upper68.push(unscaleValue(s, u + Z68 * su));
      all.lower95.push(unscaleValue(s, u - Z95 * su));
      all.upper95.push(unscaleValue(s, u + Z95 * su));
    }
    out.push(split(meta, all, sm, ss));
  }
  return out;
}

/** Estimates from the binned head's logits (`[n, T·K]`), with the stored calibration temperatures. */
export function estimatesFromLogits(meta: EstimatorMeta, logits: ArrayLike<number>): ParamEstimate[] {
  const scales = targetScales(meta);
  const T = scales.length;
  const head = meta.network.head;
  if (head?.kind !== 'binned') throw new Error('estimatesFromLogits: the model has no binned head');
  const K = head.bins;
  const temps = meta.calibration?.temperatures;
  const n = logits.length / (T * K);
  const out: ParamEstimate[] = [];
  const row = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    const all = emptySummary();
    const sm: number[] = [], ss: number[] = [];
    const probs: Float64Array[] = [];
    for (let j = 0; j < T; j++) {
      const s = scales[j]!;
      for (let k = 0; k < K; k++) row[k] = logits[(i * T + j) * K + k]!;
      const p = binProbabilities(row, temps?.[j] ?? 1);
      probs.push(p);
      const scaled = binnedMoments(p);
      const raw = binnedMoments(p, (u) => unscaleValue(s, u));
      sm.push(scaled.mean);
      ss.push(scaled.sd);
      all.mean.push(raw.mean);
      all.sd.push(raw.sd);
      const q = (x: number) => unscaleValue(s, binnedQuantile(p, x));
      all.median.push(q(0.5));
      all.lower68.push(q(0.16));
      all.upper68.push(q(0.84));
      all.lower95.push(q(0.025));
      all.upper95.push(q(0.975));
    }
    out.push(split(meta, all, sm, ss, { bins: K, probs }));
  }
  return out;
}

/**
 * The posterior CDF of target `t` (parameters first, then descriptors) at raw value `x`: the
 * probability integral transform used by the calibration checks (uniform on [0, 1] for a
 * calibrated estimator).
 */
export function posteriorCdf(meta: EstimatorMeta, e: ParamEstimate, t: number, x: number): number {
  const s = targetScales(meta)[t];
  if (!s) throw new RangeError(`posteriorCdf: target ${t} does not exist (the model has ${targetScales(meta).length})`);
  if (!Number.isFinite(x) || (s.kind === 'log' && !(x > 0))) return NaN;
  const u = scaleValue(s, x);
  if (e.posterior) return binnedCdf(e.posterior.probs[t]!, u);
  const P = meta.paramNames.length;
  const sm = t < P ? e.scaledMean[t]! : NaN;
  const ss = t < P ? e.scaledSd[t]! : NaN;
  if (t >= P) {
    // Gaussian head with descriptors: rebuild the scaled moments from the raw ones.
    const d = e.descriptors!;
    const um = scaleValue(s, d.median[t - P]!);
    const us = (scaleValue(s, d.upper68[t - P]!) - scaleValue(s, d.lower68[t - P]!)) / (2 * Z68);
    return normalCdf((u - um) / us);
  }
  return normalCdf((u - sm) / ss);
}

function normalCdf(z: number): number {
  // Abramowitz–Stegun 7.1.26 through erf; |error| < 1.5e-7, ample for coverage counts.
  const t = 1 / (1 + 0.3275911 * Math.abs(z) / Math.SQRT2);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(z * z) / 2);
  return z >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

/**
 * Predicts the model parameters of several images. Every image must have the model's size and
 * pixel size (see `estimator.meta.input`) unless `resample: true`; the error names both values.
 */
export async function predictBatch(estimator: Estimator, images: EstimatorImage[], opts: PredictOptions = {}): Promise<ParamEstimate[]> {
  const { meta } = estimator;
  const C = meta.network.inputChannels ?? 1;
  if (C !== 1) throw new EstimatorInputError(`predict: this model takes ${C}-channel input (an oracle trained on quantities a microscope does not record, see its data record), not an image; use predictArrays`);
  const size = meta.input.sizePx;
  const pix = size * size;
  const batch = opts.batchSize ?? 32;
  const results: ParamEstimate[] = [];
  for (let start = 0; start < images.length; start += batch) {
    const chunk = images.slice(start, start + batch);
    const buf = new Float32Array(chunk.length * pix);
    chunk.forEach((raw, k) => {
      const img = opts.preprocess ? opts.preprocess(raw, meta) : raw;
      const where = images.length > 1 ? `predict (image ${start + k})` : 'predict';
      buf.set(applyInputTransform(meta.input.transform, fitImageToModel(meta, img, opts, where)), k * pix);
    });
    results.push(...(await runNetwork(estimator, buf, chunk.length)));
  }
  return results;
}

/**
 * Predicts from model-ready arrays: `count` inputs of `[size, size, C]` (channel-last, C = the
 * network's `inputChannels`), at the model's size and pixel size, before the input transform. For
 * oracle models whose inputs are not images (docs/accuracy.md) and for callers that prepared images
 * themselves; images from a microscope go through {@link predictBatch}.
 */
export async function predictArrays(estimator: Estimator, data: Float32Array, count: number, opts: { batchSize?: number } = {}): Promise<ParamEstimate[]> {
  const { meta } = estimator;
  const size = meta.input.sizePx;
  const pix = size * size * (meta.network.inputChannels ?? 1);
  if (!(Number.isInteger(count) && count >= 0) || data.length !== count * pix) {
    throw new EstimatorInputError(`predictArrays: ${data.length} values for ${count} inputs; expected ${count} × ${size} × ${size} × ${meta.network.inputChannels ?? 1}`);
  }
  const batch = opts.batchSize ?? 32;
  const results: ParamEstimate[] = [];
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start);
    results.push(...(await runNetwork(estimator, applyInputTransform(meta.input.transform, data.subarray(start * pix, (start + n) * pix)), n)));
  }
  return results;
}

/** The network on `count` transformed inputs → estimates. */
async function runNetwork(estimator: Estimator, buf: Float32Array, count: number): Promise<ParamEstimate[]> {
  const { meta, model } = estimator;
  const size = meta.input.sizePx;
  const shape: [number, number, number, number] = [count, size, size, meta.network.inputChannels ?? 1];
  if (meta.network.head?.kind === 'binned') {
    const outT = tf.tidy(() => model.predict(tf.tensor4d(buf, shape)) as tf.Tensor);
    const logits = await outT.data();
    outT.dispose();
    return estimatesFromLogits(meta, logits);
  }
  const [meanT, logVarT] = tf.tidy(() => {
    const out = model.predict(tf.tensor4d(buf, shape)) as tf.Tensor;
    const { mean, logVar } = splitOutput(meta.network, out);
    return [mean, logVar];
  });
  const [m, lv] = await Promise.all([meanT.data(), logVarT.data()]);
  meanT.dispose();
  logVarT.dispose();
  return estimatesFromScaled(meta, m, lv);
}

/** Predicts the model parameters of one image: mean ± sd per parameter, raw and scaled units. */
export async function predict(estimator: Estimator, image: EstimatorImage, opts: PredictOptions = {}): Promise<ParamEstimate> {
  return (await predictBatch(estimator, [image], opts))[0]!;
}

/**
 * Warnings that the model's input itself is unlike the training images, by one simple statistic the
 * model file records: the 99.9th percentile pixel of the training images (the input transform's
 * divisor). An input whose own 99.9th percentile is above 3× or below a third of it holds far
 * brighter or fainter material than anything the model saw (other material, dose or detector
 * settings, or no aggregate at all). `input`: the prepared model input (beam fractions).
 */
export function inputStatisticWarnings(meta: EstimatorMeta, input: ArrayLike<number>): string[] {
  const sorted = Float64Array.from(input).sort();
  const q = sorted[Math.min(sorted.length - 1, Math.floor(0.999 * sorted.length))]!;
  const ref = meta.input.transform.divisor;
  if (!(ref > 0) || !Number.isFinite(q)) return [];
  const ratio = q / ref;
  if (ratio > 3 || ratio < 1 / 3) {
    return [`WARNING: the image's brightest pixels (99.9th percentile ${q.toPrecision(3)} of the beam) are ${ratio > 1 ? `${ratio.toFixed(1)}× brighter` : `${(1 / ratio).toFixed(1)}× fainter`} than the training images' (${ref.toPrecision(3)}): the image may be unlike the training images (other material or thickness, detector levels, or no aggregate)`];
  }
  return [];
}

/**
 * Warnings that an estimate is doubtful because the image may lie outside what the model was trained
 * on: a parameter whose posterior median sits in the outer 2 % of its prior range (the network pins
 * estimates at a bound when the image is unlike every training image). Empty when nothing is flagged.
 */
export function outOfDistributionWarnings(meta: EstimatorMeta, e: ParamEstimate, input?: ArrayLike<number>): string[] {
  const out: string[] = [];
  if (input && input.length > 0) out.push(...inputStatisticWarnings(meta, input));
  meta.scaling.forEach((s, j) => {
    const u = scaleValue(s, e.median[j]!);
    if (u < 0.02 || u > 0.98) {
      out.push(`WARNING: ${s.name} = ${+e.median[j]!.toPrecision(4)} sits at the prior's ${u < 0.5 ? 'lower' : 'upper'} bound [${s.lo}, ${s.hi}]: the image may be unlike the training images (not an aggregate of this kind, other size or contrast)`);
    }
  });
  return out;
}

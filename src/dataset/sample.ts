/**
 * One dataset sample as a pure function of (config, index): draw θ from the prior, grow the
 * aggregate, simulate its image, describe it. Runs in the worker threads (and in-process for
 * `workers: 0`); nothing here depends on which thread runs it or in which order.
 */
import { binImage } from '../image/bin.js';
import { describeAggregate, DESCRIPTOR_NAMES } from '../descriptors/index.js';
import { generateAggregate, GenerationError } from '../model/generate.js';
import { samplePrior } from '../model/params.js';
import type { ModelParams } from '../model/types.js';
import { deriveStream, randomStream, type RandomStream } from '../random/index.js';
import { simulateImage, type StemWorkspace } from '../stem/index.js';
import type { DatasetConfig } from './config.js';

/** Why a draw was rejected. */
export type RejectReason = 'generation' | 'deadline' | 'notFit';

/** Everything a worker sends back for one sample. */
export interface SampleResult {
  index: number;
  /** Key of the sample's stream `(seed, "sample", index)`: reproduces it with `computeSample`. */
  seedKey: string;
  /** `failed` when no draw was accepted within `maxRedraws` (images are then all zero). */
  status: 'ok' | 'failed';
  /** The accepted parameters (the last rejected ones when failed). */
  params: ModelParams;
  /** Descriptors of the accepted aggregate (NaN when failed), by name. */
  descriptors: Record<string, number>;
  /** Rejected draws, in order: their parameters and why. */
  rejected: { params: ModelParams; reason: RejectReason }[];
  /** Stored (binned) clean HAADF fraction, `[side, side]` row-major. */
  clean: Float32Array;
  /** Stored (binned) noisy normalised intensity `(S − offset)/(g N0)`. */
  noisy: Float32Array;
  /**
   * With `{ thickness: true }` only: the projected thickness of A and B, nm, binned like the images
   * and interleaved `[side, side, 2]` (A then B per pixel): the input of the thickness-map oracle.
   */
  thicknessNm?: Float32Array;
}

/** Options of {@link computeSample}. */
export interface ComputeSampleOptions {
  /** Also return the per-material thickness maps (`thicknessNm`). Does not change anything else. */
  thickness?: boolean;
}

/** The stream of draw `attempt` of a sample: the sample's own stream first, then `(…, "retry", k)`. */
function attemptStream(sample: RandomStream, attempt: number): RandomStream {
  return attempt === 0 ? sample : deriveStream(sample, 'retry', attempt);
}

/**
 * Computes sample `index` of a dataset: a pure function of (config, index). Draw k uses the stream
 * `(seed, "sample", index)` (k = 0) or its sub-stream `("retry", k)`, split further into `params`,
 * `aggregate`, `image` and `descriptors`. A draw is rejected (and the next one tried) when the
 * generator gives up or the aggregate does not fit the field of view. `workspace` only reuses the
 * simulator's scratch buffers (faster; the result is the same with or without it).
 */
export function computeSample(config: DatasetConfig, index: number, workspace?: StemWorkspace, opts: ComputeSampleOptions = {}): SampleResult {
  const sample = randomStream(config.seed, 'sample', index);
  const side = config.microscope.widthPx / config.binning;
  const rejected: SampleResult['rejected'] = [];
  let params!: ModelParams;
  for (let attempt = 0; attempt <= config.maxRedraws; attempt++) {
    const s = attemptStream(sample, attempt);
    params = samplePrior(config.prior, deriveStream(s, 'params'));
    let aggregate;
    try {
      aggregate = generateAggregate(params, deriveStream(s, 'aggregate'), { deadlineMs: config.generatorDeadlineMs });
    } catch (e) {
      if (!(e instanceof GenerationError)) throw e;
      // Only a restart-budget failure is deterministic; running out of time depends on the machine.
      rejected.push({ params, reason: e.elapsedMs >= config.generatorDeadlineMs ? 'deadline' : 'generation' });
      continue;
    }
    const image = simulateImage(aggregate.particles, config.microscope, deriveStream(s, 'image'), { workspace });
    if (!image.fits) {
      rejected.push({ params, reason: 'notFit' });
      continue;
    }
    const descriptors = describeAggregate(aggregate.particles, {
      rng: deriveStream(s, 'descriptors'),
      projections: config.descriptorProjections,
    });
    const { widthPx, heightPx } = config.microscope;
    return {
      index,
      seedKey: sample.key,
      status: 'ok',
      params,
      descriptors: { ...descriptors },
      rejected,
      clean: binImage(image.clean, widthPx, heightPx, config.binning),
      noisy: binImage(image.noisy, widthPx, heightPx, config.binning),
      ...(opts.thickness ? { thicknessNm: interleave(binImage(image.thicknessANm, widthPx, heightPx, config.binning), binImage(image.thicknessBNm, widthPx, heightPx, config.binning)) } : {}),
    };
  }
  const descriptors: Record<string, number> = {};
  for (const d of DESCRIPTOR_NAMES) descriptors[d] = NaN;
  return {
    index,
    seedKey: sample.key,
    status: 'failed',
    params,
    descriptors,
    rejected,
    clean: new Float32Array(side * side),
    noisy: new Float32Array(side * side),
    ...(opts.thickness ? { thicknessNm: new Float32Array(2 * side * side) } : {}),
  };
}

function interleave(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(2 * a.length);
  for (let i = 0; i < a.length; i++) (out[2 * i] = a[i]!), (out[2 * i + 1] = b[i]!);
  return out;
}

export { binImage } from '../image/bin.js';

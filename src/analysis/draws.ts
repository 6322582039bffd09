/**
 * Descriptor draws for the error analysis: K aggregates generated at given parameters, each
 * described. A pure function of (parameters, stream keys), so it runs the same in-process or on any
 * worker thread.
 */
import { describeAggregate, DESCRIPTOR_NAMES } from '../descriptors/index.js';
import { generateAggregate, GenerationError } from '../model/generate.js';
import type { ModelParams } from '../model/types.js';
import { deriveStream, randomStream, streamFromKey } from '../random/index.js';

/** One batch of draws: K aggregates at `params`, draw k from the stream with key `keys[k]`. */
export interface DrawTask {
  params: ModelParams;
  keys: string[];
  /** Projection orientations per aggregate for the projected-area descriptors. */
  projections: number;
  /** Generator deadline per aggregate, ms. */
  deadlineMs: number;
  /** Generator attempts per draw before the draw is recorded as NaN. */
  attempts: number;
}


/**
 * Descriptor values of the task's draws, draw-major (K × D, D = DESCRIPTOR_NAMES.length). A draw the
 * generator cannot build after `attempts` tries is a row of NaN.
 */
export function drawDescriptors(task: DrawTask): Float64Array {
  const D = DESCRIPTOR_NAMES.length;
  const out = new Float64Array(task.keys.length * D).fill(NaN);
  task.keys.forEach((key, k) => {
    const s = streamFromKey(key);
    for (let a = 0; a < task.attempts; a++) {
      const sa = a === 0 ? s : deriveStream(s, 'retry', a);
      try {
        const agg = generateAggregate(task.params, deriveStream(sa, 'aggregate'), { deadlineMs: task.deadlineMs });
        const d = describeAggregate(agg.particles, { rng: deriveStream(sa, 'descriptors'), projections: task.projections });
        DESCRIPTOR_NAMES.forEach((name, j) => { out[k * D + j] = d[name]; });
        return;
      } catch (e) {
        if (!(e instanceof GenerationError)) throw e;
      }
    }
  });
  return out;
}

/** The stream keys of the K draws for test sample `index` (shared by the draws at θ̂ and at θ). */
export function drawKeys(seed: string | number, index: number | string, k: number): string[] {
  return Array.from({ length: k }, (_, j) => randomStream(seed, 'evaluate', index, j).key);
}

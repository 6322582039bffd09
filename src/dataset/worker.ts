/**
 * Worker-thread entry for dataset generation (run by a piscina pool). The dataset config arrives
 * once as `workerData`; each task is a sample index; the result's two image buffers are
 * transferred, not copied.
 */
import { move, transferableSymbol, valueSymbol, workerData } from 'piscina';
import type { DatasetConfig } from './config.js';
import { createStemWorkspace } from '../stem/index.js';
import { computeSample, type SampleResult } from './sample.js';

const config = (workerData as { config: DatasetConfig }).config;
// One scratch workspace per thread: saves re-allocating the simulator's buffers for every sample.
const workspace = createStemWorkspace();

export default function computeSampleTask(index: number): unknown {
  const r: SampleResult = computeSample(config, index, workspace);
  return move({
    [transferableSymbol]: [r.clean.buffer, r.noisy.buffer],
    [valueSymbol]: r,
  } as never);
}

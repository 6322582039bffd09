/**
 * The tutorial dataset and model shared by notebooks 3, 4, 5 and 7, defined once so that every
 * notebook means the same ones. Each notebook creates what it needs when it is missing and reuses it
 * otherwise, in directories under `runs/notebooks/` named by a hash of their configuration: a changed
 * configuration (or a changed preset in the library) never meets an old copy.
 *
 * Import from a notebook in this folder: `import { tutorialDataset, ensureDataset } from './tutorial';`
 */
import * as ag from 'aggstem';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Seed of the tutorial dataset and training run. */
export const TUTORIAL_SEED = 2024;

/**
 * The project root: where the `aggstem` package the kernel imports lives (its real path), so the
 * notebooks find the shipped model and `runs/` from any folder, not only from `notebooks/`.
 */
export const PROJECT_ROOT = fs.realpathSync(path.dirname(require.resolve('aggstem/package.json')));

/** Where the notebooks write: `runs/notebooks/` (gitignored). */
export const RUNS_DIR = path.join(PROJECT_ROOT, 'runs', 'notebooks');

/** The pre-trained `quick` estimator shipped with the project (may be absent in a copy). */
export const SHIPPED_MODEL_DIR = path.join(PROJECT_ROOT, 'datasets', 'quick-model');

/**
 * The tutorial dataset: the `quick` preset (128 × 128 px at 1.6 nm, N 20–80), 800 samples (64 in
 * small mode) in shards of 200 (32), 15 % validation and 15 % test, and its directory.
 */
export function tutorialDataset(small: boolean): { config: ag.DatasetConfig; dir: string } {
  const config = ag.datasetConfig({
    preset: 'quick', seed: TUTORIAL_SEED, count: small ? 64 : 800, shardSize: small ? 32 : 200, split: { val: 0.15, test: 0.15 },
  });
  const dir = path.join(RUNS_DIR, 'data', `quick-${config.count}-${ag.datasetConfigHash(config).slice(0, 8)}`);
  return { config, dir };
}

/**
 * `generateDataset` that waits while another process writes the same directory (e.g. notebook 3
 * running in another kernel next to this one): the dataset stage locks a directory against a
 * second writer and refuses at once; here we wait for the lock instead, up to `maxWaitSeconds`.
 * Then the dataset is complete and this call only verifies it.
 */
export async function ensureDataset(
  config: ag.DatasetConfig, dir: string,
  opts: { onProgress?: (p: ag.GenerateProgress) => void; maxWaitSeconds?: number } = {},
): Promise<ag.GenerateSummary> {
  const deadline = Date.now() + 1000 * (opts.maxWaitSeconds ?? 900);
  for (;;) {
    try {
      return await ag.generateDataset(config, dir, { workers: 2, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
    } catch (e) {
      // The lock error names the writing process; anything else is a real problem.
      if (!(e instanceof ag.DatasetError) || !/is being written by process \d+/.test(e.message) || Date.now() > deadline) throw e;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

/**
 * The tutorial training run of notebook 4 on `config`'s dataset: the `quick` network, 30 epochs with
 * batches of 32 (4 epochs of 16 in small mode), and its model directory (named by these settings,
 * the network spec and the dataset's hash).
 */
export function tutorialTraining(small: boolean, config: ag.DatasetConfig): {
  options: { epochs: number; batchSize: number; network: 'quick'; seed: number }; dir: string;
} {
  const options = { epochs: small ? 4 : 30, batchSize: small ? 16 : 32, network: 'quick' as const, seed: TUTORIAL_SEED };
  const spec = ag.networkSpec('quick', ag.storedImageSize(config), ag.varyingParams(config.prior).length);
  const key = createHash('sha256').update(JSON.stringify([ag.datasetConfigHash(config), options, spec])).digest('hex');
  return { options, dir: path.join(RUNS_DIR, 'models', `quick-${key.slice(0, 8)}`) };
}

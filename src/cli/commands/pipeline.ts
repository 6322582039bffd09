/**
 * `aggstem pipeline`: the whole study in one command — dataset → training → evaluation → report.
 *
 *   aggstem pipeline --preset quick|paper --out DIR [--count N] [--epochs E] [--workers k]
 *                    [--seed S] [--backend auto|tensorflow|wasm|cpu] [--draws K] [--max-samples N]
 *
 * Each stage is the corresponding sub-command writing into DIR (`dataset/`, `model/`, `report/`),
 * so an interrupted pipeline resumes where it stopped when run again: finished dataset shards are
 * verified and kept, training continues from its last checkpoint, evaluation is redone.
 *
 * With AGGSTEM_SMALL=1 the defaults shrink (count 240, 4 epochs, 4 draws, 40 test samples) so the
 * whole chain runs in a couple of minutes (tests, demos).
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { intFlag, parseCommandArgs, requireFlag } from '../args.js';
import { UserError } from '../errors.js';
import { run as runDataset } from './dataset.js';
import { run as runTrain } from './train.js';
import { run as runEvaluate } from './evaluate.js';

interface StageDefaults { count?: number; epochs: number; draws: number; maxSamples?: number }

const DEFAULTS: Record<'quick' | 'paper', StageDefaults> = {
  quick: { epochs: 20, draws: 20, maxSamples: 200 },
  paper: { epochs: 40, draws: 20, maxSamples: 1000 },
};
const SMALL: StageDefaults = { count: 240, epochs: 4, draws: 4, maxSamples: 40 };

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('pipeline', argv, {
    preset: { type: 'string' },
    out: { type: 'string' },
    count: { type: 'string' },
    epochs: { type: 'string' },
    workers: { type: 'string' },
    seed: { type: 'string' },
    backend: { type: 'string' },
    draws: { type: 'string' },
    'max-samples': { type: 'string' },
  });
  const preset = (values.preset as string | undefined) ?? 'quick';
  if (preset !== 'quick' && preset !== 'paper') throw new UserError(`aggstem pipeline: --preset must be quick or paper, got "${preset}"`);
  const out = requireFlag('pipeline', 'out', values.out as string | undefined);
  const small = process.env.AGGSTEM_SMALL === '1';
  const d = small ? SMALL : DEFAULTS[preset];
  const count = values.count !== undefined ? intFlag('pipeline', 'count', values.count as string, 0, 10) : d.count;
  const epochs = intFlag('pipeline', 'epochs', values.epochs as string | undefined, d.epochs, 1);
  const workers = intFlag('pipeline', 'workers', values.workers as string | undefined, availableParallelism(), 0);
  const draws = intFlag('pipeline', 'draws', values.draws as string | undefined, d.draws, 1);
  const maxSamples = values['max-samples'] !== undefined ? intFlag('pipeline', 'max-samples', values['max-samples'] as string, 0, 1) : d.maxSamples;
  const seed = (values.seed as string | undefined) ?? '1';
  const backend = (values.backend as string | undefined) ?? 'auto';
  const dataDir = join(out, 'dataset'), modelDir = join(out, 'model'), reportDir = join(out, 'report');
  const t0 = Date.now();
  const stage = (i: number, name: string) => process.stderr.write(`\n== pipeline ${i}/3: ${name} (${((Date.now() - t0) / 1000).toFixed(0)} s elapsed)\n`);

  stage(1, `dataset (${preset}${count ? `, ${count} samples` : ''}) → ${dataDir}`);
  let rc = await runDataset(['--preset', preset, '--out', dataDir, '--seed', seed, '--workers', String(workers), ...(count ? ['--count', String(count)] : [])]);
  if (rc !== 0) return rc;

  stage(2, `training (${epochs} epochs) → ${modelDir}`);
  // --resume continues an interrupted run and starts a fresh one when there is no checkpoint.
  rc = await runTrain(['--data', dataDir, '--out', modelDir, '--epochs', String(epochs), '--seed', seed, '--backend', backend, '--resume']);
  if (rc !== 0) return rc;

  stage(3, `evaluation (${draws} draws per test image) → ${reportDir}`);
  rc = await runEvaluate(['--model', modelDir, '--data', dataDir, '--out', reportDir, '--draws', String(draws), '--workers', String(Math.max(1, workers)), '--seed', seed, '--backend', backend, ...(maxSamples ? ['--max-samples', String(maxSamples)] : [])]);
  if (rc !== 0) return rc;
  process.stderr.write(`\npipeline finished in ${((Date.now() - t0) / 60000).toFixed(1)} min\nreport: ${join(reportDir, 'index.html')}\n`);
  return 0;
}

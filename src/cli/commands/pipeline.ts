/**
 * `aggstem pipeline`: the whole study in one command — dataset → training → evaluation → report —
 * through the library's `runPipeline` (src/analysis/pipeline.ts); this file parses flags and prints.
 *
 *   aggstem pipeline --preset quick|paper|dfsp --out DIR [--count N] [--epochs E] [--workers k]
 *                    [--seed S] [--backend auto|tensorflow|wasm|cpu] [--draws K] [--max-samples N]
 *
 * An interrupted pipeline resumes where it stopped when run again. With AGGSTEM_SMALL=1 the
 * defaults shrink (count 240, 4 epochs, 4 draws, 40 test samples): a couple of minutes (tests, demos).
 */
import { availableParallelism } from 'node:os';
import { runPipeline, type PipelineProgress } from '../../analysis/pipeline.js';
import type { DatasetPresetName } from '../../dataset/config.js';
import { intFlag, parseCommandArgs, requireFlag } from '../args.js';
import { UserError } from '../errors.js';
import { backendFlag } from '../resources.js';
import { progressBar, type ProgressBar } from '../progress.js';

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
  if (preset !== 'quick' && preset !== 'paper' && preset !== 'dfsp') throw new UserError(`aggstem pipeline: --preset must be quick, paper or dfsp, got "${preset}"`);
  const outDir = requireFlag('pipeline', 'out', values.out as string | undefined);
  const opt = (name: string, min: number) => (values[name] !== undefined ? intFlag('pipeline', name, values[name] as string, 0, min) : undefined);
  const config = {
    preset: preset as DatasetPresetName, outDir,
    count: opt('count', 10), epochs: opt('epochs', 1), draws: opt('draws', 1), maxSamples: opt('max-samples', 1),
    workers: intFlag('pipeline', 'workers', values.workers as string | undefined, availableParallelism(), 0),
    seed: (values.seed as string | undefined) ?? '1',
    backend: backendFlag('pipeline', values.backend as string | undefined),
  };
  const t0 = Date.now();
  let bar: ProgressBar | undefined;
  let barKey = '';
  const onProgress = (p: PipelineProgress) => {
    if (p.message && p.done === 0 && p.total >= 0 && (p.stage !== 'evaluation' || p.message.startsWith('evaluation'))) {
      if (p.message.includes('→')) {
        bar?.finish();
        bar = undefined;
        const [head, backend] = p.message.split('; backend: ');
        process.stderr.write(`\n== pipeline ${p.index}/3: ${head} (${((Date.now() - t0) / 1000).toFixed(0)} s elapsed)\n`);
        if (backend) process.stderr.write(`backend: ${backend}\n`);
        return;
      }
      if (p.stage === 'dataset') process.stderr.write(`${p.message}\n`);
    }
    if (p.epoch) {
      const e = p.epoch;
      bar?.finish();
      bar = undefined;
      process.stderr.write(`epoch ${e.epoch + 1}/${p.total} [${e.phase}] loss ${e.loss.toFixed(4)}  val NLL ${e.valNll.toFixed(4)}  ${e.seconds.toFixed(1)} s (${e.imagesPerSecond.toFixed(0)} img/s)\n`);
      return;
    }
    if (p.total > 0 && p.done > 0) {
      const key = `${p.stage}:${p.message ?? ''}`;
      if (key !== barKey) { bar?.finish(); bar = progressBar(p.stage === 'evaluation' ? (p.message ?? 'evaluate') : p.stage, p.total); barKey = key; }
      bar!.update(p.done);
    }
  };
  const r = await runPipeline(config, { small: process.env.AGGSTEM_SMALL === '1', onProgress });
  bar?.finish();
  process.stderr.write(`\npipeline finished in ${(r.seconds / 60).toFixed(1)} min\nreport: ${r.reportIndex}\n`);
  return 0;
}

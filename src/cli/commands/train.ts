/**
 * `aggstem train`: train the CNN estimator on a dataset directory.
 *
 *   aggstem train --data DIR --out MODEL [--epochs E] [--batch B] [--backend auto|tensorflow|wasm|cpu]
 *                 [--seed S] [--resume] [--network quick|paper|tiny] [--lr X] [--lr-decay X]
 *                 [--warmup E] [--patience E] [--no-augment] [--no-fresh-noise]
 *                 [--head binned|gaussian] [--bins K] [--descriptors a,b,…|none] [--max-index N | --train-count N] [--clean]
 *                 [--quiet] [--json]
 *
 * Prints the backend and why, a progress bar per epoch, and one line per epoch (loss, validation
 * NLL and RMSE, learning rate, speed, ETA). Ctrl-C stops at the next batch; the last finished epoch
 * is checkpointed, and `--resume` continues the same run.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { countParameters, datasetSource, trainEstimator, type NetworkPreset } from '../../cnn/index.js';
import { intFlag, numberFlag, parseCommandArgs, requireFlag } from '../args.js';
import { UserError } from '../errors.js';
import { backendFlag, openDatasetFor, startBackend } from '../resources.js';
import { formatSeconds, progressBar, type ProgressBar } from '../progress.js';

const NETWORKS = ['quick', 'paper', 'tiny'];

function parseSeed(text: string): string | number {
  const n = Number(text);
  return /^-?\d+$/.test(text) && Number.isSafeInteger(n) ? n : text;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('train', argv, {
    data: { type: 'string' },
    out: { type: 'string' },
    epochs: { type: 'string' },
    batch: { type: 'string' },
    backend: { type: 'string' },
    seed: { type: 'string' },
    resume: { type: 'boolean' },
    network: { type: 'string' },
    lr: { type: 'string' },
    'lr-decay': { type: 'string' },
    warmup: { type: 'string' },
    patience: { type: 'string' },
    'no-augment': { type: 'boolean' },
    'no-fresh-noise': { type: 'boolean' },
    head: { type: 'string' },
    bins: { type: 'string' },
    descriptors: { type: 'string' },
    'max-index': { type: 'string' },
    'train-count': { type: 'string' },
    clean: { type: 'boolean' },
    quiet: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const dataDir = requireFlag('train', 'data', values.data as string | undefined);
  const outDir = requireFlag('train', 'out', values.out as string | undefined);
  const backendPref = backendFlag('train', values.backend as string | undefined);
  const network = values.network as string | undefined;
  if (network !== undefined && !NETWORKS.includes(network)) throw new UserError(`aggstem train: --network must be one of ${NETWORKS.join(', ')}, got "${network}"`);
  const epochs = intFlag('train', 'epochs', values.epochs as string | undefined, 30, 1);
  const batchSize = intFlag('train', 'batch', values.batch as string | undefined, 32, 1);
  const headKind = (values.head as string | undefined) ?? 'binned';
  if (headKind !== 'binned' && headKind !== 'gaussian') throw new UserError(`aggstem train: --head must be "binned" or "gaussian", got "${headKind}"`);
  const bins = intFlag('train', 'bins', values.bins as string | undefined, 32, 2);
  const head = headKind === 'binned' ? { kind: 'binned' as const, bins } : { kind: 'gaussian' as const };
  const warmupEpochs = intFlag('train', 'warmup', values.warmup as string | undefined, headKind === 'binned' ? 0 : 1, 0);
  const descText = values.descriptors as string | undefined;
  const descriptors = descText === undefined ? undefined : descText === 'none' || descText === '' ? [] : descText.split(',').map((d) => d.trim());
  const maxIndex = values['max-index'] !== undefined ? intFlag('train', 'max-index', values['max-index'] as string, 0, 1) : undefined;
  const trainCount = values['train-count'] !== undefined ? intFlag('train', 'train-count', values['train-count'] as string, 0, 1) : undefined;
  const patience = intFlag('train', 'patience', values.patience as string | undefined, 6, 1);
  const learningRate = numberFlag('train', 'lr', values.lr as string | undefined, 1e-3);
  const lrDecay = numberFlag('train', 'lr-decay', values['lr-decay'] as string | undefined, 0.95);
  if (!(learningRate > 0)) throw new UserError(`aggstem train: --lr must be > 0, got ${learningRate}`);
  if (!(lrDecay > 0 && lrDecay <= 1)) throw new UserError(`aggstem train: --lr-decay must be in (0, 1], got ${lrDecay}`);
  const seed = values.seed !== undefined ? parseSeed(values.seed as string) : 1;
  const quiet = Boolean(values.quiet);
  const say = (m: string) => { if (!quiet) process.stderr.write(m + '\n'); };

  const ds = openDatasetFor('train', dataDir);
  const be = await startBackend('train', backendPref, say);
  const source = datasetSource(ds, { augment: !values['no-augment'], freshNoise: !values['no-fresh-noise'], descriptors, maxIndex, trainCount, clean: Boolean(values.clean) });
  const targetNames = [...source.paramNames, ...(source.descriptorNames ?? [])];
  say(`data: ${ds.dir} — ${source.info.counts.train} train / ${source.info.counts.val} val images of ${ds.imageSize}×${ds.imageSize} px at ${ds.pixelSizeNm} nm${values.clean ? ' (clean: oracle)' : ''}; parameters: ${source.paramNames.join(', ')}; descriptors: ${source.descriptorNames?.join(', ') || 'none'}; head: ${headKind}`);

  if (values.resume && !existsSync(join(outDir, 'checkpoint'))) say(`no checkpoint to resume in ${outDir}: starting a fresh run`);
  const ac = new AbortController();
  const onSigint = () => {
    say('\ninterrupt: stopping after the current batch (the last finished epoch stays checkpointed; continue with --resume)');
    ac.abort();
  };
  process.once('SIGINT', onSigint);
  let bar: ProgressBar | undefined;
  let barEpoch = -1;
  const t0 = Date.now();
  let epochsDoneHere = 0;
  let result;
  try {
    result = await trainEstimator(source, {
      network: (network as NetworkPreset | undefined),
      epochs, batchSize, seed, learningRate, lrDecay, warmupEpochs, patience, outDir, head,
      resume: Boolean(values.resume),
      signal: ac.signal,
      onBatchEnd: (b) => {
        if (quiet) return;
        if (b.epoch !== barEpoch) {
          barEpoch = b.epoch;
          bar = progressBar(`epoch ${b.epoch + 1}/${epochs}`, b.batchesPerEpoch);
        }
        bar!.update(b.batch + 1, `loss ${b.loss.toFixed(4)}`);
      },
      onEpochEnd: (log, info) => {
        epochsDoneHere++;
        if (!quiet && process.stderr.isTTY) process.stderr.write('\r\x1b[K'); // clear the batch bar
        if (epochsDoneHere === 1) say(`network: ${countParameters(info.model)} trainable parameters`);
        const perEpoch = (Date.now() - t0) / 1000 / epochsDoneHere;
        const eta = perEpoch * (epochs - log.epoch - 1);
        const rmse = log.valRmse.map((v, j) => `${targetNames[j]} ${v.toFixed(3)}`).join(', ');
        say(
          `epoch ${log.epoch + 1}/${epochs} [${log.phase}] loss ${log.loss.toFixed(4)}  val NLL ${log.valNll.toFixed(4)}  val RMSE (scaled) ${rmse}  ` +
            `lr ${log.learningRate.toExponential(2)}  ${log.seconds.toFixed(1)} s (${log.imagesPerSecond.toFixed(0)} img/s)` +
            `${info.bestEpoch === log.epoch ? '  *best*' : ''}  ETA ${formatSeconds(eta)}`,
        );
      },
    });
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  const { estimator, history, bestEpoch, stoppedEarly, interrupted, resumedAtEpoch } = result;
  const bestLog = history[bestEpoch];
  const summary = {
    model: outDir,
    backend: be.name,
    resumedAtEpoch,
    epochsRun: history.length,
    bestEpoch,
    bestValNll: bestLog?.valNll ?? null,
    bestValRmse: bestLog ? Object.fromEntries(targetNames.map((n, j) => [n, bestLog.valRmse[j]])) : null,
    calibration: estimator.meta.calibration ?? null,
    stoppedEarly,
    interrupted,
  };
  estimator.model.dispose();
  if (values.json) console.log(JSON.stringify(summary));
  else {
    const why = interrupted ? 'interrupted (resume with --resume)' : stoppedEarly ? `stopped early (no improvement for ${patience} epochs)` : 'finished';
    console.log(`${why}: ${history.length} epochs; best epoch ${bestEpoch + 1} (val NLL ${bestLog?.valNll.toFixed(4)}); model written to ${outDir}`);
  }
  return interrupted ? 130 : 0;
}

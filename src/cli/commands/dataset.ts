/**
 * `aggstem dataset`: generate a training dataset (parallel, resumable, shardable), merge parts
 * generated on several machines, or verify a dataset directory.
 *
 *   aggstem dataset --preset quick|paper|dfsp [--count N] [--seed S] [--shard i/n] [--workers k]
 *                   [--shard-size S] [--config FILE] --out DIR [--quiet] [--json]
 *   aggstem dataset merge DIR... --out DIR [--allow-incomplete] [--json]
 *   aggstem dataset verify DIR [--json]
 */
import { availableParallelism } from 'node:os';
import { intFlag, parseCommandArgs, requireFlag } from '../args.js';
import { UserError } from '../errors.js';
import { progressBar } from '../progress.js';
import { datasetConfig, loadDatasetConfigFile, type DatasetConfigInput, type DatasetPresetName } from '../../dataset/config.js';
import { generateDataset } from '../../dataset/generate.js';
import { mergeDatasets, verifyDataset } from '../../dataset/merge.js';
import { parsePart } from '../../dataset/plan.js';

const USAGE = [
  'usage: aggstem dataset --preset quick|paper|dfsp [--count N] [--seed S] [--shard i/n] [--workers k]',
  '                       [--shard-size S] [--config FILE] --out DIR [--quiet] [--json]',
  '       aggstem dataset merge DIR... --out DIR [--allow-incomplete] [--json]',
  '       aggstem dataset verify DIR [--json]',
].join('\n');

/** An integer-looking seed is a number (so `--seed 7` and `{"seed": 7}` hash alike); anything else a string. */
function parseSeed(text: string): string | number {
  if (text === '') throw new UserError('aggstem dataset: --seed must not be empty');
  const n = Number(text);
  return /^-?\d+$/.test(text) && Number.isSafeInteger(n) ? n : text;
}

async function generate(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('dataset', argv, {
    preset: { type: 'string' },
    config: { type: 'string' },
    count: { type: 'string' },
    seed: { type: 'string' },
    shard: { type: 'string' },
    workers: { type: 'string' },
    'shard-size': { type: 'string' },
    out: { type: 'string' },
    quiet: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const out = requireFlag('dataset', 'out', values.out as string | undefined);
  const fromFile: DatasetConfigInput = values.config ? loadDatasetConfigFile(values.config as string) : {};
  const preset = (values.preset as string | undefined) ?? fromFile.preset;
  if (preset === undefined) throw new UserError('aggstem dataset: --preset is required (quick, paper or dfsp), or a --config file with a "preset"');
  if (preset !== 'quick' && preset !== 'paper' && preset !== 'dfsp') throw new UserError(`aggstem dataset: --preset must be "quick", "paper" or "dfsp", got "${preset}"`);
  const input: DatasetConfigInput = { ...fromFile, preset: preset as DatasetPresetName };
  if (values.count !== undefined) input.count = intFlag('dataset', 'count', values.count as string, 0, 1);
  if (values['shard-size'] !== undefined) input.shardSize = intFlag('dataset', 'shard-size', values['shard-size'] as string, 0, 1);
  if (values.seed !== undefined) input.seed = parseSeed(values.seed as string);
  const workers = intFlag('dataset', 'workers', values.workers as string | undefined, availableParallelism(), 0);
  const part = values.shard !== undefined ? parsePart(values.shard as string) : undefined;
  // Everything is validated here, before the output directory is touched.
  const config = datasetConfig(input);
  const quiet = Boolean(values.quiet);
  let bar: ReturnType<typeof progressBar> | undefined;
  const summary = await generateDataset(config, out, {
    workers,
    part,
    log: quiet ? undefined : (m) => process.stderr.write(`${m}\n`),
    onProgress: (p) => {
      if (quiet || p.total === 0) return;
      bar ??= progressBar('dataset', p.total);
      bar.update(p.done, `shard ${Math.min(p.shardsDone + 1, p.shardsTotal)}/${p.shardsTotal}`);
    },
  });
  bar?.finish();
  const m = summary.manifest;
  const line = {
    dir: summary.dir,
    configHash: summary.configHash,
    complete: summary.complete,
    missingShards: m.missingShards,
    shardsPlanned: summary.planned.length,
    shardsGenerated: summary.generated.length,
    shardsVerified: summary.verified.length,
    shardsRegenerated: summary.regenerated.length,
    samplesGenerated: summary.samplesGenerated,
    samplesPerSecond: +summary.samplesPerSecond.toFixed(3),
    steadySamplesPerSecond: +summary.steadySamplesPerSecond.toFixed(3),
    seconds: +summary.seconds.toFixed(2),
    peakRssMiB: summary.peakRssMiB,
    samples: m.totals.samples,
    failures: m.totals.failures,
    redrawRate: +m.totals.redrawRate.toFixed(4),
    redraws: m.totals.redraws,
  };
  if (values.json) console.log(JSON.stringify(line));
  else if (!quiet) {
    process.stderr.write(
      `${summary.dir}: ${m.totals.samples} of ${m.count} samples in ${m.shards.length}/${m.totalShards} shards` +
        `${summary.complete ? ' (complete)' : `, missing ${m.missingShards}`}; this run: ${summary.generated.length} shard(s) written, ` +
        `${summary.verified.length} verified, ${summary.samplesPerSecond.toFixed(2)} samples/s, peak RSS ${summary.peakRssMiB} MiB; ` +
        `redraw rate ${(100 * m.totals.redrawRate).toFixed(2)} %, ${m.totals.failures} failed\n`,
    );
  }
  return 0;
}

function merge(argv: string[]): number {
  const { values, positionals } = parseCommandArgs('dataset merge', argv, { out: { type: 'string' }, 'allow-incomplete': { type: 'boolean' }, json: { type: 'boolean' } }, true);
  const out = requireFlag('dataset merge', 'out', values.out as string | undefined);
  if (positionals.length === 0) throw new UserError('aggstem dataset merge: give the part directories to merge, e.g. `aggstem dataset merge parts/* --out data`');
  const s = mergeDatasets(positionals, out, { allowIncomplete: Boolean(values['allow-incomplete']), log: (m) => process.stderr.write(`${m}\n`) });
  if (values.json) {
    console.log(JSON.stringify({ dir: s.dir, configHash: s.configHash, complete: s.complete, copied: s.copied.length, present: s.present.length, duplicates: s.duplicates, missing: s.missing }));
  }
  return 0;
}

function verify(argv: string[]): number {
  const { values, positionals } = parseCommandArgs('dataset verify', argv, { json: { type: 'boolean' } }, true);
  if (positionals.length !== 1) throw new UserError('aggstem dataset verify: give exactly one dataset directory');
  const r = verifyDataset(positionals[0]!);
  if (values.json) console.log(JSON.stringify(r));
  else {
    for (const d of r.damaged) process.stderr.write(`shard ${d.shard}: ${d.problems.join('; ')}\n`);
    process.stderr.write(
      `${r.dir}: ${r.intact.length} shard(s) intact, ${r.damaged.length} damaged${r.missing ? `, missing ${r.missing}` : ''}` +
        `${r.damaged.length ? ' — re-run the `aggstem dataset` command on it to regenerate the damaged shards' : ''}\n`,
    );
  }
  return r.damaged.length === 0 ? 0 : 1;
}

export async function run(argv: string[]): Promise<number> {
  if (argv[0] === 'merge') return merge(argv.slice(1));
  if (argv[0] === 'verify') return verify(argv.slice(1));
  if (argv[0] !== undefined && !argv[0].startsWith('-')) {
    throw new UserError(`aggstem dataset: unknown sub-command "${argv[0]}"\n${USAGE}`);
  }
  return generate(argv);
}

/**
 * `aggstem generate --params <file|preset> --count N --seed S --out aggregates.jsonl`: draws
 * aggregates from the 3D model and streams them to a JSON Lines file, atomically (the file appears
 * only when every aggregate is written). Aggregate i uses the stream `randomStream(S, 'aggregate', i)`,
 * so any one of them can be reproduced alone.
 */
import { intFlag, parseCommandArgs, requireFlag } from '../args.js';
import { UserError } from '../errors.js';
import { progressBar } from '../progress.js';
import { atomicWriter } from '../../io/atomic.js';
import { GENERATE_DEFAULTS, GenerationError, generateAggregate } from '../../model/generate.js';
import { aggregateToJsonLine } from '../../model/jsonl.js';
import { resolveModelParams } from '../../model/params.js';
import type { ModelParams } from '../../model/types.js';
import { randomStream } from '../../random/index.js';

const USAGE = `usage: aggstem generate --params <file|preset|JSON> --out FILE.jsonl [--count N] [--seed S]
                        [--deadline-ms MS] [--skip-failed] [--quiet]

  --params       preset name (quick, paper, dfsp), a JSON file, or inline JSON; partial objects are
                 completed from the "paper" preset or the preset named by a "preset" key
  --out          output JSON Lines file (written atomically)
  --count        number of aggregates (default 1)
  --seed         seed S; aggregate i uses randomStream(S, "aggregate", i) (default 0)
  --deadline-ms  time budget per aggregate (default ${GENERATE_DEFAULTS.deadlineMs})
  --skip-failed  skip aggregates the generator cannot build instead of stopping
  --quiet        no progress line`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs('generate', argv, {
    params: { type: 'string' },
    out: { type: 'string' },
    count: { type: 'string' },
    seed: { type: 'string' },
    'deadline-ms': { type: 'string' },
    'skip-failed': { type: 'boolean' },
    quiet: { type: 'boolean' },
  });
  if (values.params === undefined && values.out === undefined) throw new UserError(`aggstem generate: --params and --out are required\n${USAGE}`);
  const spec = requireFlag('generate', 'params', values.params as string | undefined);
  const out = requireFlag('generate', 'out', values.out as string | undefined);
  const count = intFlag('generate', 'count', values.count as string | undefined, 1, 1);
  const deadlineMs = intFlag('generate', 'deadline-ms', values['deadline-ms'] as string | undefined, GENERATE_DEFAULTS.deadlineMs, 1);
  const seedText = (values.seed as string | undefined) ?? '0';
  if (seedText === '') throw new UserError('aggstem generate: --seed must not be empty');
  // Integer-looking seeds are numbers, so `--seed 7` matches randomStream(7, ...) in a notebook.
  const seed: string | number = /^-?\d+$/.test(seedText) && Number.isSafeInteger(Number(seedText)) ? Number(seedText) : seedText;

  let params: ModelParams;
  try {
    params = resolveModelParams(spec.trimStart().startsWith('{') ? parseInline(spec) : spec);
  } catch (e) {
    throw new UserError(`aggstem generate: ${(e as Error).message}`);
  }

  const writer = atomicWriter(out);
  const onSignal = () => {
    writer.abort();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const bar = progressBar('generate', count, { quiet: Boolean(values.quiet) });
  let written = 0, failed = 0;
  const t0 = Date.now();
  try {
    for (let i = 0; i < count; i++) {
      const rng = randomStream(seed, 'aggregate', i);
      try {
        const agg = generateAggregate(params, rng, { id: `agg-${i}`, seed: `${seed}/aggregate/${i}`, deadlineMs });
        writer.write(aggregateToJsonLine(agg) + '\n');
        written++;
      } catch (e) {
        if (!(e instanceof GenerationError)) throw e;
        if (!values['skip-failed']) {
          throw new UserError(`aggstem generate: aggregate ${i} (seed ${seed}/aggregate/${i}) failed: ${e.message}. Nothing was written; use --skip-failed to skip such aggregates`);
        }
        failed++;
      }
      bar.update(i + 1, failed ? `${failed} failed` : undefined);
    }
    if (written === 0) throw new UserError(`aggstem generate: all ${count} aggregates failed; nothing was written`);
    writer.commit();
  } catch (e) {
    writer.abort();
    throw e;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  bar.finish(failed ? `${failed} failed` : undefined);
  console.log(`wrote ${written} aggregate${written === 1 ? '' : 's'} to ${out}${failed ? ` (${failed} skipped: generation failed)` : ''} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return 0;
}

function parseInline(text: string): object {
  try {
    return JSON.parse(text) as object;
  } catch (e) {
    throw new Error(`--params inline JSON is not valid: ${(e as Error).message}`);
  }
}

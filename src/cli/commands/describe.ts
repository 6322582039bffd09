/**
 * `aggstem describe aggregates.jsonl --out descriptors.csv [--projections K] [--hull-points M] [--seed S]`:
 * structural descriptors of every aggregate in a JSON Lines file, one CSV row per aggregate
 * (columns: id, then DESCRIPTOR_NAMES). Records are read and validated by the model's JSON Lines
 * reader (src/model/jsonl.ts). Aggregate i's projection orientations come from
 * randomStream(S, 'describe', i), so a row does not depend on the others. The CSV is written
 * atomically after all rows are computed: on any error nothing is written.
 */
import { createReadStream, statSync } from 'node:fs';
import * as aq from 'arquero';
import { parseCommandArgs, intFlag, requireFlag } from '../args.js';
import { UserError } from '../errors.js';
import { progressBar } from '../progress.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { describeAggregate, DESCRIPTOR_NAMES, DEFAULT_PROJECTIONS, DEFAULT_HULL_POINTS_PER_SPHERE } from '../../descriptors/index.js';
import { iterateSphereRecords } from '../../model/jsonl.js';
import { randomStream } from '../../random/index.js';

const USAGE = 'usage: aggstem describe aggregates.jsonl --out descriptors.csv [--projections K] [--hull-points M] [--seed S]';

async function countLines(path: string): Promise<number> {
  let n = 0, last = 10;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    for (let k = 0; k < chunk.length; k++) if (chunk[k] === 10) n++;
    if (chunk.length > 0) last = chunk[chunk.length - 1]!;
  }
  return last === 10 ? n : n + 1;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('describe', argv, {
    out: { type: 'string', short: 'o' },
    projections: { type: 'string' },
    'hull-points': { type: 'string' },
    seed: { type: 'string' },
    quiet: { type: 'boolean', short: 'q' },
  }, true);
  if (positionals.length !== 1) throw new UserError(`aggstem describe: expected exactly one input file, got ${positionals.length}\n${USAGE}`);
  const input = positionals[0]!;
  const out = requireFlag('describe', 'out', values.out as string | undefined);
  const projections = intFlag('describe', 'projections', values.projections as string | undefined, DEFAULT_PROJECTIONS, 1);
  const hullPoints = intFlag('describe', 'hull-points', values['hull-points'] as string | undefined, DEFAULT_HULL_POINTS_PER_SPHERE, 16);
  const seed = (values.seed as string | undefined) ?? '0';
  try {
    if (!statSync(input).isFile()) throw new UserError(`aggstem describe: ${input} is not a file`);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`aggstem describe: cannot read ${input}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const total = await countLines(input);
  const bar = progressBar('describe', total, { quiet: Boolean(values.quiet) });
  const rows: Record<string, string | number>[] = [];
  // Any sphere set is described: the reader validates the geometry (and ids) and names file:line.
  for (const agg of iterateSphereRecords(input)) {
    const d = describeAggregate(agg.particles, { rng: randomStream(seed, 'describe', rows.length), projections, hullPointsPerSphere: hullPoints });
    const row: Record<string, string | number> = { id: agg.id };
    for (const k of DESCRIPTOR_NAMES) row[k] = d[k];
    rows.push(row);
    bar.update(rows.length);
  }
  if (rows.length === 0) throw new UserError(`aggstem describe: ${input} contains no aggregates (expected one JSON object per line)`);
  const csv = aq.from(rows).toCSV();
  writeFileAtomic(out, csv.endsWith('\n') ? csv : csv + '\n');
  bar.finish(`→ ${out}`);
  return 0;
}

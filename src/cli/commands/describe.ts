/**
 * `aggstem describe aggregates.jsonl --out descriptors.csv [--projections K] [--hull-points M] [--seed S]`:
 * structural descriptors of every aggregate in a JSON Lines file, one CSV row per aggregate
 * (columns: id, then DESCRIPTOR_NAMES). Aggregate i's projection orientations come from
 * randomStream(S, 'describe', i), so a row does not depend on the others. The CSV is written
 * atomically after all rows are computed: on any error nothing is written.
 */
import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import * as aq from 'arquero';
import { parseCommandArgs, intFlag, requireFlag } from '../args.js';
import { UserError } from '../errors.js';
import { progressBar } from '../progress.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { describeAggregate, DESCRIPTOR_NAMES, DEFAULT_PROJECTIONS, DEFAULT_HULL_POINTS_PER_SPHERE } from '../../descriptors/index.js';
import { checkParticles } from '../../descriptors/input.js';
import type { Particles } from '../../model/types.js';
import { randomStream } from '../../random/index.js';

const USAGE = 'usage: aggstem describe aggregates.jsonl --out descriptors.csv [--projections K] [--hull-points M] [--seed S]';

function numberArray(v: unknown, what: string, where: string): number[] {
  if (!Array.isArray(v)) throw new UserError(`${where}: particles.${what} must be an array of numbers, got ${v === undefined ? 'nothing' : typeof v}`);
  for (let k = 0; k < v.length; k++) {
    if (typeof v[k] !== 'number') throw new UserError(`${where}: particles.${what}[${k}] must be a number, got ${JSON.stringify(v[k])}`);
  }
  return v as number[];
}

/** The id and spheres of one JSON Lines record (DESIGN §7), validated. */
function parseRecord(line: string, where: string): { id: string; particles: Particles } {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch (e) {
    throw new UserError(`${where}: invalid JSON (${(e as Error).message})`);
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new UserError(`${where}: expected a JSON object with "particles", got ${Array.isArray(obj) ? 'an array' : typeof obj}`);
  const rec = obj as { id?: unknown; particles?: Record<string, unknown> };
  if (rec.particles === null || typeof rec.particles !== 'object') throw new UserError(`${where}: missing "particles" object {x, y, z, r, material}`);
  const pp = rec.particles;
  const material = numberArray(pp.material, 'material', where);
  const bad = material.findIndex((m) => m !== 0 && m !== 1);
  if (bad >= 0) throw new UserError(`${where}: particle ${bad} has material ${material[bad]}, expected 0 (A) or 1 (B)`);
  const particles: Particles = {
    x: Float64Array.from(numberArray(pp.x, 'x', where)),
    y: Float64Array.from(numberArray(pp.y, 'y', where)),
    z: Float64Array.from(numberArray(pp.z, 'z', where)),
    r: Float64Array.from(numberArray(pp.r, 'r', where)),
    material: Uint8Array.from(material),
  };
  try {
    checkParticles(particles, where);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
  return { id: rec.id === undefined ? '' : String(rec.id), particles };
}

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
  const lines = createInterface({ input: createReadStream(input), crlfDelay: Infinity });
  let lineNo = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === '') continue;
    const where = `${input} line ${lineNo}`;
    const { id, particles } = parseRecord(line, where);
    const d = describeAggregate(particles, { rng: randomStream(seed, 'describe', rows.length), projections, hullPointsPerSphere: hullPoints });
    const row: Record<string, string | number> = { id };
    for (const k of DESCRIPTOR_NAMES) row[k] = d[k];
    rows.push(row);
    bar.update(lineNo);
  }
  if (rows.length === 0) throw new UserError(`aggstem describe: ${input} contains no aggregates (expected one JSON object per line)`);
  const csv = aq.from(rows).toCSV();
  writeFileAtomic(out, csv.endsWith('\n') ? csv : csv + '\n');
  bar.finish(`→ ${out}`);
  return 0;
}

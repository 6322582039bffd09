/**
 * `aggstem bench <name> [--json]`: runs one benchmark of `bench/` (the same modules `npm run bench`
 * runs) and prints its figures; `--json` prints the JSON record only.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseCommandArgs } from '../args.js';
import { UserError } from '../errors.js';

const NAMES = ['generate', 'describe', 'simulate', 'io', 'dataset', 'train', 'predict'];

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('bench', argv, { json: { type: 'boolean' } }, true);
  const name = positionals[0];
  if (!name || positionals.length > 1) throw new UserError(`aggstem bench: name one benchmark: ${NAMES.join(', ')}`);
  if (!NAMES.includes(name)) throw new UserError(`aggstem bench: unknown benchmark "${name}"; expected one of ${NAMES.join(', ')}`);
  // src/cli/commands → bench/ (sources) and dist/src/cli/commands → dist/bench/ (compiled).
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  const url = new URL(`../../../bench/${name}.bench.${ext}`, import.meta.url);
  if (!existsSync(fileURLToPath(url))) throw new UserError(`aggstem bench: benchmark "${name}" is not available in this installation`);
  const mod = (await import(url.href)) as { run(): Promise<object> };
  const t0 = Date.now();
  const result = await mod.run();
  const record = { name, date: new Date().toISOString(), wallSeconds: (Date.now() - t0) / 1000, result };
  console.log(values.json ? JSON.stringify(record) : JSON.stringify(record, null, 2));
  return 0;
}

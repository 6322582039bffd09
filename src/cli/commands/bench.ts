/**
 * `aggstem bench <name> [--json]`: runs one benchmark of `bench/` (the same modules `npm run bench`
 * runs) and prints its figures; `--json` prints the JSON record only.
 */
import { existsSync, readdirSync } from 'node:fs';
import { parseCommandArgs } from '../args.js';
import { UserError } from '../errors.js';

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs('bench', argv, { json: { type: 'boolean' } }, true);
  // src/cli/commands → bench/ (sources) and dist/src/cli/commands → dist/bench/ (compiled).
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  const dir = new URL('../../../bench/', import.meta.url);
  const names = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith(`.bench.${ext}`)).map((f) => f.slice(0, -`.bench.${ext}`.length)).sort() : [];
  const name = positionals[0];
  if (!name || positionals.length > 1) throw new UserError(`aggstem bench: name one benchmark: ${names.join(', ')}`);
  if (!names.includes(name)) throw new UserError(`aggstem bench: unknown benchmark "${name}"; expected one of ${names.join(', ') || '(none installed)'}`);
  const url = new URL(`${name}.bench.${ext}`, dir);
  const mod = (await import(url.href)) as { run(): Promise<object> };
  const t0 = Date.now();
  const result = await mod.run();
  const record = { name, date: new Date().toISOString(), wallSeconds: (Date.now() - t0) / 1000, result };
  console.log(values.json ? JSON.stringify(record) : JSON.stringify(record, null, 2));
  return 0;
}

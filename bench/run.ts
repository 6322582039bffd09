/**
 * `npm run bench [name ...]`: runs the benchmarks in bench/*.bench.ts (all, or those named) and
 * writes each one's result as JSON to bench/results/<name>.json.
 *
 * A benchmark module exports `run(): Promise<object>` returning plain JSON-able figures.
 */
import { readdirSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { writeFileAtomic } from '../src/io/atomic.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const wanted = process.argv.slice(2);
const names = readdirSync(here)
  .filter((f) => /\.bench\.(ts|js)$/.test(f))
  .map((f) => f.replace(/\.bench\.(ts|js)$/, ''))
  .filter((n) => wanted.length === 0 || wanted.includes(n))
  .sort();
if (names.length === 0) {
  console.error(`no benchmark matches ${wanted.join(' ')}`);
  process.exit(1);
}
mkdirSync(join(here, 'results'), { recursive: true });
const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
for (const name of names) {
  console.error(`bench ${name} ...`);
  const mod = (await import(new URL(`./${name}.bench.${ext}`, import.meta.url).href)) as { run(): Promise<object> };
  const t0 = Date.now();
  const result = await mod.run();
  const record = {
    name,
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGB: +(os.totalmem() / 2 ** 30).toFixed(1), node: process.version },
    wallSeconds: (Date.now() - t0) / 1000,
    result,
  };
  writeFileAtomic(join(here, 'results', `${name}.json`), JSON.stringify(record, null, 2) + '\n');
  console.log(JSON.stringify(record, null, 2));
}

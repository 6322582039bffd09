#!/usr/bin/env node
/**
 * The `aggstem` command line. Each sub-command lives in `src/cli/commands/<name>.ts` and exports
 * `run(argv): Promise<number>` (the exit status). This file only dispatches.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { HelpRequest } from './args.js';
import { UserError } from './errors.js';

interface CommandEntry {
  summary: string;
  usage: string;
}

/** Every sub-command, in the order of the data flow. */
export const COMMANDS: Record<string, CommandEntry> = {
  generate: { summary: 'draw aggregates from the 3D model', usage: 'aggstem generate --params <file|preset> --count N --seed S --out aggregates.jsonl' },
  describe: { summary: 'structural descriptors of aggregates', usage: 'aggstem describe aggregates.jsonl --out descriptors.csv [--projections K] [--hull-points M] [--seed S] [--quiet]' },
  simulate: { summary: 'HAADF-STEM images of aggregates', usage: 'aggstem simulate aggregates.jsonl --microscope <file|preset> --seed S --out DIR' },
  dataset: { summary: 'training dataset (parallel, resumable, shardable)', usage: 'aggstem dataset --preset quick|paper|dfsp [--count N] [--seed S] [--shard i/n] [--workers k] --out DIR' },
  train: { summary: 'train the CNN estimator', usage: 'aggstem train --data DIR --out MODEL [--epochs E] [--backend auto|tensorflow|wasm|cpu]' },
  predict: { summary: 'predict model parameters from images', usage: 'aggstem predict --model MODEL FILE... [--json]' },
  evaluate: { summary: 'error analysis on a test dataset', usage: 'aggstem evaluate --model MODEL --data DIR --out REPORT' },
  edx: { summary: 'statistics of STEM-EDX element maps, optionally against the model', usage: 'aggstem edx MAP... [--a red --b green] [--pixel-size NM] [--compare dfsp] [--json]' },
  inspect: { summary: 'read a microscope image file and print its facts', usage: 'aggstem inspect FILE [--json]' },
  bench: { summary: 'benchmarks', usage: 'aggstem bench generate|descriptors|simulate|io|dataset|train|estimator [--json]' },
  pipeline: { summary: 'dataset → training → evaluation → report', usage: 'aggstem pipeline --preset quick|paper|dfsp --out DIR' },
};

function version(): string {
  // src/cli (tsx) and dist/src/cli (compiled) sit at different depths: walk up to package.json.
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

function help(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    'aggstem: characterise 3D hetero-aggregates from 2D HAADF-STEM images',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([k, v]) => `  ${k.padEnd(w)}  ${v.summary}`),
    '',
    'Run `aggstem <command> --help` for its options.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(help());
    return 0;
  }
  if (cmd === '--version' || cmd === '-v') {
    console.log(version());
    return 0;
  }
  const entry = COMMANDS[cmd];
  if (!entry) throw new UserError(`unknown command "${cmd}"; expected one of: ${Object.keys(COMMANDS).join(', ')}`);
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  let mod: { run(argv: string[]): Promise<number> };
  try {
    mod = await import(new URL(`./commands/${cmd}${ext}`, import.meta.url).href);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes(`commands/${cmd}`)) {
      throw new UserError(`aggstem ${cmd} is not available in this version`);
    }
    throw e;
  }
  try {
    return await mod.run(rest);
  } catch (e) {
    if (e instanceof HelpRequest) {
      console.log(`usage: ${entry.usage}\n\n${entry.summary}\n\nflags:\n${e.flagLines().join('\n')}`);
      return 0;
    }
    // The one place input errors of every stage are mapped: named after the command, exit 2.
    if (e instanceof UserError && !e.message.startsWith('aggstem ')) e.message = `aggstem ${cmd}: ${e.message}`;
    throw e;
  }
}

const isEntry = process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (isEntry) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      if (e instanceof UserError) {
        console.error(`error: ${e.message}`);
        process.exit(2);
      }
      console.error(e);
      process.exit(1);
    },
  );
}

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserError } from './errors.js';

/** parseArgs option specs. */
export type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses `argv` for one sub-command with node:util's parseArgs, turning its errors into
 * {@link UserError}s that name the command.
 */
export function parseCommandArgs(
  command: string,
  argv: string[],
  options: Options,
  allowPositionals = false,
): { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] } {
  if (argv.includes('--help') || argv.includes('-h')) throw new HelpRequest(command, options, allowPositionals);
  // `--count -5`: parseArgs reads "-5" as an option and calls the flag "ambiguous"; a value that looks
  // like a negative number is the flag's value, so the command's own range check can name the problem.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]!.startsWith('--') ? argv[i]!.slice(2) : '';
    const next = argv[i + 1];
    if (name && options[name]?.type === 'string' && next !== undefined && /^-(\d|\.\d|Infinity)/.test(next)) {
      args.push(`--${name}=${next}`);
      i++;
    } else args.push(argv[i]!);
  }
  try {
    return parseArgs({ args, options, allowPositionals, strict: true }) as never;
  } catch (e) {
    throw new UserError(`aggstem ${command}: ${(e as Error).message}`);
  }
}

/** A required string flag; throws a UserError naming the flag when it is missing. */
export function requireFlag(command: string, name: string, value: string | undefined): string {
  if (value === undefined || value === '') throw new UserError(`aggstem ${command}: --${name} is required`);
  return value;
}

/** Parses an integer flag, with a clear error for junk or values below `min`. */
export function intFlag(command: string, name: string, value: string | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new UserError(`aggstem ${command}: --${name} must be an integer >= ${min}, got "${value}"`);
  }
  return n;
}

/** Parses a number flag, with a clear error for junk. */
export function numberFlag(command: string, name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new UserError(`aggstem ${command}: --${name} must be a number, got "${value}"`);
  return n;
}

/**
 * `aggstem <command> --help`: carries every flag of the command's own option table, so the help
 * can never omit one (main.ts prints it and exits 0).
 */
export class HelpRequest extends Error {
  constructor(readonly command: string, readonly options: Options, readonly positionals: boolean) {
    super(`help for ${command}`);
  }

  /** The flags, one per line: `--name VALUE` for value flags, `--name` for switches. */
  flagLines(): string[] {
    return Object.entries(this.options)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, o]) => `  --${name}${o.type === 'string' ? ' VALUE' : ''}${o.short ? `, -${o.short}` : ''}`);
  }
}

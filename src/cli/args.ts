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
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true }) as never;
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

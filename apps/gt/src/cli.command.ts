import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { CliContext } from './cli.context';
import { UsageError } from './cli.errors';

/** One `gt` command: how it is written, what it does, and how it runs (returning its exit code). */
export interface CliCommand {
  /** The words that select it, e.g. `convoy status`. */
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
  run(ctx: CliContext, argv: string[]): Promise<number | void>;
}

const COMMON = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/**
 * node:util parseArgs in strict mode, with --json and --help known to every command, and its
 * errors turned into usage errors that show the command's usage line.
 */
export function parseCommandArgs<const O extends NonNullable<ParseArgsConfig['options']>>(
  command: Pick<CliCommand, 'usage'>,
  argv: string[],
  options: O,
  positionals: { min: number; max: number; names: string },
) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...COMMON, ...options }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message.replace(/\. To specify a positional argument.*$/s, '')}\nusage: ${command.usage}`);
  }
  const count = parsed.positionals.length;
  if (count < positionals.min) throw new UsageError(`missing ${positionals.names}\nusage: ${command.usage}`);
  if (count > positionals.max) {
    throw new UsageError(`unexpected argument "${parsed.positionals[positionals.max]}"\nusage: ${command.usage}`);
  }
  return parsed;
}

/** A whole number in [min, max] from a flag, or a usage error naming the flag. */
export function integerFlag(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(number) || number < min || number > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, not "${value}"`);
  }
  return number;
}

/** One of a few words from a flag, case-insensitive, `-` or `_`; a usage error lists the words. */
export function choiceFlag<const C extends string>(name: string, value: string | undefined, choices: readonly C[]): C | undefined {
  if (value === undefined) return undefined;
  const normalised = value.trim().toUpperCase().replace(/-/g, '_');
  const match = choices.find((c) => c === normalised);
  if (!match) throw new UsageError(`--${name} must be one of ${choices.map((c) => c.toLowerCase()).join(', ')}, not "${value}"`);
  return match;
}

import { parseArgs } from 'node:util';
import { UsageError } from '../errors.ts';

export type OptionSpec = Record<
  string,
  { type: 'string' | 'boolean'; short?: string; default?: string | boolean; multiple?: boolean }
>;

type OptionValue<O> = O extends { type: 'boolean' }
  ? boolean
  : O extends { multiple: true }
    ? string[]
    : string;

/** Options every command accepts. */
export const COMMON_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  verbose: { type: 'boolean' },
  json: { type: 'boolean' },
} as const satisfies OptionSpec;

/** util.parseArgs with its errors turned into UsageError that point at the command's help. */
export function parseCommandArgs<T extends OptionSpec>(
  command: string,
  argv: readonly string[],
  options: T,
): { values: { [K in keyof T]?: OptionValue<T[K]> } } {
  const invocation = command ? `decode-harness ${command}` : 'decode-harness';
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options,
      strict: true,
      allowPositionals: true,
    });
    if (positionals.length > 0) {
      throw new UsageError(
        `unexpected argument ${JSON.stringify(positionals[0])} for \`${invocation}\`; ` +
          `options take the form --name value (see \`${invocation} --help\`)`,
      );
    }
    return { values: values as never };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(`${message}; see \`${invocation} --help\``);
  }
}

/** A whole number option in [min, max], or the default when absent. */
export function intOption(
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} ${JSON.stringify(raw)} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

export function requireOption(command: string, name: string, value: string | undefined): string {
  if (value === undefined || value.length === 0) {
    throw new UsageError(
      `\`decode-harness ${command}\` needs --${name}; see \`decode-harness ${command} --help\``,
    );
  }
  return value;
}

import { parseArgs } from 'node:util';
import { UsageError } from '../../core/errors.ts';
import { parseDecimal } from '../../core/parse-decimal.ts';

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

/** A value that starts with `-` but is a number (`--seed -1`), which parseArgs would take for a flag. */
const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

/**
 * util.parseArgs, stricter: an unknown flag is refused with the nearest known one, a flag given
 * twice is refused (rather than the last silently winning), a negative number is a value, and
 * every error points at the command's help.
 */
export function parseCommandArgs<T extends OptionSpec>(
  command: string,
  argv: readonly string[],
  options: T,
  /** Commands that take operands (e.g. two report files); others refuse any. */
  takesOperands = false,
): { values: { [K in keyof T]?: OptionValue<T[K]> }; positionals: string[] } {
  const invocation = command ? `decode-harness ${command}` : 'decode-harness';
  const help = `see \`${invocation} --help\``;
  const args = joinNegativeValues(argv, options);
  for (const [i, arg] of args.entries()) {
    const name = /^--([^=]+)/.exec(arg)?.[1];
    const next = args[i + 1];
    if (
      name !== undefined &&
      options[name]?.type === 'string' &&
      !arg.includes('=') &&
      (next === undefined || next.startsWith('--'))
    ) {
      throw new UsageError(
        `--${name} needs a value, e.g. --${name} VALUE (a value that starts with -- goes as --${name}=VALUE; ${help})`,
      );
    }
    if (name !== undefined && !(name in options)) {
      const near = nearest(name, Object.keys(options));
      throw new UsageError(
        `unknown option --${name} for \`${invocation}\`${near ? `; did you mean --${near}?` : ''} (${help})`,
      );
    }
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true, tokens: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(`${message}; ${help}`);
  }
  if (!takesOperands && parsed.positionals.length > 0) {
    throw new UsageError(
      `unexpected argument ${JSON.stringify(parsed.positionals[0])} for \`${invocation}\`; ` +
        `options take the form --name value (${help})`,
    );
  }
  const seen = new Map<string, string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option' || options[token.name]?.multiple) continue;
    const given = token.value ?? '(set)';
    const before = seen.get(token.name);
    if (before !== undefined) {
      throw new UsageError(`--${token.name} is given twice (${before} and ${given}); give it once (${help})`);
    }
    seen.set(token.name, given);
  }
  return { values: parsed.values as never, positionals: parsed.positionals };
}

/** `--flag -1` → `--flag=-1` for string options, so negative numbers reach the number parser. */
function joinNegativeValues(argv: readonly string[], options: OptionSpec): string[] {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const name = /^--([^=]+)$/.exec(arg)?.[1];
    if (
      name !== undefined &&
      options[name]?.type === 'string' &&
      next !== undefined &&
      NEGATIVE_NUMBER.test(next)
    ) {
      args.push(`${arg}=${next}`);
      i++;
    } else args.push(arg);
  }
  return args;
}

/** The known name within edit distance 2 (or sharing a prefix of 4+) of an unknown one. */
function nearest(name: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (best === undefined || distance < best.distance) best = { name: candidate, distance };
  }
  if (best && best.distance <= 2) return best.name;
  return known.find((k) => name.length >= 4 && (k.startsWith(name) || name.startsWith(k)));
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}

/** A whole number option in [min, max], or the default when absent. */
export function intOption(
  name: string,
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
  why?: string,
): number {
  if (raw === undefined) return fallback;
  return parseDecimal(`--${name}`, raw, { integer: true, min, max, ...(why ? { why } : {}) });
}

export function requireOption(command: string, name: string, value: string | undefined): string {
  if (value === undefined || value.length === 0) {
    throw new UsageError(
      `\`decode-harness ${command}\` needs --${name}; see \`decode-harness ${command} --help\``,
    );
  }
  return value;
}

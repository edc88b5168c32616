import { UsageError } from '../../core/errors.ts';
import { parseDecimal } from '../../core/parse-decimal.ts';

/**
 * A comma-separated list of whole numbers (`--depth 0,512,2048`), each in [min, max], none twice
 * and none empty; `fallback` when the option is absent. A refusal names the flag, the entry and
 * the fix.
 */
export function intListOption(
  name: string,
  raw: string | undefined,
  fallback: readonly number[],
  min: number,
  max: number,
  why?: string,
): number[] {
  if (raw === undefined) return [...fallback];
  const entries = raw.split(',').map((e) => e.trim());
  if (entries.some((e) => e.length === 0)) {
    throw new UsageError(
      `--${name} ${JSON.stringify(raw)} has an empty entry; give comma-separated whole numbers, e.g. --${name} ${fallback.join(',')}`,
    );
  }
  const values = entries.map((e) =>
    parseDecimal(`--${name}`, e, { integer: true, min, max, ...(why ? { why } : {}) }),
  );
  const twice = values.find((x, i) => values.indexOf(x) !== i);
  if (twice !== undefined) {
    throw new UsageError(`--${name} ${raw} lists ${twice} twice; give each value once`);
  }
  return values;
}

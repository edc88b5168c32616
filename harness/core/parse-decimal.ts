import { UsageError } from './errors.ts';

/** Plain decimal notation only: `42`, `-0.5`, `.5`, `1e-3`. Not `0x2a`, `Infinity`, `1_000` or `''`. */
const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

export interface NumberRule {
  /** Whole numbers only. */
  readonly integer?: boolean;
  readonly min: number;
  readonly max: number;
  /** `min` itself is not allowed (e.g. top-p > 0). */
  readonly minExclusive?: boolean;
  /** Why the limits are what they are, when it is not obvious (e.g. memory). */
  readonly why?: string;
  /** A good value, shown as `e.g. --flag 5`. */
  readonly example?: string;
}

function describe(rule: NumberRule): string {
  const kind = rule.integer ? 'a whole number' : 'a number';
  if (rule.min === Number.NEGATIVE_INFINITY && rule.max === Number.POSITIVE_INFINITY) {
    return `${kind} in plain decimal notation (e.g. 0.7 or -2)`;
  }
  const low = rule.minExclusive ? `above ${rule.min}` : `from ${rule.min}`;
  const range =
    rule.max === Number.POSITIVE_INFINITY
      ? `${rule.minExclusive ? '>' : '≥'} ${rule.min}`
      : `${low} to ${rule.max}`;
  return `${kind} ${range}${rule.why ? ` (${rule.why})` : ''}`;
}

/**
 * The one parser of numbers given on the command line: decimal text only, within the rule's
 * range. A refusal names the flag, the value as typed and the allowed range.
 */
export function parseDecimal(label: string, raw: string, rule: NumberRule): number {
  const value = Number(raw);
  const ok =
    DECIMAL.test(raw) &&
    Number.isFinite(value) &&
    (!rule.integer || Number.isSafeInteger(value)) &&
    (rule.minExclusive ? value > rule.min : value >= rule.min) &&
    value <= rule.max;
  if (!ok) {
    const example = rule.example ? `, e.g. ${label} ${rule.example}` : '';
    throw new UsageError(`${label} ${JSON.stringify(raw)} must be ${describe(rule)}${example}`);
  }
  return value;
}

/** Decimal text as a number, range left to the caller (whose message then names the range). */
export function parseDecimalText(label: string, raw: string): number {
  return parseDecimal(label, raw, { min: Number.NEGATIVE_INFINITY, max: Number.POSITIVE_INFINITY });
}

import { UsageError } from '../../core/errors.ts';
import { parseDecimal } from '../../core/parse-decimal.ts';

/**
 * How far given probabilities may sum from 1: two-decimal classroom numbers (0.33 + 0.33 + 0.33)
 * pass, a slip (0.5 + 0.4 + 0.2) does not. Softmax of log p divides by the sum, so they are
 * renormalised either way.
 */
export const PROBABILITY_SUM_TOLERANCE = 0.01;

/** A toy vocabulary with no model: a person's own logits, or probabilities read as logits log p. */
export interface ToyDistribution {
  /** Token names; a token's id is its place in the list. */
  readonly tokens: readonly string[];
  /** What the user gave. */
  readonly given: 'logits' | 'probs';
  /** --logits as given; --probs: log p, so that logit / T is log(p) / T. */
  readonly logits: readonly number[];
  /** --probs only, as given. */
  readonly probs?: readonly number[];
}

const EXAMPLE = {
  logits: '--logits "the=1.1,quick=0.5,brown=0.85"',
  probs: '--probs "a=0.5,b=0.4,c=0.1"',
} as const;

/** `name=value` pairs separated by commas; names are trimmed and must be unique. */
function parsePairs(flag: 'logits' | 'probs', text: string): { tokens: string[]; values: number[] } {
  const fix = `write NAME=VALUE pairs separated by commas, e.g. ${EXAMPLE[flag]}`;
  if (text.trim() === '') throw new UsageError(`--${flag} ${JSON.stringify(text)} lists no tokens; ${fix}`);
  const tokens: string[] = [];
  const values: number[] = [];
  for (const entry of text.split(',')) {
    const at = entry.indexOf('=');
    if (at === -1) {
      throw new UsageError(`--${flag} entry ${JSON.stringify(entry)} has no "="; ${fix}`);
    }
    const name = entry.slice(0, at).trim();
    if (name === '') throw new UsageError(`--${flag} entry ${JSON.stringify(entry)} names no token; ${fix}`);
    if (tokens.includes(name)) {
      throw new UsageError(`--${flag} lists token ${JSON.stringify(name)} twice; give each token once`);
    }
    const label = `--${flag} value for ${JSON.stringify(name)}`;
    const raw = entry.slice(at + 1).trim();
    values.push(
      flag === 'logits'
        ? parseDecimal(label, raw, { min: Number.NEGATIVE_INFINITY, max: Number.POSITIVE_INFINITY })
        : parseDecimal(label, raw, {
            min: 0,
            max: 1,
            minExclusive: true,
            why: 'a probability; a token that can never be drawn is left out',
          }),
    );
    tokens.push(name);
  }
  return { tokens, values };
}

/** The toy distribution `trace --logits` or `--probs` gives. */
export function parseToyDistribution(flag: 'logits' | 'probs', text: string): ToyDistribution {
  const { tokens, values } = parsePairs(flag, text);
  if (flag === 'logits') return { tokens, given: 'logits', logits: values };
  const sum = values.reduce((a, b) => a + b, 0);
  // The slack keeps the bound inclusive where the sum itself rounds (0.33 × 3 = 0.9900000000000001).
  if (Math.abs(sum - 1) > PROBABILITY_SUM_TOLERANCE + 1e-12) {
    throw new UsageError(
      `--probs ${JSON.stringify(text)} sums to ${Number(sum.toFixed(6))}; probabilities must sum to 1 ` +
        `(within ${PROBABILITY_SUM_TOLERANCE}), so fix the values or give --logits instead`,
    );
  }
  return { tokens, given: 'probs', logits: values.map(Math.log), probs: values };
}

import { UsageError } from '../errors.ts';

/** seedrandom 3.0.5's generators, by the names its own package uses ('arc4' is its default export). */
export const seedrandomAlgorithms = [
  'alea',
  'arc4',
  'tychei',
  'xor128',
  'xor4096',
  'xorshift7',
  'xorwow',
] as const;
export type SeedrandomAlgorithm = (typeof seedrandomAlgorithms)[number];

/** 'mt19937' is CPython's `random` (and transformers.js's), for the transformers.js-compatible mode. */
export type RngAlgorithm = SeedrandomAlgorithm | 'mt19937';

/**
 * A seeded stream of uniform doubles: the only randomness a decode strategy ever sees.
 * One stream per decode call, created from (algorithm, seed); never shared, never global.
 */
export interface Rng {
  readonly algorithm: RngAlgorithm;
  readonly seed: number;
  /** The next uniform double in [0, 1) with 53 random bits. */
  next(): number;
}

/**
 * A seed is required (no entropy default, so every run can be repeated) and is a whole number that
 * both seedrandom (as its decimal string) and Python's `random.seed(n)` read the same way.
 */
export function checkSeed(seed: unknown): number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    const shown = typeof seed === 'string' ? JSON.stringify(seed) : String(seed);
    throw new UsageError(
      `--seed ${shown} must be a whole number in [0, 2^53 - 1]; pass e.g. --seed 42 ` +
        '(there is no entropy default, so a sampled run can always be repeated)',
    );
  }
  return seed;
}

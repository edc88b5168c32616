import seedrandom from 'seedrandom';
import { UsageError } from '../errors.ts';
import { createMt19937 } from './mt19937.ts';
import { checkSeed, type Rng, type RngAlgorithm, seedrandomAlgorithms } from './rng.ts';

/**
 * The default generator: Johannes Baagøe's Alea (seedrandom's lib/alea.js), a multiply-with-carry
 * generator with ~2^116 period that seedrandom reports passing all of BigCrush, and the fastest of its
 * generators. Its arithmetic is plain IEEE-754 double math, so every JS engine gives the same stream.
 */
export const defaultRngAlgorithm: RngAlgorithm = 'alea';

export const rngAlgorithms: readonly RngAlgorithm[] = [...seedrandomAlgorithms, 'mt19937'];

export function isRngAlgorithm(name: string): name is RngAlgorithm {
  return (rngAlgorithms as readonly string[]).includes(name);
}

function seedrandomPrng(algorithm: RngAlgorithm, seedText: string): seedrandom.PRNG {
  // Local generators only: calling seedrandom() without `new` on Math would patch Math.random.
  switch (algorithm) {
    case 'arc4':
      return seedrandom(seedText);
    case 'alea':
      return seedrandom.alea(seedText);
    case 'tychei':
      return seedrandom.tychei(seedText);
    case 'xor128':
      return seedrandom.xor128(seedText);
    case 'xor4096':
      return seedrandom.xor4096(seedText);
    case 'xorshift7':
      return seedrandom.xorshift7(seedText);
    case 'xorwow':
      return seedrandom.xorwow(seedText);
    case 'mt19937':
      throw new Error('mt19937 is not a seedrandom algorithm');
  }
}

/**
 * A fresh seeded stream. seedrandom generators get the seed as its decimal string ('42') and are read
 * with `.double()`, which has 53 random bits for every algorithm (their plain call gives only 32 for
 * the xor* family and tychei). 'mt19937' is CPython's `random` (see mt19937.ts).
 */
export function createRng(options: { readonly algorithm?: string; readonly seed: unknown }): Rng {
  const algorithm = options.algorithm ?? defaultRngAlgorithm;
  if (!isRngAlgorithm(algorithm)) {
    throw new UsageError(
      `rng algorithm ${JSON.stringify(algorithm)} is unknown; use one of ${rngAlgorithms.join(', ')} ` +
        `(default ${defaultRngAlgorithm})`,
    );
  }
  const seed = checkSeed(options.seed);
  if (algorithm === 'mt19937') return createMt19937(seed);
  const prng = seedrandomPrng(algorithm, String(seed));
  return { algorithm, seed, next: () => prng.double() };
}

import { random as transformersRandom } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../harness/core/errors.ts';
import { createMt19937 } from '../../harness/core/rng/mt19937.ts';
import { createRng } from '../../harness/core/rng/seeded-rng.ts';

/**
 * Recorded with CPython 3.11.7: `random.seed(s); [random.random() for _ in range(1000)]`, keeping the
 * first three and the 1000th (past the first 624-word twist). 2^32 + 5 and 2^53 - 1 seed with two
 * 32-bit key words.
 */
const cpython: readonly (readonly [seed: number, first3: readonly number[], thousandth: number])[] = [
  [0, [0.8444218515250481, 0.7579544029403025, 0.420571580830845], 0.4804125346981437],
  [1, [0.13436424411240122, 0.8474337369372327, 0.763774618976614], 0.7062615472551386],
  [42, [0.6394267984578837, 0.025010755222666936, 0.27502931836911926], 0.8554501933059546],
  [2 ** 32 + 5, [0.15727238718789782, 0.2824866316461999, 0.6044540318498407], 0.856922936443943],
  [2 ** 53 - 1, [0.09425040007102303, 0.22287455761867403, 0.19135148760372034], 0.8922787796807302],
  [123456789, [0.6414006161858726, 0.5421892680969495, 0.9931750662832721], 0.20451464618236992],
];

describe('MT19937 (Python random)', () => {
  it.each(cpython)('seed %s matches CPython random.random()', (seed, first3, thousandth) => {
    const rng = createMt19937(seed);
    const draws = Array.from({ length: 1000 }, () => rng.next());
    expect(draws.slice(0, 3)).toEqual(first3);
    expect(draws[999]).toBe(thousandth);
  });

  it("is createRng's 'mt19937' algorithm", () => {
    const rng = createRng({ algorithm: 'mt19937', seed: 42 });
    expect(rng.algorithm).toBe('mt19937');
    expect(rng.next()).toBe(0.6394267984578837);
  });

  it("equals transformers.js's own Random for the same seed", () => {
    for (const seed of [0, 1, 42, 2 ** 31 + 3, 2 ** 32 + 5, 987654321]) {
      const ours = createMt19937(seed);
      const theirs = new transformersRandom.Random(seed);
      const a = Array.from({ length: 1500 }, () => ours.next());
      const b = Array.from({ length: 1500 }, () => theirs.random());
      expect(a).toEqual(b);
    }
  });

  it('requires a whole-number seed', () => {
    expect(() => createMt19937(-3)).toThrow(UsageError);
    expect(() => createMt19937(0.5)).toThrow(/--seed 0\.5 must be a whole number/);
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../harness/core/errors.ts';
import { seedrandomAlgorithms } from '../../harness/core/rng/rng.ts';
import { createRng, defaultRngAlgorithm } from '../../harness/core/rng/seeded-rng.ts';

interface VectorFile {
  schema: string;
  vectors: Record<string, Record<string, number[]>>;
}
const fixture: VectorFile = JSON.parse(
  readFileSync(new URL('../../fixtures/rng/seedrandom-vectors.json', import.meta.url), 'utf8'),
);

describe('createRng (seedrandom)', () => {
  it('the published vectors cover every seedrandom algorithm for seeds 0 and 42', () => {
    expect(fixture.schema).toBe('decode-harness/rng-vectors@1');
    expect(Object.keys(fixture.vectors).sort()).toEqual([...seedrandomAlgorithms].sort());
    for (const bySeed of Object.values(fixture.vectors))
      expect(Object.keys(bySeed).sort()).toEqual(['0', '42']);
  });

  it.each(seedrandomAlgorithms)('%s reproduces its published vectors exactly', (algorithm) => {
    for (const [seed, expected] of Object.entries(fixture.vectors[algorithm]!)) {
      const rng = createRng({ algorithm, seed: Number(seed) });
      expect(rng.algorithm).toBe(algorithm);
      expect(rng.seed).toBe(Number(seed));
      expect(expected.map(() => rng.next())).toEqual(expected);
    }
  });

  it('defaults to alea', () => {
    expect(defaultRngAlgorithm).toBe('alea');
    const rng = createRng({ seed: 42 });
    expect(rng.algorithm).toBe('alea');
    expect(rng.next()).toBe(fixture.vectors.alea!['42']![0]);
  });

  it('streams are independent and repeatable: no global state, Math.random untouched', () => {
    const mathRandom = Math.random;
    const a = createRng({ algorithm: 'arc4', seed: 7 });
    const b = createRng({ algorithm: 'arc4', seed: 7 });
    const c = createRng({ algorithm: 'arc4', seed: 8 });
    const fromA = [a.next(), a.next(), a.next()];
    c.next();
    expect([b.next(), b.next(), b.next()]).toEqual(fromA);
    expect(c.next()).not.toBe(fromA[1]);
    expect(Math.random).toBe(mathRandom);
  });

  it('every draw is in [0, 1) with 53 bits (not 32)', () => {
    for (const algorithm of seedrandomAlgorithms) {
      const rng = createRng({ algorithm, seed: 1 });
      let sawLowBits = false;
      for (let i = 0; i < 1000; i++) {
        const u = rng.next();
        expect(u >= 0 && u < 1).toBe(true);
        if ((u * 2 ** 32) % 1 !== 0) sawLowBits = true;
      }
      expect(sawLowBits).toBe(true);
    }
  });

  it.each([undefined, Number.NaN, -1, 1.5, '42', 2 ** 53, null])(
    'rejects seed %s naming it and the fix',
    (seed) => {
      expect(() => createRng({ seed })).toThrow(UsageError);
      expect(() => createRng({ seed })).toThrow(
        /--seed .* must be a whole number in \[0, 2\^53 - 1\]; pass e\.g\. --seed 42/,
      );
    },
  );

  it('names the bad seed value', () => {
    expect(() => createRng({ seed: -1 })).toThrow(/--seed -1 /);
    expect(() => createRng({ seed: '42' })).toThrow(/--seed "42" /);
  });

  it('rejects an unknown algorithm and lists the known ones', () => {
    expect(() => createRng({ algorithm: 'mersenne', seed: 1 })).toThrow(UsageError);
    expect(() => createRng({ algorithm: 'mersenne', seed: 1 })).toThrow(
      /rng algorithm "mersenne" is unknown; use one of alea, arc4, tychei, xor128, xor4096, xorshift7, xorwow, mt19937/,
    );
  });
});

import { describe, expect, it } from 'vitest';
import { streamSeed, Xoshiro128ss } from '../../harness/engine/model-gen/int-prng.ts';

const draw = (rng: Xoshiro128ss, n: number) => Array.from({ length: n }, () => rng.nextUint32());

describe('Xoshiro128ss', () => {
  // Published test vectors. Cross-checked against the reference C code of xoshiro128** 1.1
  // (prng.di.unimi.it) with the state filled by four splitmix32 outputs from the seed.
  it.each([
    [0, [1789933344, 44971166, 2521387044, 3848737593, 1138324114, 749234105]],
    [42, [660444221, 3652823732, 77672526, 910233633, 2297337756, 3786072677]],
    [0xffff_ffff, [4104197751, 1825856343, 1152209388, 2427537429, 3685145430, 609215610]],
  ])('seed %i gives the published uint32 stream', (seed, expected) => {
    expect(draw(new Xoshiro128ss(seed), 6)).toEqual(expected);
  });

  it('is deterministic and seed-sensitive', () => {
    expect(draw(new Xoshiro128ss(7), 1000)).toEqual(draw(new Xoshiro128ss(7), 1000));
    expect(draw(new Xoshiro128ss(7), 4)).not.toEqual(draw(new Xoshiro128ss(8), 4));
  });

  it.each([-1, 1.5, 2 ** 32, Number.NaN])('rejects seed %d', (seed) => {
    expect(() => new Xoshiro128ss(seed)).toThrow(/PRNG seed must be an integer in \[0, 2\^32\)/);
  });
});

describe('nextNormalish', () => {
  it('gives the published values: exact multiples of 2^-16', () => {
    const rng = new Xoshiro128ss(42);
    const values = Array.from({ length: 4 }, () => rng.nextNormalish());
    expect(values).toEqual([-24585, 39149, 123971, -72123].map((k) => k * 2 ** -16));
    for (const v of values) expect(Math.fround(v)).toBe(v);
  });

  it('has mean 0 and variance 1 and stays within ±6', () => {
    const rng = new Xoshiro128ss(1);
    const n = 100_000;
    let sum = 0;
    let sumSquares = 0;
    let maxAbs = 0;
    for (let i = 0; i < n; i++) {
      const x = rng.nextNormalish();
      sum += x;
      sumSquares += x * x;
      maxAbs = Math.max(maxAbs, Math.abs(x));
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.02);
    expect(Math.abs(sumSquares / n - 1)).toBeLessThan(0.02);
    expect(maxAbs).toBeLessThanOrEqual(6);
  });
});

describe('streamSeed', () => {
  it('is FNV-1a over UTF-8 with the seed mixed into the offset basis', () => {
    expect(streamSeed(0, '')).toBe(0x811c9dc5);
    expect(streamSeed(0, 'a')).toBe(0xe40c292c); // the standard FNV-1a test vector
    expect(streamSeed(42, 'wte.weight')).toBe(3312147);
    expect(streamSeed(42, 'h.0.attn.c_attn.weight')).toBe(1303776415);
  });

  it('separates names and seeds', () => {
    expect(streamSeed(42, 'wte.weight')).not.toBe(streamSeed(42, 'wpe.weight'));
    expect(streamSeed(42, 'wte.weight')).not.toBe(streamSeed(43, 'wte.weight'));
  });
});

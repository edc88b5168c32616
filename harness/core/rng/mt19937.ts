import { checkSeed, type Rng } from './rng.ts';

/**
 * MT19937 (Matsumoto & Nishimura 1998, "Mersenne Twister: a 623-dimensionally equidistributed uniform
 * pseudo-random number generator") seeded and read exactly like CPython's `random` module:
 * `random.seed(n)` for an int n ≥ 0 is init_by_array over n's 32-bit words (least significant first,
 * [0] for n = 0), and `random.random()` is genrand_res53 (27 + 26 bits of two outputs).
 * transformers.js 4.3.1 ships the same generator (src/utils/random.js, class Random) and samples
 * with its module-global instance, so this stream reproduces `random.seed(n)` there too.
 */

const N = 624; // state words
const M = 397; // twist offset
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

/** init_genrand: the linear-congruential fill every seeding starts from. */
function initGenrand(mt: Uint32Array, s: number): void {
  mt[0] = s >>> 0;
  for (let i = 1; i < N; i++) {
    const prev = mt[i - 1]!;
    mt[i] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + i) >>> 0;
  }
}

/** init_by_array (mt19937ar.c), the seeding CPython uses for `random.seed(int)`. */
function initByArray(mt: Uint32Array, key: readonly number[]): void {
  initGenrand(mt, 19650218);
  let i = 1;
  let j = 0;
  for (let k = Math.max(N, key.length); k > 0; k--) {
    const prev = mt[i - 1]!;
    mt[i] = ((mt[i]! ^ Math.imul(prev ^ (prev >>> 30), 1664525)) + key[j]! + j) >>> 0;
    i++;
    j++;
    if (i >= N) {
      mt[0] = mt[N - 1]!;
      i = 1;
    }
    if (j >= key.length) j = 0;
  }
  for (let k = N - 1; k > 0; k--) {
    const prev = mt[i - 1]!;
    mt[i] = ((mt[i]! ^ Math.imul(prev ^ (prev >>> 30), 1566083941)) - i) >>> 0;
    i++;
    if (i >= N) {
      mt[0] = mt[N - 1]!;
      i = 1;
    }
  }
  mt[0] = 0x80000000; // MSB is 1, assuring a non-zero initial state
}

/** The seed's 32-bit words, least significant first, as CPython's random_seed() splits abs(n). */
function seedWords(seed: number): number[] {
  const words: number[] = [];
  for (let v = seed; v > 0; v = Math.floor(v / 2 ** 32)) words.push(v % 2 ** 32);
  return words.length > 0 ? words : [0];
}

/** A Python-compatible MT19937 stream: `next()` is `random.random()` after `random.seed(seed)`. */
export function createMt19937(seed: number): Rng {
  checkSeed(seed);
  const mt = new Uint32Array(N);
  initByArray(mt, seedWords(seed));
  let index = N;

  const nextUint32 = (): number => {
    if (index >= N) {
      for (let k = 0; k < N; k++) {
        const y = (mt[k]! & UPPER_MASK) | (mt[(k + 1) % N]! & LOWER_MASK);
        mt[k] = (mt[(k + M) % N]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0)) >>> 0;
      }
      index = 0;
    }
    let y = mt[index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  };

  return {
    algorithm: 'mt19937',
    seed,
    // genrand_res53: a * 2^26 + b over 2^53, with a = 27 bits and b = 26 bits.
    next: () => ((nextUint32() >>> 5) * 67108864 + (nextUint32() >>> 6)) / 9007199254740992,
  };
}

/**
 * Integer-only pseudo-random numbers for generating model weights.
 *
 * Why integers: the embedded models are checked against a committed sha256 manifest, so every
 * weight must come out bit-for-bit the same on any machine and Node version. Math.random, libm
 * (log, cos in Box–Muller) and seedrandom's float mixing give no such promise; 32-bit integer ops
 * (Math.imul, shifts, `>>> 0`) and multiplying an exact integer by a power of two do.
 */

/** xoshiro128** 1.1 (Blackman & Vigna, https://prng.di.unimi.it/xoshiro128starstar.c). */
export class Xoshiro128ss {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** `seed` is a uint32; the state is filled from it with splitmix32 (never all zero). */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) {
      throw new RangeError(`PRNG seed must be an integer in [0, 2^32), got ${seed}`);
    }
    const next = splitmix32(seed);
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** Next uint32 in [0, 2^32). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /**
   * Approximately standard normal, from integers only: the sum of 12 uniform uint16 draws
   * (Irwin–Hall, variance 12 · (2^32 − 1)/12 ≈ 2^32) minus its mean, times 2^-16. The result is
   * k · 2^-16 for an integer |k| ≤ 393210, so it is exact in float32 and identical everywhere.
   * Tails stop at ±6, which is fine for weight initialisation.
   */
  nextNormalish(): number {
    let sum = 0;
    for (let i = 0; i < 6; i++) {
      const u = this.nextUint32();
      sum += (u >>> 16) + (u & 0xffff);
    }
    return (sum - IRWIN_HALL_12_MEAN) * 2 ** -16;
  }
}

/** Mean of the sum of 12 uniform draws from [0, 65535]. */
const IRWIN_HALL_12_MEAN = 6 * 65535;

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** splitmix32 (Steele et al.), the usual way to expand one seed word into xoshiro state. */
function splitmix32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x9e3779b9) | 0;
    let t = a ^ (a >>> 16);
    t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = Math.imul(t, 0x735a2d97);
    return (t ^ (t >>> 15)) >>> 0;
  };
}

/**
 * A uint32 seed for one named stream: FNV-1a over the label's UTF-8 bytes, started from `seed`.
 * One stream per tensor keeps each tensor's values independent of generation order and of the
 * other tensors' sizes.
 */
export function streamSeed(seed: number, label: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (const byte of new TextEncoder().encode(label)) {
    h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  }
  return h;
}

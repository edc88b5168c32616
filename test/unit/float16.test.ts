import { describe, expect, it } from 'vitest';
import {
  FLOAT16_MAX,
  float16Bits,
  float16Value,
  fromFloat16Bits,
  roundToFloat16,
  toFloat16Bits,
} from '../../harness/core/model/float16.ts';

describe('binary16 conversion', () => {
  it('encodes exact values to their IEEE 754 bits', () => {
    expect(float16Bits(1)).toBe(0x3c00);
    expect(float16Bits(-2)).toBe(0xc000);
    expect(float16Bits(0.5)).toBe(0x3800);
    expect(float16Bits(65504)).toBe(0x7bff);
    expect(float16Bits(2 ** -14)).toBe(0x0400); // smallest normal
    expect(float16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(float16Bits(-0)).toBe(0x8000);
  });

  it('rounds to nearest, ties to even', () => {
    // Between 1 and 1 + 2^-10 the midpoint 1 + 2^-11 goes to the even mantissa (1).
    expect(float16Bits(1 + 2 ** -11)).toBe(0x3c00);
    // Between 1 + 2^-10 and 1 + 2^-9 the midpoint goes up to the even one (1 + 2^-9).
    expect(float16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(float16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // just above the midpoint
    // Subnormal midpoint: 1.5 · 2^-24 rounds to 2 · 2^-24 (even).
    expect(float16Bits(1.5 * 2 ** -24)).toBe(0x0002);
    expect(float16Bits(0.5 * 2 ** -24)).toBe(0x0000);
  });

  it('saturates finite overflow to ±65504 (the finfo.min mask fill stays finite), keeps infinities and NaN', () => {
    expect(float16Value(float16Bits(-3.4028234663852886e38))).toBe(-FLOAT16_MAX);
    expect(float16Value(float16Bits(65520))).toBe(FLOAT16_MAX); // would round up to Infinity in IEEE
    expect(float16Bits(Number.POSITIVE_INFINITY)).toBe(0x7c00);
    expect(float16Bits(Number.NEGATIVE_INFINITY)).toBe(0xfc00);
    expect(Number.isNaN(float16Value(float16Bits(Number.NaN)))).toBe(true);
  });

  it('decodes every finite half exactly and round-trips it', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const exponent = (bits >>> 10) & 0x1f;
      if (exponent === 0x1f) continue; // Inf and NaN
      const value = float16Value(bits);
      expect(float16Bits(value)).toBe(bits === 0x8000 ? 0x8000 : bits);
    }
  });

  it('converts arrays both ways and rounds float32 weights to representable halves', () => {
    const values = Float32Array.of(0.1, -1234.5678, 3e-6, 70000);
    const bits = toFloat16Bits(values);
    expect(Array.from(fromFloat16Bits(bits))).toEqual(Array.from(roundToFloat16(values)));
    expect(Array.from(roundToFloat16(values))).toEqual([0.0999755859375, -1235, 50 * 2 ** -24, 65504]);
  });
});

import { describe, expect, it } from 'vitest';
import { portableCosSin, portableExp, portableLn } from '../../harness/engine/model-gen/portable-math.ts';

/** Portable results must match Math's to far below float32 rounding (~6e-8 relative). */
describe('portable exp, ln, cos, sin (basic operations only, for generated file bytes)', () => {
  it('agree with Math over the ranges the rotary tables use', () => {
    for (let i = 0; i <= 2000; i++) {
      const angle = i * 1.37; // up to 2740 rad: a 2048-position table's pair-0 angles
      const [cos, sin] = portableCosSin(angle);
      expect(Math.abs(cos - Math.cos(angle))).toBeLessThan(1e-12);
      expect(Math.abs(sin - Math.sin(angle))).toBeLessThan(1e-12);
      const x = i / 50 - 20; // exponents of theta^(-2i/D): −ln(theta) .. 0, and beyond
      expect(Math.abs(portableExp(x) / Math.exp(x) - 1)).toBeLessThan(1e-13);
      const y = 1e-3 + i * 997; // rope_theta from 1e-3 to 2e6
      expect(Math.abs(portableLn(y) - Math.log(y))).toBeLessThan(1e-13);
    }
    expect(portableCosSin(-1)[1]).toBeCloseTo(Math.sin(-1), 14);
  });

  it('are exact where the answer is', () => {
    expect(portableExp(0)).toBe(1);
    expect(portableLn(1)).toBe(0);
    expect(portableCosSin(0)).toEqual([1, 0]);
  });

  it('refuses a logarithm outside (0, ∞), naming the value', () => {
    for (const x of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => portableLn(x)).toThrow(`portableLn needs a finite x > 0, got ${x}`);
    }
  });
});

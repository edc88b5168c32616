/**
 * The two rounding rules the quantizers follow, on values already rounded to float32 (Math.fround)
 * as the reference implementations compute in float32.
 */

/** To nearest, ties to even: numpy's `round` (ORT's python quantize_nparray) and ONNX QuantizeLinear. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x); // ties toward +Infinity
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** To nearest, ties away from zero: C's `roundf`, which MLAS's blockwise quantizer uses. */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

export function clamp(x: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, x));
}

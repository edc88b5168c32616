/**
 * IEEE 754 binary16 conversions, exact and portable (no Float16Array on Node 20). Used to write
 * float16 models, to widen float16 weights and logits, and to round a float32 weight to the value
 * a float16 file holds.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Largest finite binary16 value: what torch.finfo(float16).max is. */
export const FLOAT16_MAX = 65504;

/**
 * float → binary16 bits, round to nearest even. Finite values beyond the range saturate to
 * ±65504 rather than becoming ±Infinity, as HF's finfo(dtype).min mask fill does for float16:
 * a masked-out attention score must stay finite or a fully masked row turns to NaN.
 */
export function float16Bits(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  if (value === Number.POSITIVE_INFINITY) return 0x7c00;
  if (value === Number.NEGATIVE_INFINITY) return 0xfc00;
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7bff; // saturate
  if (e <= 0) {
    if (e < -10) return sign; // underflows to ±0
    mant |= 0x800000; // implicit leading 1
    const shift = 14 - e;
    const half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && (half & 1) === 1) ? 1 : 0));
  }
  const half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  const rounded = half + (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1) ? 1 : 0);
  return sign | Math.min(rounded, 0x7bff); // rounding up out of range also saturates
}

/** binary16 bits → the exact number. */
export function float16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24; // subnormal
  if (exponent === 0x1f) return mantissa === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

export function toFloat16Bits(values: ArrayLike<number>): Uint16Array {
  return Uint16Array.from({ length: values.length }, (_, i) => float16Bits(values[i]!));
}

export function fromFloat16Bits(bits: Uint16Array): Float32Array {
  return Float32Array.from(bits, float16Value);
}

/** Each value rounded to the nearest binary16 (saturating), kept as float32 (exactly representable). */
export function roundToFloat16(values: Float32Array): Float32Array {
  return Float32Array.from(values, (v) => float16Value(float16Bits(v)));
}

/** A float32 or float16 tensor's data as float32: float16 bits (Uint16Array) widen exactly. */
export function float32Data(type: string, data: unknown): Float32Array {
  return type === 'float16' ? fromFloat16Bits(data as Uint16Array) : (data as Float32Array);
}

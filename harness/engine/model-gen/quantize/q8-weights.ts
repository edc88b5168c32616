import { clamp, roundHalfEven } from './rounding.ts';

/**
 * 8-bit weights as onnxruntime's `quantize_dynamic` writes them for MatMulInteger
 * (onnxruntime/python/tools/quantization, quant_utils.py `compute_scale_zp` / `quantize_nparray`):
 * its default `weight_type=QuantType.QInt8` makes the weights int8 and, by onnx_quantizer.py's
 * default `WeightSymmetric` (true for QInt8), symmetric over the narrow range [-127, 127]:
 *   absmax = max(|min(w, 0)|, |max(w, 0)|),  scale = 2·absmax / 254,  zero point 0,
 *   q = clip(round_half_even(w / scale), -127, 127),  dequantized = q · scale.
 * A scale below float32's smallest normal (an all-zero group) becomes 1, as compute_scale_zp does.
 * Per tensor by default (`per_channel=False`); `perChannel` gives one scale per output column n
 * (MatMulInteger's per-column b_zero_point, the Mul broadcasting a [N] scale over the last axis).
 */
export interface Q8Weights {
  /** int8 codes [K, N], the layout of W. */
  readonly quantized: Int8Array;
  /** [1] per tensor or [N] per channel, float32. */
  readonly scales: Float32Array;
  /** Same length as `scales`; all 0 (symmetric int8). */
  readonly zeroPoints: Int8Array;
  /** q · scale in float32 [K, N]: the weight the graph multiplies by. */
  readonly dequantized: Float32Array;
}

export interface Q8Options {
  readonly perChannel?: boolean;
}

const Q_MAX = 127;
const FLOAT32_TINY = 2 ** -126;

/** The symmetric int8 scale of values whose extremes are `min` and `max`. */
export function q8Scale(min: number, max: number): number {
  const absmax = Math.max(Math.abs(Math.min(min, 0)), Math.abs(Math.max(max, 0)));
  const scale = Math.fround(Math.fround(2 * absmax) / (2 * Q_MAX));
  return scale < FLOAT32_TINY ? 1 : scale;
}

export function quantizeQ8(w: Float32Array, k: number, n: number, options: Q8Options = {}): Q8Weights {
  if (w.length !== k * n) throw new Error(`quantizeQ8: ${w.length} weights for [${k}, ${n}]`);
  const groups = options.perChannel ? n : 1;
  const groupOf = (i: number): number => (options.perChannel ? i % n : 0);
  const min = new Float64Array(groups).fill(Number.POSITIVE_INFINITY);
  const max = new Float64Array(groups).fill(Number.NEGATIVE_INFINITY);
  for (let i = 0; i < w.length; i++) {
    const g = groupOf(i);
    min[g] = Math.min(min[g]!, w[i]!);
    max[g] = Math.max(max[g]!, w[i]!);
  }
  const scales = Float32Array.from({ length: groups }, (_, g) => q8Scale(min[g]!, max[g]!));
  const quantized = new Int8Array(w.length);
  const dequantized = new Float32Array(w.length);
  for (let i = 0; i < w.length; i++) {
    const scale = scales[groupOf(i)]!;
    const q = clamp(roundHalfEven(Math.fround(w[i]! / scale)), -Q_MAX, Q_MAX) + 0; // + 0: -0 → 0
    quantized[i] = q;
    dequantized[i] = q * scale;
  }
  return { quantized, scales, zeroPoints: new Int8Array(groups), dequantized };
}

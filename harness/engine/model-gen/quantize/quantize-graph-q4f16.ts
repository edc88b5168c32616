import { onnxToFloat16 } from '../onnx-to-float16.ts';
import { type Q4GraphOptions, quantizeGraphQ4 } from './quantize-graph-q4.ts';

/**
 * q4 weights in a float16 graph: quantizeGraphQ4 on the float32 graph with scales rounded to
 * float16 first (so the codes are chosen against the scale the graph holds), then onnxToFloat16
 * turns every float32 initializer (the scales exactly, the remaining weights rounded), the graph's
 * float I/O (logits, KV cache) and Casts to float16. MatMulNBits's type constraint T1 covers A,
 * scales, bias and Y together (float, float16 or bfloat16), so a float16 A takes float16 scales;
 * B and zero_points stay uint8.
 */
export function quantizeGraphQ4F16(
  modelBytes: Uint8Array,
  options: Omit<Q4GraphOptions, 'scaleType'> = {},
): Uint8Array {
  return onnxToFloat16(quantizeGraphQ4(modelBytes, { ...options, scaleType: 'float16' }));
}

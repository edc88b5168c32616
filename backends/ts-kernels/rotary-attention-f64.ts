import { type AttentionOptions, attention, matmulTransposed, rope } from './kernels-f64.ts';
import type { AttentionWeights } from './llama-weights.ts';
import type { LayerCache } from './token-by-token-f64.ts';

/** The dimensions a rotary attention sublayer reads from a Llama or Gemma-2 config. */
export interface RotaryDims {
  readonly hidden_size: number;
  readonly head_dim: number;
  readonly num_attention_heads: number;
  readonly num_key_value_heads: number;
  readonly rope_theta: number;
}

/**
 * One token's attention sublayer of a Llama-style block, naive float64 (the reference's):
 *   out [C] = o_proj(attention(rope(q_proj(n)), rope(k_proj(n)), v_proj(n)))
 * with `n` [C] the normed input at `position`. The token's key (after RoPE) and value are appended
 * to `cache`, which then holds every position so far, so a cached key never needs its position again.
 * `probs` (optional, [heads, position + 1]) receives the attention probabilities.
 */
export function rotaryAttentionF64(
  out: Float64Array,
  n: Float64Array,
  layer: AttentionWeights<Float64Array>,
  cache: LayerCache,
  position: number,
  dims: RotaryDims,
  options?: AttentionOptions,
  probs?: Float64Array,
): void {
  const { hidden_size: C, head_dim: D, num_attention_heads: H, num_key_value_heads: Hkv } = dims;
  const q = new Float64Array(H * D); // [heads, headDim]
  const k = new Float64Array(Hkv * D); // [kvHeads, headDim], kept by the cache
  const v = new Float64Array(Hkv * D); // [kvHeads, headDim]
  matmulTransposed(q, n, layer.qWeight, layer.qBias, 1, C, H * D);
  matmulTransposed(k, n, layer.kWeight, layer.kBias, 1, C, Hkv * D);
  matmulTransposed(v, n, layer.vWeight, layer.vBias, 1, C, Hkv * D);
  rope(q, position, H, D, dims.rope_theta);
  rope(k, position, Hkv, D, dims.rope_theta);
  cache.keys.push(k);
  cache.values.push(v);
  const heads = new Float64Array(H * D); // [heads, headDim] attention output, heads concatenated
  attention(heads, q, cache.keys, cache.values, H, Hkv, probs, options);
  matmulTransposed(out, heads, layer.oWeight, layer.oBias, 1, H * D, C);
}

import { attention, type RopeTables, rope } from './kernels-f32.ts';
import type { AttentionOptions } from './kernels-f64.ts';
import type { AttentionWeights } from './llama-weights.ts';
import type { MatmulThreads } from './matmul-threads.ts';
import type { RowCacheF32 } from './row-cache-f32.ts';

/** The dimensions the fast Llama-style blocks (Llama, Gemma-2) read from their config. */
export interface RotaryDimsF32 {
  readonly hidden_size: number;
  readonly intermediate_size: number;
  readonly head_dim: number;
  readonly num_attention_heads: number;
  readonly num_key_value_heads: number;
  readonly max_position_embeddings: number;
}

/**
 * A block's attention parameters for the fast kernels: q_proj, k_proj and v_proj stacked into one
 * [W, C] weight (nn.Linear's [out, in] rows, so stacking is concatenation) with W = Q + 2K,
 * Q = heads · headDim, K = kvHeads · headDim.
 */
export interface StackedAttentionF32 {
  readonly qkvWeight: Float32Array; // [W, C], rows q | k | v
  readonly qkvBias: Float32Array | null; // [W]
  readonly oWeight: Float32Array; // [C, Q]
  readonly oBias: Float32Array | null; // [C]
}

/** The stacked weights, shared with `matmuls`' threads. */
export function stackAttention(
  l: AttentionWeights<Float32Array>,
  matmuls: MatmulThreads,
): StackedAttentionF32 {
  return {
    qkvWeight: matmuls.share(concat([l.qWeight, l.kWeight, l.vWeight])),
    qkvBias: matmuls.share(l.qBias && l.kBias && l.vBias ? concat([l.qBias, l.kBias, l.vBias]) : null),
    oWeight: matmuls.share(l.oWeight),
    oBias: matmuls.share(l.oBias),
  };
}

/** Activations for up to `tokens` packed tokens; reused by every call that fits. */
export class RotaryScratch {
  readonly x: Float32Array; // [tokens, C] residual stream
  readonly n: Float32Array; // [tokens, C] normed input / sublayer output
  readonly qkv: Float32Array; // [tokens, W] = q | k | v
  readonly heads: Float32Array; // [tokens, Q] attention output, heads concatenated
  readonly gate: Float32Array; // [tokens, F] MLP hidden
  readonly up: Float32Array; // [tokens, F]
  readonly scores: Float64Array; // [max_position_embeddings] one head's attention weights

  constructor(
    readonly tokens: number,
    dims: RotaryDimsF32,
  ) {
    const { hidden_size: C, intermediate_size: F, head_dim: D } = dims;
    const Q = dims.num_attention_heads * D;
    this.x = new Float32Array(tokens * C);
    this.n = new Float32Array(tokens * C);
    this.qkv = new Float32Array(tokens * (Q + 2 * dims.num_key_value_heads * D));
    this.heads = new Float32Array(tokens * Q);
    this.gate = new Float32Array(tokens * F);
    this.up = new Float32Array(tokens * F);
    this.scores = new Float64Array(dims.max_position_embeddings);
  }
}

/**
 * Layer `l`'s attention sublayer over packed tokens (see PackedF32.forward): reads the normed input
 * s.n [n, C], writes o_proj's output back into s.n. Every token's key (after RoPE) and value go into
 * its row's cache at its position before any token attends, so a prompt attends causally within itself.
 */
export function rotaryAttentionF32(
  s: RotaryScratch,
  layer: StackedAttentionF32,
  rows: readonly RowCacheF32[],
  positions: readonly number[],
  l: number,
  dims: RotaryDimsF32,
  tables: RopeTables,
  matmuls: MatmulThreads,
  options?: AttentionOptions,
): void {
  const { hidden_size: C, head_dim: D } = dims;
  const [H, Hkv] = [dims.num_attention_heads, dims.num_key_value_heads];
  const [Q, K] = [H * D, Hkv * D];
  const W = Q + 2 * K;
  const n = rows.length;
  matmuls.matmul(s.qkv, s.n, layer.qkvWeight, layer.qkvBias, n, C, W);
  rows.forEach((row, i) => {
    const p = positions[i]!;
    rope(s.qkv, i * W, H, p, tables); // q
    rope(s.qkv, i * W + Q, Hkv, p, tables); // k
    row.keys(l).set(s.qkv.subarray(i * W + Q, i * W + Q + K), p * K);
    row.values(l).set(s.qkv.subarray(i * W + Q + K, (i + 1) * W), p * K);
  });
  rows.forEach((row, i) => {
    const q = s.qkv.subarray(i * W, i * W + Q);
    const out = s.heads.subarray(i * Q, (i + 1) * Q);
    attention(out, q, row.keys(l), row.values(l), positions[i]! + 1, H, Hkv, s.scores, options);
  });
  matmuls.matmul(s.n, s.heads, layer.oWeight, layer.oBias, n, Q, C);
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

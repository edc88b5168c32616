import type { Gpt2Config } from '../../core/model/families/gpt2.ts';
import { encodeSafetensors } from '../../core/model/safetensors.ts';
import type { Gpt2Weights } from './generate-gpt2-weights.ts';
import { buildGpt2Onnx } from './gpt2-onnx.ts';
import { gpt2TokenizerConfig, gpt2TokenizerJson } from './tokenizer-files.ts';
import { jsonFile, type LazyModelDirFiles } from './write-model-dir.ts';

/** Every file of a GPT-2 model dir; the same config and weights always give the same bytes. */
export function gpt2ModelDirFiles(config: Gpt2Config, weights: Gpt2Weights): LazyModelDirFiles {
  return new Map([
    ['config.json', () => jsonFile(hfGpt2ConfigJson(config))],
    ['generation_config.json', () => jsonFile(generationConfigJson(config))],
    ['tokenizer.json', () => new TextEncoder().encode(JSON.stringify(gpt2TokenizerJson()))],
    ['tokenizer_config.json', () => jsonFile(gpt2TokenizerConfig(config.n_positions))],
    // Named as GPT2LMHeadModel.save_pretrained names them: with the `transformer.` prefix.
    [
      'model.safetensors',
      () =>
        encodeSafetensors([...weights].map(([name, tensor]) => ({ name: `transformer.${name}`, ...tensor }))),
    ],
    ['onnx/model.onnx', () => buildGpt2Onnx(config, weights)],
  ]);
}

/** config.json as GPT2LMHeadModel writes it (keys sorted, as HF does). */
function hfGpt2ConfigJson(c: Gpt2Config): Record<string, unknown> {
  return {
    activation_function: c.activation_function,
    architectures: ['GPT2LMHeadModel'],
    // A generated model is inference-only: dropout has no meaning for it.
    attn_pdrop: 0,
    bos_token_id: c.bos_token_id,
    embd_pdrop: 0,
    eos_token_id: c.eos_token_id,
    layer_norm_epsilon: c.layer_norm_epsilon,
    model_type: c.model_type,
    n_ctx: c.n_positions,
    n_embd: c.n_embd,
    n_head: c.n_head,
    n_inner: c.n_inner === 4 * c.n_embd ? null : c.n_inner,
    n_layer: c.n_layer,
    n_positions: c.n_positions,
    reorder_and_upcast_attn: false,
    resid_pdrop: 0,
    scale_attn_by_inverse_layer_idx: false,
    scale_attn_weights: true,
    tie_word_embeddings: c.tie_word_embeddings,
    torch_dtype: 'float32',
    // Only onnx/model.onnx (fp32) exists; without this transformers.js on wasm asks for model_quantized.onnx.
    'transformers.js_config': { dtype: 'fp32' },
    use_cache: true,
    vocab_size: c.vocab_size,
  };
}

function generationConfigJson(c: Gpt2Config): Record<string, unknown> {
  return {
    bos_token_id: c.bos_token_id,
    do_sample: false,
    eos_token_id: c.eos_token_id,
    max_length: c.n_positions,
  };
}

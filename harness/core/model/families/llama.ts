import { ModelDirError } from '../../errors.ts';
import { booleanField, configObject, positiveInt, positiveNumber, tokenId } from '../config-fields.ts';
import { decoderLayout, decoderParametersReadPerStep, type RotaryDecoderConfig } from './decoder-layout.ts';
import type { ModelFamily, ParameterLayout } from './model-family.ts';

/**
 * The Llama family: decoder blocks of RMSNorm → attention with rotary positions and grouped KV
 * heads → RMSNorm → SwiGLU MLP, as Hugging Face's LlamaForCausalLM computes them.
 * https://huggingface.co/docs/transformers/model_doc/llama#transformers.LlamaConfig
 *
 * Three model_types share that computation and HF parameter names, and are accepted here:
 * - `llama`: attention_bias puts a bias on q_proj, k_proj, v_proj and o_proj.
 * - `qwen2`: q_proj, k_proj and v_proj always have a bias, o_proj never; only with
 *   use_sliding_window false (every released Qwen2/Qwen2.5 config).
 * - `mistral`: no biases; only when sliding_window is null or covers max_position_embeddings, so
 *   it never cuts attention short.
 * Anything the harness cannot compute exactly (rope scaling, sliding windows, MLP biases, another
 * activation) is refused with a message naming what is supported.
 */
export interface LlamaConfig extends RotaryDecoderConfig {
  readonly model_type: LlamaModelType;
  readonly hidden_act: 'silu';
  /** q_proj, k_proj and v_proj have biases (HF attention_bias for llama; always for qwen2). */
  readonly attention_bias: boolean;
  /** o_proj has a bias (HF attention_bias for llama; never for qwen2 or mistral). */
  readonly o_proj_bias: boolean;
}

export const LLAMA_MODEL_TYPES = ['llama', 'qwen2', 'mistral'] as const;
export type LlamaModelType = (typeof LLAMA_MODEL_TYPES)[number];

export function isLlamaModelType(modelType: unknown): modelType is LlamaModelType {
  return (LLAMA_MODEL_TYPES as readonly unknown[]).includes(modelType);
}

/** Validate a parsed config.json of a Llama-family model; `file` is the path used in messages. */
export function parseLlamaConfig(raw: unknown, file: string): LlamaConfig {
  const r = configObject(raw, file);
  const modelType = r.model_type;
  if (!isLlamaModelType(modelType)) {
    throw new ModelDirError(
      `${file}: model_type ${JSON.stringify(modelType)} is not a Llama-family type; ` +
        `supported: ${LLAMA_MODEL_TYPES.map((t) => JSON.stringify(t)).join(', ')}`,
    );
  }
  const unsupported = (key: string, value: unknown, supported: string): never => {
    throw new ModelDirError(
      `${file}: ${key} ${JSON.stringify(value)} is not supported; supported: ${supported}`,
    );
  };
  const act = r.hidden_act ?? 'silu';
  if (act !== 'silu') unsupported('hidden_act', act, '"silu"');
  if (booleanField(r, 'mlp_bias', false, file)) unsupported('mlp_bias', true, 'false');
  const ropeTheta = checkRope(r, unsupported, file);
  const maxPositions = positiveInt(r, 'max_position_embeddings', file);
  checkNoSlidingWindow(modelType, r, maxPositions, unsupported, file);

  const hidden = positiveInt(r, 'hidden_size', file);
  const heads = positiveInt(r, 'num_attention_heads', file);
  const kvHeads = r.num_key_value_heads == null ? heads : positiveInt(r, 'num_key_value_heads', file);
  if (heads % kvHeads !== 0) {
    throw new ModelDirError(
      `${file}: num_attention_heads ${heads} is not a multiple of num_key_value_heads ${kvHeads}; ` +
        'fix one of them (each key/value head serves a whole group of query heads)',
    );
  }
  if (r.head_dim == null && hidden % heads !== 0) {
    throw new ModelDirError(
      `${file}: hidden_size ${hidden} is not divisible by num_attention_heads ${heads} and there is ` +
        'no head_dim; fix one of them or add head_dim',
    );
  }
  const headDim = r.head_dim == null ? hidden / heads : positiveInt(r, 'head_dim', file);
  if (headDim % 2 !== 0) {
    throw new ModelDirError(`${file}: head_dim ${headDim} is odd; rotary embeddings rotate pairs, fix it`);
  }

  const vocab = positiveInt(r, 'vocab_size', file);
  const attentionBias =
    modelType === 'qwen2' || (modelType === 'llama' && booleanField(r, 'attention_bias', false, file));
  return {
    model_type: modelType,
    vocab_size: vocab,
    hidden_size: hidden,
    intermediate_size: positiveInt(r, 'intermediate_size', file),
    num_hidden_layers: positiveInt(r, 'num_hidden_layers', file),
    num_attention_heads: heads,
    num_key_value_heads: kvHeads,
    head_dim: headDim,
    max_position_embeddings: maxPositions,
    // LlamaConfig's default; Qwen2 and Mistral configs always write theirs.
    rms_norm_eps: positiveNumber(r, 'rms_norm_eps', 1e-6, file),
    rope_theta: ropeTheta,
    rope_scaling: null,
    hidden_act: 'silu',
    tie_word_embeddings: booleanField(r, 'tie_word_embeddings', false, file),
    attention_bias: attentionBias,
    o_proj_bias: modelType === 'llama' && attentionBias,
    bos_token_id: tokenId(r, 'bos_token_id', 1, vocab, file),
    eos_token_id: eosTokenIdField(r.eos_token_id ?? 2, vocab, file),
  };
}

/**
 * rope_theta, after refusing every RoPE variant but the plain one. transformers 4.x writes
 * `rope_scaling` (null, or {rope_type | type, factor, ...}); 5.x writes `rope_parameters`
 * ({rope_type, rope_theta}). rope_type "default" is plain RoPE in both.
 */
export function checkRope(
  r: Record<string, unknown>,
  unsupported: (key: string, value: unknown, supported: string) => never,
  file: string,
): number {
  const supported = 'null or {"rope_type": "default"} (plain RoPE with rope_theta)';
  for (const key of ['rope_scaling', 'rope_parameters']) {
    const v = r[key];
    if (v == null) continue;
    const fields = typeof v === 'object' ? (v as Record<string, unknown>) : {};
    if ((fields.rope_type ?? fields.type) !== 'default') unsupported(key, v, supported);
  }
  const theta = (r.rope_parameters as Record<string, unknown> | null | undefined)?.rope_theta ?? r.rope_theta;
  return positiveNumber({ rope_theta: theta }, 'rope_theta', 10000, file);
}

function checkNoSlidingWindow(
  modelType: LlamaModelType,
  r: Record<string, unknown>,
  maxPositions: number,
  unsupported: (key: string, value: unknown, supported: string) => never,
  file: string,
): void {
  if (modelType === 'qwen2' && booleanField(r, 'use_sliding_window', false, file)) {
    unsupported('use_sliding_window', true, "false (Qwen2's sliding-window attention is not implemented)");
  }
  const window = r.sliding_window;
  if (modelType === 'mistral' && window != null && !(typeof window === 'number' && window >= maxPositions)) {
    unsupported(
      'sliding_window',
      window,
      `null or at least max_position_embeddings ${maxPositions} (Mistral's sliding-window attention is not implemented)`,
    );
  }
}

/** eos_token_id as HF allows it: one id or a non-empty list of ids. */
export function eosTokenIdField(v: unknown, vocab: number, file: string): number | readonly number[] {
  // NaN as the fallback: a null inside a list is reported, not replaced.
  const one = (id: unknown): number => tokenId({ eos_token_id: id }, 'eos_token_id', Number.NaN, vocab, file);
  if (!Array.isArray(v)) return one(v);
  if (v.length === 0) {
    throw new ModelDirError(`${file}: eos_token_id [] lists no token; give one id or a non-empty list`);
  }
  return v.map(one);
}

/** LlamaForCausalLM's blocks: input_layernorm, attention, post_attention_layernorm (the MLP's input norm), MLP. */
function llamaLayout(config: LlamaConfig): ParameterLayout {
  return decoderLayout(config, (b) => [
    b.norm('input_layernorm'),
    ...b.attention(config.attention_bias, config.o_proj_bias),
    b.norm('post_attention_layernorm'),
    ...b.mlp(),
  ]);
}

/** LlamaForCausalLM and the model_types computed the same way (Qwen2, Mistral without sliding windows). */
export const llamaFamily: ModelFamily<LlamaConfig> = {
  name: 'llama',
  modelTypes: LLAMA_MODEL_TYPES,
  parseConfig: parseLlamaConfig,
  maxPositions: (c) => c.max_position_embeddings,
  numLayers: (c) => c.num_hidden_layers,
  numKvHeads: (c) => c.num_key_value_heads,
  headDim: (c) => c.head_dim,
  parameterLayout: llamaLayout,
  parametersReadPerStep: decoderParametersReadPerStep,
};

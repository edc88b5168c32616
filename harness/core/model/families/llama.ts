import { ModelDirError } from '../../errors.ts';
import { booleanField, configObject, positiveInt, positiveNumber, tokenId } from '../config-fields.ts';
import type { ExpectedParameter, ModelFamily, ParameterLayout } from './model-family.ts';

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
export interface LlamaConfig {
  readonly model_type: LlamaModelType;
  readonly vocab_size: number;
  /** Hidden width C. */
  readonly hidden_size: number;
  /** MLP inner width F (gate_proj, up_proj out). */
  readonly intermediate_size: number;
  readonly num_hidden_layers: number;
  /** Query heads H. */
  readonly num_attention_heads: number;
  /** Key/value heads Hkv (grouped-query attention); divides num_attention_heads. */
  readonly num_key_value_heads: number;
  /** Per-head width D; HF's default hidden_size / num_attention_heads. Even (RoPE pairs). */
  readonly head_dim: number;
  /** Longest sequence (prompt + generated) the model accepts. */
  readonly max_position_embeddings: number;
  readonly rms_norm_eps: number;
  /** RoPE base: head pair i turns by position · rope_theta^(-2i/D). */
  readonly rope_theta: number;
  /** Only unscaled RoPE is supported (see parseLlamaConfig). */
  readonly rope_scaling: null;
  readonly hidden_act: 'silu';
  readonly tie_word_embeddings: boolean;
  /** q_proj, k_proj and v_proj have biases (HF attention_bias for llama; always for qwen2). */
  readonly attention_bias: boolean;
  /** o_proj has a bias (HF attention_bias for llama; never for qwen2 or mistral). */
  readonly o_proj_bias: boolean;
  readonly bos_token_id: number;
  /** One id, or several (Llama 3 lists them); generation_config.json's takes precedence. */
  readonly eos_token_id: number | readonly number[];
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
function checkRope(
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
    unsupported('use_sliding_window', true, 'false (sliding-window attention is not implemented)');
  }
  const window = r.sliding_window;
  if (modelType === 'mistral' && window != null && !(typeof window === 'number' && window >= maxPositions)) {
    unsupported(
      'sliding_window',
      window,
      `null or at least max_position_embeddings ${maxPositions} (sliding-window attention is not implemented)`,
    );
  }
}

/** eos_token_id as HF allows it: one id or a non-empty list of ids. */
function eosTokenIdField(v: unknown, vocab: number, file: string): number | readonly number[] {
  // NaN as the fallback: a null inside a list is reported, not replaced.
  const one = (id: unknown): number => tokenId({ eos_token_id: id }, 'eos_token_id', Number.NaN, vocab, file);
  if (!Array.isArray(v)) return one(v);
  if (v.length === 0) {
    throw new ModelDirError(`${file}: eos_token_id [] lists no token; give one id or a non-empty list`);
  }
  return v.map(one);
}

/**
 * LlamaForCausalLM names (`model.` prefix, `lm_head.weight` outside it); nn.Linear weights are
 * [out, in] (y = x · Wᵀ + b). q_proj has H·D outputs, k_proj and v_proj Hkv·D.
 */
function llamaLayout(config: LlamaConfig): ParameterLayout {
  const { vocab_size: V, hidden_size: C, intermediate_size: F, num_hidden_layers: L, head_dim: D } = config;
  const q = config.num_attention_heads * D;
  const kv = config.num_key_value_heads * D;
  const parameters: ExpectedParameter[] = [
    { name: 'model.embed_tokens.weight', dims: '[vocab_size, hidden_size]', shape: [V, C] },
  ];
  const add = (name: string, dims: string, shape: number[]): void => {
    parameters.push({ name, dims, shape });
  };
  const qDims = 'num_attention_heads·head_dim';
  const kvDims = 'num_key_value_heads·head_dim';
  for (let i = 0; i < L; i++) {
    const p = `model.layers.${i}`;
    add(`${p}.input_layernorm.weight`, '[hidden_size]', [C]);
    add(`${p}.self_attn.q_proj.weight`, `[${qDims}, hidden_size]`, [q, C]);
    if (config.attention_bias) add(`${p}.self_attn.q_proj.bias`, `[${qDims}]`, [q]);
    add(`${p}.self_attn.k_proj.weight`, `[${kvDims}, hidden_size]`, [kv, C]);
    if (config.attention_bias) add(`${p}.self_attn.k_proj.bias`, `[${kvDims}]`, [kv]);
    add(`${p}.self_attn.v_proj.weight`, `[${kvDims}, hidden_size]`, [kv, C]);
    if (config.attention_bias) add(`${p}.self_attn.v_proj.bias`, `[${kvDims}]`, [kv]);
    add(`${p}.self_attn.o_proj.weight`, `[hidden_size, ${qDims}]`, [C, q]);
    if (config.o_proj_bias) add(`${p}.self_attn.o_proj.bias`, '[hidden_size]', [C]);
    add(`${p}.post_attention_layernorm.weight`, '[hidden_size]', [C]);
    add(`${p}.mlp.gate_proj.weight`, '[intermediate_size, hidden_size]', [F, C]);
    add(`${p}.mlp.up_proj.weight`, '[intermediate_size, hidden_size]', [F, C]);
    add(`${p}.mlp.down_proj.weight`, '[hidden_size, intermediate_size]', [C, F]);
  }
  add('model.norm.weight', '[hidden_size]', [C]);
  if (!config.tie_word_embeddings) add('lm_head.weight', '[vocab_size, hidden_size]', [V, C]);
  return {
    layersKey: 'num_hidden_layers',
    layers: L,
    layerMarker: (i) => `model.layers.${i}.input_layernorm.weight`,
    parameters,
  };
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
  // An untied embedding is a lookup table (one row per token); tied, it is read whole as the LM head.
  parametersReadPerStep: (c, count) =>
    count - (c.tie_word_embeddings ? 0 : (c.vocab_size - 1) * c.hidden_size),
};

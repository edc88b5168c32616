import { ModelDirError } from '../../errors.ts';
import { booleanField, configObject, positiveInt, positiveNumber, tokenId } from '../config-fields.ts';
import { decoderLayout, decoderParametersReadPerStep, type RotaryDecoderConfig } from './decoder-layout.ts';
import { checkRope, eosTokenIdField } from './llama.ts';
import type { ModelFamily, ParameterLayout } from './model-family.ts';

/**
 * The Gemma-2 family, as Hugging Face's Gemma2ForCausalLM computes it with eager attention:
 *   x = embed_tokens[id] · √hidden_size                     (the normalizer in the model's dtype)
 *   x += post_attention_layernorm(o_proj(attention(input_layernorm(x))))
 *   x += post_feedforward_layernorm(down_proj(gelu_tanh(gate_proj(n)) · up_proj(n)))
 *        with n = pre_feedforward_layernorm(x)
 *   logits = cap · tanh(model.norm(x) · lm_headᵀ / cap)     (cap = final_logit_softcapping)
 * Every RMSNorm multiplies by (1 + weight); attention is Llama's (RoPE with rotate_half, grouped
 * key/value heads) with scores q·k · query_pre_attn_scalar^-0.5, soft-capped as
 * attn_logit_softcapping · tanh(s / attn_logit_softcapping) before the mask, and on
 * "sliding_attention" layers a key at position j is visible from query position i only when
 * i − j < sliding_window (HF's sliding_window_overlay: kv_idx > q_idx − sliding_window).
 * https://huggingface.co/docs/transformers/model_doc/gemma2#transformers.Gemma2Config
 */
export interface Gemma2Config extends RotaryDecoderConfig {
  readonly model_type: 'gemma2';
  /** The GeGLU MLP's activation: GELU with PyTorch's tanh approximation. */
  readonly hidden_activation: 'gelu_pytorch_tanh';
  /** q_proj, k_proj, v_proj and o_proj have biases. */
  readonly attention_bias: boolean;
  /** Attention scores are scaled by query_pre_attn_scalar^-0.5 (instead of head_dim^-0.5). */
  readonly query_pre_attn_scalar: number;
  /** Scores become cap · tanh(score / cap) before the mask; null: no capping. */
  readonly attn_logit_softcapping: number | null;
  /** Logits become cap · tanh(logit / cap); null: no capping. */
  readonly final_logit_softcapping: number | null;
  /** Keys a "sliding_attention" layer's query sees: its own position and the sliding_window − 1 before it. */
  readonly sliding_window: number;
  /** Per layer; HF's default alternates, layer 0 sliding: "sliding_attention" if (i + 1) % 2 else "full_attention". */
  readonly layer_types: readonly Gemma2LayerType[];
}

export const GEMMA2_LAYER_TYPES = ['sliding_attention', 'full_attention'] as const;
export type Gemma2LayerType = (typeof GEMMA2_LAYER_TYPES)[number];

/** Validate a parsed config.json of a Gemma-2 model; `file` is the path used in messages. */
export function parseGemma2Config(raw: unknown, file: string): Gemma2Config {
  const r = configObject(raw, file);
  if (r.model_type !== 'gemma2') {
    throw new ModelDirError(
      `${file}: model_type ${JSON.stringify(r.model_type)} is not a Gemma-2 type; supported: "gemma2"`,
    );
  }
  const unsupported = (key: string, value: unknown, supported: string): never => {
    throw new ModelDirError(
      `${file}: ${key} ${JSON.stringify(value)} is not supported; supported: ${supported}`,
    );
  };
  // Gemma2MLP reads hidden_activation only; a config's hidden_act (often written beside it) is unused.
  const act = r.hidden_activation ?? 'gelu_pytorch_tanh';
  if (act !== 'gelu_pytorch_tanh') unsupported('hidden_activation', act, '"gelu_pytorch_tanh"');
  if (booleanField(r, 'use_bidirectional_attention', false, file)) {
    unsupported('use_bidirectional_attention', true, 'false or null (causal attention)');
  }
  const ropeTheta = checkRope(r, unsupported, file);

  const heads = positiveInt(r, 'num_attention_heads', file);
  const kvHeads = r.num_key_value_heads === undefined ? 4 : positiveInt(r, 'num_key_value_heads', file);
  if (heads % kvHeads !== 0) {
    throw new ModelDirError(
      `${file}: num_attention_heads ${heads} is not a multiple of num_key_value_heads ${kvHeads}; ` +
        'fix one of them (each key/value head serves a whole group of query heads)',
    );
  }
  // Gemma2Config's default head_dim is 256, not hidden_size / num_attention_heads.
  const headDim = r.head_dim === undefined ? 256 : positiveInt(r, 'head_dim', file);
  if (headDim % 2 !== 0) {
    throw new ModelDirError(`${file}: head_dim ${headDim} is odd; rotary embeddings rotate pairs, fix it`);
  }
  const layers = positiveInt(r, 'num_hidden_layers', file);
  const vocab = positiveInt(r, 'vocab_size', file);
  return {
    model_type: 'gemma2',
    vocab_size: vocab,
    hidden_size: positiveInt(r, 'hidden_size', file),
    intermediate_size: positiveInt(r, 'intermediate_size', file),
    num_hidden_layers: layers,
    num_attention_heads: heads,
    num_key_value_heads: kvHeads,
    head_dim: headDim,
    max_position_embeddings: positiveInt(r, 'max_position_embeddings', file),
    rms_norm_eps: positiveNumber(r, 'rms_norm_eps', 1e-6, file),
    rope_theta: ropeTheta,
    rope_scaling: null,
    hidden_activation: 'gelu_pytorch_tanh',
    tie_word_embeddings: booleanField(r, 'tie_word_embeddings', true, file),
    attention_bias: booleanField(r, 'attention_bias', false, file),
    query_pre_attn_scalar: positiveNumber(r, 'query_pre_attn_scalar', 256, file),
    attn_logit_softcapping: softcapField(r, 'attn_logit_softcapping', 50, file),
    final_logit_softcapping: softcapField(r, 'final_logit_softcapping', 30, file),
    sliding_window: r.sliding_window === undefined ? 4096 : positiveInt(r, 'sliding_window', file),
    layer_types: layerTypesField(r.layer_types, layers, file),
    // Gemma2Config's defaults: bos 2, eos 1.
    bos_token_id: tokenId(r, 'bos_token_id', 2, vocab, file),
    eos_token_id: eosTokenIdField(r.eos_token_id ?? 1, vocab, file),
  };
}

/** A soft-capping value: Gemma2Config's default when absent, null (no capping) when null. */
function softcapField(
  r: Record<string, unknown>,
  key: string,
  fallback: number,
  file: string,
): number | null {
  if (r[key] === null) return null;
  return positiveNumber(r, key, fallback, file);
}

/** layer_types as HF validates it for Gemma-2, or its default when absent. */
function layerTypesField(v: unknown, layers: number, file: string): readonly Gemma2LayerType[] {
  if (v == null) {
    return Array.from({ length: layers }, (_, i) => ((i + 1) % 2 ? 'sliding_attention' : 'full_attention'));
  }
  const known = (t: unknown): t is Gemma2LayerType => (GEMMA2_LAYER_TYPES as readonly unknown[]).includes(t);
  if (!Array.isArray(v) || v.length !== layers || !v.every(known)) {
    throw new ModelDirError(
      `${file}: layer_types ${JSON.stringify(v)} is not supported; supported: a list of num_hidden_layers ` +
        `${layers} entries, each "sliding_attention" or "full_attention" (or null for Gemma-2's alternation)`,
    );
  }
  return v;
}

/** Layer `layer`'s sliding window, or null for a layer that attends to every earlier position. */
export function slidingWindowOf(config: Gemma2Config, layer: number): number | null {
  return config.layer_types[layer] === 'sliding_attention' ? config.sliding_window : null;
}

/** The attention scale HF computes: query_pre_attn_scalar ** -0.5. */
export function gemma2AttentionScale(config: Gemma2Config): number {
  return config.query_pre_attn_scalar ** -0.5;
}

/**
 * The embedding normalizer √hidden_size as HF applies it: `torch.tensor(hidden_size ** 0.5,
 * dtype=hidden_states.dtype)`, i.e. the float64 square root rounded to the model's dtype.
 */
export function gemma2EmbedScale(config: Gemma2Config, dtype: 'float32' | 'float64'): number {
  const root = Math.sqrt(config.hidden_size);
  return dtype === 'float32' ? Math.fround(root) : root;
}

/** Gemma2ForCausalLM's blocks: four norms, attention and the GeGLU MLP between them. */
function gemma2Layout(config: Gemma2Config): ParameterLayout {
  return decoderLayout(config, (b) => [
    b.norm('input_layernorm'),
    ...b.attention(config.attention_bias, config.attention_bias),
    b.norm('post_attention_layernorm'),
    b.norm('pre_feedforward_layernorm'),
    ...b.mlp(),
    b.norm('post_feedforward_layernorm'),
  ]);
}

/** Gemma2ForCausalLM. */
export const gemma2Family: ModelFamily<Gemma2Config> = {
  name: 'gemma2',
  modelTypes: ['gemma2'],
  parseConfig: parseGemma2Config,
  maxPositions: (c) => c.max_position_embeddings,
  numLayers: (c) => c.num_hidden_layers,
  numKvHeads: (c) => c.num_key_value_heads,
  headDim: (c) => c.head_dim,
  parameterLayout: gemma2Layout,
  parametersReadPerStep: decoderParametersReadPerStep,
};

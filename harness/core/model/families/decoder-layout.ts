import type { ExpectedParameter, ParameterLayout } from './model-family.ts';

/**
 * The parameter layout that LlamaForCausalLM and Gemma2ForCausalLM share: `model.embed_tokens`,
 * `model.layers.{i}.…`, `model.norm`, and `lm_head.weight` outside the `model.` prefix unless the
 * embeddings are tied. nn.Linear weights are [out, in] (y = x · Wᵀ + b); q_proj has H·D outputs,
 * k_proj and v_proj Hkv·D. A family says which parts each block holds, in file order.
 */
export interface DecoderDims {
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
  /** Per-head width D (its default is the family's, see the parsers). Even (RoPE pairs). */
  readonly head_dim: number;
  readonly tie_word_embeddings: boolean;
}

/** The config fields LlamaForCausalLM and Gemma2ForCausalLM share, with HF's names. */
export interface RotaryDecoderConfig extends DecoderDims {
  /** Longest sequence (prompt + generated) the model accepts. */
  readonly max_position_embeddings: number;
  readonly rms_norm_eps: number;
  /** RoPE base: head pair i turns by position · rope_theta^(-2i/D). */
  readonly rope_theta: number;
  /** Only unscaled RoPE is supported (see checkRope). */
  readonly rope_scaling: null;
  readonly bos_token_id: number;
  /** One id, or several (Llama 3, instruction-tuned Gemma); generation_config.json's takes precedence. */
  readonly eos_token_id: number | readonly number[];
}

/** The parts one block is made of, each under its `model.layers.{i}` prefix. */
export interface BlockParts {
  /** `<name>.weight` [hidden_size]. */
  norm(name: string): ExpectedParameter;
  /** self_attn.q_proj, k_proj, v_proj (with biases when `qkvBias`) and o_proj (with one when `oBias`). */
  attention(qkvBias: boolean, oBias: boolean): ExpectedParameter[];
  /** mlp.gate_proj, up_proj and down_proj, without biases. */
  mlp(): ExpectedParameter[];
}

/** Every parameter, in file order, with `block` listing each decoder block's parts. */
export function decoderLayout(
  c: DecoderDims,
  block: (parts: BlockParts) => readonly ExpectedParameter[],
): ParameterLayout {
  const { vocab_size: V, hidden_size: C, num_hidden_layers: L } = c;
  const parameters: ExpectedParameter[] = [
    { name: 'model.embed_tokens.weight', dims: '[vocab_size, hidden_size]', shape: [V, C] },
  ];
  for (let i = 0; i < L; i++) parameters.push(...block(blockParts(c, `model.layers.${i}`)));
  parameters.push({ name: 'model.norm.weight', dims: '[hidden_size]', shape: [C] });
  if (!c.tie_word_embeddings) {
    parameters.push({ name: 'lm_head.weight', dims: '[vocab_size, hidden_size]', shape: [V, C] });
  }
  return {
    layersKey: 'num_hidden_layers',
    layers: L,
    layerMarker: (i) => `model.layers.${i}.input_layernorm.weight`,
    parameters,
  };
}

function blockParts(c: DecoderDims, p: string): BlockParts {
  const { hidden_size: C, intermediate_size: F, head_dim: D } = c;
  const [q, kv] = [c.num_attention_heads * D, c.num_key_value_heads * D];
  const qDims = 'num_attention_heads·head_dim';
  const kvDims = 'num_key_value_heads·head_dim';
  const one = (name: string, dims: string, shape: number[]): ExpectedParameter => ({
    name: `${p}.${name}`,
    dims,
    shape,
  });
  return {
    norm: (name) => one(`${name}.weight`, '[hidden_size]', [C]),
    attention: (qkvBias, oBias) => {
      const proj = (name: string, outDims: string, out: number): ExpectedParameter[] => [
        one(`self_attn.${name}.weight`, `[${outDims}, hidden_size]`, [out, C]),
        ...(qkvBias ? [one(`self_attn.${name}.bias`, `[${outDims}]`, [out])] : []),
      ];
      return [
        ...proj('q_proj', qDims, q),
        ...proj('k_proj', kvDims, kv),
        ...proj('v_proj', kvDims, kv),
        one('self_attn.o_proj.weight', `[hidden_size, ${qDims}]`, [C, q]),
        ...(oBias ? [one('self_attn.o_proj.bias', '[hidden_size]', [C])] : []),
      ];
    },
    mlp: () => [
      one('mlp.gate_proj.weight', '[intermediate_size, hidden_size]', [F, C]),
      one('mlp.up_proj.weight', '[intermediate_size, hidden_size]', [F, C]),
      one('mlp.down_proj.weight', '[hidden_size, intermediate_size]', [C, F]),
    ],
  };
}

/**
 * Parameters a decode step reads: an untied embedding is a lookup table (one row per token); tied,
 * it is read whole as the LM head.
 */
export function decoderParametersReadPerStep(c: DecoderDims, count: number): number {
  return count - (c.tie_word_embeddings ? 0 : (c.vocab_size - 1) * c.hidden_size);
}

import { ModelDirError } from '../../harness/core/errors.ts';
import type { LlamaConfig } from '../../harness/core/model/families/llama.ts';
import type { ModelConfig } from '../../harness/core/model/model-config.ts';
import { checkWeightsMatchConfig } from '../../harness/core/model/parameter-layout.ts';
import type { TensorMap } from '../../harness/core/model/tensor.ts';
import type { FloatArray, FloatArrayType } from './gpt2-weights.ts';

/**
 * A rotary attention block's projections (Llama's and Gemma-2's), HF names (under
 * `model.layers.{i}.`) in the comments. nn.Linear layout [out, in]. C hidden, Q = heads · headDim,
 * K = kvHeads · headDim.
 */
export interface AttentionWeights<A extends FloatArray> {
  readonly qWeight: A; // self_attn.q_proj.weight [Q, C]
  readonly qBias: A | null; // self_attn.q_proj.bias [Q] (attention_bias)
  readonly kWeight: A; // self_attn.k_proj.weight [K, C]
  readonly kBias: A | null; // self_attn.k_proj.bias [K]
  readonly vWeight: A; // self_attn.v_proj.weight [K, C]
  readonly vBias: A | null; // self_attn.v_proj.bias [K]
  readonly oWeight: A; // self_attn.o_proj.weight [C, Q]
  readonly oBias: A | null; // self_attn.o_proj.bias [C] (o_proj_bias)
}

/** One decoder block's parameters (see AttentionWeights); F intermediate. */
export interface LlamaLayerWeights<A extends FloatArray> extends AttentionWeights<A> {
  readonly inputNorm: A; // input_layernorm.weight [C]
  readonly postAttentionNorm: A; // post_attention_layernorm.weight [C]
  readonly gateWeight: A; // mlp.gate_proj.weight [F, C]
  readonly upWeight: A; // mlp.up_proj.weight [F, C]
  readonly downWeight: A; // mlp.down_proj.weight [C, F]
}

/** Every Llama parameter, validated against the config. V vocab, C hidden. */
export interface LlamaWeights<A extends FloatArray> {
  readonly config: LlamaConfig;
  readonly embedTokens: A; // model.embed_tokens.weight [V, C]
  readonly layers: readonly LlamaLayerWeights<A>[];
  readonly norm: A; // model.norm.weight [C]
  /** lm_head.weight [V, C]; the same array as `embedTokens` when the config ties word embeddings. */
  readonly lmHead: A;
}

/**
 * Every tensor the config implies, checked and read as `arrayType` (see checkedReader). `file`
 * names the weights file in error messages.
 */
export function llamaWeights<A extends FloatArray>(
  tensors: TensorMap,
  config: LlamaConfig,
  arrayType: FloatArrayType<A>,
  file: string,
): LlamaWeights<A> {
  const take = checkedReader(tensors, config, arrayType, file);
  const layers = Array.from({ length: config.num_hidden_layers }, (_, i): LlamaLayerWeights<A> => {
    const p = `model.layers.${i}`;
    return {
      inputNorm: take(`${p}.input_layernorm.weight`),
      ...attentionWeights(take, p, config.attention_bias, config.o_proj_bias),
      postAttentionNorm: take(`${p}.post_attention_layernorm.weight`),
      gateWeight: take(`${p}.mlp.gate_proj.weight`),
      upWeight: take(`${p}.mlp.up_proj.weight`),
      downWeight: take(`${p}.mlp.down_proj.weight`),
    };
  });
  const embedTokens = take('model.embed_tokens.weight');
  return {
    config,
    embedTokens,
    layers,
    norm: take('model.norm.weight'),
    lmHead: config.tie_word_embeddings ? embedTokens : take('lm_head.weight'),
  };
}

/**
 * Check every tensor the config implies (checkWeightsMatchConfig), then read them by name as
 * `arrayType`: tensors already of that type are used without a copy.
 */
export function checkedReader<A extends FloatArray>(
  tensors: TensorMap,
  config: ModelConfig,
  arrayType: FloatArrayType<A>,
  file: string,
): (name: string) => A {
  checkWeightsMatchConfig(config, tensors, file);
  return (name) => {
    const tensor = tensors.get(name)!; // present and of the right shape: checked above
    if (tensor.dtype === 'I32' || tensor.dtype === 'I64') {
      throw new ModelDirError(
        `${file}: ${name} has dtype ${tensor.dtype}; the ts backends read F32, F64, F16, BF16 weights; ` +
          're-export the model with a floating-point dtype',
      );
    }
    // Same element size means same array type: data is a Float32Array or a Float64Array.
    return tensor.data.BYTES_PER_ELEMENT === arrayType.BYTES_PER_ELEMENT
      ? (tensor.data as A)
      : arrayType.from(tensor.data);
  };
}

/** Block `p`'s (`model.layers.{i}`) q/k/v/o projections, with the biases the config names. */
export function attentionWeights<A extends FloatArray>(
  take: (name: string) => A,
  p: string,
  qkvBias: boolean,
  oBias: boolean,
): AttentionWeights<A> {
  const bias = (proj: string, present: boolean): A | null =>
    present ? take(`${p}.self_attn.${proj}.bias`) : null;
  return {
    qWeight: take(`${p}.self_attn.q_proj.weight`),
    qBias: bias('q_proj', qkvBias),
    kWeight: take(`${p}.self_attn.k_proj.weight`),
    kBias: bias('k_proj', qkvBias),
    vWeight: take(`${p}.self_attn.v_proj.weight`),
    vBias: bias('v_proj', qkvBias),
    oWeight: take(`${p}.self_attn.o_proj.weight`),
    oBias: bias('o_proj', oBias),
  };
}

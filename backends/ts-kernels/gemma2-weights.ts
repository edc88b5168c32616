import type { Gemma2Config } from '../../harness/core/model/families/gemma2.ts';
import type { TensorMap } from '../../harness/core/model/tensor.ts';
import type { FloatArray, FloatArrayType } from './gpt2-weights.ts';
import { type AttentionWeights, attentionWeights, checkedReader } from './llama-weights.ts';

/**
 * One Gemma-2 block's parameters, HF names (under `model.layers.{i}.`) in the comments; C hidden,
 * F intermediate. The norms hold 1 + weight, as Gemma2RMSNorm multiplies by `1.0 + weight`: added
 * once at load in the array's precision (float32's rounding of 1 + w is HF's float32 one).
 */
export interface Gemma2LayerWeights<A extends FloatArray> extends AttentionWeights<A> {
  readonly inputNorm: A; // 1 + input_layernorm.weight [C]
  readonly postAttentionNorm: A; // 1 + post_attention_layernorm.weight [C] (of the attention output)
  readonly preFeedforwardNorm: A; // 1 + pre_feedforward_layernorm.weight [C] (the MLP's input)
  readonly postFeedforwardNorm: A; // 1 + post_feedforward_layernorm.weight [C] (of the MLP output)
  readonly gateWeight: A; // mlp.gate_proj.weight [F, C]
  readonly upWeight: A; // mlp.up_proj.weight [F, C]
  readonly downWeight: A; // mlp.down_proj.weight [C, F]
}

/** Every Gemma-2 parameter, validated against the config. V vocab, C hidden. */
export interface Gemma2Weights<A extends FloatArray> {
  readonly config: Gemma2Config;
  readonly embedTokens: A; // model.embed_tokens.weight [V, C], not yet scaled by √C
  readonly layers: readonly Gemma2LayerWeights<A>[];
  readonly norm: A; // 1 + model.norm.weight [C]
  /** lm_head.weight [V, C]; the same array as `embedTokens` when the config ties word embeddings. */
  readonly lmHead: A;
}

/** Every tensor the config implies, checked and read as `arrayType` (see checkedReader). */
export function gemma2Weights<A extends FloatArray>(
  tensors: TensorMap,
  config: Gemma2Config,
  arrayType: FloatArrayType<A>,
  file: string,
): Gemma2Weights<A> {
  const take = checkedReader(tensors, config, arrayType, file);
  const norm = (name: string): A => arrayType.from(Array.from(take(name), (w) => 1 + w));
  const layers = Array.from({ length: config.num_hidden_layers }, (_, i): Gemma2LayerWeights<A> => {
    const p = `model.layers.${i}`;
    return {
      inputNorm: norm(`${p}.input_layernorm.weight`),
      ...attentionWeights(take, p, config.attention_bias, config.attention_bias),
      postAttentionNorm: norm(`${p}.post_attention_layernorm.weight`),
      preFeedforwardNorm: norm(`${p}.pre_feedforward_layernorm.weight`),
      postFeedforwardNorm: norm(`${p}.post_feedforward_layernorm.weight`),
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
    norm: norm('model.norm.weight'),
    lmHead: config.tie_word_embeddings ? embedTokens : take('lm_head.weight'),
  };
}

import type { Gemma2Config } from '../../core/model/families/gemma2.ts';
import {
  generateRotaryWeights,
  type LlamaWeightScales,
  type LlamaWeights,
} from './generate-llama-weights.ts';

/**
 * Standard deviations and means of the generated Gemma-2 parameters: Llama's knobs (the names are
 * shared) plus the norms'. Gemma2RMSNorm multiplies by 1 + weight, and every block's output is
 * RMS-normalised (post_attention_layernorm, post_feedforward_layernorm) before it joins the
 * residual, so those norms' weights, not o_proj's and down_proj's scale, set how loudly a block
 * writes; with a tied head, model.norm's set the logit spread. Dyadic values with few bits, as for
 * Llama, so every weight is exact in float32.
 */
export interface Gemma2WeightScales extends LlamaWeightScales {
  /** post_attention_layernorm and post_feedforward_layernorm weights: this + normJitter · n. */
  readonly blockOutputNorm: number;
  /** model.norm weights: this + normJitter · n. */
  readonly finalNorm: number;
}

/**
 * Chosen, like DEFAULT_LLAMA_SCALES, so the embedded tiny-gemma2's next-token distributions look
 * like a trained model's and depend on more than the last token, with both soft caps binding on
 * some values. Measured figures are in the tiny-gemma2 registry entry.
 */
export const DEFAULT_GEMMA2_SCALES: Gemma2WeightScales = {
  tokenEmbedding: 0.1875,
  queryKey: 0.25,
  value: 0.25,
  mlpIn: 0.25,
  residualOut: 0.5,
  lmHead: 0.625,
  bias: 0.0625,
  normJitter: 0.125,
  blockOutputNorm: 4,
  finalNorm: 4,
};

/**
 * Every Gemma-2 parameter from `seed`, as generateLlamaWeights draws Llama's; input_layernorm's
 * and pre_feedforward_layernorm's weights are drawn around 0 (the norm adds the 1).
 */
export function generateGemma2Weights(
  config: Gemma2Config,
  seed: number,
  scales: Gemma2WeightScales = DEFAULT_GEMMA2_SCALES,
): LlamaWeights {
  return generateRotaryWeights(config, seed, scales, (name) => {
    if (name === 'model.norm.weight') return scales.finalNorm;
    return /\.post_(attention|feedforward)_layernorm\.weight$/.test(name) ? scales.blockOutputNorm : 0;
  });
}

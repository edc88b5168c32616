import type { Gemma2Config } from '../../core/model/families/gemma2.ts';
import type { LlamaConfig } from '../../core/model/families/llama.ts';
import { parameterLayout } from '../../core/model/parameter-layout.ts';
import type { F32Tensor } from '../../core/model/safetensors.ts';
import { streamSeed, Xoshiro128ss } from './int-prng.ts';

/**
 * Standard deviations of the generated Llama parameters. As for GPT-2 (gpt2-weights.ts) every
 * weight is `scale · n` with n an exact multiple of 2^-16, and the scales are dyadic rationals with
 * few significant bits, so each product is exact in float32 and the file is identical everywhere.
 */
export interface LlamaWeightScales {
  /** embed_tokens rows (and the LM head when tied). RMSNorm rescales them before every use. */
  readonly tokenEmbedding: number;
  /** q_proj and k_proj: larger sharpens attention, so earlier tokens matter. */
  readonly queryKey: number;
  /** v_proj. */
  readonly value: number;
  /** mlp.gate_proj and mlp.up_proj. */
  readonly mlpIn: number;
  /** o_proj and mlp.down_proj: how loudly each block writes into the residual. */
  readonly residualOut: number;
  /** lm_head rows (untied): with RMS-normalised inputs they set the logit spread. */
  readonly lmHead: number;
  /** q/k/v/o biases when the config has them. */
  readonly bias: number;
  /** RMSNorm weights are 1 + this · n. */
  readonly normJitter: number;
}

/**
 * Chosen, like DEFAULT_GPT2_SCALES, so the embedded tiny-llama's next-token distributions look like
 * a trained model's (entropy of a few nats, a clear top-1) and depend on more than the last token.
 * Measured figures are in the tiny-llama registry entry.
 */
export const DEFAULT_LLAMA_SCALES: LlamaWeightScales = {
  tokenEmbedding: 1,
  queryKey: 0.25,
  value: 0.25,
  mlpIn: 0.25,
  residualOut: 0.5,
  lmHead: 0.625,
  bias: 0.0625,
  normJitter: 0.125,
};

/** Llama parameters by Hugging Face name (LlamaForCausalLM's, see parameterLayout). */
export type LlamaWeights = ReadonlyMap<string, F32Tensor>;

/**
 * Generate every parameter parameterLayout lists for `config` from `seed` (uint32), one PRNG stream
 * per tensor seeded by (seed, name), so a tensor's values do not depend on generation order or on
 * the other tensors. Layouts are HF's: nn.Linear weights are [out, in].
 */
export function generateLlamaWeights(
  config: LlamaConfig,
  seed: number,
  scales: LlamaWeightScales = DEFAULT_LLAMA_SCALES,
): LlamaWeights {
  return generateRotaryWeights(config, seed, scales, () => 1);
}

/**
 * generateLlamaWeights for a family with Llama's parameter names (Llama, Gemma-2); an RMSNorm
 * weight named `name` is normMean(name) + normJitter · n (Llama's are 1 + normJitter · n).
 */
export function generateRotaryWeights(
  config: LlamaConfig | Gemma2Config,
  seed: number,
  scales: LlamaWeightScales,
  normMean: (name: string) => number,
): LlamaWeights {
  const weights = new Map<string, F32Tensor>();
  for (const { name, shape } of parameterLayout(config).parameters) {
    const [std, mean] = scaleOf(name, scales, normMean);
    const rng = new Xoshiro128ss(streamSeed(seed, name));
    const data = new Float32Array(shape.reduce((n, d) => n * d, 1));
    for (let i = 0; i < data.length; i++) data[i] = mean + std * rng.nextNormalish();
    weights.set(name, { dtype: 'F32', shape, data });
  }
  return weights;
}

/** [std, mean] of a parameter, by the last parts of its HF name. */
function scaleOf(name: string, s: LlamaWeightScales, normMean: (name: string) => number): [number, number] {
  if (name.endsWith('layernorm.weight') || name === 'model.norm.weight')
    return [s.normJitter, normMean(name)];
  if (name.endsWith('.bias')) return [s.bias, 0];
  if (name === 'model.embed_tokens.weight') return [s.tokenEmbedding, 0];
  if (name === 'lm_head.weight') return [s.lmHead, 0];
  if (/\.(q|k)_proj\.weight$/.test(name)) return [s.queryKey, 0];
  if (name.endsWith('.v_proj.weight')) return [s.value, 0];
  if (/\.(gate|up)_proj\.weight$/.test(name)) return [s.mlpIn, 0];
  if (/\.(o|down)_proj\.weight$/.test(name)) return [s.residualOut, 0];
  throw new Error(`generateLlamaWeights: no scale for parameter ${name}; add it to scaleOf`);
}

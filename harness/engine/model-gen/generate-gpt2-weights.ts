import type { Gpt2Config } from '../../core/model/families/gpt2.ts';
import type { F32Tensor } from '../../core/model/safetensors.ts';
import { streamSeed, Xoshiro128ss } from './int-prng.ts';

/**
 * Standard deviations of the generated GPT-2 parameters. Every weight is `scale · n` with n an
 * exact multiple of 2^-16 (see Xoshiro128ss.nextNormalish); the scales are dyadic rationals with
 * few significant bits, so each product is exact in float32 and the file is identical everywhere.
 */
export interface Gpt2WeightScales {
  /** wte rows; also the tied LM head, so it sets the logit spread (entropy, top-1 margin). */
  readonly tokenEmbedding: number;
  /** wpe rows. */
  readonly positionEmbedding: number;
  /** attn.c_attn weight (q|k|v); larger sharpens attention so earlier tokens matter. */
  readonly attention: number;
  /** mlp.c_fc weight. */
  readonly mlpIn: number;
  /** attn.c_proj and mlp.c_proj weights: how loudly each block writes into the residual. */
  readonly residualOut: number;
  /** All biases (Conv1D and LayerNorm). */
  readonly bias: number;
  /** LayerNorm weights are 1 + this · n. */
  readonly layerNormJitter: number;
}

/**
 * Chosen so the embedded model's next-token distributions look like a trained model's rather than
 * uniform noise (entropy of a few nats, a clear top-1) and so attention and the MLP outweigh the
 * current token's own embedding (otherwise the tied head makes every greedy run repeat the last
 * token). Measured figures are in the tiny-gpt2 registry entry.
 */
export const DEFAULT_GPT2_SCALES: Gpt2WeightScales = {
  tokenEmbedding: 0.625,
  positionEmbedding: 0.5,
  attention: 0.25,
  mlpIn: 0.25,
  residualOut: 0.5,
  bias: 0.0625,
  layerNormJitter: 0.125,
};

/** GPT-2 parameters by Hugging Face name (GPT2Model's, no `transformer.` prefix); LM head tied to wte. */
export type Gpt2Weights = ReadonlyMap<string, F32Tensor>;

/**
 * Generate every GPT-2 parameter from `seed` (uint32). Each tensor draws from its own stream seeded
 * by (seed, name), so a tensor's values do not depend on generation order or on other tensors.
 * Layouts are HF's: Conv1D weights are [in, out] (y = x @ W + b); c_attn's columns are q | k | v.
 */
export function generateGpt2Weights(
  config: Gpt2Config,
  seed: number,
  scales: Gpt2WeightScales = DEFAULT_GPT2_SCALES,
): Gpt2Weights {
  const { vocab_size: V, n_positions: P, n_embd: C, n_inner: F } = config;
  const weights = new Map<string, F32Tensor>();
  const normal = (name: string, shape: readonly number[], std: number, mean = 0): void => {
    const rng = new Xoshiro128ss(streamSeed(seed, name));
    const data = new Float32Array(shape.reduce((n, d) => n * d, 1));
    for (let i = 0; i < data.length; i++) data[i] = mean + std * rng.nextNormalish();
    weights.set(name, { dtype: 'F32', shape, data });
  };
  const layerNorm = (prefix: string): void => {
    normal(`${prefix}.weight`, [C], scales.layerNormJitter, 1);
    normal(`${prefix}.bias`, [C], scales.bias);
  };

  normal('wte.weight', [V, C], scales.tokenEmbedding);
  normal('wpe.weight', [P, C], scales.positionEmbedding);
  for (let i = 0; i < config.n_layer; i++) {
    const h = `h.${i}`;
    layerNorm(`${h}.ln_1`);
    normal(`${h}.attn.c_attn.weight`, [C, 3 * C], scales.attention);
    normal(`${h}.attn.c_attn.bias`, [3 * C], scales.bias);
    normal(`${h}.attn.c_proj.weight`, [C, C], scales.residualOut);
    normal(`${h}.attn.c_proj.bias`, [C], scales.bias);
    layerNorm(`${h}.ln_2`);
    normal(`${h}.mlp.c_fc.weight`, [C, F], scales.mlpIn);
    normal(`${h}.mlp.c_fc.bias`, [F], scales.bias);
    normal(`${h}.mlp.c_proj.weight`, [F, C], scales.residualOut);
    normal(`${h}.mlp.c_proj.bias`, [C], scales.bias);
  }
  layerNorm('ln_f');
  return weights;
}

import { add, matmulTransposed, rmsNorm, swiglu } from './kernels-f64.ts';
import type { LlamaWeights } from './llama-weights.ts';
import { rotaryAttentionF64 } from './rotary-attention-f64.ts';
import { type RowF64, TokenByTokenF64 } from './token-by-token-f64.ts';

/**
 * `ts:f64`, the reference backend, for the Llama family (Hugging Face's LlamaForCausalLM): float64
 * with the naive kernels, one token at a time (see TokenByTokenF64). Per block:
 *   x += o_proj(attention(rope(q_proj(n)), rope(k_proj(n)), v_proj(n)))   with n = rmsNorm(x)
 *   x += down_proj(silu(gate_proj(n)) · up_proj(n))                       with n = rmsNorm(x)
 * The cache holds keys after RoPE (see rotaryAttentionF64).
 */
export class LlamaF64 extends TokenByTokenF64 {
  readonly #weights: LlamaWeights<Float64Array>;

  constructor(weights: LlamaWeights<Float64Array>) {
    const { vocab_size, max_position_embeddings, num_hidden_layers } = weights.config;
    super(vocab_size, max_position_embeddings, num_hidden_layers);
    this.#weights = weights;
  }

  /** Run `token` at the row's next position through every block; returns model.norm of its hidden state [C]. */
  protected override forward(row: RowF64, token: number): Float64Array {
    const w = this.#weights;
    const { hidden_size: C, intermediate_size: F, rms_norm_eps: eps, num_attention_heads: H } = w.config;
    const position = row.length;

    const x = w.embedTokens.slice(token * C, (token + 1) * C); // [C] residual stream
    const n = new Float64Array(C); // [C] normed input
    const out = new Float64Array(C); // [C] block output
    const gate = new Float64Array(F); // [F] MLP hidden
    const up = new Float64Array(F); // [F]

    w.layers.forEach((layer, l) => {
      rmsNorm(n, x, layer.inputNorm, 1, C, eps);
      const probs = this.onAttentionProbs && new Float64Array(H * (position + 1)); // [heads, keys]
      rotaryAttentionF64(out, n, layer, row.layers[l]!, position, w.config, undefined, probs);
      if (probs) this.onAttentionProbs?.(l, position, probs);
      add(x, out);

      rmsNorm(n, x, layer.postAttentionNorm, 1, C, eps);
      matmulTransposed(gate, n, layer.gateWeight, null, 1, C, F);
      matmulTransposed(up, n, layer.upWeight, null, 1, C, F);
      swiglu(gate, up);
      matmulTransposed(out, gate, layer.downWeight, null, 1, F, C);
      add(x, out);
    });
    row.length++;

    rmsNorm(n, x, w.norm, 1, C, eps);
    return n;
  }

  /** logits [V] = hidden [C] · lm_headᵀ. */
  protected override head(logits: Float64Array, hidden: Float64Array): void {
    const { hidden_size: C, vocab_size: V } = this.#weights.config;
    matmulTransposed(logits, hidden, this.#weights.lmHead, null, 1, C, V);
  }
}

import {
  gemma2AttentionScale,
  gemma2EmbedScale,
  slidingWindowOf,
} from '../../harness/core/model/families/gemma2.ts';
import type { Gemma2Weights } from './gemma2-weights.ts';
import { type AttentionOptions, add, geglu, matmulTransposed, rmsNorm, softcap } from './kernels-f64.ts';
import { rotaryAttentionF64 } from './rotary-attention-f64.ts';
import { type RowF64, TokenByTokenF64 } from './token-by-token-f64.ts';

/**
 * `ts:f64`, the reference backend, for Gemma-2 (Hugging Face's Gemma2ForCausalLM, eager attention):
 * float64 with the naive kernels, one token at a time (see TokenByTokenF64). Per block, with every
 * norm an RMSNorm by (1 + weight):
 *   x += post_attention_layernorm(o_proj(attention(rope(q_proj(n)), rope(k_proj(n)), v_proj(n))))
 *        with n = input_layernorm(x)
 *   x += post_feedforward_layernorm(down_proj(gelu_tanh(gate_proj(n)) · up_proj(n)))
 *        with n = pre_feedforward_layernorm(x)
 * starting from x = embed_tokens[id] · √hidden_size (the float64 square root: the model's dtype
 * here). Attention scores are q·k · query_pre_attn_scalar^-0.5, soft-capped by
 * attn_logit_softcapping, and a sliding layer attends to the sliding_window latest positions; the
 * logits are soft-capped by final_logit_softcapping.
 */
export class Gemma2F64 extends TokenByTokenF64 {
  readonly #weights: Gemma2Weights<Float64Array>;
  /** Per layer: scale, soft cap and window of its attention. */
  readonly #attention: readonly AttentionOptions[];
  readonly #embedScale: number;

  constructor(weights: Gemma2Weights<Float64Array>) {
    const config = weights.config;
    super(config.vocab_size, config.max_position_embeddings, config.num_hidden_layers);
    this.#weights = weights;
    this.#attention = weights.layers.map((_, l) => ({
      scale: gemma2AttentionScale(config),
      softcap: config.attn_logit_softcapping,
      window: slidingWindowOf(config, l),
    }));
    this.#embedScale = gemma2EmbedScale(config, 'float64');
  }

  /** Run `token` at the row's next position through every block; returns model.norm of its hidden state [C]. */
  protected override forward(row: RowF64, token: number): Float64Array {
    const w = this.#weights;
    const { hidden_size: C, intermediate_size: F, rms_norm_eps: eps, num_attention_heads: H } = w.config;
    const position = row.length;

    const x = w.embedTokens.slice(token * C, (token + 1) * C); // [C] residual stream
    for (let i = 0; i < C; i++) x[i] = x[i]! * this.#embedScale;
    const n = new Float64Array(C); // [C] normed input
    const out = new Float64Array(C); // [C] sublayer output
    const gate = new Float64Array(F); // [F] MLP hidden
    const up = new Float64Array(F); // [F]

    w.layers.forEach((layer, l) => {
      rmsNorm(n, x, layer.inputNorm, 1, C, eps);
      const probs = this.onAttentionProbs && new Float64Array(H * (position + 1)); // [heads, keys]
      rotaryAttentionF64(out, n, layer, row.layers[l]!, position, w.config, this.#attention[l], probs);
      if (probs) this.onAttentionProbs?.(l, position, probs);
      rmsNorm(out, out, layer.postAttentionNorm, 1, C, eps);
      add(x, out);

      rmsNorm(n, x, layer.preFeedforwardNorm, 1, C, eps);
      matmulTransposed(gate, n, layer.gateWeight, null, 1, C, F);
      matmulTransposed(up, n, layer.upWeight, null, 1, C, F);
      geglu(gate, up);
      matmulTransposed(out, gate, layer.downWeight, null, 1, F, C);
      rmsNorm(out, out, layer.postFeedforwardNorm, 1, C, eps);
      add(x, out);
    });
    row.length++;

    rmsNorm(n, x, w.norm, 1, C, eps);
    return n;
  }

  /** logits [V] = cap · tanh(hidden [C] · lm_headᵀ / cap). */
  protected override head(logits: Float64Array, hidden: Float64Array): void {
    const { hidden_size: C, vocab_size: V, final_logit_softcapping: cap } = this.#weights.config;
    matmulTransposed(logits, hidden, this.#weights.lmHead, null, 1, C, V);
    if (cap !== null) softcap(logits, cap);
  }
}

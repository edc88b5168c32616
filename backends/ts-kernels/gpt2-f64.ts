import type { Gpt2Weights } from './gpt2-weights.ts';
import { add, attention, geluNew, layerNorm, matmul, matmulTransposed } from './kernels-f64.ts';
import { type LayerCache, type RowF64, TokenByTokenF64 } from './token-by-token-f64.ts';

/**
 * Fault injection for tests only (backends/faulty/dropping-kv-cache.ts): runs after each token's key
 * and value are appended to a layer's cache, and may edit that cache. The registry passes none.
 */
export type AfterCacheAppend = (cache: LayerCache) => void;

/**
 * `ts:f64`, the reference backend, for GPT-2 (Hugging Face semantics): float64 with the naive
 * kernels, one token at a time (see TokenByTokenF64). Slow and obviously right: every other backend
 * is measured against it.
 */
export class Gpt2F64 extends TokenByTokenF64 {
  readonly #weights: Gpt2Weights<Float64Array>;
  readonly #afterCacheAppend: AfterCacheAppend | undefined;

  constructor(weights: Gpt2Weights<Float64Array>, afterCacheAppend?: AfterCacheAppend) {
    const { vocab_size, n_positions, n_layer } = weights.config;
    super(vocab_size, n_positions, n_layer);
    this.#weights = weights;
    this.#afterCacheAppend = afterCacheAppend;
  }

  /** Run `token` at the row's next position through every layer; returns ln_f of its hidden state [C]. */
  protected override forward(row: RowF64, token: number): Float64Array {
    const w = this.#weights;
    const { n_embd: C, n_inner: F, n_head: H, layer_norm_epsilon: eps } = w.config;
    const position = row.length;

    const x = new Float64Array(C); // [C] residual stream
    for (let i = 0; i < C; i++) x[i] = w.wte[token * C + i]! + w.wpe[position * C + i]!;
    const a = new Float64Array(C); // [C] normed input / block output
    const qkv = new Float64Array(3 * C); // [3C] = q | k | v, each [heads, headDim]
    const heads = new Float64Array(C); // [heads, headDim] attention output, heads concatenated
    const fc = new Float64Array(F); // [F] MLP hidden

    w.layers.forEach((layer, l) => {
      const cache = row.layers[l]!;
      layerNorm(a, x, layer.ln1Weight, layer.ln1Bias, 1, C, eps);
      matmul(qkv, a, layer.attnWeight, layer.attnBias, 1, C, 3 * C);
      cache.keys.push(qkv.slice(C, 2 * C));
      cache.values.push(qkv.slice(2 * C, 3 * C));
      this.#afterCacheAppend?.(cache);
      const probs = this.onAttentionProbs && new Float64Array(H * cache.keys.length); // [heads, keys]
      attention(heads, qkv.subarray(0, C), cache.keys, cache.values, H, H, probs);
      if (probs) this.onAttentionProbs?.(l, position, probs);
      matmul(a, heads, layer.attnProjWeight, layer.attnProjBias, 1, C, C);
      add(x, a);

      layerNorm(a, x, layer.ln2Weight, layer.ln2Bias, 1, C, eps);
      matmul(fc, a, layer.fcWeight, layer.fcBias, 1, C, F);
      geluNew(fc);
      matmul(a, fc, layer.fcProjWeight, layer.fcProjBias, 1, F, C);
      add(x, a);
    });
    row.length++;

    layerNorm(a, x, w.lnFWeight, w.lnFBias, 1, C, eps);
    return a;
  }

  /** logits [V] = hidden [C] · lm_headᵀ. */
  protected override head(logits: Float64Array, hidden: Float64Array): void {
    const { n_embd: C, vocab_size: V } = this.#weights.config;
    matmulTransposed(logits, hidden, this.#weights.lmHead, null, 1, C, V);
  }
}

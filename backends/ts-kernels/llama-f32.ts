import type { LlamaConfig } from '../../harness/core/model/families/llama.ts';
import {
  add,
  attention,
  matmulTransposed,
  type RopeTables,
  rmsNorm,
  rope,
  ropeTables,
  swiglu,
} from './kernels-f32.ts';
import type { LlamaWeights } from './llama-weights.ts';
import { PackedF32 } from './packed-f32.ts';
import type { RowCacheF32 } from './row-cache-f32.ts';

/**
 * A block's parameters for the fast kernels: q_proj, k_proj and v_proj stacked into one [W, C]
 * weight (nn.Linear's [out, in] rows, so stacking is concatenation) with W = Q + 2K,
 * Q = heads · headDim, K = kvHeads · headDim.
 */
interface LayerF32 {
  readonly inputNorm: Float32Array; // [C]
  readonly qkvWeight: Float32Array; // [W, C], rows q | k | v
  readonly qkvBias: Float32Array | null; // [W]
  readonly oWeight: Float32Array; // [C, Q]
  readonly oBias: Float32Array | null; // [C]
  readonly postAttentionNorm: Float32Array; // [C]
  readonly gateWeight: Float32Array; // [F, C]
  readonly upWeight: Float32Array; // [F, C]
  readonly downWeight: Float32Array; // [C, F]
}

/** Activations for up to `tokens` packed tokens; reused by every call that fits. */
class Scratch {
  readonly x: Float32Array; // [tokens, C] residual stream
  readonly n: Float32Array; // [tokens, C] normed input / block output
  readonly qkv: Float32Array; // [tokens, W] = q | k | v
  readonly heads: Float32Array; // [tokens, Q] attention output, heads concatenated
  readonly gate: Float32Array; // [tokens, F] MLP hidden
  readonly up: Float32Array; // [tokens, F]
  readonly scores: Float64Array; // [max_position_embeddings] one head's attention weights

  constructor(
    readonly tokens: number,
    config: LlamaConfig,
  ) {
    const { hidden_size: C, intermediate_size: F, head_dim: D } = config;
    const Q = config.num_attention_heads * D;
    this.x = new Float32Array(tokens * C);
    this.n = new Float32Array(tokens * C);
    this.qkv = new Float32Array(tokens * (Q + 2 * config.num_key_value_heads * D));
    this.heads = new Float32Array(tokens * Q);
    this.gate = new Float32Array(tokens * F);
    this.up = new Float32Array(tokens * F);
    this.scores = new Float64Array(config.max_position_embeddings);
  }
}

/**
 * `ts:f32` for the Llama family (HF's LlamaForCausalLM; see LlamaF64 for the block): float32 with
 * the fast kernels, all new tokens of a call packed into one pass (see PackedF32). RoPE reads cos/sin
 * tables computed once at load; the cache holds keys after RoPE.
 */
export class LlamaF32 extends PackedF32 {
  readonly #config: LlamaConfig;
  readonly #embedTokens: Float32Array; // [V, C]
  readonly #norm: Float32Array; // [C]
  readonly #lmHead: Float32Array; // [V, C]
  readonly #layers: readonly LayerF32[];
  readonly #rope: RopeTables;
  #scratch: Scratch;

  constructor(weights: LlamaWeights<Float32Array>) {
    const config = weights.config;
    const kvWidth = config.num_key_value_heads * config.head_dim;
    super(config.vocab_size, config.max_position_embeddings, config.num_hidden_layers, kvWidth);
    this.#config = config;
    this.#embedTokens = weights.embedTokens;
    this.#norm = weights.norm;
    this.#lmHead = weights.lmHead;
    this.#layers = weights.layers.map((l) => ({
      inputNorm: l.inputNorm,
      qkvWeight: concat([l.qWeight, l.kWeight, l.vWeight]),
      qkvBias: l.qBias && l.kBias && l.vBias ? concat([l.qBias, l.kBias, l.vBias]) : null,
      oWeight: l.oWeight,
      oBias: l.oBias,
      postAttentionNorm: l.postAttentionNorm,
      gateWeight: l.gateWeight,
      upWeight: l.upWeight,
      downWeight: l.downWeight,
    }));
    this.#rope = ropeTables(config.max_position_embeddings, config.head_dim, config.rope_theta);
    this.#scratch = new Scratch(1, config);
  }

  /** Packed tokens through every block (see PackedF32.forward); leaves their final residual in the scratch x. */
  protected override forward(
    ids: readonly number[],
    rows: readonly RowCacheF32[],
    positions: readonly number[],
  ): void {
    const c = this.#config;
    const { hidden_size: C, intermediate_size: F, head_dim: D, rms_norm_eps: eps } = c;
    const [H, Hkv] = [c.num_attention_heads, c.num_key_value_heads];
    const [Q, K] = [H * D, Hkv * D];
    const W = Q + 2 * K;
    const n = ids.length;
    if (this.#scratch.tokens < n) this.#scratch = new Scratch(n, c);
    const s = this.#scratch;

    // x[n, C] = embed_tokens[ids]
    ids.forEach((id, i) => {
      s.x.set(this.#embedTokens.subarray(id * C, (id + 1) * C), i * C);
    });

    this.#layers.forEach((layer, l) => {
      rmsNorm(s.n, s.x, layer.inputNorm, n, C, eps);
      matmulTransposed(s.qkv, s.n, layer.qkvWeight, layer.qkvBias, n, C, W);
      rows.forEach((row, i) => {
        const p = positions[i]!;
        rope(s.qkv, i * W, H, p, this.#rope); // q
        rope(s.qkv, i * W + Q, Hkv, p, this.#rope); // k
        row.keys(l).set(s.qkv.subarray(i * W + Q, i * W + Q + K), p * K);
        row.values(l).set(s.qkv.subarray(i * W + Q + K, (i + 1) * W), p * K);
      });
      rows.forEach((row, i) => {
        const q = s.qkv.subarray(i * W, i * W + Q);
        const out = s.heads.subarray(i * Q, (i + 1) * Q);
        attention(out, q, row.keys(l), row.values(l), positions[i]! + 1, H, Hkv, s.scores);
      });
      matmulTransposed(s.n, s.heads, layer.oWeight, layer.oBias, n, Q, C);
      add(s.x, s.n, n * C);

      rmsNorm(s.n, s.x, layer.postAttentionNorm, n, C, eps);
      matmulTransposed(s.gate, s.n, layer.gateWeight, null, n, C, F);
      matmulTransposed(s.up, s.n, layer.upWeight, null, n, C, F);
      swiglu(s.gate, s.up, n * F);
      matmulTransposed(s.n, s.gate, layer.downWeight, null, n, F, C);
      add(s.x, s.n, n * C);
    });
  }

  /** out[tokens.length, V]: model.norm, then the LM head, of the chosen packed tokens. */
  protected override head(tokens: readonly number[], out: Float32Array): void {
    const { hidden_size: C, vocab_size: V, rms_norm_eps: eps } = this.#config;
    const s = this.#scratch;
    // Gather the chosen rows of x into n [tokens.length, C], then normalise in place.
    tokens.forEach((t, k) => {
      s.n.set(s.x.subarray(t * C, (t + 1) * C), k * C);
    });
    rmsNorm(s.n, s.n, this.#norm, tokens.length, C, eps);
    matmulTransposed(out, s.n, this.#lmHead, null, tokens.length, C, V);
  }
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

import type { LlamaConfig } from '../../harness/core/model/families/llama.ts';
import { add, rmsNorm, swiglu } from './kernels-f32.ts';
import type { LlamaWeights } from './llama-weights.ts';
import type { MatmulThreads } from './matmul-threads.ts';
import { rotaryAttentionF32, type StackedAttentionF32, stackAttention } from './rotary-attention-f32.ts';
import { RotaryDecoderF32 } from './rotary-decoder-f32.ts';
import type { RowCacheF32 } from './row-cache-f32.ts';

/** A block's parameters for the fast kernels: attention stacked (see StackedAttentionF32), then the MLP. */
interface LayerF32 extends StackedAttentionF32 {
  readonly inputNorm: Float32Array; // [C]
  readonly postAttentionNorm: Float32Array; // [C]
  readonly gateWeight: Float32Array; // [F, C]
  readonly upWeight: Float32Array; // [F, C]
  readonly downWeight: Float32Array; // [C, F]
}

/**
 * `ts:f32` for the Llama family (HF's LlamaForCausalLM; see LlamaF64 for the block): float32 with
 * the fast kernels, all new tokens of a call packed into one pass (see PackedF32). RoPE reads cos/sin
 * tables computed once at load; the cache holds keys after RoPE.
 */
export class LlamaF32 extends RotaryDecoderF32 {
  readonly #config: LlamaConfig;
  readonly #layers: readonly LayerF32[];

  constructor(weights: LlamaWeights<Float32Array>, matmuls: MatmulThreads) {
    const { embedTokens, norm, lmHead } = weights;
    super(weights.config, { embedTokens, embedScale: 1, norm, lmHead }, matmuls);
    this.#config = weights.config;
    this.#layers = weights.layers.map((l) => ({
      inputNorm: l.inputNorm,
      ...stackAttention(l, matmuls),
      postAttentionNorm: l.postAttentionNorm,
      gateWeight: matmuls.share(l.gateWeight),
      upWeight: matmuls.share(l.upWeight),
      downWeight: matmuls.share(l.downWeight),
    }));
  }

  /** Packed tokens through every block (see PackedF32.forward); leaves their final residual in the scratch x. */
  protected override forward(
    ids: readonly number[],
    rows: readonly RowCacheF32[],
    positions: readonly number[],
  ): void {
    const c = this.#config;
    const { hidden_size: C, intermediate_size: F, rms_norm_eps: eps } = c;
    const n = ids.length;
    const s = this.embed(ids); // x[n, C] = embed_tokens[ids]

    this.#layers.forEach((layer, l) => {
      rmsNorm(s.n, s.x, layer.inputNorm, n, C, eps);
      rotaryAttentionF32(s, layer, rows, positions, l, c, this.rope, this.matmuls);
      add(s.x, s.n, n * C);

      rmsNorm(s.n, s.x, layer.postAttentionNorm, n, C, eps);
      this.matmuls.matmul(s.gate, s.n, layer.gateWeight, null, n, C, F);
      this.matmuls.matmul(s.up, s.n, layer.upWeight, null, n, C, F);
      swiglu(s.gate, s.up, n * F);
      this.matmuls.matmul(s.n, s.gate, layer.downWeight, null, n, F, C);
      add(s.x, s.n, n * C);
    });
  }
}

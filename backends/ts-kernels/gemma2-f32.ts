import {
  type Gemma2Config,
  gemma2AttentionScale,
  gemma2EmbedScale,
  slidingWindowOf,
} from '../../harness/core/model/families/gemma2.ts';
import type { Gemma2Weights } from './gemma2-weights.ts';
import { add, geglu, rmsNorm, softcap } from './kernels-f32.ts';
import type { AttentionOptions } from './kernels-f64.ts';
import type { MatmulThreads } from './matmul-threads.ts';
import { rotaryAttentionF32, type StackedAttentionF32, stackAttention } from './rotary-attention-f32.ts';
import { RotaryDecoderF32 } from './rotary-decoder-f32.ts';
import type { RowCacheF32 } from './row-cache-f32.ts';

/** A block's parameters for the fast kernels: attention stacked (see StackedAttentionF32), norms holding 1 + weight. */
interface LayerF32 extends StackedAttentionF32 {
  readonly inputNorm: Float32Array; // [C]
  readonly postAttentionNorm: Float32Array; // [C]
  readonly preFeedforwardNorm: Float32Array; // [C]
  readonly postFeedforwardNorm: Float32Array; // [C]
  readonly gateWeight: Float32Array; // [F, C]
  readonly upWeight: Float32Array; // [F, C]
  readonly downWeight: Float32Array; // [C, F]
  /** Scale, soft cap and window of this layer's attention. */
  readonly attention: AttentionOptions;
}

/**
 * `ts:f32` for Gemma-2 (HF's Gemma2ForCausalLM; see Gemma2F64 for the block): float32 with the
 * fast kernels, all new tokens of a call packed into one pass (see PackedF32). The embeddings are
 * scaled by √hidden_size rounded to float32, as HF's normalizer is in a float32 model.
 */
export class Gemma2F32 extends RotaryDecoderF32 {
  readonly #config: Gemma2Config;
  readonly #layers: readonly LayerF32[];

  constructor(weights: Gemma2Weights<Float32Array>, matmuls: MatmulThreads) {
    const config = weights.config;
    const { embedTokens, norm, lmHead } = weights;
    super(config, { embedTokens, embedScale: gemma2EmbedScale(config, 'float32'), norm, lmHead }, matmuls);
    this.#config = config;
    this.#layers = weights.layers.map((l, i) => ({
      inputNorm: l.inputNorm,
      ...stackAttention(l, matmuls),
      postAttentionNorm: l.postAttentionNorm,
      preFeedforwardNorm: l.preFeedforwardNorm,
      postFeedforwardNorm: l.postFeedforwardNorm,
      gateWeight: matmuls.share(l.gateWeight),
      upWeight: matmuls.share(l.upWeight),
      downWeight: matmuls.share(l.downWeight),
      attention: {
        scale: gemma2AttentionScale(config),
        softcap: config.attn_logit_softcapping,
        window: slidingWindowOf(config, i),
      },
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
    const s = this.embed(ids); // x[n, C] = embed_tokens[ids] · √C

    this.#layers.forEach((layer, l) => {
      rmsNorm(s.n, s.x, layer.inputNorm, n, C, eps);
      rotaryAttentionF32(s, layer, rows, positions, l, c, this.rope, this.matmuls, layer.attention);
      rmsNorm(s.n, s.n, layer.postAttentionNorm, n, C, eps);
      add(s.x, s.n, n * C);

      rmsNorm(s.n, s.x, layer.preFeedforwardNorm, n, C, eps);
      this.matmuls.matmul(s.gate, s.n, layer.gateWeight, null, n, C, F);
      this.matmuls.matmul(s.up, s.n, layer.upWeight, null, n, C, F);
      geglu(s.gate, s.up, n * F);
      this.matmuls.matmul(s.n, s.gate, layer.downWeight, null, n, F, C);
      rmsNorm(s.n, s.n, layer.postFeedforwardNorm, n, C, eps);
      add(s.x, s.n, n * C);
    });
  }

  /** The head (model.norm, LM head), then the final soft cap. */
  protected override head(tokens: readonly number[], out: Float32Array): void {
    super.head(tokens, out);
    const cap = this.#config.final_logit_softcapping;
    if (cap !== null) softcap(out, tokens.length * this.#config.vocab_size, cap);
  }
}

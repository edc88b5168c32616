import { type RopeTables, rmsNorm, ropeTables } from './kernels-f32.ts';
import type { MatmulThreads } from './matmul-threads.ts';
import { PackedF32 } from './packed-f32.ts';
import { type RotaryDimsF32, RotaryScratch } from './rotary-attention-f32.ts';

/** What the Llama-style fast forward passes share beyond their blocks (config names). */
export interface RotaryDecoderDimsF32 extends RotaryDimsF32 {
  readonly vocab_size: number;
  readonly num_hidden_layers: number;
  readonly rope_theta: number;
  readonly rms_norm_eps: number;
}

/** The embedding, final norm and LM head of a Llama-style model, as its fast forward pass reads them. */
export interface RotaryEndsF32 {
  readonly embedTokens: Float32Array; // [V, C]
  /** Multiplies every embedding row (Gemma-2's √hidden_size in float32; 1 for Llama). */
  readonly embedScale: number;
  readonly norm: Float32Array; // [C], the final norm's weight as the RMSNorm multiplies by it
  readonly lmHead: Float32Array; // [V, C]
}

/**
 * `ts:f32`'s part of the Llama and Gemma-2 families that is not their blocks: RoPE's cos/sin tables
 * computed once at load, the packed tokens' scratch, the scaled embedding lookup, and the head
 * (final RMSNorm, then the LM head). A family's `forward` runs its blocks between `embed` and `head`.
 */
export abstract class RotaryDecoderF32 extends PackedF32 {
  protected readonly rope: RopeTables;
  #scratch: RotaryScratch;

  readonly #ends: RotaryEndsF32;

  constructor(
    protected readonly dims: RotaryDecoderDimsF32,
    ends: RotaryEndsF32,
    matmuls: MatmulThreads,
  ) {
    const kvWidth = dims.num_key_value_heads * dims.head_dim;
    super(dims.vocab_size, dims.max_position_embeddings, dims.num_hidden_layers, kvWidth, matmuls);
    const lmHead = matmuls.share(ends.lmHead);
    // tied: the embedding lookup reads the shared copy too, so the original can be freed
    this.#ends = {
      ...ends,
      lmHead,
      embedTokens: ends.embedTokens === ends.lmHead ? lmHead : ends.embedTokens,
    };
    this.rope = ropeTables(dims.max_position_embeddings, dims.head_dim, dims.rope_theta);
    this.#scratch = new RotaryScratch(1, dims);
  }

  /** The scratch for `ids.length` packed tokens, its x[n, C] = embed_tokens[ids] · embedScale. */
  protected embed(ids: readonly number[]): RotaryScratch {
    const C = this.dims.hidden_size;
    if (this.#scratch.tokens < ids.length) this.#scratch = new RotaryScratch(ids.length, this.dims);
    const s = this.#scratch;
    const { embedTokens, embedScale } = this.#ends;
    ids.forEach((id, i) => {
      for (let j = 0; j < C; j++) s.x[i * C + j] = embedTokens[id * C + j]! * embedScale;
    });
    return s;
  }

  /** out[tokens.length, V]: model.norm, then the LM head, of the chosen packed tokens of the last forward. */
  protected override head(tokens: readonly number[], out: Float32Array): void {
    const { hidden_size: C, vocab_size: V, rms_norm_eps: eps } = this.dims;
    const s = this.#scratch;
    // Gather the chosen rows of x into n [tokens.length, C], then normalise in place.
    tokens.forEach((t, k) => {
      s.n.set(s.x.subarray(t * C, (t + 1) * C), k * C);
    });
    rmsNorm(s.n, s.n, this.#ends.norm, tokens.length, C, eps);
    this.matmuls.matmul(out, s.n, this.#ends.lmHead, null, tokens.length, C, V);
  }
}

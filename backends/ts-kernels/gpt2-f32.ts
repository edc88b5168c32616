import type { Gpt2Config } from '../../harness/core/model/families/gpt2.ts';
import type { Gpt2Weights } from './gpt2-weights.ts';
import { add, attention, geluNew, layerNorm, transpose } from './kernels-f32.ts';
import type { MatmulThreads } from './matmul-threads.ts';
import { PackedF32 } from './packed-f32.ts';
import type { RowCacheF32 } from './row-cache-f32.ts';

/** A block's parameters with every Conv1D weight transposed to [out, in] for MatmulThreads.matmul. */
interface LayerF32 {
  readonly ln1Weight: Float32Array; // [C]
  readonly ln1Bias: Float32Array; // [C]
  readonly attnWeight: Float32Array; // [3C, C], rows q | k | v
  readonly attnBias: Float32Array; // [3C]
  readonly attnProjWeight: Float32Array; // [C, C]
  readonly attnProjBias: Float32Array; // [C]
  readonly ln2Weight: Float32Array; // [C]
  readonly ln2Bias: Float32Array; // [C]
  readonly fcWeight: Float32Array; // [F, C]
  readonly fcBias: Float32Array; // [F]
  readonly fcProjWeight: Float32Array; // [C, F]
  readonly fcProjBias: Float32Array; // [C]
}

/** Activations for up to `tokens` packed tokens; reused by every call that fits. */
class Scratch {
  readonly x: Float32Array; // [tokens, C] residual stream
  readonly a: Float32Array; // [tokens, C] normed input / block output
  readonly qkv: Float32Array; // [tokens, 3C] = q | k | v
  readonly heads: Float32Array; // [tokens, C] attention output, heads concatenated
  readonly fc: Float32Array; // [tokens, F] MLP hidden
  readonly scores: Float64Array; // [n_positions] one head's attention weights

  constructor(
    readonly tokens: number,
    config: Gpt2Config,
  ) {
    const { n_embd: C, n_inner: F } = config;
    this.x = new Float32Array(tokens * C);
    this.a = new Float32Array(tokens * C);
    this.qkv = new Float32Array(tokens * 3 * C);
    this.heads = new Float32Array(tokens * C);
    this.fc = new Float32Array(tokens * F);
    this.scores = new Float64Array(config.n_positions);
  }
}

/**
 * `ts:f32` for GPT-2 (Hugging Face semantics): float32 with the fast kernels, all new tokens of a
 * call packed into one pass (see PackedF32).
 */
export class Gpt2F32 extends PackedF32 {
  readonly #config: Gpt2Config;
  /** Embeddings, ln_f and the LM head; the blocks live transposed in #layers. */
  readonly #weights: Omit<Gpt2Weights<Float32Array>, 'layers'>;
  readonly #layers: readonly LayerF32[];
  #scratch: Scratch;

  constructor(weights: Gpt2Weights<Float32Array>, matmuls: MatmulThreads) {
    const config = weights.config;
    const { n_embd: C, n_inner: F } = config;
    super(config.vocab_size, config.n_positions, config.n_layer, C, matmuls);
    const { layers, ...rest } = weights;
    this.#config = config;
    const lmHead = matmuls.share(rest.lmHead);
    // tied: the embedding lookup reads the shared copy too, so the original can be freed
    this.#weights = { ...rest, lmHead, wte: rest.wte === rest.lmHead ? lmHead : rest.wte };
    this.#layers = layers.map((l) => ({
      ...l,
      attnWeight: matmuls.share(transpose(l.attnWeight, C, 3 * C)),
      attnBias: matmuls.share(l.attnBias),
      attnProjWeight: matmuls.share(transpose(l.attnProjWeight, C, C)),
      attnProjBias: matmuls.share(l.attnProjBias),
      fcWeight: matmuls.share(transpose(l.fcWeight, C, F)),
      fcBias: matmuls.share(l.fcBias),
      fcProjWeight: matmuls.share(transpose(l.fcProjWeight, F, C)),
      fcProjBias: matmuls.share(l.fcProjBias),
    }));
    this.#scratch = new Scratch(1, config);
  }

  /** Packed tokens through every block (see PackedF32.forward); leaves their final residual in the scratch x. */
  protected override forward(
    ids: readonly number[],
    rows: readonly RowCacheF32[],
    positions: readonly number[],
  ): void {
    const { n_embd: C, n_inner: F, n_head: H, layer_norm_epsilon: eps } = this.#config;
    const { wte, wpe } = this.#weights;
    const n = ids.length;
    if (this.#scratch.tokens < n) this.#scratch = new Scratch(n, this.#config);
    const s = this.#scratch;

    // x[n, C] = wte[ids] + wpe[positions]
    ids.forEach((id, i) => {
      const p = positions[i]!;
      for (let c = 0; c < C; c++) s.x[i * C + c] = wte[id * C + c]! + wpe[p * C + c]!;
    });

    this.#layers.forEach((layer, l) => {
      layerNorm(s.a, s.x, layer.ln1Weight, layer.ln1Bias, n, C, eps);
      this.matmuls.matmul(s.qkv, s.a, layer.attnWeight, layer.attnBias, n, C, 3 * C);
      rows.forEach((row, i) => {
        const p = positions[i]!;
        row.keys(l).set(s.qkv.subarray(i * 3 * C + C, i * 3 * C + 2 * C), p * C);
        row.values(l).set(s.qkv.subarray(i * 3 * C + 2 * C, (i + 1) * 3 * C), p * C);
      });
      rows.forEach((row, i) => {
        const q = s.qkv.subarray(i * 3 * C, i * 3 * C + C);
        const out = s.heads.subarray(i * C, (i + 1) * C);
        attention(out, q, row.keys(l), row.values(l), positions[i]! + 1, H, H, s.scores);
      });
      this.matmuls.matmul(s.a, s.heads, layer.attnProjWeight, layer.attnProjBias, n, C, C);
      add(s.x, s.a, n * C);

      layerNorm(s.a, s.x, layer.ln2Weight, layer.ln2Bias, n, C, eps);
      this.matmuls.matmul(s.fc, s.a, layer.fcWeight, layer.fcBias, n, C, F);
      geluNew(s.fc, n * F);
      this.matmuls.matmul(s.a, s.fc, layer.fcProjWeight, layer.fcProjBias, n, F, C);
      add(s.x, s.a, n * C);
    });
  }

  /** out[tokens.length, V]: ln_f, then the LM head, of the chosen packed tokens. */
  protected override head(tokens: readonly number[], out: Float32Array): void {
    const { n_embd: C, vocab_size: V, layer_norm_epsilon: eps } = this.#config;
    const { lmHead, lnFWeight, lnFBias } = this.#weights;
    const s = this.#scratch;
    // Gather the chosen rows of x into a [tokens.length, C], then normalise in place.
    tokens.forEach((t, k) => {
      s.a.set(s.x.subarray(t * C, (t + 1) * C), k * C);
    });
    layerNorm(s.a, s.a, lnFWeight, lnFBias, tokens.length, C, eps);
    this.matmuls.matmul(out, s.a, lmHead, null, tokens.length, C, V);
  }
}

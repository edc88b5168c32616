import { checkPrefillRows, checkReorder, checkStepTokens } from '../../harness/backend/batch-checks.ts';
import type { Logits, LogitsSource, PrefillOptions } from '../../harness/backend/contract.ts';
import type { Gpt2Config } from '../../harness/model/gpt2-config.ts';
import { tsKernelsInfo } from './backend-info.ts';
import type { Gpt2Weights } from './gpt2-weights.ts';
import { add, attention, geluNew, layerNorm, matmulTransposed, transpose } from './kernels-f32.ts';
import { RowCacheF32 } from './row-cache-f32.ts';

const ID = 'ts:f32';

/** A block's parameters with every Conv1D weight transposed to [out, in] for matmulTransposed. */
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
 * `ts:f32`: GPT-2 (Hugging Face semantics) in float32 with the fast kernels. A call runs all its new
 * tokens at once, packed without padding: token i is `ids[i]` of row `rowOf[i]` at position id
 * `positions[i]`, so one matmul serves the whole batch and prompt. Each layer caches every token's
 * keys and values before any token attends, so a prompt attends causally within itself.
 */
export class Gpt2F32 implements LogitsSource {
  readonly info = tsKernelsInfo(ID, 'float32');
  readonly vocabSize: number;
  readonly maxPositions: number;
  readonly #config: Gpt2Config;
  /** Embeddings, ln_f and the LM head; the blocks live transposed in #layers. */
  readonly #weights: Omit<Gpt2Weights<Float32Array>, 'layers'>;
  readonly #layers: readonly LayerF32[];
  #rows: RowCacheF32[] = [];
  #scratch: Scratch;

  constructor(weights: Gpt2Weights<Float32Array>) {
    const config = weights.config;
    const { n_embd: C, n_inner: F } = config;
    const { layers, ...rest } = weights;
    this.#config = config;
    this.#weights = rest;
    this.vocabSize = config.vocab_size;
    this.maxPositions = config.n_positions;
    this.#layers = layers.map((l) => ({
      ...l,
      attnWeight: transpose(l.attnWeight, C, 3 * C),
      attnProjWeight: transpose(l.attnProjWeight, C, C),
      fcWeight: transpose(l.fcWeight, C, F),
      fcProjWeight: transpose(l.fcProjWeight, F, C),
    }));
    this.#scratch = new Scratch(1, config);
  }

  async prefill(rows: readonly (readonly number[])[], options: PrefillOptions = {}): Promise<Logits> {
    const { n_layer: L, n_embd: C, vocab_size: V } = this.#config;
    const length = checkPrefillRows(ID, rows, V, this.maxPositions);
    this.#rows = rows.map((r) => new RowCacheF32(length - r.length, L, C, r.length, this.maxPositions));
    const rowOf = rows.flatMap((r, b) => r.map(() => b));
    const positions = rows.flatMap((r) => r.map((_, j) => j));
    const s = this.#forward(rows.flat(), rowOf, positions);

    if (!options.allPositions) {
      const lastTokens = rows.map((_, b) => rowOf.lastIndexOf(b));
      return { batch: rows.length, positions: 1, vocab: V, data: this.#logits(s, lastTokens) };
    }
    // [batch, length, vocab]; left-padding columns stay 0. Row b's tokens are packed contiguously
    // and fill its last columns, so each row is one head call.
    const { lmHead, lnFWeight, lnFBias } = this.#weights;
    layerNorm(s.a, s.x, lnFWeight, lnFBias, rowOf.length, C, this.#config.layer_norm_epsilon);
    const logits = new Float32Array(rows.length * length * V);
    let first = 0;
    rows.forEach((r, b) => {
      const out = logits.subarray((b * length + length - r.length) * V, (b + 1) * length * V);
      matmulTransposed(out, s.a.subarray(first * C), lmHead, null, r.length, C, V);
      first += r.length;
    });
    return { batch: rows.length, positions: length, vocab: V, data: logits };
  }

  async step(tokens: readonly number[]): Promise<Logits> {
    const first = this.#rows[0];
    const length = first === undefined ? 0 : first.pad + first.length;
    checkStepTokens(ID, tokens, this.#rows.length, this.vocabSize, length + 1, this.maxPositions);
    for (const row of this.#rows) row.reserve(row.length + 1);
    const rowIds = this.#rows.map((_, b) => b);
    const positions = this.#rows.map((row) => row.length);
    const s = this.#forward(tokens, rowIds, positions);
    return { batch: tokens.length, positions: 1, vocab: this.vocabSize, data: this.#logits(s, rowIds) };
  }

  async reorder(sourceRows: readonly number[]): Promise<void> {
    checkReorder(ID, sourceRows, this.#rows.length);
    // The first row continuing a source takes its cache; duplicates get copies.
    const taken = new Set<number>();
    this.#rows = sourceRows.map((source) => {
      const row = this.#rows[source]!;
      if (taken.has(source)) return row.copy();
      taken.add(source);
      return row;
    });
  }

  reset(): void {
    this.#rows = [];
  }

  /** Nothing native to release; drops the cache. */
  async dispose(): Promise<void> {
    this.reset();
  }

  /** Run packed tokens through every layer (see the class comment); leaves their final residual in s.x. */
  #forward(ids: readonly number[], rowOf: readonly number[], positions: readonly number[]): Scratch {
    const { n_embd: C, n_inner: F, n_head: H, layer_norm_epsilon: eps } = this.#config;
    const { wte, wpe } = this.#weights;
    const n = ids.length;
    if (this.#scratch.tokens < n) this.#scratch = new Scratch(n, this.#config);
    const s = this.#scratch;
    const rows = rowOf.map((b) => this.#rows[b]!);

    // x[n, C] = wte[ids] + wpe[positions]
    ids.forEach((id, i) => {
      const p = positions[i]!;
      for (let c = 0; c < C; c++) s.x[i * C + c] = wte[id * C + c]! + wpe[p * C + c]!;
    });

    this.#layers.forEach((layer, l) => {
      layerNorm(s.a, s.x, layer.ln1Weight, layer.ln1Bias, n, C, eps);
      matmulTransposed(s.qkv, s.a, layer.attnWeight, layer.attnBias, n, C, 3 * C);
      rows.forEach((row, i) => {
        const p = positions[i]!;
        row.keys(l).set(s.qkv.subarray(i * 3 * C + C, i * 3 * C + 2 * C), p * C);
        row.values(l).set(s.qkv.subarray(i * 3 * C + 2 * C, (i + 1) * 3 * C), p * C);
      });
      rows.forEach((row, i) => {
        const q = s.qkv.subarray(i * 3 * C, i * 3 * C + C);
        const out = s.heads.subarray(i * C, (i + 1) * C);
        attention(out, q, row.keys(l), row.values(l), positions[i]! + 1, H, s.scores);
      });
      matmulTransposed(s.a, s.heads, layer.attnProjWeight, layer.attnProjBias, n, C, C);
      add(s.x, s.a, n * C);

      layerNorm(s.a, s.x, layer.ln2Weight, layer.ln2Bias, n, C, eps);
      matmulTransposed(s.fc, s.a, layer.fcWeight, layer.fcBias, n, C, F);
      geluNew(s.fc, n * F);
      matmulTransposed(s.a, s.fc, layer.fcProjWeight, layer.fcProjBias, n, F, C);
      add(s.x, s.a, n * C);
    });
    rows.forEach((row, i) => {
      row.length = positions[i]! + 1;
    });
    return s;
  }

  /** Fresh logits [tokens.length, V] for the given packed tokens: ln_f, then the LM head. */
  #logits(s: Scratch, tokens: readonly number[]): Float32Array {
    const { n_embd: C, vocab_size: V, layer_norm_epsilon: eps } = this.#config;
    const { lmHead, lnFWeight, lnFBias } = this.#weights;
    // Gather the chosen rows of x into a [tokens.length, C], then normalise in place.
    tokens.forEach((t, k) => {
      s.a.set(s.x.subarray(t * C, (t + 1) * C), k * C);
    });
    layerNorm(s.a, s.a, lnFWeight, lnFBias, tokens.length, C, eps);
    const logits = new Float32Array(tokens.length * V);
    matmulTransposed(logits, s.a, lmHead, null, tokens.length, C, V);
    return logits;
  }
}

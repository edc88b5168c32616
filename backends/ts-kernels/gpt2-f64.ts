import { checkPrefillRows, checkReorder, checkStepTokens } from '../../harness/backend/batch-checks.ts';
import type { Logits, LogitsSource, PrefillOptions } from '../../harness/backend/contract.ts';
import { tsKernelsInfo } from './backend-info.ts';
import type { Gpt2Weights } from './gpt2-weights.ts';
import { add, attention, geluNew, layerNorm, matmul, matmulTransposed } from './kernels-f64.ts';

const ID = 'ts:f64';

/** One layer's past for one row: the key and value vector [C] of each real token, by position. */
interface LayerCache {
  readonly keys: Float64Array[];
  readonly values: Float64Array[];
}

/**
 * One batch row. Only real tokens are cached, at index = position id, so left padding never enters
 * attention; `pad` only places the row's columns in the left-padded batch.
 */
interface Row {
  /** Left-padding columns in front of the first real token. */
  readonly pad: number;
  /** Real tokens run so far (= the next token's position id). */
  length: number;
  readonly layers: readonly LayerCache[];
}

/**
 * `ts:f64`, the reference backend: GPT-2 (Hugging Face semantics) in float64 with the naive kernels,
 * one token at a time as in llama2.c. A row's tokens run in order, each through every layer,
 * appending its keys and values to the row's cache; causal attention is then simply "attend to
 * everything cached". Slow and obviously right: every other backend is measured against it.
 */
export class Gpt2F64 implements LogitsSource {
  readonly info = tsKernelsInfo(ID, 'float64');
  readonly vocabSize: number;
  readonly maxPositions: number;
  readonly #weights: Gpt2Weights<Float64Array>;
  #rows: Row[] = [];

  constructor(weights: Gpt2Weights<Float64Array>) {
    this.#weights = weights;
    this.vocabSize = weights.config.vocab_size;
    this.maxPositions = weights.config.n_positions;
  }

  async prefill(rows: readonly (readonly number[])[], options: PrefillOptions = {}): Promise<Logits> {
    const V = this.vocabSize;
    const length = checkPrefillRows(ID, rows, V, this.maxPositions);
    const positions = options.allPositions ? length : 1;
    // [batch, positions, vocab]; left-padding columns stay 0.
    const logits = new Float64Array(rows.length * positions * V);
    this.#rows = rows.map((tokens, b) => {
      const row = this.#emptyRow(length - tokens.length);
      tokens.forEach((token, j) => {
        const hidden = this.#forward(row, token);
        const column = row.pad + j;
        if (options.allPositions) this.#head(logits, (b * positions + column) * V, hidden);
        else if (column === length - 1) this.#head(logits, b * V, hidden);
      });
      return row;
    });
    return { batch: rows.length, positions, vocab: V, data: logits };
  }

  async step(tokens: readonly number[]): Promise<Logits> {
    const V = this.vocabSize;
    const first = this.#rows[0];
    const length = first === undefined ? 0 : first.pad + first.length;
    checkStepTokens(ID, tokens, this.#rows.length, V, length + 1, this.maxPositions);
    const logits = new Float64Array(tokens.length * V); // [batch, 1, vocab]
    this.#rows.forEach((row, b) => {
      this.#head(logits, b * V, this.#forward(row, tokens[b]!));
    });
    return { batch: tokens.length, positions: 1, vocab: V, data: logits };
  }

  async reorder(sourceRows: readonly number[]): Promise<void> {
    checkReorder(ID, sourceRows, this.#rows.length);
    // Cached vectors are never written after they are appended, so rows may share them.
    this.#rows = sourceRows.map((source) => {
      const row = this.#rows[source]!;
      return {
        pad: row.pad,
        length: row.length,
        layers: row.layers.map((c) => ({ keys: c.keys.slice(), values: c.values.slice() })),
      };
    });
  }

  reset(): void {
    this.#rows = [];
  }

  /** Nothing native to release; drops the cache. */
  async dispose(): Promise<void> {
    this.reset();
  }

  #emptyRow(pad: number): Row {
    return { pad, length: 0, layers: this.#weights.layers.map(() => ({ keys: [], values: [] })) };
  }

  /** Run `token` at the row's next position through every layer; returns ln_f of its hidden state [C]. */
  #forward(row: Row, token: number): Float64Array {
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
      attention(heads, qkv.subarray(0, C), cache.keys, cache.values, H);
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

  /** logits[offset, offset + V) = hidden [C] · lm_headᵀ. */
  #head(logits: Float64Array, offset: number, hidden: Float64Array): void {
    const { n_embd: C, vocab_size: V } = this.#weights.config;
    matmulTransposed(logits.subarray(offset, offset + V), hidden, this.#weights.lmHead, 1, C, V);
  }
}

import type { AttentionObserver, ObservesAttention } from '../../harness/core/backend/attention-observer.ts';
import { checkPrefillRows, checkReorder, checkStepTokens } from '../../harness/core/backend/batch-checks.ts';
import type { Logits, LogitsSource, PrefillOptions } from '../../harness/core/backend/contract.ts';
import { tsKernelsInfo } from './backend-info.ts';

export const F64_ID = 'ts:f64';

/** One layer's past for one row: the key and value vector of each real token, by position. */
export interface LayerCache {
  readonly keys: Float64Array[];
  readonly values: Float64Array[];
}

/**
 * One batch row. Only real tokens are cached, at index = position id, so left padding never enters
 * attention; `pad` only places the row's columns in the left-padded batch.
 */
export interface RowF64 {
  /** Left-padding columns in front of the first real token. */
  readonly pad: number;
  /** Real tokens run so far (= the next token's position id). */
  length: number;
  readonly layers: readonly LayerCache[];
}

/**
 * The batch bookkeeping of `ts:f64`, the reference backend, shared by its model families: one token
 * at a time as in llama2.c. A row's tokens run in order, each through every layer, appending its
 * keys and values to the row's cache; causal attention is then simply "attend to everything
 * cached". A family supplies `forward` (one token through the blocks) and `head` (the LM head).
 */
export abstract class TokenByTokenF64 implements LogitsSource, ObservesAttention {
  readonly info = tsKernelsInfo(F64_ID, 'float64');
  #rows: RowF64[] = [];
  /**
   * Set only by the attention view (decoding never sets it): `forward` hands it each layer's
   * attention probabilities [heads, keys] of the token it runs.
   */
  protected onAttentionProbs: AttentionObserver | undefined;

  constructor(
    readonly vocabSize: number,
    readonly maxPositions: number,
    private readonly layerCount: number,
  ) {}

  /**
   * Run `token` at position `row.length` through every layer, appending its keys and values to
   * `row.layers` and incrementing `row.length`; returns the final-normed hidden state.
   */
  protected abstract forward(row: RowF64, token: number): Float64Array;

  /** logits [V] = hidden · lm_headᵀ. */
  protected abstract head(logits: Float64Array, hidden: Float64Array): void;

  async prefill(rows: readonly (readonly number[])[], options: PrefillOptions = {}): Promise<Logits> {
    const V = this.vocabSize;
    const length = checkPrefillRows(F64_ID, rows, V, this.maxPositions);
    const positions = options.allPositions ? length : 1;
    // [batch, positions, vocab]; left-padding columns stay 0.
    const logits = new Float64Array(rows.length * positions * V);
    const headAt = (offset: number, hidden: Float64Array): void =>
      this.head(logits.subarray(offset, offset + V), hidden);
    this.#rows = rows.map((tokens, b) => {
      const row = this.#emptyRow(length - tokens.length);
      tokens.forEach((token, j) => {
        const hidden = this.forward(row, token);
        const column = row.pad + j;
        if (options.allPositions) headAt((b * positions + column) * V, hidden);
        else if (column === length - 1) headAt(b * V, hidden);
      });
      return row;
    });
    return { batch: rows.length, positions, vocab: V, data: logits };
  }

  async step(tokens: readonly number[]): Promise<Logits> {
    const V = this.vocabSize;
    const first = this.#rows[0];
    const length = first === undefined ? 0 : first.pad + first.length;
    checkStepTokens(F64_ID, tokens, this.#rows.length, V, length + 1, this.maxPositions);
    const logits = new Float64Array(tokens.length * V); // [batch, 1, vocab]
    this.#rows.forEach((row, b) => {
      this.head(logits.subarray(b * V, (b + 1) * V), this.forward(row, tokens[b]!));
    });
    return { batch: tokens.length, positions: 1, vocab: V, data: logits };
  }

  async reorder(sourceRows: readonly number[]): Promise<void> {
    checkReorder(F64_ID, sourceRows, this.#rows.length);
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

  observeAttention(observer: AttentionObserver | undefined): void {
    this.onAttentionProbs = observer;
  }

  /** Nothing native to release; drops the cache. */
  async dispose(): Promise<void> {
    this.reset();
  }

  #emptyRow(pad: number): RowF64 {
    return {
      pad,
      length: 0,
      layers: Array.from({ length: this.layerCount }, () => ({ keys: [], values: [] })),
    };
  }
}

import type { BackendInfo, Logits, LogitsSource } from '../../harness/core/backend/contract.ts';

/**
 * A context-free LogitsSource: the same next-token logits after any context, the empty one
 * included. It is a toy vocabulary with no model behind it (`trace --logits` / `--probs`), so the
 * decode strategies, processors and coins run on numbers a person wrote down. It has no cache:
 * prefill, step and reorder only track how many rows the batch holds.
 */
export class ToySource implements LogitsSource {
  readonly info: BackendInfo = {
    id: 'toy',
    device: 'host',
    deviceKind: 'cpu',
    executionProvider: 'none (given logits)',
    dtype: 'float64',
    threads: 1,
    versions: {},
  };
  readonly vocabSize: number;
  /** A toy has no position table; this bounds a run's length as a model's would. */
  readonly maxPositions = 1024;
  readonly #logits: Float64Array;
  #rows = 0;

  constructor(logits: readonly number[]) {
    this.#logits = Float64Array.from(logits);
    this.vocabSize = logits.length;
  }

  async prefill(rows: readonly (readonly number[])[]): Promise<Logits> {
    this.#rows = rows.length;
    return this.#batch();
  }

  async step(tokens: readonly number[]): Promise<Logits> {
    if (tokens.length !== this.#rows) {
      throw new Error(`step got ${tokens.length} tokens for a batch of ${this.#rows} rows`);
    }
    return this.#batch();
  }

  async reorder(sourceRows: readonly number[]): Promise<void> {
    this.#rows = sourceRows.length;
  }

  reset(): void {
    this.#rows = 0;
  }

  async dispose(): Promise<void> {}

  #batch(): Logits {
    const vocab = this.vocabSize;
    const data = new Float64Array(this.#rows * vocab); // [batch, 1, vocab]
    for (let b = 0; b < this.#rows; b++) data.set(this.#logits, b * vocab);
    return { batch: this.#rows, positions: 1, vocab, data };
  }
}

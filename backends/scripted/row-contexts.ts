/**
 * The token ids every batch row holds, kept in step with a LogitsSource's prefill / step / reorder,
 * for sources whose logits are a function of the context (scripted replays, targeted perturbations).
 * Rows are stored unpadded; `contextAt` maps a column of a left-padded all-positions prefill back to
 * the ids that column has seen.
 */
export class RowContexts {
  #rows: number[][] = [];

  get rows(): readonly (readonly number[])[] {
    return this.#rows;
  }

  prefill(rows: readonly (readonly number[])[]): void {
    if (rows.length === 0 || rows.some((row) => row.length === 0)) {
      throw new Error('prefill needs at least one non-empty row');
    }
    this.#rows = rows.map((row) => [...row]);
  }

  step(tokens: readonly number[]): void {
    if (tokens.length !== this.#rows.length) {
      throw new Error(`step got ${tokens.length} tokens for a batch of ${this.#rows.length} rows`);
    }
    for (const [b, token] of tokens.entries()) this.#rows[b]!.push(token);
  }

  reorder(sourceRows: readonly number[]): void {
    this.#rows = sourceRows.map((r) => {
      const row = this.#rows[r];
      if (row === undefined) throw new Error(`reorder names row ${r} of a batch of ${this.#rows.length}`);
      return [...row];
    });
  }

  reset(): void {
    this.#rows = [];
  }

  /** Longest row: the column count of an all-positions prefill. */
  get maxLength(): number {
    return Math.max(...this.#rows.map((row) => row.length));
  }

  /** Ids seen by `column` of row `b` (left padding first), or null for a padding column. */
  contextAt(b: number, column: number): readonly number[] | null {
    const row = this.#rows[b]!;
    const t = column - (this.maxLength - row.length);
    return t < 0 ? null : row.slice(0, t + 1);
  }
}

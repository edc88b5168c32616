/**
 * Left-padding bookkeeping for rows that share one KV cache of `length` columns, following
 * transformers: pads sit before each row's tokens, attention_mask is 0 on them, and position ids
 * count real tokens only (cumsum(mask) - 1, with pads set to 1).
 */
export class PaddedBatch {
  private constructor(
    /** Left-pad columns per row. */
    readonly pads: readonly number[],
    /** Cache columns (padded length) so far. */
    readonly length: number,
  ) {}

  /** Lay out checked prompts left-padded to the longest; `padId` fills the pad columns. */
  static fromRows(
    rows: readonly (readonly number[])[],
    padId: number,
  ): { batch: PaddedBatch; inputIds: BigInt64Array; positionIds: BigInt64Array } {
    const length = Math.max(...rows.map((r) => r.length));
    const pads = rows.map((r) => length - r.length);
    const inputIds = new BigInt64Array(rows.length * length).fill(BigInt(padId)); // [batch, length]
    const positionIds = new BigInt64Array(rows.length * length).fill(1n); // [batch, length]
    rows.forEach((row, b) => {
      const start = b * length + pads[b]!;
      row.forEach((id, j) => {
        inputIds[start + j] = BigInt(id);
        positionIds[start + j] = BigInt(j);
      });
    });
    return { batch: new PaddedBatch(pads, length), inputIds, positionIds };
  }

  get size(): number {
    return this.pads.length;
  }

  /** The batch after one more column. */
  grown(): PaddedBatch {
    return new PaddedBatch(this.pads, this.length + 1);
  }

  /** New row r continues old row `sourceRows[r]`; the cache length is shared so it stays. */
  gather(sourceRows: readonly number[]): PaddedBatch {
    return new PaddedBatch(
      sourceRows.map((r) => this.pads[r]!),
      this.length,
    );
  }

  /** Position id of the token in the last column of row b (real tokens before it). */
  lastPosition(b: number): number {
    return this.length - 1 - this.pads[b]!;
  }

  /** Write attention_mask [batch, length] into the front of `out` (a buffer reused across steps). */
  writeMask(out: BigInt64Array): BigInt64Array {
    const mask = out.subarray(0, this.size * this.length);
    this.pads.forEach((pad, b) => {
      const row = b * this.length;
      mask.fill(0n, row, row + pad);
      mask.fill(1n, row + pad, row + this.length);
    });
    return mask;
  }
}

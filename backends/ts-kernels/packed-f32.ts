import { checkPrefillRows, checkReorder, checkStepTokens } from '../../harness/core/backend/batch-checks.ts';
import type { Logits, LogitsSource, PrefillOptions } from '../../harness/core/backend/contract.ts';
import { tsKernelsInfo } from './backend-info.ts';
import type { MatmulThreads } from './matmul-threads.ts';
import { RowCacheF32 } from './row-cache-f32.ts';

export const F32_ID = 'ts:f32';

/**
 * The batch bookkeeping of `ts:f32`, shared by its model families. A call runs all its new tokens
 * at once, packed without padding, so one matmul serves the whole batch and prompt. Each layer
 * caches every token's keys and values before any token attends, so a prompt attends causally
 * within itself. Left padding exists only as each row's `pad`. A family supplies `forward` and `head`.
 */
export abstract class PackedF32 implements LogitsSource {
  readonly info: ReturnType<typeof tsKernelsInfo>;
  #rows: RowCacheF32[] = [];

  /** `cacheWidth`: one cached key or value vector, kvHeads · headDim. `matmuls`: every matrix product. */
  constructor(
    readonly vocabSize: number,
    readonly maxPositions: number,
    private readonly layerCount: number,
    private readonly cacheWidth: number,
    protected readonly matmuls: MatmulThreads,
  ) {
    this.info = tsKernelsInfo(F32_ID, 'float32', matmuls.threads);
  }

  /**
   * Run packed tokens through every layer: token i is `ids[i]` of the row cached in `rows[i]`, at
   * position id `positions[i]`. Writes each token's keys and values into its row at its position
   * before any token attends, and keeps the final residual stream for `head`.
   */
  protected abstract forward(
    ids: readonly number[],
    rows: readonly RowCacheF32[],
    positions: readonly number[],
  ): void;

  /** out[tokens.length, V] = final norm, then LM head, of the given packed tokens of the last forward. */
  protected abstract head(tokens: readonly number[], out: Float32Array): void;

  async prefill(rows: readonly (readonly number[])[], options: PrefillOptions = {}): Promise<Logits> {
    const V = this.vocabSize;
    const length = checkPrefillRows(F32_ID, rows, V, this.maxPositions);
    this.#rows = rows.map(
      (r) =>
        new RowCacheF32(length - r.length, this.layerCount, this.cacheWidth, r.length, this.maxPositions),
    );
    const rowOf = rows.flatMap((r, b) => r.map(() => b));
    this.#forward(
      rows.flat(),
      rowOf,
      rows.flatMap((r) => r.map((_, j) => j)),
    );

    if (!options.allPositions) {
      const lastTokens = rows.map((_, b) => rowOf.lastIndexOf(b));
      return { batch: rows.length, positions: 1, vocab: V, data: this.#logits(lastTokens) };
    }
    // [batch, length, vocab]; left-padding columns stay 0. Row b's tokens are packed contiguously
    // and fill its last columns, so each row is one head call.
    const logits = new Float32Array(rows.length * length * V);
    let first = 0;
    rows.forEach((r, b) => {
      const tokens = r.map((_, j) => first + j);
      this.head(tokens, logits.subarray((b * length + length - r.length) * V, (b + 1) * length * V));
      first += r.length;
    });
    return { batch: rows.length, positions: length, vocab: V, data: logits };
  }

  async step(tokens: readonly number[]): Promise<Logits> {
    const first = this.#rows[0];
    const length = first === undefined ? 0 : first.pad + first.length;
    checkStepTokens(F32_ID, tokens, this.#rows.length, this.vocabSize, length + 1, this.maxPositions);
    for (const row of this.#rows) row.reserve(row.length + 1);
    const rowIds = this.#rows.map((_, b) => b);
    this.#forward(
      tokens,
      rowIds,
      this.#rows.map((row) => row.length),
    );
    return { batch: tokens.length, positions: 1, vocab: this.vocabSize, data: this.#logits(rowIds) };
  }

  async reorder(sourceRows: readonly number[]): Promise<void> {
    checkReorder(F32_ID, sourceRows, this.#rows.length);
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

  /** Drops the cache and stops the matmul workers. */
  async dispose(): Promise<void> {
    this.reset();
    await this.matmuls.dispose();
  }

  #forward(ids: readonly number[], rowOf: readonly number[], positions: readonly number[]): void {
    const rows = rowOf.map((b) => this.#rows[b]!);
    this.forward(ids, rows, positions);
    rows.forEach((row, i) => {
      row.length = positions[i]! + 1;
    });
  }

  /** Fresh logits [tokens.length, V] for the given packed tokens. */
  #logits(tokens: readonly number[]): Float32Array {
    const logits = new Float32Array(tokens.length * this.vocabSize);
    this.head(tokens, logits);
    return logits;
  }
}

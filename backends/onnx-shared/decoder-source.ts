import { checkPrefillRows, checkReorder, checkStepTokens } from '../../harness/core/backend/batch-checks.ts';
import type {
  BackendInfo,
  Logits,
  LogitsSource,
  PrefillOptions,
} from '../../harness/core/backend/contract.ts';
import { UsageError } from '../../harness/core/errors.ts';
import { type ModelConfig, maxPositions, padTokenId } from '../../harness/core/model/model-config.ts';
import type { ForwardPass, ForwardTiming } from './forward-pass.ts';
import { PaddedBatch } from './padded-batch.ts';

/**
 * The LogitsSource of the onnxruntime-web backends and onnx:f64: argument checks and left-padding
 * bookkeeping on the host (PaddedBatch, shared with ort-node), the forward pass and the KV cache
 * behind a ForwardPass (Node wasm, or a Chromium page on wasm or WebGPU).
 */
export class KvDecoderSource implements LogitsSource {
  readonly vocabSize: number;
  readonly maxPositions: number;
  private rows: PaddedBatch | undefined;
  private disposed = false;

  constructor(
    private readonly forward: ForwardPass,
    readonly info: BackendInfo,
    private readonly config: ModelConfig,
  ) {
    this.vocabSize = config.vocab_size;
    this.maxPositions = maxPositions(config);
  }

  /** Model time vs round trip per call (see forward-pass.ts); for benchmarks. */
  get timing(): ForwardTiming {
    return this.forward.timing;
  }

  async prefill(rows: readonly (readonly number[])[], options: PrefillOptions = {}): Promise<Logits> {
    this.checkUsable('prefill');
    // The page drops its old cache at this run (freshCache); until then reset() only forgets rows.
    this.rows = undefined;
    checkPrefillRows(this.info.id, rows, this.vocabSize, this.maxPositions);
    const { batch, inputIds, positionIds } = PaddedBatch.fromRows(rows, padTokenId(this.config));
    const logits = await this.forward.run({
      batch: batch.size,
      seq: batch.length,
      total: batch.length,
      inputIds,
      positionIds,
      attentionMask: batch.writeMask(new BigInt64Array(batch.size * batch.length)),
      freshCache: true,
      allPositions: options.allPositions ?? false,
    });
    this.rows = batch;
    return logits;
  }

  async step(tokens: readonly number[]): Promise<Logits> {
    const rows = this.current('step');
    const next = rows.grown();
    checkStepTokens(this.info.id, tokens, rows.size, this.vocabSize, next.length, this.maxPositions);
    const logits = await this.forward.run({
      batch: rows.size,
      seq: 1,
      total: next.length,
      inputIds: BigInt64Array.from(tokens, BigInt),
      positionIds: BigInt64Array.from(tokens, (_, b) => BigInt(next.lastPosition(b))),
      attentionMask: next.writeMask(new BigInt64Array(rows.size * next.length)),
      freshCache: false,
      allPositions: false,
    });
    this.rows = next;
    return logits;
  }

  async reorder(sourceRows: readonly number[]): Promise<void> {
    const rows = this.current('reorder');
    checkReorder(this.info.id, sourceRows, rows.size);
    await this.forward.gather(sourceRows);
    this.rows = rows.gather(sourceRows);
  }

  reset(): void {
    this.rows = undefined;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    this.rows = undefined;
    await this.forward.dispose();
  }

  private checkUsable(op: string): void {
    if (this.disposed) {
      throw new UsageError(`${this.info.id}: ${op} called after dispose(); create a new source`);
    }
  }

  private current(op: string): PaddedBatch {
    this.checkUsable(op);
    if (!this.rows) throw new UsageError(`${this.info.id}: ${op} called with no rows; call prefill first`);
    return this.rows;
  }
}

import type { Logits } from '../../harness/core/backend/contract.ts';

/**
 * What one forward pass of a KV-cache decoder needs, laid out by PaddedBatch on the host:
 * the new columns of every row and the attention mask over the whole cache after this run.
 */
export interface DecoderFeeds {
  readonly batch: number;
  /** New columns in this run: the padded prompt length for prefill, 1 for a step. */
  readonly seq: number;
  /** Cache columns after this run (past + seq). */
  readonly total: number;
  readonly inputIds: BigInt64Array; // [batch, seq]
  readonly positionIds: BigInt64Array; // [batch, seq]
  readonly attentionMask: BigInt64Array; // [batch, total]
  /** Start from an empty cache (prefill) instead of the one the last run left. */
  readonly freshCache: boolean;
  /** Return every column's logits, not only the last. */
  readonly allPositions: boolean;
}

/** Milliseconds spent in one call, split where the backend can see the split. */
export interface CallTiming {
  readonly call: 'prefill' | 'step' | 'reorder';
  /** Inside the runtime: feeds built, session.run, logits read back (in-page time for Chromium). */
  readonly modelMs: number;
  /** The whole call as the host sees it; minus modelMs, that is transport (Node ↔ page). */
  readonly roundTripMs: number;
}

/** The running totals and the last call, for benchmarks to read after each call. */
export interface ForwardTiming {
  readonly last: CallTiming | undefined;
  readonly calls: number;
  readonly totalModelMs: number;
  readonly totalRoundTripMs: number;
}

/**
 * The part of a decoder backend that differs between runtimes: one session and the KV cache it
 * keeps between runs (in Node, or inside a Chromium page, on the CPU or the GPU). KvDecoderSource
 * drives it with checked, padded feeds.
 */
export interface ForwardPass {
  /** Run the decoder; the cache becomes this run's present.* outputs. */
  run(feeds: DecoderFeeds): Promise<Logits>;
  /** New row r continues old row `sourceRows[r]` (indices already checked). */
  gather(sourceRows: readonly number[]): Promise<void>;
  dispose(): Promise<void>;
  readonly timing: ForwardTiming;
}

/** Accumulates CallTimings into a ForwardTiming. */
export class TimingLog implements ForwardTiming {
  last: CallTiming | undefined;
  calls = 0;
  totalModelMs = 0;
  totalRoundTripMs = 0;

  record(timing: CallTiming): void {
    this.last = timing;
    this.calls += 1;
    this.totalModelMs += timing.modelMs;
    this.totalRoundTripMs += timing.roundTripMs;
  }
}

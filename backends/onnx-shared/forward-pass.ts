import type { Logits } from '../../harness/core/backend/contract.ts';
import type { DecoderRun } from './decoder-inputs.ts';

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
  run(feeds: DecoderRun): Promise<Logits>;
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

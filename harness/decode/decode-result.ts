import type { TokenLogprob } from './top-k.ts';

/** One generated token and what the model thought of it. */
export interface StepRecord {
  /** The chosen token id. */
  readonly id: number;
  /** Its log-probability under the model's raw (unprocessed) distribution, nats. */
  readonly logprob: number;
  /** The raw distribution's best candidates, [id, logprob] in candidate order. */
  readonly top: readonly TokenLogprob[];
}

export type FinishReason = 'eos' | 'max_new_tokens';

export interface SequenceResult {
  /** Generated ids only (the prompt is in DecodeResult.promptIds). */
  readonly tokenIds: readonly number[];
  readonly steps: readonly StepRecord[];
  /** Sum of the steps' raw logprobs, nats. */
  readonly totalLogprob: number;
  readonly finishReason: FinishReason;
}

/** Where the time went: model calls are timed apart from host-side choice of tokens. */
export interface DecodeTiming {
  /** The prefill call, milliseconds. */
  readonly prefillMs: number;
  /** Each later step call (model only), milliseconds. */
  readonly stepMs: readonly number[];
  /** Host work choosing tokens (softmax, top-k, selection), milliseconds in total. */
  readonly choiceMs: number;
}

export interface DecodeResult {
  readonly strategy: 'greedy';
  readonly promptIds: readonly number[];
  readonly sequences: readonly SequenceResult[];
  readonly timing: DecodeTiming;
}

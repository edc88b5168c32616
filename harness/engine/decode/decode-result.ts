import type { GenerationConfig, Strategy } from './generation-config.ts';
import type { TokenLogprob } from './top-candidates.ts';

/** One generated token and what the model thought of it. */
export interface StepRecord {
  /** The chosen token id. */
  readonly id: number;
  /** Its log-probability under the model's raw (unprocessed) distribution, nats. */
  readonly logprob: number;
  /** The raw distribution's best candidates, [id, logprob] in candidate order. */
  readonly top: readonly TokenLogprob[];
  /** Sampling only: the coin u in [0, 1) drawn for this step. */
  readonly coin?: number;
  /**
   * Sampling only: the cumulative-probability interval [low, high) of the chosen token in the
   * processed distribution; min(coin - low, high - coin) is how far the coin was from a flip.
   */
  readonly cdf?: readonly [low: number, high: number];
}

export type FinishReason = 'eos' | 'stop_string' | 'max_new_tokens';

export interface SequenceResult {
  /** Generated ids only (the prompt is in DecodeResult.promptIds). */
  readonly tokenIds: readonly number[];
  readonly steps: readonly StepRecord[];
  /** Sum of the steps' raw logprobs, nats. */
  readonly totalLogprob: number;
  readonly finishReason: FinishReason;
  /** Beam search only: HF's beam score, sum of processed logprobs / length^length_penalty. */
  readonly score?: number;
}

/** One beam step for the trace view: every candidate the search looked at and what became of it. */
export interface BeamStepRecord {
  readonly candidates: readonly {
    /** Index of the beam the candidate extends (before this step's reorder). */
    readonly beam: number;
    readonly id: number;
    /** Cumulative processed logprob of the extended beam. */
    readonly score: number;
    /** kept: continues as a beam; finished: an eos hypothesis entered the n-best list; dropped: neither. */
    readonly fate: 'kept' | 'finished' | 'dropped';
  }[];
}

/** Where the time went: model calls are timed apart from host-side choice of tokens. */
export interface DecodeTiming {
  /** The prefill call, milliseconds. */
  readonly prefillMs: number;
  /** Each later step call (model only, including beam cache reorders), milliseconds. */
  readonly stepMs: readonly number[];
  /** Host work choosing tokens (softmax, processors, selection, records), milliseconds in total. */
  readonly choiceMs: number;
}

export interface DecodeResult {
  readonly strategy: Strategy;
  readonly config: GenerationConfig;
  readonly promptIds: readonly number[];
  /** Best first (beam: by score; sampling: in row order). */
  readonly sequences: readonly SequenceResult[];
  /** Beam search only. */
  readonly beamSteps?: readonly BeamStepRecord[];
  readonly timing: DecodeTiming;
}

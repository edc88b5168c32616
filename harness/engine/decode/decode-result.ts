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
  /** A token given, not chosen (`--force`, `score`): no processors ran and no coin was drawn. */
  readonly forced?: true;
  /** Forced steps: the token's 1-based rank in the raw distribution (1 = the model's top choice). */
  readonly rank?: number;
  /** Sampling only: the coin u in [0, 1) drawn for this step. */
  readonly coin?: number;
  /**
   * Sampling only: the cumulative-probability interval [low, high) of the chosen token in the
   * processed distribution; min(coin - low, high - coin) is how far the coin was from a flip.
   */
  readonly cdf?: readonly [low: number, high: number];
  /** trace: the distribution this step's choice read, in the order a coin walks it. */
  readonly walk?: CandidateWalk;
  /** trace --temperatures: this step's logits at several temperatures. */
  readonly temperatures?: TemperatureTable;
}

/** One candidate of a walked distribution, in the order the coin walks them. */
export interface WalkCandidate {
  readonly id: number;
  /** Its log-probability under the raw distribution, nats. */
  readonly rawLogprob: number;
  /** Its probability in the walked distribution (softmax of the scores the choice read). */
  readonly prob: number;
  /** Its probability plus that of every candidate before it: the coin picks the first row above it. */
  readonly cumulative: number;
}

/**
 * The distribution a step's choice read, walked in candidate order: `processed`, the scores after
 * every processor that ran (DecodeResult.processors), or `raw` where the choice read the raw row
 * (greedy with no processors) or a sampler of its own (transformers.js mode's float32 top-k).
 */
export interface CandidateWalk {
  readonly distribution: 'processed' | 'raw';
  /** The walk's first candidates (the trace's --top). */
  readonly top: readonly WalkCandidate[];
  /** 1-based rank of the chosen token in the walk. */
  readonly chosenRank: number;
  /** The chosen token's row, when its rank lies beyond `top`. */
  readonly chosenBeyond?: WalkCandidate;
  /** How many tokens the walk holds (those the processors left). */
  readonly survivors: number;
}

/** One step's logits at several temperatures, for the listed tokens. */
export interface TemperatureTable {
  readonly temperatures: readonly number[];
  readonly rows: readonly {
    readonly id: number;
    readonly logit: number;
    /** Per temperature, in `temperatures` order: logit / T and its softmax probability at T. */
    readonly at: readonly { readonly adjusted: number; readonly prob: number }[];
  }[];
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
  /** The open beams this step extends, by index: generated ids and running sum (HF starts all but beam 0 at -1e9). */
  readonly beams: readonly { readonly tokenIds: readonly number[]; readonly score: number }[];
  /** The max(2, 1 + #eos) × num_beams best beam-and-token pairs, best first (HF's ranking). */
  readonly candidates: readonly BeamCandidate[];
}

export interface BeamCandidate {
  /** Index of the beam the candidate extends (before this step's reorder). */
  readonly beam: number;
  readonly id: number;
  /** The token's processed logprob under its beam, nats. */
  readonly logprob: number;
  /** Cumulative processed logprob of the extended beam. */
  readonly score: number;
  /** kept: continues as a beam; finished: an eos hypothesis entered the n-best list; dropped: neither. */
  readonly fate: 'kept' | 'finished' | 'dropped';
  /** kept: the beam index it continues as. */
  readonly nextBeam?: number;
  /** finished: its hypothesis score, sum / length^length_penalty. */
  readonly hypothesisScore?: number;
  /**
   * dropped: `cut`, num_beams beams were already kept (HF stops looking); `eos-rank`, an eos ranked
   * below the first num_beams (HF skips it); `eos-worse`, an eos hypothesis no better than the worst
   * of a full n-best list.
   */
  readonly why?: 'cut' | 'eos-rank' | 'eos-worse';
}

/** A hypothesis of beam search's final n-best list. */
export interface BeamHypothesisRecord {
  readonly tokenIds: readonly number[];
  /** Sum of its processed logprobs, nats. */
  readonly sumLogprobs: number;
  /** sumLogprobs / tokenIds.length^length_penalty. */
  readonly score: number;
  /** false: an open beam that competed at the end (the search was not done at max_new_tokens). */
  readonly endedWithEos: boolean;
}

/** Where the time went: model calls are timed apart from host-side choice of tokens. */
export interface DecodeTiming {
  /** The prefill call, milliseconds. */
  readonly prefillMs: number;
  /** Each later step call (model only, including beam cache reorders), milliseconds. */
  readonly stepMs: readonly number[];
  /** Host work choosing tokens (softmax, processors, selection, records), milliseconds in total. */
  readonly choiceMs: number;
  /** --force: the teacher-forced pass that scored the forced tokens (prefill and steps), milliseconds. */
  readonly forcedMs?: number;
}

export interface DecodeResult {
  readonly strategy: Strategy;
  readonly config: GenerationConfig;
  readonly promptIds: readonly number[];
  /**
   * --force: the tokens every sequence starts with (its first steps, marked `forced`). beamSteps and
   * hypotheses are the search's own, over the tokens after them.
   */
  readonly forcedIds?: readonly number[];
  /** Best first (beam: by score; sampling: in row order). */
  readonly sequences: readonly SequenceResult[];
  /** The HF names of the logits processors that ran, in order (`temperature`, `top_k`, …). */
  readonly processors: readonly string[];
  /** Beam search only. */
  readonly beamSteps?: readonly BeamStepRecord[];
  /** Beam search only: the final n-best list, best first. */
  readonly hypotheses?: readonly BeamHypothesisRecord[];
  readonly timing: DecodeTiming;
}

/**
 * One row of next-token scores over the full vocabulary, rewritten in place; a filtered token's score
 * becomes -Infinity (as in Hugging Face). Float64Array is the numeric contract. Float32Array is only
 * for the transformers.js-compatible mode: there every in-place write rounds to float32 exactly as
 * transformers.js's processors round when they write into its Float32Array logits.
 */
export type ScoresRow = Float64Array | Float32Array;

/** What a processor may read besides the scores: HF's `input_ids` row for this sequence. */
export interface SequenceSoFar {
  /** The prompt ids followed by the ids generated so far. */
  readonly ids: readonly number[];
  /** How many leading entries of `ids` are the prompt. */
  readonly promptLength: number;
}

/**
 * A step of the chain (llama.cpp's sampler, HF's LogitsProcessor / LogitsWarper). Pure: the result
 * depends only on (scores, sequence), so there is nothing to accept or reset between steps.
 */
export interface LogitsProcessor {
  /** The HF generation_config option it implements ('top_p'), or 'chain' for a chain. */
  readonly name: string;
  apply(scores: ScoresRow, sequence: SequenceSoFar): void;
  /**
   * True when what it does to the finite scores is the same with the -Infinity entries left out of
   * the row and the rest kept in ascending id order: it skips filtered tokens (or adds their zero
   * probability), and reads positions only for their order (ties to the lower id), never as token
   * ids. The chain then runs it on the candidate list after top-k (candidate-list.ts), not the row.
   */
  readonly ignoresFiltered?: boolean;
  /**
   * A filter that leaves few tokens (top_k): `apply`, returning the ids it kept in ascending order
   * (null when it cut nothing). Every token left out is -Infinity; a kept one may be too.
   */
  applyListing?(scores: ScoresRow, sequence: SequenceSoFar): Int32Array | null;
}

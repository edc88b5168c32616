import type { ScoresRow } from './logits-processor.ts';

/**
 * The tokens still in play once a filter has cut the row (llama.cpp's candidate array, after
 * top-k): their ids in ascending order and their scores, every other token's score being
 * -Infinity. Ascending id order is what keeps it exact: a processor that ignores filtered tokens
 * (LogitsProcessor.ignoresFiltered) adds its sums in the same order and breaks ties to the same
 * token whether it walks the row or the list, so running it on k entries instead of V changes no bit.
 * Candidate order (descending score) is put in place lazily where a step needs it (candidate-order.ts).
 */
export interface CandidateList {
  /** Surviving token ids, ascending. */
  readonly ids: Int32Array;
  /** scores[j] is the score of ids[j]; the row's array type, so writes round as they would there. */
  readonly scores: ScoresRow;
}

/**
 * The list of `ids` (ascending) with their scores copied out of the row; null when one of them is
 * NaN or +Infinity, so the processors meet it on the row and their errors name its token id.
 */
export function gatherCandidates(row: ScoresRow, ids: Int32Array): CandidateList | null {
  const scores = row instanceof Float32Array ? new Float32Array(ids.length) : new Float64Array(ids.length);
  let poison = 0; // x − x is 0 for a finite x and NaN for NaN or ±Infinity
  for (let j = 0; j < ids.length; j++) {
    const x = row[ids[j]!]!;
    scores[j] = x;
    if (x !== Number.NEGATIVE_INFINITY) poison += x - x;
  }
  return Number.isNaN(poison) ? null : { ids, scores };
}

/** Write the list's scores back into the row, whose other entries are already -Infinity. */
export function scatterCandidates(list: CandidateList, row: ScoresRow): void {
  for (let j = 0; j < list.ids.length; j++) row[list.ids[j]!] = list.scores[j]!;
}

import { CandidateOrder } from './candidate-order.ts';
import type { CandidateWalk, WalkCandidate } from './decode-result.ts';

/**
 * A distribution as the choice reads it: the surviving tokens of a scores row in candidate order
 * (the order the inverse-CDF coin walks them), each with its raw logprob, probability and
 * cumulative probability. The cumulative column is summed in the same order with the same
 * float64 additions as inverseCdfChoice, so it is the coin's interval to the last bit. The walk goes
 * on past `rows` until it meets the chosen token, so its rank is known however deep it lies (ranks
 * are put in order lazily: O(vocab + rank · log rank)).
 */
export function candidateWalk(
  distribution: CandidateWalk['distribution'],
  scores: ArrayLike<number>,
  rawLogprobs: Float64Array,
  rows: number,
  chosenId: number,
): CandidateWalk {
  const order = new CandidateOrder(scores);
  const top: WalkCandidate[] = [];
  let chosen: { rank: number; row: WalkCandidate } | undefined;
  let cumulative = 0;
  for (let r = 0; r < order.count && (r < rows || chosen === undefined); r++) {
    order.orderThrough(r);
    const id = order.ids[r]!;
    cumulative += order.probs[r]!;
    const row = { id, rawLogprob: rawLogprobs[id]!, prob: order.probs[r]!, cumulative };
    if (r < rows) top.push(row);
    if (id === chosenId) chosen = { rank: r + 1, row };
  }
  if (chosen === undefined) throw new Error(`token ${chosenId} was chosen but the processors filtered it`);
  return {
    distribution,
    top,
    chosenRank: chosen.rank,
    ...(chosen.rank > rows ? { chosenBeyond: chosen.row } : {}),
    survivors: order.count,
  };
}

import { NumericError } from '../../core/errors.ts';
import { CandidateOrder } from './candidate-order.ts';

/** A sampled token and where the coin fell, so a near-miss at a CDF boundary can be labelled. */
export interface CoinChoice {
  readonly id: number;
  /** The coin u in [0, 1). */
  readonly coin: number;
  /** Cumulative probability of the candidates before `id` and through `id`: cdfLow ≤ coin < cdfHigh. */
  readonly cdfLow: number;
  readonly cdfHigh: number;
}

/**
 * Inverse-CDF sampling, the numeric contract: softmax (max-subtracted, float64) over the surviving
 * tokens of a processed scores row, walked in candidate order (descending probability, ties to the
 * lower id); the first token whose cumulative probability exceeds the coin is chosen. If rounding
 * leaves the total below a coin close to 1, the last surviving candidate is chosen and its cdfHigh is
 * reported as 1. The margin to the nearest boundary is min(coin - cdfLow, cdfHigh - coin).
 */
export function inverseCdfChoice(scores: ArrayLike<number>, coin: number): CoinChoice {
  return inverseCdfChoiceOf(scores, null, coin);
}

/**
 * The same choice over a candidate list (processors/candidate-list.ts): `scores[j]` is the score
 * of token `ids[j]`, ids ascending, every other token filtered. The walk, the sums and the ties are
 * the full row's, so the chosen id and its CDF interval are too.
 */
export function inverseCdfChoiceOf(
  scores: ArrayLike<number>,
  ids: Int32Array | null,
  coin: number,
): CoinChoice {
  if (!(coin >= 0 && coin < 1)) throw new RangeError(`coin ${coin} is outside [0, 1)`);
  const order = new CandidateOrder(scores, ids ?? undefined);
  const tokenOf = (j: number) => (ids === null ? j : ids[j]!);
  if (order.count === 0) {
    throw new NumericError(
      'every token was filtered (all scores are -Infinity); loosen --top-k/--top-p/--min-p or ' +
        '--no-repeat-ngram-size',
    );
  }
  const last = order.count - 1;
  let cdfLow = 0;
  for (let r = 0; r < last; r++) {
    order.orderThrough(r);
    const cdfHigh = cdfLow + order.probs[r]!;
    if (cdfHigh > coin) return { id: tokenOf(order.ids[r]!), coin, cdfLow, cdfHigh };
    cdfLow = cdfHigh;
  }
  order.orderThrough(last);
  // Last-index guard: the rounded total can fall short of a coin near 1; the last candidate takes it.
  const cdfHigh = cdfLow + order.probs[last]!;
  return { id: tokenOf(order.ids[last]!), coin, cdfLow, cdfHigh: cdfHigh > coin ? cdfHigh : 1 };
}

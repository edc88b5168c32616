import { logPartition } from './log-softmax.ts';
import { type TokenLogprob, topK } from './top-candidates.ts';

/**
 * What a step record reads from one row of raw logits, without a vocabulary-sized float64 array:
 * the log-partition and the k best tokens. Logits and their logprobs (logit − logZ, exact in
 * float64 for float32 logits) sort alike, ties included, so the top-k of the logits is the
 * top-k of the logprobs.
 */
export interface RawRow {
  readonly logits: ArrayLike<number>;
  readonly logZ: number;
  /** The k best [id, raw logprob] in candidate order; top[0] is the argmax (ties to the lower id). */
  readonly top: readonly TokenLogprob[];
}

export function rawRow(logits: ArrayLike<number>, k: number, where: string): RawRow {
  const logZ = logPartition(logits, where);
  return { logits, logZ, top: topK(logits, k).map(([id, logit]) => [id, logit - logZ] as const) };
}

/** A token's raw logprob in float64. */
export function rawLogprob(row: RawRow, id: number): number {
  return row.logits[id]! - row.logZ;
}

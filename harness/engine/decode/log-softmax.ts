import { NumericError } from '../../core/errors.ts';

/**
 * log Σ exp(logits) in float64 in one pass: a running max, the sum rescaled by exp(old − new)
 * when the max moves (rarely: ~ln n times on a row in random order), so each logit costs one exp.
 * `where` names the backend and step for the NaN/Inf message.
 */
export function logPartition(logits: ArrayLike<number>, where: string): number {
  const n = logits.length;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const x = logits[i]!;
    if (!(x > Number.NEGATIVE_INFINITY && x < Number.POSITIVE_INFINITY)) throw nonFinite(where, i, x);
    if (x > max) {
      sum = sum * Math.exp(max - x) + 1;
      max = x;
    } else {
      sum += Math.exp(x - max);
    }
  }
  return max + Math.log(sum);
}

function nonFinite(where: string, token: number, x: number): NumericError {
  return new NumericError(
    `${where}: logit for token ${token} is ${x}; the backend produced non-finite logits ` +
      '(check the model weights and the backend with `decode-harness compare`)',
  );
}

/**
 * Log-probabilities in float64 from one row of logits: logits minus their log-partition (the
 * numeric contract: probabilities are always computed on the host in float64). Callers that need
 * a few tokens' logprobs, not the row, use logPartition alone (raw-row.ts).
 */
export function logSoftmax(logits: ArrayLike<number>, where: string): Float64Array {
  const logZ = logPartition(logits, where);
  const n = logits.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = logits[i]! - logZ;
  return out;
}

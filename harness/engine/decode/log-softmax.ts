import { NumericError } from '../../core/errors.ts';

/**
 * Log-probabilities in float64 from one row of logits: max-subtracted log-softmax
 * (the numeric contract: probabilities are always computed on the host in float64).
 * `where` names the backend and step for the NaN/Inf message.
 */
export function logSoftmax(logits: ArrayLike<number>, where: string): Float64Array {
  const n = logits.length;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const x = logits[i]!;
    if (!Number.isFinite(x)) {
      throw new NumericError(
        `${where}: logit for token ${i} is ${x}; the backend produced non-finite logits ` +
          '(check the model weights and the backend with `decode-harness compare`)',
      );
    }
    if (x > max) max = x;
  }
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.exp(logits[i]! - max);
  const logZ = max + Math.log(sum);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = logits[i]! - logZ;
  return out;
}

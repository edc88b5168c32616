import { type LogitsSource, logitsRow } from '../../core/backend/contract.ts';
import { logSoftmax } from '../decode/log-softmax.ts';
import type { StepPosition } from './check-result.ts';
import type { Golden } from './golden-schema.ts';

/** One compared token: where, how far off, and `token 464: logprob -2.301 vs golden -2.312`. */
export interface Deviation {
  readonly value: number;
  readonly at: StepPosition;
  readonly detail: string;
}

export interface LogprobDeviation {
  /** Largest |Δlogprob| over every compared token, nats (0 with no steps). */
  readonly max: number;
  readonly worst: Deviation | null;
  /** The earliest step (in sequence order) beyond the tolerance: usually the root cause. */
  readonly firstOver: Deviation | null;
}

/**
 * Feed the golden's own tokens to the backend (one all-positions prefill per returned sequence over
 * prompt + golden tokens) and compare, at every step, the raw logprob of the golden's chosen token
 * and of each of its top-k tokens with the golden's. Because the path is forced, one flipped token
 * cannot hide everything after it: every step is compared. `tolerance` only picks `firstOver`.
 */
export async function teacherForcedDeviation(
  source: LogitsSource,
  golden: Golden,
  tolerance: number,
): Promise<LogprobDeviation> {
  const promptIds = golden.prompt.ids;
  let worst: Deviation | null = null;
  let firstOver: Deviation | null = null;
  for (const [s, sequence] of golden.expected.sequences.entries()) {
    if (sequence.tokenIds.length === 0) continue;
    const path = [...promptIds, ...sequence.tokenIds.slice(0, -1)];
    const logits = await source.prefill([path], { allPositions: true });
    for (const [n, step] of sequence.steps.entries()) {
      const where = `${source.info.id} teacher-forced ${golden.id} sequence ${s} step ${n}`;
      const logprobs = logSoftmax(logitsRow(logits, 0, promptIds.length - 1 + n), where);
      for (const [id, expected] of [[step.id, step.logprob] as const, ...step.top]) {
        const actual = logprobs[id]!;
        const diff = Math.abs(actual - expected);
        const value = Number.isNaN(diff) ? Number.POSITIVE_INFINITY : diff;
        const deviation = {
          value,
          at: { sequence: s, step: n },
          detail: `token ${id}: logprob ${actual.toFixed(6)} vs golden ${expected.toFixed(6)}`,
        };
        if (worst === null || value > worst.value) worst = deviation;
        if (firstOver === null && value > tolerance) firstOver = deviation;
      }
    }
  }
  source.reset();
  return { max: worst?.value ?? 0, worst, firstOver };
}

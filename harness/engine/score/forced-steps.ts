import type { LogitsSource } from '../../core/backend/contract.ts';
import { teacherForced } from '../compare/teacher-forced-logits.ts';
import type { StepRecord } from '../decode/decode-result.ts';
import { logSoftmax } from '../decode/log-softmax.ts';
import { type StepViewRequest, withStepView } from '../decode/step-record.ts';
import { rankOf, topK } from '../decode/top-candidates.ts';

/**
 * Score given tokens after a prompt, teacher-forced: the prompt's prefill, then one cached step per
 * given token (the last is predicted, never fed). Each token's record holds its logprob under the
 * raw distribution (float64 log-softmax of the backend's logits, no processors), its rank there and
 * the raw top-k: what Hugging Face's `compute_transition_scores(..., normalize_logits=True)` gives
 * for a generation that produced exactly these tokens. With `view` (trace), the raw walk too.
 */
export async function forcedSteps(
  source: LogitsSource,
  promptIds: readonly number[],
  forcedIds: readonly number[],
  recordTopK: number,
  view?: StepViewRequest,
): Promise<StepRecord[]> {
  const steps: StepRecord[] = [];
  await teacherForced(source, promptIds, forcedIds, (n, logits) => {
    const logprobs = logSoftmax(logits, `${source.info.id} forced token ${n}`);
    const id = forcedIds[n]!;
    const record: StepRecord = {
      id,
      logprob: logprobs[id]!,
      top: topK(logprobs, recordTopK),
      forced: true,
      rank: rankOf(logprobs, id),
    };
    steps.push(view ? withStepView(record, view, logits, logprobs, null) : record);
  });
  return steps;
}

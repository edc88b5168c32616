import { type LogitsSource, logitsRow } from '../../core/backend/contract.ts';

/**
 * Teacher forcing: run `source` along the prompt and then a given continuation (the reference's
 * greedy tokens), whatever the source itself would have chosen, so every backend is scored on the
 * same positions. Step 0 is the prefill's last position; step s ≥ 1 is the s-th cached `step`,
 * fed continuation token s − 1. `visit` gets each step's logits row [vocab] (a view, valid only
 * during the call). One step per continuation token: the last token is predicted, never fed.
 */
export async function teacherForced(
  source: LogitsSource,
  promptIds: readonly number[],
  continuation: readonly number[],
  visit: (step: number, logits: Float32Array | Float64Array) => void,
): Promise<void> {
  let logits = await source.prefill([promptIds]);
  for (let step = 0; step < continuation.length; step++) {
    if (step > 0) logits = await source.step([continuation[step - 1]!]);
    visit(step, logitsRow(logits, 0));
  }
}

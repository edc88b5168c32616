import type { StepRecord } from './decode-result.ts';
import { topK } from './top-candidates.ts';

/** How many [id, logprob] candidates each step records unless a caller asks for more (trace --top). */
export const DEFAULT_RECORD_TOP_K = 5;

/** The record of choosing `id` from a row of raw logprobs. */
export function stepRecord(
  rawLogprobs: Float64Array,
  id: number,
  recordTopK: number,
  sampled?: { coin: number; cdfLow: number; cdfHigh: number },
): StepRecord {
  const record: StepRecord = { id, logprob: rawLogprobs[id]!, top: topK(rawLogprobs, recordTopK) };
  return sampled ? { ...record, coin: sampled.coin, cdf: [sampled.cdfLow, sampled.cdfHigh] } : record;
}

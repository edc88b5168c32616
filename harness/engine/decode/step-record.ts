import { candidateWalk } from './candidate-walk.ts';
import type { StepRecord } from './decode-result.ts';
import { type RawRow, rawLogprob } from './raw-row.ts';
import { temperatureTable } from './temperature-table.ts';

/** How many [id, logprob] candidates each step records unless a caller asks for more (trace --top). */
export const DEFAULT_RECORD_TOP_K = 5;

/** The record of choosing `id` from a row of raw logits (its top-k already taken). */
export function stepRecord(
  row: RawRow,
  id: number,
  sampled?: { coin: number; cdfLow: number; cdfHigh: number },
): StepRecord {
  const record: StepRecord = { id, logprob: rawLogprob(row, id), top: row.top };
  return sampled ? { ...record, coin: sampled.coin, cdf: [sampled.cdfLow, sampled.cdfHigh] } : record;
}

/** trace: what each step records besides the raw top-k (each costs a pass over the vocabulary). */
export interface StepViewRequest {
  /** Rows of the walk per step; the chosen token's row comes along wherever it lies. */
  readonly walkRows: number;
  /** Temperatures of the side-by-side table; empty: no table. */
  readonly temperatures: readonly number[];
  /** The table's tokens, in this order; default the recorded raw top-k. */
  readonly temperatureIds?: readonly number[];
}

/**
 * A step record with the trace's views: the walk of the scores the choice read (`processed`), or of
 * the raw row when `processedScores` is null, and the temperature table.
 */
export function withStepView(
  record: StepRecord,
  view: StepViewRequest,
  rawLogits: ArrayLike<number>,
  rawLogprobs: Float64Array,
  processedScores: ArrayLike<number> | null,
): StepRecord {
  const walk = processedScores
    ? candidateWalk('processed', processedScores, rawLogprobs, view.walkRows, record.id)
    : candidateWalk('raw', rawLogprobs, rawLogprobs, view.walkRows, record.id);
  const tableIds = view.temperatureIds ?? record.top.map(([id]) => id);
  return {
    ...record,
    walk,
    ...(view.temperatures.length > 0
      ? { temperatures: temperatureTable(rawLogits, tableIds, view.temperatures) }
      : {}),
  };
}

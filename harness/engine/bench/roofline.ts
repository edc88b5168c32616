import type { ComputeDtype } from '../../core/backend/contract.ts';
import { familyOf, headDim, type ModelConfig, numKvHeads, numLayers } from '../../core/model/model-config.ts';
import { parameterCount } from '../../core/model/parameter-layout.ts';

/**
 * The memory roofline of one decode step. A step reads every weight once (the matrices are far
 * larger than any cache) plus the whole KV cache of each of its rows, so
 *   decode tokens/s ≤ tokensPerStep · bandwidth / (weightBytes + rows · kvBytes)
 * where rows = batch (greedy: tokensPerStep = rows) or beams (beam search: tokensPerStep = 1).
 * Compute, activations and writes are left out: at batch 1 they are small next to the reads, so
 * this is an upper bound that a good CPU decoder gets within a factor of ~2 of.
 */
export interface Roofline {
  /** Weights read per decode step: every parameter except the unused rows of lookup tables. */
  readonly weightBytesPerStep: number;
  /** KV cache read per step and row, at the run's mean context length. */
  readonly kvBytesPerStepPerRow: number;
  readonly meanContextTokens: number;
  /** Rows whose KV cache a step reads: the batch, or the beams. */
  readonly rows: number;
  /** Tokens a step adds to the figure: the batch for greedy, 1 for beam search (the best beam). */
  readonly tokensPerStep: number;
  readonly bandwidthGBps: number;
  /** The bound, tokens per second over the whole batch. */
  readonly limitTokensPerSec: number;
}

const DTYPE_BYTES: Readonly<Record<ComputeDtype, number>> = { float64: 8, float32: 4, float16: 2 };

/**
 * Parameters one decode step reads. A lookup table reads one row per token: GPT-2's wpe always;
 * the token embedding only when untied (tied, it is read whole as the LM head).
 */
export function parametersReadPerStep(config: ModelConfig): number {
  return familyOf(config).parametersReadPerStep(config, parameterCount(config));
}

/**
 * Roofline for decoding with a `promptTokens` prompt for `newTokens` tokens: the step that produces
 * token k ≥ 2 attends over promptTokens + k - 1 cached positions, so the mean over the run is
 * promptTokens + newTokens / 2.
 */
export function decodeRoofline(
  config: ModelConfig,
  dtype: ComputeDtype,
  run: {
    readonly promptTokens: number;
    readonly newTokens: number;
    readonly rows: number;
    readonly tokensPerStep: number;
  },
  bandwidthGBps: number,
): Roofline {
  const bytes = DTYPE_BYTES[dtype];
  const weightBytesPerStep = parametersReadPerStep(config) * bytes;
  const meanContextTokens = run.promptTokens + run.newTokens / 2;
  // keys and values: [layers, kvHeads, context, headDim] each
  const kvBytesPerStepPerRow =
    2 * numLayers(config) * numKvHeads(config) * headDim(config) * meanContextTokens * bytes;
  const bytesPerStep = weightBytesPerStep + run.rows * kvBytesPerStepPerRow;
  return {
    weightBytesPerStep,
    kvBytesPerStepPerRow,
    meanContextTokens,
    rows: run.rows,
    tokensPerStep: run.tokensPerStep,
    bandwidthGBps,
    limitTokensPerSec: (run.tokensPerStep * bandwidthGBps * 1e9) / bytesPerStep,
  };
}

import type { ComputeDtype } from '../../core/backend/contract.ts';
import { familyOf, headDim, type ModelConfig, numKvHeads, numLayers } from '../../core/model/model-config.ts';
import { parameterCount } from '../../core/model/parameter-layout.ts';
import { type Summary, summarize } from '../../core/statistics.ts';

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
  const weightBytesPerStep = parametersReadPerStep(config) * DTYPE_BYTES[dtype];
  const meanContextTokens = run.promptTokens + run.newTokens / 2;
  const kvBytesPerStepPerRow = kvCacheBytesPerToken(config, dtype) * meanContextTokens;
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

/** One token of one row in the KV cache: keys and values, [layers, kvHeads, 1, headDim] each. */
export function kvCacheBytesPerToken(config: ModelConfig, dtype: ComputeDtype): number {
  return 2 * numLayers(config) * numKvHeads(config) * headDim(config) * DTYPE_BYTES[dtype];
}

/** Bytes of one value of `dtype`. */
export const dtypeBytes = (dtype: ComputeDtype): number => DTYPE_BYTES[dtype];

/**
 * What a row's roofline says. `bound`: tg as a percentage of the limit, the median over
 * repetitions of each one's tokens/s over the limit from the probes taken around it. `in-cache`:
 * the weights are smaller than both the largest CPU cache and the probe's buffer, so they may be
 * read from a cache faster than anything the probe measured, and the probe bounds nothing (weights
 * at least as large as the probe's buffer read no faster than it did; weights larger than the
 * cache come from memory, as a buffer larger than the cache does). `measurement-error`:
 * a repetition decoded faster than its limit, which is impossible: the probe under-measured the
 * bandwidth (a native kernel can out-read the probe's JavaScript loop) or the run was timed wrong;
 * the two numbers that disagree are kept, and no percentage is given.
 */
export type RooflineVerdict =
  | { readonly kind: 'bound'; readonly percent: number }
  | { readonly kind: 'in-cache'; readonly cacheBytes: number; readonly probeBufferBytes: number }
  | {
      readonly kind: 'measurement-error';
      /** 1-based repetition with the largest tokens/s over limit. */
      readonly repetition: number;
      readonly tokensPerSec: number;
      readonly limitTokensPerSec: number;
      readonly bandwidthGBps: number;
    };

/** The roofline of one result row: its bytes per step, the per-repetition limits, and the verdict. */
export interface RooflineRecord {
  readonly weightBytesPerStep: number;
  readonly kvBytesPerStepPerRow: number;
  readonly meanContextTokens: number;
  readonly rows: number;
  readonly tokensPerStep: number;
  /** Per repetition: the best bandwidth of the probe before it and the probe after it. */
  readonly bandwidthGBps: Summary;
  /** Per repetition: the bound that bandwidth gives. */
  readonly limitTokensPerSec: Summary;
  readonly verdict: RooflineVerdict;
}

/** One timed repetition and the bandwidth measured around it. */
export interface RepetitionWindow {
  readonly tokensPerSec: number;
  readonly bandwidthGBps: number;
}

/** The row's roofline from each repetition and its own window's bandwidth (see RooflineVerdict). */
export function windowedRoofline(
  config: ModelConfig,
  dtype: ComputeDtype,
  run: Parameters<typeof decodeRoofline>[2],
  windows: readonly RepetitionWindow[],
  cache: { readonly cacheBytes: number | null; readonly probeBufferBytes: number },
): RooflineRecord {
  const { cacheBytes, probeBufferBytes } = cache;
  const limits = windows.map((w) => decodeRoofline(config, dtype, run, w.bandwidthGBps));
  const base = limits[0]!;
  const ratios = windows.map((w, i) => w.tokensPerSec / limits[i]!.limitTokensPerSec);
  const worst = ratios.indexOf(Math.max(...ratios));
  let verdict: RooflineVerdict;
  const weights = base.weightBytesPerStep;
  if (cacheBytes !== null && weights < cacheBytes && weights < probeBufferBytes) {
    verdict = { kind: 'in-cache', cacheBytes, probeBufferBytes };
  } else if (ratios[worst]! > 1) {
    verdict = {
      kind: 'measurement-error',
      repetition: worst + 1,
      tokensPerSec: windows[worst]!.tokensPerSec,
      limitTokensPerSec: limits[worst]!.limitTokensPerSec,
      bandwidthGBps: windows[worst]!.bandwidthGBps,
    };
  } else verdict = { kind: 'bound', percent: 100 * summarize(ratios).median };
  return {
    weightBytesPerStep: base.weightBytesPerStep,
    kvBytesPerStepPerRow: base.kvBytesPerStepPerRow,
    meanContextTokens: base.meanContextTokens,
    rows: base.rows,
    tokensPerStep: base.tokensPerStep,
    bandwidthGBps: summarize(windows.map((w) => w.bandwidthGBps)),
    limitTokensPerSec: summarize(limits.map((l) => l.limitTokensPerSec)),
    verdict,
  };
}
